#!/usr/bin/env bats
# Command-line tools as they behave at a terminal (SPEC 14): line-buffered,
# UDP answered through stdout, escapes (those are in conf.bats).

load helpers

ASK=$TOP/tests/lineask.py

@test "line-buffered makes grep answer each line as it comes, while without it nothing comes before EOF" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,line-buffered nobody /bin/grep grep --color=never x
	127.0.0.1:0 stream tcp nowait nobody /bin/grep grep --color=never x
	127.0.0.1:0 stream tcp nowait,line-buffered nobody /bin/sed sed s/a/b/
	EOF
	start_superd
	run "$ASK" 127.0.0.1 "$(port 1)" ax1 ax2
	assert_success
	assert_output "$(printf 'ax1\nax2\neof: ')"
	run "$ASK" 127.0.0.1 "$(port 2)" ax1 ax2
	assert_success
	assert_output "$(printf -- '-\n-\neof: ax1 ax2')"
	run "$ASK" 127.0.0.1 "$(port 3)" a1 a2
	assert_success
	assert_output "$(printf 'b1\nb2\neof: ')"
}

@test "line-buffered puts coreutils' library first in the entry's own LD_PRELOAD, and env= may set _STDBUF_O" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,line-buffered nobody /usr/bin/env env
	127.0.0.1:0 stream tcp nowait,line-buffered,env=LD_PRELOAD=/usr/lib/x.so,env=_STDBUF_O=0 nobody /usr/bin/env env
	EOF
	start_superd
	run talk "$(port 1)"
	assert_line "LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so"
	assert_line "_STDBUF_O=L"
	run talk "$(port 2)"
	assert_line "LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so:/usr/lib/x.so"
	assert_line "_STDBUF_O=0"
	refute_line "_STDBUF_O=L"
}

@test "line-buffered where its library is missing (inside chroot=) is a FILE:LINE error with -t and at start" {
	[ -x /bin/busybox ] || skip "needs busybox-static"
	is_root || skip "chroot= under /var/lib needs root"
	J=$(mktemp -d /var/lib/superd-jail.XXXXXX)
	echo "$J" >>"$T/cleanup"
	mkdir -p "$J/bin"
	cp /bin/busybox "$J/bin/busybox"
	ln -s busybox "$J/bin/sh"
	chmod 755 "$J"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J,line-buffered root /bin/sh sh -c true
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: line-buffered needs /usr/libexec/coreutils/libstdbuf.so inside chroot $J (coreutils' library for stdbuf): No such file or directory"
	run "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	assert_output --partial "$CONF:1: line-buffered needs"
	# with the library in the chroot, the line is good
	mkdir -p "$J/usr/libexec/coreutils"
	cp /usr/libexec/coreutils/libstdbuf.so "$J/usr/libexec/coreutils/"
	run "$SUPERD" -t "$CONF"
	assert_success
}
