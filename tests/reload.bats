#!/usr/bin/env bats
# Live tables: SIGHUP merges, SIGUSR1 status, bind retry, supervisors.

load helpers

# reload: send SIGHUP and wait for the reload (or reload-failed) line.
reload() {
	local before
	before=$(log_count '^event=reload')
	kill -HUP "$SUPERD_PID"
	wait_until 10 reloaded_since "$before"
}

# reloaded_since N: more than N reload lines now (counted at each poll).
reloaded_since() {
	[ "$(log_count '^event=reload')" -gt "$1" ]
}

@test "a reload adds, removes and changes services while an unchanged one answers through 30 SIGHUPs" {
	steady=$(free_port)
	doomed=$(free_port)
	changed=$(free_port)
	table <<-EOF
	127.0.0.1:$steady stream tcp nowait root /bin/echo echo steady
	127.0.0.1:$doomed stream tcp nowait root /bin/echo echo doomed
	127.0.0.1:$changed stream tcp nowait root /bin/echo echo old
	EOF
	start_superd
	assert_equal "$(talk "$changed")" old
	assert_equal "$(talk "$doomed")" doomed

	# a client loop on the steady service during a burst of reloads
	(
		ok=0 bad=0
		for i in $(seq 300); do
			if [ "$(talk "$steady")" = steady ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
		done
		echo "$ok $bad" >"$T/loop"
	) &
	loop=$!
	for i in $(seq 30); do
		kill -HUP "$SUPERD_PID"
		sleep 0.02
	done
	wait "$loop"
	read -r ok bad <"$T/loop"
	echo "ok=$ok bad=$bad"
	assert_equal "$bad" 0
	assert_equal "$ok" 300
	wait_log '^event=reload services=3 added=0 removed=0 changed=0 kept=3$'

	# now the real edit: the second goes, the third changes program, and
	# a new one on port 0 comes
	table <<-EOF
	127.0.0.1:$steady stream tcp nowait root /bin/echo echo steady
	127.0.0.1:$changed stream tcp nowait root /usr/bin/printf printf new\\n
	127.0.0.1:0 stream tcp4 nowait root /bin/echo echo added
	EOF
	reload
	wait_log '^event=reload services=3 added=1 removed=1 changed=1 kept=1$'
	assert_equal "$(talk "$steady")" steady
	run talk "$doomed"
	assert_failure
	assert_equal "$(talk "$changed")" new
	wait_until 5 grep -q "^3 0 " "$PORTS"
	assert_equal "$(talk "$(port 3)")" added
}

@test "a table with errors on SIGHUP keeps every old service and logs each error with its line" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait root /bin/echo echo two
	EOF
	start_superd
	p1=$(port 1)
	p2=$(port 2)
	cp "$PORTS" "$T/ports.before"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait nobdy /bin/echo echo two
	127.0.0.1:0 stream tcp nowait root /bin/echo echo three
	127.0.0.1:0 stream tcpx nowait root /bin/echo echo four
	EOF
	reload
	wait_log "^event=reload-failed error=\"$CONF:2: unknown user \\\\\"nobdy\\\\\"\"$"
	wait_log "^event=reload-failed error=\"$CONF:4: unknown protocol \\\\\"tcpx\\\\\"\"$"
	! log_has '^event=reload services'
	assert_equal "$(talk "$p1")" one
	assert_equal "$(talk "$p2")" two
	cmp "$PORTS" "$T/ports.before"
}

@test "a table that cannot be read on SIGHUP keeps the old one, and superd runs on" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo still
	EOF
	start_superd
	mv "$CONF" "$T/away"
	reload
	wait_log "^event=reload-failed error=\"$CONF: No such file or directory\"$"
	superd_alive
	assert_equal "$(talk "$(port 1)")" still
}

@test "a child started before a reload that removed its service is still reaped and logged" {
	p=$(free_port)
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/sh sh -c "echo begun; read x; echo done \$x"
	127.0.0.1:0 stream tcp nowait root /bin/echo echo other
	EOF
	start_superd
	mkfifo "$T/fifo"
	(timeout 20 nc 127.0.0.1 "$p" <"$T/fifo" >"$T/out") &
	exec 5>"$T/fifo"
	wait_until 5 grep -q begun "$T/out"
	pid=$(sed -n "s/^event=start svc=$p line=1 pid=\\([0-9]*\\).*/\\1/p" "$LOG" |
	    head -1)
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo other
	EOF
	reload
	wait_log '^event=reload services=1 added=0 removed=1 changed=0 kept=1$'
	run talk "$p"
	assert_failure
	# the child was not touched by the reload: it finishes its work
	kill -0 "$pid"
	echo bye >&5
	exec 5>&-
	wait_until 5 grep -q "done bye" "$T/out"
	wait_log "^event=exit svc=$p line=1 pid=$pid status=0 "
}

@test "a busy port is served within 12 s of being freed while the others answer" {
	p=$(free_port)
	python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$p" &
	holder=$!
	wait_until 5 nc -z 127.0.0.1 "$p"
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/echo echo late
	127.0.0.1:0 stream tcp nowait root /bin/echo echo meanwhile
	EOF
	start_superd
	wait_log "^event=bind-failed svc=$p line=1 proto=tcp4 retry=10 error=\"Address already in use\"$"
	assert_equal "$(talk "$(port 2)")" meanwhile
	kill "$holder"
	wait "$holder" || true
	freed=$(date +%s)
	wait_until 12 eval "[ \"\$(talk $p)\" = late ]"
	[ $(($(date +%s) - freed)) -le 12 ]
	# the ports file now lists the late one too
	wait_until 5 grep -q "^1 $p " "$PORTS"
}

