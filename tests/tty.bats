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

UDPASK=$TOP/tests/udpask.py

@test "tr a-z A-Z answers a UDP datagram through its stdout under dgram udp nowait, over IPv4 and ::1" {
	table <<-'EOF'
	127.0.0.1:0 dgram udp nowait,line-buffered,timeout=5 nobody /usr/bin/tr tr a-z A-Z
	[::1]:0 dgram udp6 nowait,line-buffered,timeout=5 nobody /usr/bin/tr tr a-z A-Z
	EOF
	start_superd
	run "$UDPASK" 127.0.0.1 "$(port 1)" a:hello
	assert_output "a: HELLO"
	run "$UDPASK" ::1 "$(port 2)" a:hello6
	assert_output "a: HELLO6"
	# and so does socat, a client of its own
	run sh -c "echo again | timeout 5 socat -t2 - UDP4:127.0.0.1:$(port 1)"
	assert_output "AGAIN"
}

@test "a dgram udp nowait child reads its client's second datagram, and another client's goes to a child of its own" {
	table <<-'EOF'
	127.0.0.1:0 dgram udp nowait,timeout=10 nobody /usr/bin/python3 python3 -c "import os\nfor i in (1, 2):\n\td = os.read(0, 65536)\n\tos.write(1, b'%d %d ' % (i, os.getpid()) + d)"
	EOF
	start_superd
	run "$UDPASK" 127.0.0.1 "$(port 1)" a:one b:other a:two
	assert_success
	assert_equal "${#lines[@]}" 3
	pa=$(echo "${lines[0]}" | awk '{print $3}')
	pb=$(echo "${lines[1]}" | awk '{print $3}')
	assert_equal "${lines[0]}" "a: 1 $pa one"
	assert_equal "${lines[1]}" "b: 1 $pb other"
	assert_equal "${lines[2]}" "a: 2 $pa two"
	[ "$pa" != "$pb" ]
	assert_equal "$(log_count 'event=start svc=0 ')" 2
}

@test "datagrams from three clients queued at once while the service is paused each get their child and their answer" {
	table <<-'EOF'
	127.0.0.1:0 dgram udp nowait,instances=1,timeout=10 nobody /usr/bin/python3 python3 -c "import socket, time\ns = socket.socket(fileno=0)\ntime.sleep(0.5)\nd, a = s.recvfrom(65536)\ns.sendto(d.upper(), a)"
	EOF
	start_superd
	run timeout 20 python3 - "$(port 1)" <<-'PY'
	import socket, sys
	port = int(sys.argv[1])
	socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for i in range(3)]
	for i, s in enumerate(socks):
	    s.settimeout(8)
	    s.sendto(b"c%d" % i, ("127.0.0.1", port))
	for s in socks:
	    try:
	        print(s.recv(100).decode())
	    except socket.timeout:
	        print("-")
	PY
	assert_success
	assert_output "$(printf 'C0\nC1\nC2')"
	assert_equal "$(log_count 'event=start svc=0 ')" 3
}
