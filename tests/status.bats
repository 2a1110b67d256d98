#!/usr/bin/env bats
# superd -S: the status of a running superd, asked on its control socket.

load helpers
bats_require_minimum_version 1.5.0

# status_ok [ARG]: superd -S on the pid file (or ARG), its lines in
# $T/status; fails when it does not exit 0.
status_ok() {
	timeout 15 "$SUPERD" -S "${1:-$T/pid}" >"$T/status" 2>"$T/status.err" || {
		cat "$T/status.err" >&2
		return 1
	}
}

# holder PORT SECS: a client that keeps a connection open for SECS.
holder() {
	timeout "$2" nc 127.0.0.1 "$1" </dev/null >/dev/null 2>&1 3>&- &
}

# silent PID SECS: a control socket client that connects and never reads.
silent() {
	timeout "$2" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect("\0superd/" + sys.argv[1])
time.sleep(float(sys.argv[2]))
' "$1" "$2" >/dev/null 2>&1 3>&- &
}

# children_at_least N: superd has N children or more (counted at each poll).
children_at_least() {
	[ "$(children_of "$SUPERD_PID")" -ge "$1" ]
}

@test "superd -S lists a running child with its service and peer" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo up; sleep 20"
	EOF
	start_superd -p "$T/pid"
	holder "$(port 1)" 20
	client=$!
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+$'
	start=$(grep -E '^event=start ' "$LOG")
	pid=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' <<<"$start")
	peer=${start##* peer=}
	status_ok
	run cat "$T/status"
	assert_line --index 0 'event=status services=1 children=1'
	assert_line --regexp "^event=status svc=0 line=1 addr=127\.0\.0\.1:$(port 1) proto=tcp4 state=listening children=1 started=1 "
	assert_line --regexp "^event=child svc=0 line=1 pid=$pid peer=${peer//./\\.} age=[0-9]+\.[0-9]{3}$"
	assert_equal "${#lines[@]}" 3
	# the pid itself does as well as the pid file
	status_ok "$SUPERD_PID"
	grep -q "^event=child svc=0 line=1 pid=$pid peer=$peer " "$T/status"
	kill "$client"
}

@test "superd -S lists every service with the counters SIGUSR1 logs, after a reload too" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.1 root /bin/echo echo two
	[::1]:0 stream tcp nowait root /bin/echo echo three
	EOF
	start_superd -p "$T/pid"
	talk "$(port 1)" >/dev/null
	talk "$(port 1)" >/dev/null
	talk "$(port 2)" >/dev/null || true
	wait_until 5 log_lines '^event=exit ' 2
	wait_log '^event=refused svc=0 line=2 reason=deny'
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload '
	status_ok
	kill -USR1 "$SUPERD_PID"
	wait_until 5 log_lines '^event=status svc=' 3
	assert_equal "$(cat "$T/status")" "$(grep '^event=status' "$LOG")"
	run cat "$T/status"
	assert_line --index 0 'event=status services=3 children=0'
	assert_line --regexp "^event=status svc=0 line=1 .* children=0 started=2 refused_deny=0 "
	assert_line --regexp "^event=status svc=0 line=2 .* started=0 refused_deny=1 "
	assert_line --regexp '^event=status svc=0 line=3 addr=\[::1\]:[0-9]+ proto=tcp6 '
}

@test "superd -S exits 1 with a message when that superd is not running" {
	run -1 "$SUPERD" -S "$T/none"
	assert_output --partial "$T/none: No such file or directory: superd is not running"
	# a pid file left behind, naming a live process that is not superd
	echo $$ >"$T/stale"
	run -1 "$SUPERD" -S "$T/stale"
	assert_output --partial "$T/stale: no superd holds its lock: superd is not running"
	# a superd that has exited removed its pid file
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	start_superd -p "$T/pid"
	status_ok
	stop_superd
	run -1 "$SUPERD" -S "$T/pid"
	assert_output --partial 'superd is not running'
	# a pid that is not a superd's has no control socket
	run -1 "$SUPERD" -S $$
	assert_output --partial "superd pid $$ does not answer: no control socket @superd/$$"
	run -2 "$SUPERD" -S "$T/pid" -d
	run -2 "$SUPERD" -S "$T/pid" "$CONF"
	assert_output --partial 'superd -S pidfile | pid'
}