@test "SIGUSR1 logs a line per service and a line per running child" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo up; sleep 5"
	127.0.0.1:0 stream tcp nowait root /bin/echo echo quick
	EOF
	start_superd
	p=$(port 1)
	(timeout 10 nc 127.0.0.1 "$p" </dev/null >"$T/out") &
	wait_until 5 grep -q up "$T/out"
	talk "$(port 2)" >/dev/null
	wait_log '^event=exit svc=0 line=2 '
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status services=2 children=1$'
	wait_log "^event=status svc=0 line=1 addr=127\.0\.0\.1:$p proto=tcp4 state=listening children=1 started=1 "
	wait_log "^event=status svc=0 line=2 addr=127\.0\.0\.1:$(port 2) proto=tcp4 state=listening children=0 started=1 "
	wait_log "^event=child svc=0 line=1 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+ age=[0-9]+\.[0-9]{3}$"
}

@test "NOTIFY_SOCKET gets READY, RELOADING with MONOTONIC_USEC, READY, STOPPING in order" {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(30)
with open(sys.argv[2], "a") as f:
    while True:
        m = s.recv(4096).decode()
        f.write(m.replace("\n", " ") + "\n"); f.flush()
        if m.startswith("STOPPING"): break
' "$T/notify.sock" "$T/notes" &
	rcv=$!
	wait_until 5 test -S "$T/notify.sock"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	NOTIFY_SOCKET=$T/notify.sock start_superd
	wait_until 5 grep -q READY "$T/notes"
	reload
	wait_until 5 eval 'test "$(grep -c READY "$T/notes")" -eq 2'
	stop_superd
	wait "$rcv"
	run cat "$T/notes"
	assert_line --index 0 "READY=1"
	assert_line --index 1 --regexp '^RELOADING=1 MONOTONIC_USEC=[0-9]+$'
	assert_line --index 2 "READY=1"
	assert_line --index 3 "STOPPING=1"
	assert_equal "${#lines[@]}" 4
}

@test "NOTIFY_SOCKET does not reach the services" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/env env
	EOF
	NOTIFY_SOCKET=$T/nothing.sock start_superd -E
	run talk "$(port 1)"
	refute_line --partial NOTIFY_SOCKET
	refute_line --partial LISTEN_
}

# superd holds socket inode $1 on some descriptor
holds_socket() {
	local f
	for f in /proc/"$SUPERD_PID"/fd/*; do
		[ "$(readlink "$f")" = "socket:[$1]" ] && return 0
	done
	echo "superd holds no socket:[$1]" >&2
	return 1
}

@test "a socket held by systemd-socket-activate is adopted through LISTEN_FDS, and kept across reloads" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	p=$(free_port)
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/echo echo adopted
	127.0.0.1:0 stream tcp nowait root /bin/echo echo bound
	EOF
	systemd-socket-activate -l "127.0.0.1:$p" "$SUPERD" -d -P "$PORTS" "$CONF" \
	    >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	# it holds the socket and starts superd at the first connection,
	# which superd then serves on the adopted socket
	wait_until 5 eval "ss -Hltn 'sport = :$p' | grep -q LISTEN"
	assert_equal "$(talk "$p")" adopted
	wait_until 10 test -s "$PORTS"
	wait_log "^event=listen svc=$p line=1 addr=127\.0\.0\.1:$p proto=tcp4 adopted=1$"
	assert_equal "$(talk "$(port 2)")" bound
	# the very socket systemd-socket-activate made, wherever superd
	# moved its descriptor, before the reload and after it
	inode=$(ss -Hltne "sport = :$p" | grep -o 'ino:[0-9]*' | cut -d: -f2)
	[ -n "$inode" ]
	holds_socket "$inode"
	reload
	wait_log 'kept=2'
	assert_equal "$(ss -Hltne "sport = :$p" | grep -o 'ino:[0-9]*' |
	    cut -d: -f2)" "$inode"
	holds_socket "$inode"
	assert_equal "$(talk "$p")" adopted
	run talk "$(port 2)"
	assert_output bound
}

@test "ps shows the parent's state" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait root /bin/echo echo y
	EOF
	start_superd
	wait_until 5 eval "ps -o args= -p $SUPERD_PID | grep -q 'superd: 2 services, 0 children'"
}

@test "a service kept by a reload applies its changed options to the next connection" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/env env
	EOF
	start_superd
	p=$(port 1)
	run talk "$p"
	refute_line "COLOR=blue"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,env=COLOR=blue root /usr/bin/env env
	EOF
	reload
	wait_log 'changed=1 kept=0'
	assert_equal "$(port 1)" "$p"
	run talk "$p"
	assert_line "COLOR=blue"
}

@test "a table read from standard input logs that SIGHUP has nothing to reread" {
	"$SUPERD" -d -P "$PORTS" - >"$T/stdout" 2>"$LOG" 3>&- <<-EOF &
	127.0.0.1:0 stream tcp nowait root /bin/echo echo stdin
	EOF
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	assert_equal "$(talk "$(port 1)")" stdin
	reload
	wait_log '^event=reload-failed error="the table was read from standard input: there is no file to reread"$'
	assert_equal "$(talk "$(port 1)")" stdin
}
