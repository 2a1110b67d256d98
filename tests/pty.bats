#!/usr/bin/env bats
# pty (SPEC 14): the program on a new pseudo-terminal, behind the relay
# superd-pty (ptyrelay.c): stdio a terminal, line by line answers, the
# client's EOF the terminal's, its going away a hang-up, flow control
# both ways, pty-echo, pty-raw, pty-size=.

load helpers

CLIENT="python3 $BATS_TEST_DIRNAME/ptyclient.py"

# pid_of_start LINE: the pid of the last event=start line of table line
# LINE (the relay's: superd sees one pid).
pid_of_start() {
	sed -n "s/^event=start svc=[^ ]* line=$1 pid=\([0-9]*\).*/\1/p" "$LOG" |
	    tail -1
}

@test "grep under pty answers each line as it comes, and without pty nothing comes before EOF" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/grep grep x
	127.0.0.1:0 stream tcp nowait nobody /bin/grep grep x
	EOF
	start_superd
	run timeout 10 $CLIENT ask "$(port 1)" 'ax\n' ax 3
	assert_success
	assert_output got
	run timeout 10 $CLIENT quiet "$(port 2)" 'ax\n' 1
	assert_success
	assert_output quiet
	# and the second answers all at the end, as before
	run talk "$(port 2)" $'ax\nb\ncx\n'
	assert_output $'ax\ncx'
}

@test "python3 -i under pty evaluates 1+1 and answers 2 before the client closes" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /usr/bin/python3 python3 -i
	EOF
	start_superd
	run timeout 10 $CLIENT ask "$(port 1)" '1+1\n' $'2\n' 5
	assert_success
	assert_output got
	# and the client's EOF ends it, though readline reads between lines
	# in a mode of its own (a VEOF queued before is a NUL to it)
	run talk "$(port 1)" $'x = 6 * 7\nprint(x)\n'
	assert_output --partial 42
	# (the first client closed: its next prompt found it gone, a SIGHUP
	# or an EOF, whichever came first; nc -N reads on to the end)
	wait_until 5 log_lines '^event=exit svc=[^ ]* line=1 ' 2
	log_has '^event=exit svc=[^ ]* line=1 pid=[0-9]+ status=0 '
}

@test "the program's stdin, stdout and stderr=socket are a terminal, its controlling one" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/sh sh -c "[ -t 0 ] && [ -t 1 ] && echo tty; [ -t 2 ] || echo err-not-tty; ps -o tty= -p \$\$ | grep -q pts && echo ctty"
	127.0.0.1:0 stream tcp nowait,pty,stderr=socket nobody /bin/sh sh -c "[ -t 2 ] && echo err-tty; echo to-stderr >&2"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output $'tty\nerr-not-tty\nctty'
	run talk "$(port 2)"
	assert_output $'err-tty\nto-stderr'
}

@test "the client's EOF ends cat under a pty and the last bytes arrive, a partial line too" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/cat cat
	EOF
	start_superd
	run talk "$(port 1)" $'first\nlast line'
	assert_success
	assert_output $'first\nlast line'
	run talk "$(port 1)" $'ends with a newline\n'
	assert_output 'ends with a newline'
	wait_log '^event=exit svc=[^ ]* line=1 pid=[0-9]+ status=0 '
	wait_until 5 log_lines '^event=exit svc=[^ ]* line=1 pid=[0-9]+ status=0 ' 2
}

@test "10 MB through cat under a pty arrive intact to a slow reader, the relay's memory bounded" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/cat cat
	EOF
	start_superd
	run timeout 60 $CLIENT slow "$(port 1)" 10 "$LOG"
	assert_success
	assert_output --regexp '^ok bytes=1[0-9]{7} maxrss_kb=[0-9]+$'
	rss=${output##*maxrss_kb=}
	# its two buffers are 16 KiB each: far from the 10 MB in flight
	[ "$rss" -gt 0 ] && [ "$rss" -lt 4096 ]
}

@test "a client that goes away makes the program get SIGHUP" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty root /bin/sh sh -c "trap 'echo hup >$T/hup1; exit 0' HUP; echo ready; while :; do sleep 0.1; done"
	127.0.0.1:0 stream tcp nowait,pty root /bin/sh sh -c "trap 'echo hup >$T/hup2; exit 0' HUP; while :; do echo tick; sleep 0.1; done"
	EOF
	start_superd
	# a reset, the program silent
	run timeout 10 $CLIENT abort "$(port 1)" ready
	assert_success
	wait_until 5 test -s "$T/hup1"
	# a close, seen at the program's next write
	run bash -c "timeout 10 nc 127.0.0.1 $(port 2) </dev/null | head -1"
	assert_output tick
	wait_until 5 test -s "$T/hup2"
	wait_until 5 log_lines '^event=exit svc=[^ ]* line=[12] pid=[0-9]+ status=0 ' 2
}