@test "a control socket client that never reads stalls neither superd nor the next -S, and is cut off after 10 s" {
	# 2,000 services: a status of some 450 KB, more than a socket holds
	for i in $(seq 2000); do
		echo "127.0.0.1:0 stream tcp nowait root /bin/echo echo $i"
	done | table
	start_superd -p "$T/pid"
	for i in 1 2 3 4; do
		silent "$SUPERD_PID" 30
	done
	wait_until 5 children_at_least 4
	# every answer is being written: the fifth is refused, at once
	run -1 timeout 5 "$SUPERD" -S "$T/pid"
	assert_output --partial 'refused to answer: busy with other answers, try again'
	wait_log '^event=control-refused reason=busy uid=0$'
	# the loop is free meanwhile
	assert_equal "$(talk "$(port 1)")" 1
	assert_equal "$(talk "$(port 2000 )")" 2000
	wait_until 15 log_lines '^event=control-timeout pid=[0-9]+$' 4
	status_ok
	assert_equal "$(wc -l <"$T/status")" 2001
	grep -q '^event=status svc=0 line=2000 .* started=1 ' "$T/status"
}

@test "superd -S from a user other than root or superd's own is refused" {
	is_root || skip "needs root"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	start_superd
	run -1 timeout 15 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$SUPERD" -S "$SUPERD_PID"
	assert_output --partial "superd pid $SUPERD_PID refused to answer: only root and superd's own user may ask"
	refute_output --partial 'event=status'
	wait_log '^event=control-refused reason=uid uid=65534$'
	# root still is answered
	status_ok "$SUPERD_PID"
	grep -q '^event=status services=1 children=0$' "$T/status"
}

@test "superd -S refuses a process that took superd's control socket name first, and prints nothing of it" {
	is_root || skip "needs root"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	# superd's pid is the subshell's, known before it execs superd
	imp=$(mktemp -d)
	echo "$imp" >>"$T/cleanup"
	chmod 777 "$imp"
	(
		wait_until 10 test -e "$imp/bound"
		exec "$SUPERD" -d -P "$PORTS" -p "$T/pid" "$CONF" >"$T/stdout" 2>"$LOG" 3>&-
	) &
	SUPERD_PID=$!
	timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0superd/" + sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    c.sendall(b"event=status services=99 children=0\nevent=status-end\n")
    c.close()
' "$SUPERD_PID" "$imp/bound" >/dev/null 2>&1 3>&- &
	impostor=$!
	wait_until 10 test -s "$PORTS"
	wait_log "^event=control-failed name=@superd/$SUPERD_PID error=\"Address already in use\"$"
	# superd serves on without it
	assert_equal "$(talk "$(port 1)")" hi
	run -1 timeout 15 "$SUPERD" -S "$T/pid"
	assert_output --regexp "superd pid $SUPERD_PID: @superd/$SUPERD_PID is held by pid [0-9]+ uid 65534, not by that superd: refused"
	refute_output --partial 'services=99'
	# its timeout 30 may have ended it already on a loaded machine
	kill "$impostor" 2>/dev/null || true
}

@test "superd -S takes no pid file that is a FIFO, a link, or holds no number" {
	mkfifo "$T/fifo"
	run -1 timeout 5 "$SUPERD" -S "$T/fifo"
	assert_output --partial "$T/fifo: not a regular file"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	start_superd -p "$T/pid"
	ln -s "$T/pid" "$T/link"
	run -1 "$SUPERD" -S "$T/link"
	assert_output --partial "$T/link: Too many levels of symbolic links"
	# locked (by this shell), holding no number
	printf 'x\n' >"$T/locked"
	exec 8<"$T/locked"
	flock 8
	run -1 "$SUPERD" -S "$T/locked"
	exec 8<&-
	assert_output --partial "$T/locked: locked, but it holds no pid"
	run -1 "$SUPERD" -S 0
	assert_output --partial 'pid 0 is too small'
}