@test "pty-echo echoes what the client sends, and without it the client sees only the program's output" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty,pty-echo nobody /bin/cat cat
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/cat cat
	EOF
	start_superd
	run talk "$(port 1)" $'hi\n'
	assert_output $'hi\nhi'
	run talk "$(port 2)" $'hi\n'
	assert_output 'hi'
}

@test "pty-raw gives the program its bytes one by one, unchanged" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty,pty-raw nobody /bin/sh sh -c "stty -a | grep -o -- -icanon; head -c 3 | od -An -c | tr -s ' '"
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/sh sh -c "stty -a | grep -o -- -icanon; echo cooked"
	EOF
	start_superd
	# three bytes and no newline: a line discipline would wait, and
	# make \r a \n
	run timeout 10 $CLIENT ask "$(port 1)" 'a\rb' ' a \r b' 5
	assert_success
	run talk "$(port 2)"
	assert_output cooked
}

@test "the window size is what stty size reports: 80x24, or pty-size=" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/stty stty size
	127.0.0.1:0 stream tcp nowait,pty,pty-size=132x43 nobody /bin/stty stty size
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output '24 80'
	run talk "$(port 2)"
	assert_output '43 132'
}

@test "the exit line says the program's outcome, and timeout= ends it and its relay" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/sh sh -c "exit 3"
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/sh sh -c "kill -USR1 \$\$"
	127.0.0.1:0 stream tcp nowait,pty,timeout=1 nobody /bin/sleep sleep 30
	EOF
	start_superd
	talk "$(port 1)" || true
	wait_log '^event=exit svc=[^ ]* line=1 pid=[0-9]+ status=3 '
	talk "$(port 2)" || true
	wait_log '^event=exit svc=[^ ]* line=2 pid=[0-9]+ signal=USR1 '
	timeout 10 nc 127.0.0.1 "$(port 3)" </dev/null &
	nc=$!
	wait_log '^event=start svc=[^ ]* line=3 '
	pid=$(pid_of_start 3)
	wait_until 5 test "$(children_of "$pid")" -eq 1
	prog=$(cat /proc/"$pid"/task/*/children | tr -d ' ')
	[ "$(cat /proc/"$prog"/comm)" = sleep ]
	wait_log '^event=exit svc=[^ ]* line=3 pid=[0-9]+ signal=TERM '
	wait_until 5 eval "! kill -0 $prog 2>/dev/null"
	wait "$nc" || true
}

@test "a pty line that cannot work is an error of its line" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait,pty nobody /bin/cat cat
	127.0.0.1:0 dgram udp nowait,pty nobody /bin/cat cat
	127.0.0.1:0 stream tcp nowait,pty nobody internal echo
	127.0.0.1:0 stream tcp nowait,pty-echo nobody /bin/cat cat
	127.0.0.1:0 stream tcp nowait,pty,pty-size=80 nobody /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure
	assert_line --partial ':1: pty is for stream nowait services only'
	assert_line --partial ':2: pty is for stream nowait services only'
	assert_line --partial ':3: pty is for programs, not internal services'
	assert_line --partial ':4: pty-echo is for a pty service: add pty'
	assert_line --partial ':5: bad value "80" for option pty-size'
}

@test "pty works inside a chroot= that has no /dev and no C library, with private-pid" {
	is_root || skip "chroot= as root"
	[ -x /bin/busybox ] || skip "needs busybox-static"
	J=$(mktemp -d /var/lib/superd-jail.XXXXXX)
	echo "$J" >>"$T/cleanup"
	mkdir -p "$J/bin" "$J/tmp" "$J/proc"
	cp /bin/busybox "$J/bin/busybox"
	ln -s busybox "$J/bin/sh"
	chmod 755 "$J"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,pty,chroot=$J,private-pid nobody /bin/sh sh -c "[ -t 0 ] && echo tty; echo \$\$; busybox stty size; ls /"
	EOF
	start_superd
	run talk "$(port 1)"
	# the relay is the namespace's init, the program its pid 2
	assert_equal "$(printf '%s\n' "$output" | tr -s '\n ' '  ')" "tty 2 24 80 bin proc tmp "
	wait_log '^event=exit svc=[^ ]* line=1 pid=[0-9]+ status=0 '
}

@test "a pty line is an error of its line where superd finds no relay" {
	[ ! -e /usr/local/libexec/superd/superd-pty ] ||
	    skip "a superd-pty is installed in /usr/local/libexec/superd"
	mkdir "$T/bin"
	cp "$SUPERD" "$T/bin/superd"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody /bin/cat cat
	127.0.0.1:0 stream tcp nowait,pty nobody /bin/cat cat
	EOF
	run "$T/bin/superd" -t "$CONF"
	assert_failure
	assert_output --partial "$CONF:2: pty: no relay superd-pty beside superd's own executable"
	# one that is writable by others is not taken either
	cp "$TOP/superd-pty" "$T/bin/superd-pty"
	chmod 777 "$T/bin/superd-pty"
	run "$T/bin/superd" -t "$CONF"
	assert_failure
	chmod 755 "$T/bin/superd-pty"
	run "$T/bin/superd" -t "$CONF"
	assert_success
}
