#!/usr/bin/env bats
# The holes that review and attack found (issue 11), one test or more per
# hole, each written from its reproducer: every one of them failed on the
# superd that had the hole.  Keep each under its hole's heading.

load helpers
bats_require_minimum_version 1.5.0

# --- 1. mode=/owner= and the stale-socket check never follow a path another user can swap

# user_dir: $UD, a directory that the user nobody owns and can write, as a
# socket directory shared with users is; as_user CMD...: run CMD as nobody.
user_dir() {
	UD=$(mktemp -d /tmp/superd-hostile.XXXXXX)
	echo "$UD" >>"$T/cleanup"
	chown 65534:65534 "$UD"
	chmod 755 "$UD"
}

as_user() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "a reload that changes mode= and owner= never chmods or chowns a file swapped in for the socket" {
	is_root || skip "needs root"
	user_dir
	echo secret >"$T/target"
	chmod 600 "$T/target"
	table <<-EOF
	$UD/s.sock stream unix nowait,mode=0600 root /bin/echo echo x
	EOF
	start_superd
	[ -S "$UD/s.sock" ]
	# the user swaps the socket for a symlink to a root-owned file
	as_user rm "$UD/s.sock"
	as_user ln -s "$T/target" "$UD/s.sock"
	table <<-EOF
	$UD/s.sock stream unix nowait,mode=0666,owner=nobody root /bin/echo echo x
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log 'event=reload services=1'
	assert_equal "$(stat -c '%a %u' "$T/target")" "600 0"
	assert_equal "$(cat "$T/target")" secret
	[ -L "$UD/s.sock" ]
	log_has "^event=chmod-failed svc=$UD/s.sock line=1 "
	superd_alive
}

@test "a unix path that holds a symlink or a regular file is a FILE:LINE: error with -t and at start, and is left alone" {
	user_dir
	echo secret >"$T/target"
	chmod 600 "$T/target"
	ln -s "$T/target" "$UD/link.sock"
	echo precious >"$UD/file.sock"
	table <<-EOF
	$UD/link.sock stream unix nowait root /bin/echo echo never
	$UD/file.sock stream unix nowait root /bin/echo echo never
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: $UD/link.sock exists and is not a socket"
	assert_line "$CONF:2: $UD/file.sock exists and is not a socket"
	run timeout 10 "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	assert_line "$CONF:1: $UD/link.sock exists and is not a socket"
	[ -L "$UD/link.sock" ]
	assert_equal "$(cat "$UD/file.sock")" precious
	assert_equal "$(stat -c '%a %u' "$T/target")" "600 0"
}

@test "-p refuses a pid file that is a symbolic link and leaves its target alone" {
	echo secret >"$T/target"
	ln -s "$T/target" "$T/pid"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	run timeout 10 "$SUPERD" -d -p "$T/pid" "$CONF" 3>&-
	assert_failure 1
	assert_output --partial "$T/pid"
	assert_equal "$(cat "$T/target")" secret
	[ -L "$T/pid" ]
}

# --- 2. a stopped child never freezes the daemon

# start_superd_nullfifo: superd in a mount namespace of its own where
# /dev/null is a FIFO nobody reads: a child with stderr=null then waits in
# its open(2) before execve, as a child stopped there by a process of its
# uid would, until a reader comes ($T/fifo).
start_superd_nullfifo() {
	is_root || skip "needs root for a mount namespace"
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	mkfifo "$T/fifo"
	rm -f "$PORTS"
	unshare -m --propagation private sh -c \
	    'mount --bind "$1" /dev/null && shift && exec "$@"' sh "$T/fifo" \
	    "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
}

@test "children held before execve take every spawn slot, and superd stays responsive, kills them and recovers" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,instances=200,stderr=null nobody /bin/echo echo held
	127.0.0.1:0 stream tcp nowait root /bin/echo echo other
	EOF
	start_superd_nullfifo
	held=$(port 1)
	# more children than spawn slots (64), each stuck before its execve
	timeout 30 python3 "$TOP/tests/flood.py" "$held" 80 --hold 8 \
	    >"$T/flood" &
	flood=$!
	# past the 32 slots of old: superd still answers, signals are heard
	wait_until 10 eval 'test "$(children_of "$SUPERD_PID")" -ge 33'
	run talk "$(port 2)"
	assert_output "other"
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status services=2 '
	# every slot taken, a child stuck a second after its clone is killed
	wait_log '^event=spawn-timeout svc=0 line=1 pid=[0-9]+ age=1\.[0-9]+ killed=1$' 10
	run talk "$(port 2)"
	assert_output "other"
	# a reader for the FIFO: the children left reach execve and answer
	exec {rd}<>"$T/fifo"
	wait "$flood"
	# each connection was served or closed by a child killed for its slot
	killed=$(log_count 'event=spawn-timeout')
	assert_equal "$(log_count '^event=exit svc=0 line=1 pid=[0-9]+ signal=KILL ')" "$killed"
	run cat "$T/flood"
	assert_output "opened=80 refused=0 closed_by_server=$killed answered=$((80 - killed))"
	run talk "$held"
	assert_output "held"
	exec {rd}>&-
	wait_until 5 eval 'test "$(children_of "$SUPERD_PID")" -eq 0'
	kill -TERM "$SUPERD_PID"
	wait_until 5 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
}

# --- 3. wait services have a loop guard

WAITSERVER=$BATS_TEST_DIRNAME/waitserver.py

# started LINE: the children the service of table line LINE has started,
# from a SIGUSR1 status line (looping starts are not logged one by one).
started() {
	local before
	before=$(log_count 'event=status svc=')
	kill -USR1 "$SUPERD_PID"
	wait_until 5 eval '[ "$(log_count "event=status svc=")" -gt '"$before"' ]'
	grep -E "event=status svc=[^ ]+ line=$1 " "$LOG" | tail -1 |
	    sed -n 's/.* started=\([0-9]*\).*/\1/p'
}

@test "a stream wait service whose child never accepts is paused with a growing back-off, not restarted thousands of times" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait nobody /bin/true true
	EOF
	start_superd
	# one connection waits in the backlog for 4 s; nobody accepts it
	timeout 4 nc -d 127.0.0.1 "$(port 1)" </dev/null || true
	n=$(started 1)
	echo "starts in 4 s: $n"
	# the old superd: some 7,000; now 5 quick misses, then one after 1 s
	# and one after 2 s more
	[ "$n" -ge 6 ] && [ "$n" -le 10 ]
	run log_count 'event=looping'
	assert_output 1
	log_has '^event=looping svc=0 line=1 starts=5 backoff=1$'
	run log_count 'event=start'
	assert_output 5
	log_has 'event=status svc=0 line=1 .* state=looping '
}

@test "a dgram wait service whose child never reads is paused with a growing back-off, not restarted thousands of times" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody /bin/true true
	EOF
	start_superd
	run timeout 10 python3 "$BATS_TEST_DIRNAME/udpclient.py" 127.0.0.1 \
	    "$(port 1 udp4)" "never read" --timeout 4
	assert_failure 3
	n=$(started 1)
	echo "starts in 4 s: $n"
	[ "$n" -ge 6 ] && [ "$n" -le 10 ]
	log_has '^event=looping svc=0 line=1 starts=5 backoff=1$'
	run log_count 'event=looping'
	assert_output 1
}

@test "a looping wait service comes back by itself, and a child that takes its input ends the loop" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /bin/sh sh -c "test -e $T/mended && exec python3 $WAITSERVER 0.2"
	EOF
	start_superd
	(talk "$(port 1)" >"$T/reply") &
	client=$!
	wait_log '^event=looping svc=0 line=1 starts=5 backoff=1$'
	touch "$T/mended"
	wait_until 10 eval '! kill -0 '"$client"' 2>/dev/null'
	run cat "$T/reply"
	assert_output --regexp '^served 1 by [0-9]+$'
	wait_log '^event=loop-ended svc=0 line=1 starts=[0-9]+$'
	# the back-off is over: the next connection is served at once
	run talk "$(port 1)"
	assert_output --regexp '^served [12] by [0-9]+$'
	run log_count 'event=looping'
	assert_output 1
}

@test "a good wait service that exits after each short burst is never throttled" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /usr/bin/python3 python3 $WAITSERVER 0.2
	EOF
	start_superd
	for i in 1 2 3 4 5 6 7 8; do
		run talk "$(port 1)"
		assert_output --regexp '^served 1 by [0-9]+$'
		# each child exits 0.2 s after its connection: quick, but it
		# took its input
		wait_until 5 log_lines 'event=exit' "$i"
	done
	# and a burst of 20 at once
	pids=
	for i in $(seq 20); do
		talk "$(port 1)" >"$T/burst.$i" &
		pids="$pids $!"
	done
	wait $pids
	run cat "$T"/burst.*
	assert_equal "$(grep -c '^served [0-9]* by ' <<<"$output")" 20
	run log_count 'event=looping'
	assert_output 0
	run log_count 'event=paused'
	assert_output 0
}

@test "rate= of a wait service pauses it until a token is due and drops nothing" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait,rate=2/1 root /usr/bin/python3 python3 $WAITSERVER 5 1
	EOF
	start_superd
	start=$(date +%s.%N)
	pids=
	for i in 1 2 3 4 5 6; do
		talk "$(port 1)" >"$T/r.$i" &
		pids="$pids $!"
	done
	wait $pids
	took=$(echo "$(date +%s.%N) - $start" | bc)
	echo "6 connections at 2/s took $took s"
	run cat "$T"/r.*
	assert_equal "$(grep -c '^served 1 by ' <<<"$output")" 6
	wait_log '^event=paused svc=0 line=1 reason=rate backoff=0\.[0-9]+$'
	# two at once, then one every half second
	[ "$(echo "$took >= 1.5" | bc)" = 1 ]
	run log_count 'event=refused'
	assert_output 0
}

@test "inetd's .max limits a wait service too: over it the service waits for its next minute" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait.1 root /usr/bin/python3 python3 $WAITSERVER 5 1
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output --regexp '^served 1 by [0-9]+$'
	(talk "$(port 1)" >"$T/second") &
	client=$!
	wait_log '^event=paused svc=0 line=1 reason=rate backoff=(59|60)\.[0-9]+$'
	kill -USR1 "$SUPERD_PID"
	wait_log 'event=status svc=0 line=1 .* state=rate '
	run log_count 'event=start'
	assert_output 1
	kill "$client" 2>/dev/null || true
}

# clients WORKERS EACH CMD...: WORKERS clients at once, each running CMD
# EACH times in a row, every answer in $T/answers.
clients() {
	local w=$1 n=$2 pids= i
	shift 2
	: >"$T/answers"
	for i in $(seq "$w"); do
		(for _ in $(seq "$n"); do "$@" >>"$T/answers.$i" || true; done) &
		pids="$pids $!"
	done
	wait $pids
	cat "$T"/answers.* >"$T/answers"
}

@test "a stream wait child that accepts one connection is never a miss, however many arrive meanwhile" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /usr/bin/python3 python3 $WAITSERVER 0.2 1
	EOF
	start_superd
	# eight clients at a time: seven wait in the queue while each child
	# takes one, so the queue never looks shorter than it was
	clients 8 6 talk "$(port 1)"
	run grep -c '^served 1 by [0-9]*$' "$T/answers"
	assert_output 48
	run log_count 'event=looping'
	assert_output 0
	run log_count 'event=start'
	assert_output 48
}

@test "a unix stream wait child that accepts one connection is never a miss, however many arrive meanwhile" {
	UD=$(mktemp -d /tmp/superd-guard.XXXXXX)
	echo "$UD" >>"$T/cleanup"
	table <<-EOF
	$UD/w.sock stream unix wait root /usr/bin/python3 python3 $WAITSERVER 0.2 1
	EOF
	start_superd
	wait_until 10 test -S "$UD/w.sock"
	clients 3 10 timeout 10 nc -N -U "$UD/w.sock" </dev/null
	run grep -c '^served 1 by [0-9]*$' "$T/answers"
	assert_output 30
	run log_count 'event=looping'
	assert_output 0
}

@test "a unix stream wait service whose child never accepts is paused too" {
	UD=$(mktemp -d /tmp/superd-guard.XXXXXX)
	echo "$UD" >>"$T/cleanup"
	table <<-EOF
	$UD/w.sock stream unix wait nobody /bin/true true
	EOF
	start_superd
	wait_until 10 test -S "$UD/w.sock"
	(timeout 4 nc -d -U "$UD/w.sock" </dev/null || true) &
	wait_log '^event=looping svc=[^ ]+ line=1 starts=5 backoff=1$'
	n=$(started 1)
	echo "starts: $n"
	[ "$n" -le 10 ]
}

@test "a dgram wait service is never paused for identical datagrams it reads one by one" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait root /usr/bin/python3 python3 $BATS_TEST_DIRNAME/udpupper.py
	EOF
	start_superd
	run timeout 60 python3 "$BATS_TEST_DIRNAME/udpburst.py" 127.0.0.1 \
	    "$(port 1 udp4)" --count 40 --wait 3
	echo "$output"
	assert_output --regexp '^replies=40 '
	run log_count 'event=looping'
	assert_output 0
}

@test "a dgram child is not handed a socket that delivers receive times it never asked for" {
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /usr/bin/python3 python3 -c "import socket; s = socket.socket(fileno=0); d, a = s.recvfrom(100); s.sendto(b'%d' % s.getsockopt(socket.SOL_SOCKET, 35), a)"
	EOF
	start_superd
	run timeout 20 python3 "$BATS_TEST_DIRNAME/udpclient.py" 127.0.0.1 \
	    "$(port 1 udp4)" "x"
	assert_success
	assert_output 0
}

@test "a wait child that superd kills is never counted as a miss of the loop guard" {
	fault_lib
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /usr/bin/python3 python3 $WAITSERVER 5 1
	EOF
	export LD_PRELOAD=$T/fault.so FAULT_EPOLL_FILE=$T/epoll-full
	start_superd
	unset LD_PRELOAD FAULT_EPOLL_FILE
	touch "$T/epoll-full"
	(talk "$(port 1)" >"$T/reply") &
	client=$!
	# every child is killed at once: epoll cannot watch it
	wait_until 10 eval '[ "$(started 1)" -ge 8 ]'
	rm "$T/epoll-full"
	wait_until 10 eval '! kill -0 '"$client"' 2>/dev/null'
	run cat "$T/reply"
	assert_output --regexp '^served 1 by [0-9]+$'
	run log_count 'event=looping'
	assert_output 0
}

# --- 4. an unreadable table is an error, never an empty table

# table_refused PATH MESSAGE: superd -t, superd at start and supertab check
# all refuse the table PATH, each printing MESSAGE (at start, within its log).
table_refused() {
	run timeout 10 "$SUPERD" -t "$1"
	assert_failure 1
	assert_output "$2"
	run timeout 10 "$SUPERD" -d "$1" 3>&-
	assert_failure 1
	assert_output --partial "$2"
	run timeout 10 "$SUPERTAB" -f "$1" check
	assert_failure 1
	assert_output "$2"
}

@test "a table that is a directory is an error naming it, with -t, at start and in supertab check" {
	mkdir "$T/dir.conf"
	table_refused "$T/dir.conf" "$T/dir.conf: is a directory; to convert xinetd files: supertab import-xinetd $T/dir.conf"
}

@test "SIGHUP after the table became a directory keeps every service answering" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo still here
	EOF
	start_superd
	p=$(port 1)
	run talk "$p"
	assert_output "still here"
	rm "$CONF"
	mkdir "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload-failed error=\"$CONF: is a directory; to convert xinetd files: supertab import-xinetd $CONF\""
	run log_has 'event=reload services='
	assert_failure
	run talk "$p"
	assert_output "still here"
}

@test "/dev/zero on standard input is refused at once, in bounded memory" {
	# 128 MiB of address space: enough for a 16 MiB table, not for
	# reading until memory runs out (sanitizers need more, unbounded)
	lim=131072
	[ -n "${SUPERD_ASAN:-}" ] && lim=unlimited
	run timeout 10 bash -c 'ulimit -v "$1" && exec "$2" -t - </dev/zero' \
	    sh "$lim" "$SUPERD"
	assert_failure 1
	assert_output "-: larger than 16 MiB, not read"
}

# pty_open: $PTY, the slave of a pseudo-terminal that nothing ever writes
# to, held open by tests/ptyhold.py ($PTY_PID) until the test ends.
pty_open() {
	python3 "$BATS_TEST_DIRNAME/ptyhold.py" "$T/ptyname" 40 3>&- &
	PTY_PID=$!
	wait_until 5 test -s "$T/ptyname"
	PTY=$(cat "$T/ptyname")
	[ -c "$PTY" ]
}

pty_close() {
	kill -TERM "$PTY_PID" 2>/dev/null || true
	wait "$PTY_PID" 2>/dev/null || true
}

@test "a table that is a terminal or a device is refused at once: with -t, at start and in supertab check" {
	pty_open
	for f in "$PTY" /dev/null /dev/zero; do
		table_refused "$f" \
		    "$f: not a regular file; use - to read a table from standard input"
	done
	pty_close
}

@test "SIGHUP after the table became a terminal or /dev/null keeps the old table, and the loop goes on" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo still here
	EOF
	start_superd
	p=$(port 1)
	pty_open
	mv "$CONF" "$T/real.conf"
	ln -s "$PTY" "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload-failed error=\"$CONF: not a regular file"
	run talk "$p"
	assert_output "still here"
	ln -sfn /dev/null "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_until 5 log_lines 'event=reload-failed .*not a regular file' 2
	run log_has 'event=reload services='
	assert_failure
	run talk "$p"
	assert_output "still here"
	pty_close
}

@test "a table larger than 16 MiB is refused, even one of comments" {
	{
		echo "127.0.0.1:0 stream tcp nowait root /bin/echo echo big"
		yes '# a comment that makes the table large, line after line' |
		    head -c $((17 * 1024 * 1024))
	} >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF: larger than 16 MiB, not read"
}

@test "a line longer than 64 KiB is an error with its line" {
	{
		echo "# one comment"
		printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo %s\n' \
		    "$(head -c 70000 /dev/zero | tr '\0' a)"
		echo "127.0.0.1:0 stream tcp nowait root /bin/echo echo short"
	} >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: line longer than 65536 bytes"
}

@test "a bare CR at the very end of a table, with no LF after it, is the same error as a CR inside a line" {
	printf '# fine\r\n127.0.0.1:0 stream tcp nowait root /bin/echo echo a\r' >"$CONF"
	msg="$CONF:2: carriage return (CR) inside the line: only a CRLF line ending is accepted"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$msg"
	run timeout 10 "$SUPERTAB" -f "$CONF" check
	assert_failure 1
	assert_output "$msg"
	printf '# a comment\r' >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: carriage return (CR) inside the line: only a CRLF line ending is accepted"
}

# --- 5. wait-mode and dgram children get blocking sockets

@test "a classic wait daemon gets a blocking listener: its second blocking accept waits for the next client" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /usr/bin/env env python3 $TOP/tests/blockwait.py 2
	EOF
	start_superd
	p=$(port 1)
	run talk "$p"
	assert_output --regexp '^served 1 by [0-9]+ nonblock=0$'
	pid=${output#served 1 by }
	pid=${pid% nonblock=0}
	# its second accept(2) blocks, for as long as no one connects
	wait_until 5 grep -q inet_csk_accept /proc/"$pid"/wchan
	kill -0 "$pid"
	run talk "$p"
	assert_output "served 2 by $pid nonblock=0"
	wait_log "^event=exit svc=0 line=1 pid=$pid status=0 "
}

@test "a dgram nowait child gets a blocking socket, and a second read waits instead of failing" {
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /bin/sh sh -c "grep ^flags: /proc/self/fdinfo/0 >$T/flags; head -c 8 >$T/got; echo \$? >$T/rc"
	EOF
	start_superd
	p=$(port 1)
	printf 'abcd' | timeout 5 socat -u - UDP4-SENDTO:127.0.0.1:"$p"
	wait_until 5 test -s "$T/flags"
	flags=$(awk '{ print $2 }' "$T/flags")
	assert_equal "$(( 8#$flags & 8#4000 ))" 0
	# head has 4 bytes of 8 and reads again: it waits for more
	sh=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\).*/\1/p' "$LOG")
	head_waits() {
		local h
		h=$(cat /proc/"$sh"/task/*/children 2>/dev/null) &&
		    [ -n "$h" ] && grep -q skb_wait /proc/${h% }/wchan
	}
	wait_until 5 head_waits
	[ ! -e "$T/rc" ]
}

# --- 6. inherited ignored signals never reach services

@test "a superd started with INT, QUIT and HUP ignored gives its children default dispositions" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/grep grep SigIgn /proc/self/status
	EOF
	rm -f "$PORTS"
	# what nohup and "cmd &" from a script leave behind
	(trap '' INT QUIT HUP
	 exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	assert_success
	assert_output "$(printf 'SigIgn:\t0000000000000000')"
}

@test "a superd started by nohup gives its children default dispositions" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/grep grep SigIgn /proc/self/status
	EOF
	rm -f "$PORTS"
	nohup "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	assert_success
	assert_output "$(printf 'SigIgn:\t0000000000000000')"
}

# --- 7. the log never stops the loop

@test "a stderr pipe nobody reads never stops the loop, and the lines it lost are counted once it is read" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	mkfifo "$T/fifo"
	# the test holds both ends of the pipe and reads nothing yet
	exec 7<>"$T/fifo"
	"$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$T/fifo" 3>&- 7>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	run timeout $((25 * WAIT_SCALE)) python3 "$TOP/tests/flood.py" \
	    "$(port 1)" 1500 --send x 7>&-
	assert_output "opened=1500 refused=0 closed_by_server=0 answered=1500"
	# read the pipe again: what waited comes out, then the count
	timeout 20 cat <&7 >"$LOG" 7>&- &
	reader=$!
	exec 7>&-
	wait_log '^event=log-dropped lines=[1-9]' 10
	# every line of the run is in the log or in a count: 1 listen,
	# 1,500 starts, 1,500 exits
	wait_until 10 log_accounts_for 3001 || {
		grep -E 'event=(listen|log-dropped)' "$LOG"
		false
	}
	kill "$reader" 2>/dev/null || true
	wait "$reader" 2>/dev/null || true
}

# log_accounts_for N: the lines in the log and the lines it says it
# dropped add up to N.
log_accounts_for() {
	local dropped written
	dropped=$(sed -n 's/^event=log-dropped lines=//p' "$LOG" |
	    awk '{ n += $1 } END { print n + 0 }')
	written=$(grep -Evc '^event=log-dropped' "$LOG")
	[ "$((dropped + written))" = "$1" ]
}

@test "a syslogd that stops reading never stops the loop, and the lines lost are counted once it reads again" {
	# In a mount namespace of its own, with a /dev of its own, so that
	# the fake syslogd's /dev/log is seen by this superd only.
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	cat >"$T/inner" <<-'EOF'
	mount -t tmpfs -o mode=755 none /dev || exit 2
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	    mknod -m 666 /dev/urandom c 1 9 && ln -s /proc/self/fd /dev/fd ||
	    exit 2
	python3 "$TOP/tests/syslogd.py" /dev/log "$T/go" "$T/syslog" &
	d=$!
	for ((i = 0; i < 100; i++)); do [ -S /dev/log ] && break; sleep 0.05; done
	"$SUPERD" -D -P "$T/ports" "$CONF" 3>&- &
	s=$!
	for ((i = 0; i < 200; i++)); do [ -s "$T/ports" ] && break; sleep 0.05; done
	p=$(awk '{ n = split($3, a, ":"); print a[n] }' "$T/ports")
	timeout 25 python3 "$TOP/tests/flood.py" "$p" 1500 --send x
	touch "$T/go"
	# syslogd reads again: the next line is preceded by the count
	for ((i = 0; i < 100; i++)); do
		timeout 5 python3 "$TOP/tests/flood.py" "$p" 1 --send x >/dev/null
		grep -q 'event=log-dropped lines=[1-9]' "$T/syslog" && break
		sleep 0.05
	done
	kill -TERM $s
	for ((i = 0; i < 100; i++)); do kill -0 $s 2>/dev/null || break; sleep 0.05; done
	kill -KILL $s $d 2>/dev/null
	wait
	EOF
	export T TOP SUPERD CONF
	run timeout 50 unshare -m --propagation private bash "$T/inner"
	assert_output --partial "opened=1500 refused=0 closed_by_server=0 answered=1500"
	# RFC 3164 as syslog(3) writes it, facility daemon, superd's pid
	run grep -Ec '^<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} superd\[[0-9]+\]: event=start svc=0 line=1 pid=' "$T/syslog"
	[ "$output" -ge 1 ]
	run grep -E '^<28>.* superd\[[0-9]+\]: event=log-dropped lines=[1-9][0-9]*$' "$T/syslog"
	assert_success
}

@test "a stream /dev/log gets every line, NUL-ended as syslog(3) ends them, through a restart; lines sent while none was there are counted" {
	unshare -m --propagation private true 2>/dev/null ||
	    skip "no mount namespace here (unshare -m)"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	cat >"$T/inner" <<-'EOF'
	mount -t tmpfs -o mode=755 none /dev || exit 2
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	    mknod -m 666 /dev/urandom c 1 9 && ln -s /proc/self/fd /dev/fd ||
	    exit 2
	# no syslogd at all at first: these lines can only be counted
	"$SUPERD" -D -P "$T/ports" "$CONF" 3>&- &
	s=$!
	for ((i = 0; i < 200; i++)); do [ -s "$T/ports" ] && break; sleep 0.05; done
	p=$(awk '{ n = split($3, a, ":"); print a[n] }' "$T/ports")
	timeout 5 python3 "$TOP/tests/flood.py" "$p" 1 --send x
	# a stream syslogd that closes its first connection after 5 messages
	python3 "$TOP/tests/syslogstream.py" /dev/log "$T/syslog" 5 &
	d=$!
	for ((i = 0; i < 100; i++)); do [ -S /dev/log ] && break; sleep 0.05; done
	for ((i = 0; i < 100; i++)); do
		timeout 5 python3 "$TOP/tests/flood.py" "$p" 1 --send x >/dev/null
		grep -q '^#conn 2' "$T/syslog" &&
		    sed -n '/^#conn 2/,$p' "$T/syslog" | grep -q 'event=exit' && break
		sleep 0.05
	done
	kill -TERM $s
	for ((i = 0; i < 100; i++)); do kill -0 $s 2>/dev/null || break; sleep 0.05; done
	# a superd started with the stream syslogd there finds it
	"$SUPERD" -D -P "$T/ports2" "$CONF" 2>"$T/err2" 3>&- &
	s2=$!
	for ((i = 0; i < 200; i++)); do [ -s "$T/ports2" ] && break; sleep 0.05; done
	kill -TERM $s2
	for ((i = 0; i < 100; i++)); do kill -0 $s2 2>/dev/null || break; sleep 0.05; done
	kill -KILL $s $s2 $d 2>/dev/null
	wait
	EOF
	export T TOP SUPERD CONF
	run timeout 50 unshare -m --propagation private bash "$T/inner"
	assert_output --partial "opened=1 refused=0 closed_by_server=0 answered=1"
	cat "$T/syslog" >&2
	[ -f "$T/err2" ]
	run cat "$T/err2"
	refute_output --partial "no syslog"
	# the listen line, one start and one exit went nowhere: counted
	run grep -E '^<28>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} superd\[[0-9]+\]: event=log-dropped lines=([3-9]|[1-9][0-9]+)$' "$T/syslog"
	assert_success
	run grep -Ec '^<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} superd\[[0-9]+\]: event=start svc=0 line=1 pid=' "$T/syslog"
	[ "$output" -ge 2 ]
	# superd reconnected when syslogd closed, and went on
	run sh -c "sed -n '/^#conn 2/,\$p' '$T/syslog' | grep -c 'superd\[[0-9]*\]: event=exit svc=0 line=1 '"
	[ "$output" -ge 1 ]
	run grep -c '^#partial' "$T/syslog"
	assert_output 0
}

@test "a child writing a 1 MiB stderr line without a newline makes superd hold 1 KiB of it, not the line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "head -c 1048576 /dev/zero | tr '\\0' y >&2; echo wrote; sleep 2"
	EOF
	start_superd
	rss0=$(awk '/^VmRSS:/ { print $2 }' /proc/"$SUPERD_PID"/status)
	# the child is not held up by superd: its whole line is taken
	run timeout 10 sh -c "nc -d 127.0.0.1 $(port 1) | head -1"
	assert_output wrote
	y1k=$(head -c 1024 /dev/zero | tr '\0' y)
	# logged cut while the child still runs: superd never waited for
	# the line's end, holding the megabyte
	wait_log "^event=stderr svc=0 line=1 pid=[0-9]+ msg=\"$y1k\" truncated=1\$"
	! log_has '^event=exit '
	rss1=$(awk '/^VmRSS:/ { print $2 }' /proc/"$SUPERD_PID"/status)
	echo "superd's RSS ${rss0} kB, then ${rss1} kB" >&3
	# (ASan's shadow of the read buffer alone is more: the line's
	# order above is the check there)
	[ -n "${SUPERD_ASAN:-}" ] || [ $((rss1 - rss0)) -lt 512 ]
	wait_log '^event=exit ' 10
	assert_equal "$(log_count '^event=stderr ')" 1
}

# --- 8. a spawn that fails for lack of resources keeps the connection

@test "out of descriptors (RLIMIT_NOFILE=32), 300 clients at once are all served: a failed spawn keeps its connection and tries again" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "sleep 0.1; echo \$TCPREMOTEPORT"
	EOF
	rm -f "$PORTS"
	(ulimit -n 32 &&
	 exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	run timeout 60 python3 "$TOP/tests/burst.py" "$(port 1)" 300
	assert_output "ok=300 wrong=0 failed=0"
	# the limit was reached, and no connection was given up
	log_has '^event=fork-failed svc=0 line=1 backoff=[0-9.]+ error="Too many open files"'
	! log_has 'reason=fork'
}

@test "over RLIMIT_NPROC for the service's user, 150 clients in bursts of 50 are all served: a child whose execve fails gives its connection back" {
	is_root || skip "RLIMIT_NPROC binds a user that is not root"
	id games >/dev/null 2>&1 || skip "needs the games user"
	nproc_bursts nowait
}

# --- 9. UDP built-ins do not amplify

UDP="python3 $BATS_TEST_DIRNAME/udpclient.py"
UDPBURST="python3 $BATS_TEST_DIRNAME/udpburst.py"

@test "udp chargen answers no more bytes than it was sent, and nothing to an empty datagram" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal chargen
	EOF
	start_superd
	p=$(port 1 udp4)
	# a zero-byte datagram, as a spoofer sends it, 20 times: no answer
	run timeout 10 $UDPBURST 127.0.0.1 "$p" --count 20 --size 0 --wait 0.5
	assert_output "replies=0 bytes=0 maxlen=0"
	run timeout 10 $UDPBURST 127.0.0.1 "$p" --count 20 --size 3 --wait 0.5
	assert_output "replies=20 bytes=60 maxlen=3"
	run timeout 10 $UDPBURST 127.0.0.1 "$p" --size 2000 --wait 0.5
	assert_output "replies=1 bytes=512 maxlen=512"
}

@test "udp echo returns a 65,507-byte datagram whole" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	[::1]:0 dgram udp6 wait nobody internal echo
	EOF
	start_superd
	run timeout 10 $UDPBURST 127.0.0.1 "$(port 1 udp4)" --size 65507
	assert_output "replies=1 bytes=65507 maxlen=65507"
	run timeout 10 $UDPBURST ::1 "$(port 2 udp6)" --size 65527
	assert_output "replies=1 bytes=65527 maxlen=65527"
}

@test "a udp built-in without rate= answers at most about 100 datagrams a second, refusals summed up" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	EOF
	start_superd
	p=$(port 1 udp4)
	start=$(date +%s.%N)
	run timeout 10 $UDPBURST 127.0.0.1 "$p" --count 400 --size 1 --wait 0.3
	end=$(date +%s.%N)
	r=$(sed -n 's/^replies=\([0-9]*\) .*/\1/p' <<<"$output")
	# a bucket of 100, refilled at 100 a second while the burst lasted
	max=$(echo "100 + ($end - $start) * 100 + 5" | bc | cut -d. -f1)
	echo "replies $r, at most $max" >&2
	[ "$r" -ge 100 ] && [ "$r" -le "$max" ]
	wait_log 'event=refused .*reason=rate peer=127\.0\.0\.1:'
	wait_log 'event=refused .*reason=rate count=[0-9]+ ' 5
	[ "$(log_count 'reason=rate')" -le 4 ]
}

@test "rate= and deny= of a udp built-in refuse and log like any service's" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait,rate=3/60 nobody internal daytime
	127.0.0.1:0 dgram udp wait,deny=127.0.0.0/8 nobody internal time
	EOF
	start_superd
	run timeout 10 $UDPBURST 127.0.0.1 "$(port 1 udp4)" --count 10 --wait 0.5
	assert_output --regexp '^replies=3 '
	run timeout 10 $UDPBURST 127.0.0.1 "$(port 2 udp4)" --count 2 --wait 0.5
	assert_output --regexp '^replies=0 '
	wait_log 'event=refused .*reason=rate peer=127\.0\.0\.1:'
	wait_log 'event=refused .*reason=deny peer=127\.0\.0\.1:'
	kill -USR1 "$SUPERD_PID"
	wait_log 'event=status .*line=1 .* started=3 refused_deny=0 refused_per_source=0 refused_rate=7 '
	wait_log 'event=status .*line=2 .* started=0 refused_deny=2 '
}

@test "a udp built-in never answers port 0, a reflecting service's port, or a built-in's own port" {
	is_root || skip "source ports below 1024 and raw sockets need root"
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	127.0.0.1:0 dgram udp wait nobody internal chargen
	EOF
	start_superd
	e=$(port 1 udp4)
	c=$(port 2 udp4)
	# the other built-in's port: two echo services would ping-pong for ever
	# (forged: a port-0 service's port cannot be shared by a client)
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$c" --wait 0.5
	assert_output "replies=0 bytes=0 maxlen=0"
	# its own port: a spoofed datagram from itself
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$e" --wait 0.5
	assert_output "replies=0 bytes=0 maxlen=0"
	for sp in 7 13 19 37 5353 11211; do
		run $UDP 127.0.0.1 "$e" "loop?" --sport "$sp" --timeout 0.5
		assert_failure 3
	done
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport 0 --size 4 --wait 1
	assert_output "replies=0 bytes=0 maxlen=0"
	run $UDP 127.0.0.1 "$e" "fine"
	assert_output "fine"
	wait_log 'event=refused .*reason=deny peer=127\.0\.0\.1:'"$c"
	kill -USR1 "$SUPERD_PID"
	wait_log "event=status .*line=1 .*started=1 refused_deny=9 "
}


@test "a spoofed datagram from another udp service of the same superd starts no loop, across a reload and port 0" {
	is_root || skip "a raw socket needs root"
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	127.0.0.1:0 dgram udp nowait root /usr/bin/python3 python3 $BATS_TEST_DIRNAME/udpupper.py
	EOF
	start_superd
	e=$(port 1 udp4)
	u=$(port 2 udp4)
	# echo would answer u, u's child would answer echo, and so on for ever
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$u" --size 4 --wait 1
	assert_output "replies=0 bytes=0 maxlen=0"
	wait_log 'event=refused svc=0 line=1 reason=deny peer=127\.0\.0\.1:'"$u"
	[ "$(log_count 'event=start svc=0 line=2 ')" -eq 0 ]
	# a service the reload adds, on a port the kernel picks, on any address
	cat >>"$CONF" <<-EOF
	0.0.0.0:0 dgram udp nowait root /usr/bin/python3 python3 $BATS_TEST_DIRNAME/udpupper.py
	EOF
	rm -f "$PORTS"
	kill -HUP "$SUPERD_PID"
	wait_until 5 test -s "$PORTS"
	v=$(port 3 udp4)
	[ -n "$v" ]
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$v" --size 4 --wait 1
	assert_output "replies=0 bytes=0 maxlen=0"
	wait_log 'event=refused svc=0 line=1 reason=deny peer=127\.0\.0\.1:'"$v"
	[ "$(log_count 'event=start svc=0 line=[23] ')" -eq 0 ]
	# the services still answer real clients
	run $UDP 127.0.0.1 "$e" "fine"
	assert_output "fine"
	run $UDP 127.0.0.1 "$u" "up"
	assert_output --regexp '^UP [0-9]+$'
}

@test "a udp service still waiting to bind counts as superd's for the built-ins, and one a reload removes no longer does" {
	is_root || skip "a raw socket needs root"
	# without SO_REUSEADDR this socket keeps superd's bind of its port failing
	python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(30)' >"$T/held" 2>/dev/null 3>&- &
	holder=$!
	wait_until 5 test -s "$T/held"
	h=$(cat "$T/held")
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	127.0.0.1:$h dgram udp wait nobody internal discard
	127.0.0.1:0 dgram udp wait nobody internal discard
	EOF
	start_superd
	wait_log "^event=bind-failed svc=$h line=2 proto=udp4 "
	e=$(port 1 udp4)
	d=$(port 3 udp4)
	# the port line 2 asks for, not bound yet, and the port line 3 got
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$h" --size 4 --wait 1
	assert_output "replies=0 bytes=0 maxlen=0"
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$d" --size 4 --wait 1
	assert_output "replies=0 bytes=0 maxlen=0"
	# a reload removes both: their ports are any client's again
	cat >"$CONF" <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=1 added=0 removed=2 changed=0 kept=1$'
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$h" --size 4 --wait 1
	assert_output "replies=1 bytes=4 maxlen=4"
	run timeout 10 $UDPBURST 127.0.0.1 "$e" --raw-sport "$d" --size 4 --wait 1
	assert_output "replies=1 bytes=4 maxlen=4"
	kill "$holder"
	wait "$holder" || true
}


# --- 10. supertab

tab() {
	"$SUPERTAB" -f "$CONF" "$@"
}

@test "supertab add refuses a line that would become arguments of the entry before it" {
	printf '127.0.0.1:7701 stream tcp nowait root /bin/echo echo one\n' >"$CONF"
	cp "$CONF" "$T/orig"
	# a leading blank continues the entry before (inetd's rule)
	run tab add '	127.0.0.1:7702 stream tcp nowait root /bin/echo echo two'
	assert_failure 1
	cmp "$CONF" "$T/orig"
	run tab add ' 127.0.0.1:7702 stream tcp nowait root /bin/echo echo two'
	assert_failure 1
	cmp "$CONF" "$T/orig"
	# the last entry ends in a backslash: the next line is part of it
	printf '127.0.0.1:7703 stream tcp nowait root /bin/echo echo three \\\n' >>"$CONF"
	cp "$CONF" "$T/orig"
	"$SUPERD" -t "$CONF"
	run tab add '127.0.0.1:7704 stream tcp nowait root /bin/echo echo four'
	assert_failure 1
	assert_output --partial "line 2 ends in a backslash"
	cmp "$CONF" "$T/orig"
	run tab list
	assert_equal "${#lines[@]}" 2
}

@test "supertab add refuses a hosts-only line, which is not an entry" {
	printf '127.0.0.1:7711 stream tcp nowait root /bin/echo echo one\n' >"$CONF"
	cp "$CONF" "$T/orig"
	run tab add '127.0.0.1:'
	assert_failure 1
	assert_output --partial "not an entry"
	cmp "$CONF" "$T/orig"
	run tab add '[::1]:'
	assert_failure 1
	cmp "$CONF" "$T/orig"
}

@test "supertab on a symlinked table edits its target and the link stays; a dangling link is an error" {
	mkdir "$T/real"
	printf '127.0.0.1:7721 stream tcp nowait root /bin/echo echo one\n' >"$T/real/superd.conf"
	ln -s real/superd.conf "$CONF"
	run tab add '127.0.0.1:7722 stream tcp nowait root /bin/echo echo two'
	assert_success
	[ -L "$CONF" ]
	assert_equal "$(readlink "$CONF")" real/superd.conf
	grep -q 7722 "$T/real/superd.conf"
	tab disable 7721
	[ -L "$CONF" ]
	grep -q '^#<off># 127.0.0.1:7721' "$T/real/superd.conf"
	# nothing left beside the link or the target
	assert_equal "$(ls -A "$T/real")" superd.conf
	# a link to nothing: an error, and no file is made for it
	ln -s nowhere/superd.conf "$T/dangling"
	ln -s missing.conf "$T/dangling2"
	for l in dangling dangling2; do
		run "$SUPERTAB" -f "$T/$l" add '127.0.0.1:7723 stream tcp nowait root /bin/echo echo x'
		assert_failure 1
		assert_output --partial "symbolic link to nothing"
		[ -L "$T/$l" ]
	done
	[ ! -e "$T/missing.conf" ] && [ ! -e "$T/nowhere" ]
}

@test "supertab -p signals only a superd that holds its locked pid file" {
	printf '127.0.0.1:7731 stream tcp nowait root /bin/echo echo one\n' >"$CONF"
	# a stale pid file naming a process that is not superd
	sleep 30 &
	victim=$!
	echo "$victim" >"$T/pid"
	run tab -p "$T/pid" add '127.0.0.1:7732 stream tcp nowait root /bin/echo echo two'
	assert_success
	assert_output --partial "not locked"
	refute_output --partial "told to reread"
	# the same number, locked by some other process
	timeout 30 python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(30)' "$T/pid" &
	locker=$!
	wait_until 5 grep -q "$(stat -c %i "$T/pid")" /proc/locks
	run tab -p "$T/pid" disable 7732
	assert_success
	assert_output --partial "does not hold the lock"
	refute_output --partial "told to reread"
	kill -0 "$victim"
	kill "$locker" "$victim"
	wait "$victim" 2>/dev/null || true
	# a pid file that is a symbolic link is not followed
	start_superd -p "$T/pid2"
	wait_until 5 test -s "$T/pid2"
	ln -s pid2 "$T/pidlink"
	run tab -p "$T/pidlink" enable 7732
	assert_success
	refute_output --partial "told to reread"
	run tab -p "$T/pid2" remove 7732
	assert_line "superd (pid $SUPERD_PID) told to reread the table"
	wait_log 'event=reload services=1 '
}

@test "a broken table is mended one change at a time: a change is refused only for errors it adds" {
	printf '%s\n' \
	    '127.0.0.1:7741 stream tcp nowait nosuchuser1 /bin/echo echo a' \
	    '127.0.0.1:7742 stream tcp nowait root /bin/echo echo b' \
	    '127.0.0.1:7743 stream tcp nowait nosuchuser2 /bin/echo echo c' >"$CONF"
	# a good line goes in, the errors already there stay as they were
	run tab add '127.0.0.1:7744 stream tcp nowait root /bin/echo echo d'
	assert_success
	assert_output --partial "2 errors already in $CONF"
	# a bad one does not
	cp "$CONF" "$T/orig"
	run tab add '127.0.0.1:7745 stream tcp nowait nosuchuser3 /bin/echo echo e'
	assert_failure 1
	assert_output --partial 'unknown user "nosuchuser3"'
	refute_output --partial 'nosuchuser1'
	cmp "$CONF" "$T/orig"
	# nor a duplicate address of a line that moved up after a remove
	run tab remove 7741
	assert_success
	run tab add '127.0.0.1:7742 stream tcp nowait root /bin/echo echo dup'
	assert_failure 1
	assert_output --partial 'is already used by line 1'
	run tab disable 7743
	assert_success
	"$SUPERD" -t "$CONF"
	# an edit that changes a broken line's neighbour is not refused either
	printf '127.0.0.1:7746 stream tcp nowait nosuchuser4 /bin/echo echo f\n' >>"$CONF"
	cat >"$T/editor" <<-'EOF'
	#!/bin/sh
	sed -i 's/echo b$/echo B/' "$1"
	EOF
	chmod 755 "$T/editor"
	EDITOR=$T/editor run tab edit </dev/null
	assert_success
	grep -q 'echo B$' "$CONF"
}

@test "supertab edit's copy goes in TMPDIR" {
	printf '127.0.0.1:7751 stream tcp nowait root /bin/echo echo one\n' >"$CONF"
	mkdir "$T/tmpdir"
	cat >"$T/editor" <<-EOF
	#!/bin/sh
	echo "\$1" >"$T/copy-path"
	exit 1
	EOF
	chmod 755 "$T/editor"
	TMPDIR=$T/tmpdir EDITOR=$T/editor run tab edit </dev/null
	assert_failure 1
	assert_equal "$(dirname "$(cat "$T/copy-path")")" "$T/tmpdir"
	assert_equal "$(stat -c %a "$(cat "$T/copy-path")")" 600
}

@test "supertab -h prints its usage on stdout and exits 0" {
	"$SUPERTAB" -h >"$T/out" 2>"$T/err"
	grep -q '^usage: supertab ' "$T/out"
	[ ! -s "$T/err" ]
	run "$SUPERTAB" -x
	assert_failure 2
}

@test "supertab refuses a table it cannot read whole: a directory, a FIFO, one over 16 MiB" {
	mkdir "$T/dir"
	mkfifo "$T/fifo"
	truncate -s 17M "$T/big"
	for f in dir fifo big; do
		for cmd in list add remove edit; do
			case $cmd in
			add) arg='127.0.0.1:7761 stream tcp nowait root /bin/echo echo x' ;;
			remove) arg=7761 ;;
			*) arg= ;;
			esac
			run timeout 10 "$SUPERTAB" -f "$T/$f" $cmd ${arg:+"$arg"} </dev/null
			assert_failure 1
			assert_output --regexp "$T/$f: (not a regular file|Is a directory|larger than 16 MiB)"
		done
	done
	[ -d "$T/dir" ] && [ -p "$T/fifo" ] && [ "$(stat -c %s "$T/big")" = 17825792 ]
}

@test "superd removes its pid file on every exit, a fatal one included" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	# a clean exit
	start_superd -p "$T/pid"
	[ -s "$T/pid" ]
	stop_superd
	[ ! -e "$T/pid" ]
	# fatal exits: too few descriptors for the event loop's own (the
	# signalfd, the epoll set); some limit below gives one
	fatal=0
	for n in 5 6 7 8 9 10 11 12; do
		rm -f "$T/pid"
		run timeout 10 prlimit --nofile=$n:$n "$SUPERD" -d -p "$T/pid" \
		    "$CONF" 3>&-
		if [ "$status" -eq 1 ] && [[ $output == *event=fatal* ]]; then
			fatal=$((fatal + 1))
			[ ! -e "$T/pid" ] || { echo "left by: $output"; false; }
		fi
	done
	[ "$fatal" -gt 0 ]
}

@test "supertab and superd -t print table text with its control characters escaped" {
	esc=$(printf '\033')
	bel=$(printf '\007')
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo \033]0;owned\007\033[2Jhi\n' >"$CONF"
	run tab list
	assert_success
	[[ "$output" != *"$esc"* && "$output" != *"$bel"* ]]
	assert_output '1 enabled 127.0.0.1:0 stream tcp nowait root /bin/echo echo \033]0;owned\a\033[2Jhi'
	run tab add "$(printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo \033[31mred')"
	assert_success
	[[ "$output" != *"$esc"* ]]
	assert_output 'added line 2: 127.0.0.1:0 stream tcp nowait root /bin/echo echo \033[31mred'
	printf '127.0.0.1:0 stream tcp nowait \033[2Jnobody /bin/echo echo x\n' >>"$CONF"
	for cmd in "$SUPERD -t $CONF" "$SUPERTAB -f $CONF check"; do
		run timeout 10 $cmd
		assert_failure 1
		[[ "$output" != *"$esc"* ]]
		assert_output "$CONF:3: unknown user \"\\033[2Jnobody\""
	done
	run tab remove "$(printf '\033[2Jgone')"
	assert_failure 1
	[[ "$output" != *"$esc"* ]]
	assert_line --partial 'has no entry named "\033[2Jgone"; candidates:'
}

@test "supertab remove of an unknown name lists at most 10 candidates and says how many more" {
	seq 1 60000 | awk '{ printf "127.0.0.1:0 stream tcp nowait root /bin/echo echo %d\n", $1 }' >"$CONF"
	run timeout 20 "$SUPERTAB" -f "$CONF" remove 9999
	assert_failure 1
	assert_line --index 0 --partial 'has no entry named "9999"; candidates:'
	assert_line --index 1 '  1 enabled 127.0.0.1:0 stream tcp nowait root /bin/echo echo 1'
	assert_line --index 10 '  10 enabled 127.0.0.1:0 stream tcp nowait root /bin/echo echo 10'
	assert_line --index 11 '  and 59990 more'
	assert_equal "${#lines[@]}" 12
}

@test "supertab leaks nothing: add, list, remove, enable, disable, edit and check under LeakSanitizer" {
	[ -n "${SUPERD_ASAN:-}" ] || skip "needs the sanitizer build (make check-asan)"
	# the suite runs with detect_leaks=0 (superd exits from anywhere);
	# supertab's own runs ask for it, and fail (23) on any leak
	export ASAN_OPTIONS=detect_leaks=1:exitcode=23:abort_on_error=0
	printf '# t\n127.0.0.1:0 stream tcp nowait root /bin/echo echo a\n' >"$CONF"
	run tab add '127.0.0.1:7962 stream tcp nowait root /bin/echo echo b'
	assert_success
	run tab list
	assert_success
	run tab disable 7962
	assert_success
	run tab enable 7962
	assert_success
	# enabling it again changes nothing, and frees what it read
	run tab enable 7962
	assert_success
	assert_output "7962 is already enabled"
	run tab add '127.0.0.1:7963 stream tcp nowait nosuchuser /bin/echo echo c'
	assert_failure 1
	printf '#!/bin/sh\nsed -i "s/echo b/echo c/" "$1"\n' >"$T/ed"
	chmod +x "$T/ed"
	EDITOR=$T/ed TMPDIR=$T run tab edit
	assert_success
	EDITOR=true TMPDIR=$T run tab edit
	assert_success
	run tab remove 7962
	assert_success
	run tab check
	assert_success
}

# --- 11. smaller defects

# free_ports N: N distinct TCP ports on 127.0.0.1 that nothing listens on.
free_ports() {
	python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# start_handed SPEC...: superd -d on $CONF with sockets handed over as a
# supervisor does (tests/listenfds.py, which keeps its own copies).
start_handed() {
	rm -f "$PORTS"
	python3 "$BATS_TEST_DIRNAME/listenfds.py" "$T/handed" "$@" -- \
	    "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	wait_until 10 test -s "$T/handed.pid"
	SUPERD_PID=$(cat "$T/handed.pid")
	wait_until 10 test -s "$PORTS" || { cat "$LOG" >&2; return 1; }
}

@test "more than 64 sockets handed over through LISTEN_FDS are adopted, every one" {
	read -r -a ps < <(free_ports 70)
	specs=()
	for p in "${ps[@]}"; do
		specs+=("tcp4:$p")
		echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo $p"
	done >"$CONF"
	start_handed "${specs[@]}"
	assert_equal "$(log_count '^event=listen .* adopted=1$')" 70
	! log_has 'event=bind-failed'
	assert_equal "$(talk "${ps[0]}")" "${ps[0]}"
	assert_equal "$(talk "${ps[69]}")" "${ps[69]}"
}

@test "a socket handed over that no service has is closed and logged" {
	read -r a b < <(free_ports 2)
	table <<-EOF
	127.0.0.1:$a stream tcp nowait root /bin/echo echo a
	EOF
	start_handed "tcp4:$a" "tcp4:$b"
	wait_log "^event=adopt-unused addr=127\.0\.0\.1:$b proto=tcp4 "
	ino=$(awk '$1 == 1 { print $3 }' "$T/handed")
	ls -l /proc/"$SUPERD_PID"/fd >"$T/fds"
	! grep -q "socket:\[$ino\]" "$T/fds"
	assert_equal "$(talk "$a")" a
}

@test "a dual-stack socket handed over serves its entry's * over IPv4 and IPv6, with no bind retry" {
	p=$(free_ports 1)
	table <<-EOF
	$p stream tcp nowait root /bin/echo echo dual
	EOF
	start_handed "dual:$p"
	assert_equal "$(talk "$p")" dual
	assert_equal "$(talk6 "$p")" dual
	! log_has 'event=bind-failed'
	log_has "^event=listen svc=$p line=1 addr=0\.0\.0\.0:$p proto=tcp4 adopted=1 dual-stack=1$"
}

@test "the -P ports file is removed when superd exits" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	start_superd
	[ -s "$PORTS" ]
	stop_superd
	[ ! -e "$PORTS" ]
}

@test "table text in the log is escaped: a unix path with ESC and event= in it stays one value" {
	esc=$(printf '\033')
	sock="$T/s${esc}[2Jevent=exit"
	printf '%s stream unix nowait root /bin/echo echo hi\n' "$sock" |
	    table
	start_superd
	assert_equal "$(timeout 10 socat -u "UNIX-CONNECT:$sock" -)" hi
	wait_log 'event=exit'
	# no raw ESC anywhere; each of the listen, start and exit lines
	# names the service (and the address) quoted, ESC in octal
	run grep -c "$esc" "$LOG"
	assert_output 0
	quoted="\"$T/s\\033[2Jevent=exit\""
	assert_equal "$(grep -c 'svc=' "$LOG")" 3
	assert_equal "$(grep -cF "svc=$quoted " "$LOG")" 3
	assert_equal "$(grep -cF "addr=$quoted " "$LOG")" 1
}

# title_has TEXT: superd's title (setproctitle) shows TEXT.
title_has() {
	tr '\0' ' ' </proc/"$SUPERD_PID"/cmdline | grep -q -- "$1"
}

@test "a timeout= of weeks does not put the event loop to sleep for ever" {
	# 31 days is past epoll_wait's 24.8 days of milliseconds: the loop
	# slept for good, and the title, updated at most once a second by
	# that loop's timer, stayed at its first child.
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=2678400 root /bin/sleep sleep 30
	EOF
	start_superd
	p=$(port 1)
	timeout 20 nc -d 127.0.0.1 "$p" </dev/null & c1=$!
	wait_until 5 title_has ', 1 child'
	timeout 20 nc -d 127.0.0.1 "$p" </dev/null & c2=$!
	wait_until 5 log_lines 'event=start' 2
	run wait_until 5 title_has '2 children'
	kill "$c1" "$c2" 2>/dev/null || true
	assert_success
}

@test "a size or number too large for its field is refused, never wrapped" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp,sndbuf=18014398509481985k nowait root /bin/cat cat
	127.0.0.1:0 stream tcp,rcvbuf=2097152k nowait root /bin/cat cat
	127.0.0.1:0 stream tcp,sndbuf=-1 nowait root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,instances=18446744073709551617 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,per-source=9223372036854775808 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,timeout=4294967297 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,rate=4294967297/1 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,rate=1/18446744073709551617 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait.4294967297 root /bin/cat cat
	/tmp/superd-never-bound.sock stream unix nowait,mode=0100000000000000000644 root /bin/cat cat
	127.0.0.1:0 stream tcp,sndbuf=2097151k,rcvbuf=1m nowait root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line --regexp "^$CONF:1: bad size \"18014398509481985k\" for sndbuf: expected "
	assert_line --regexp "^$CONF:2: bad size \"2097152k\" for rcvbuf"
	assert_line --regexp "^$CONF:3: bad size \"-1\" for sndbuf"
	assert_line --regexp "^$CONF:4: bad value \"18446744073709551617\" for option instances"
	assert_line --regexp "^$CONF:5: bad value \"9223372036854775808\" for option per-source"
	assert_line --regexp "^$CONF:6: bad value \"4294967297\" for option timeout"
	assert_line --regexp "^$CONF:7: bad value \"4294967297/1\" for option rate"
	assert_line --regexp "^$CONF:8: bad value \"1/18446744073709551617\" for option rate"
	assert_line --regexp "^$CONF:9: bad rate \".4294967297\" after nowait"
	assert_line --regexp "^$CONF:10: bad value \"0100000000000000000644\" for option mode"
	assert_equal "${#lines[@]}" 10
}

@test "10 MB of continuation lines are read in linear time" {
	python3 - "$CONF" <<-'EOF'
	import sys
	with open(sys.argv[1], "w") as f:
	    f.write("127.0.0.1:0 stream tcp nowait root /bin/echo echo\n")
	    for i in range(10_000_000 // 1002):
	        f.write("\t" + "x" * 1000 + "\n")
	EOF
	# quadratic joining took 28 s here; linear takes milliseconds
	run timeout $((5 * WAIT_SCALE)) "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: too many fields (at most 1023)"
}

@test "a NUL byte in a table is an error with its line" {
	printf '# fine\n127.0.0.1:0 stream tcp nowait root /bin/echo echo a\0b\n' >"$CONF"
	printf '# a comment with a NUL \0 in it\n' >>"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: NUL byte in the line: a table is text"
	assert_line "$CONF:3: NUL byte in the line: a table is text"
	assert_equal "${#lines[@]}" 2
}

@test "a bare CR in a table is an error with its line; a CRLF line ending is accepted" {
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo crlf\r\n' >"$CONF"
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo a\rb\n' >>"$CONF"
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo two\r\r\n' >>"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: carriage return (CR) inside the line: only a CRLF line ending is accepted"
	assert_line "$CONF:3: carriage return (CR) inside the line: only a CRLF line ending is accepted"
	assert_equal "${#lines[@]}" 2
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo crlf\r\n' >"$CONF"
	printf '127.0.0.1:0 stream tcp nowait root \\\r\n /bin/echo echo joined\r\n' >>"$CONF"
	start_superd
	run talk "$(port 1)"
	assert_output "crlf"
	run talk "$(port 2)"
	assert_output "joined"
}

@test "a reload error too long for the log line is cut at a whole escape" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	start_superd
	{
		printf '127.0.0.1:0 stream tcp nowait root /bin/cat cat\n'
		printf '127.0.0.1:0 stream tcp'
		head -c 600 /dev/zero | tr '\0' '\266'
		printf ' nowait root /bin/cat cat\n'
	} >"$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log 'event=reload-failed'
	run grep -c 'event=reload-failed' "$LOG"
	assert_output 1
	line=$(grep 'event=reload-failed' "$LOG")
	[[ $line == *'unknown protocol \"tcp\266\266'* ]]
	# the old cut could leave half an escape: ...\26"
	[[ $line == *'\266"' ]]
	run env LC_ALL=C grep -c '[^[:print:]]' "$LOG"
	assert_output 0
}

@test "the SIGKILL for a timed-out group never reaches a process that got the leader's pid" {
	is_root || skip "needs a pid namespace"
	unshare -pf --mount-proc true 2>/dev/null || skip "no pid namespace"
	# In a pid namespace of its own, the next pid can be chosen
	# (ns_last_pid): once the timed-out leader is logged as gone, a
	# process that leads its own session is started on the leader's
	# pid, as a busy machine would by chance.  The group SIGKILL due
	# 2 s after the SIGTERM must not reach it.  Namespace pids stay in
	# $T/nslog, away from the teardown's kill by logged pid.
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sleep sleep 30
	EOF
	cat >"$T/inner" <<-'EOF'
	L=$T/nslog
	until_ok() { # SECONDS COMMAND...
		local i; for ((i = 0; i < $1 * 20; i++)); do
			"${@:2}" && return 0; sleep 0.05; done; return 1; }
	"$SUPERD" -d "$CONF" 2>"$L" 3>&- &
	until_ok 5 grep -qs 'event=listen' "$L" || exit 1
	p=$(sed -n 's/.*event=listen .*addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$L")
	timeout 20 nc -d 127.0.0.1 "$p" </dev/null >/dev/null &
	until_ok 5 grep -Eq '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM' "$L" ||
	    exit 1
	n=$(sed -n 's/^event=exit svc=0 line=1 pid=\([0-9]*\) signal=TERM.*/\1/p' \
	    "$L")
	echo $((n - 1)) >/proc/sys/kernel/ns_last_pid
	setsid sleep 20 &
	v=$!
	until_ok 5 eval '! kill -0 $v 2>/dev/null || grep -q "signal=KILL" "$L"'
	until_ok 1 eval '! kill -0 $v 2>/dev/null' # a KILL in flight
	kill -0 $v 2>/dev/null && echo "alive leader=$n other=$v" ||
	    echo "killed leader=$n other=$v"
	EOF
	export T SUPERD CONF
	run timeout 30 unshare -pf --mount-proc bash "$T/inner"
	cat "$T/nslog"
	assert_line --regexp '^alive leader=[0-9]+ other=[0-9]+$'
	run grep -c '^event=timeout svc=0 line=1 pid=[0-9]* signal=KILL' "$T/nslog"
	assert_output 1
}

# fault_lib: build tests/fault.c, preloaded into superd to make the kernel
# refuse on demand (epoll out of space, no receive timestamps).
fault_lib() {
	[ -z "${SUPERD_ASAN:-}" ] || skip "a preloaded library and ASan do not mix"
	cc -shared -fPIC -o "$T/fault.so" "$TOP/tests/fault.c" -ldl ||
	    skip "no C compiler"
}

@test "epoll out of space refuses the connection and keeps superd up; a listener added meanwhile is watched once it can be" {
	fault_lib
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	EOF
	export LD_PRELOAD=$T/fault.so FAULT_EPOLL_FILE=$T/epoll-full
	start_superd
	unset LD_PRELOAD
	p1=$(port 1)
	run talk "$p1"
	assert_output "one"
	touch "$T/epoll-full"
	# the child that epoll cannot watch is killed: its connection may
	# or may not have seen its output first
	talk "$p1" || true
	wait_log '^event=refused svc=0 line=1 reason=epoll peer=127\.0\.0\.1:'
	superd_alive
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=KILL '
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait root /bin/echo echo two
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=2 added=1 '
	wait_log '^event=epoll-failed svc=0 line=2 retry=1 error="No space left on device"$'
	superd_alive
	p2=$(port 2)
	rm "$T/epoll-full"
	run talk "$p2"
	assert_output "two"
	run talk "$p1"
	assert_output "one"
	run grep -c 'event=epoll-failed' "$LOG"
	assert_output 1
}

@test "a child superd can make no stderr pipe for is served with /dev/null as its stderr, counted" {
	fault_lib
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo lost >&2; ls -l /proc/self/fd/2 | sed 's/.*-> //'"
	EOF
	export LD_PRELOAD=$T/fault.so FAULT_PIPE_FILE=$T/no-pipes
	start_superd
	unset LD_PRELOAD
	touch "$T/no-pipes"
	assert_equal "$(talk "$(port 1)")" /dev/null
	assert_equal "$(talk "$(port 1)")" /dev/null
	wait_log '^event=stderr-nopipe svc=0 line=1 count=1 error="Too many open files"$'
	rm "$T/no-pipes"
	talk "$(port 1)" | grep -Eq '^pipe:\[[0-9]+\]$'
	wait_log '^event=stderr svc=0 line=1 pid=[0-9]+ msg="lost"$'
	assert_equal "$(log_count 'msg="lost"')" 1
	# one line a second at most for those without (two, should the
	# second connection have come a second after the first)
	[ "$(log_count '^event=stderr-nopipe ')" -le 2 ]
}

@test "children get the descriptor limit superd started with and / as working directory" {
	[ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -gt 1000 ] ||
	    skip "needs a hard RLIMIT_NOFILE above 1000"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c 'ulimit -Sn; pwd'
	EOF
	mkdir "$T/cwd"
	rm -f "$PORTS"
	(cd "$T/cwd" && ulimit -Sn 1000 &&
	 exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	# superd itself runs with the raised limit
	run awk '/^Max open files/ { print $4 }' /proc/"$SUPERD_PID"/limits
	assert_output "$(ulimit -Hn)"
	run talk "$(port 1)"
	assert_success
	assert_output "$(printf '1000\n/')"
}

@test "dgram nowait without receive timestamps answers every datagram of a burst" {
	fault_lib
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /usr/bin/python3 python3 $BATS_TEST_DIRNAME/udpupper.py
	EOF
	# SO_TIMESTAMPNS refused: a datagram that came in while a child was
	# reading its own was taken for that one and dropped at its exit
	export LD_PRELOAD=$T/fault.so FAULT_NO_TIMESTAMPS=1
	start_superd
	unset LD_PRELOAD FAULT_NO_TIMESTAMPS
	run timeout 20 python3 - "$(port 1 udp4)" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(5)
	for i in range(10):
	    s.sendto(b"x%d" % i, ("127.0.0.1", int(sys.argv[1])))
	got = set()
	try:
	    while len(got) < 10:
	        got.add(s.recvfrom(100)[0].split()[0])
	except socket.timeout:
	    pass
	print(len(got))
	EOF
	assert_output 10
	wait_until 5 log_lines 'event=exit' 10
	assert_equal "$(log_count 'event=start')" 10
}

# lowest_free_fd PID: the lowest descriptor number PID has not open.
lowest_free_fd() {
	local n=0
	while [ -e /proc/"$1"/fd/$n ]; do n=$((n + 1)); done
	echo $n
}

@test "a back-off of one service never hides another's: each gets its own failure line" {
	# Reproducer: the line of a failed accept or spawn was rate-limited
	# by one timer for the whole daemon, so a second service failing in
	# the same second was neither logged nor counted.
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait root /bin/echo echo two
	EOF
	start_superd
	p1=$(port 1) p2=$(port 2)
	# No descriptor left below the soft limit: every accept4 fails with
	# EMFILE and both services back off, their clients in the backlog.
	prlimit --pid "$SUPERD_PID" --nofile="$(lowest_free_fd "$SUPERD_PID")":
	timeout 10 nc -d 127.0.0.1 "$p1" </dev/null >/dev/null & c1=$!
	timeout 10 nc -d 127.0.0.1 "$p2" </dev/null >/dev/null & c2=$!
	wait_log 'event=accept-failed svc=[0-9]+ line=1 ' 5
	run wait_log 'event=accept-failed svc=[0-9]+ line=2 ' 5
	prlimit --pid "$SUPERD_PID" --nofile=1024:
	kill "$c1" "$c2" 2>/dev/null || true
	assert_success
	# Still at most about one line a second per service, counts summed.
	[ "$(log_count 'event=accept-failed svc=[0-9]+ line=1 ')" -le 8 ]
}

# --- 12. log lines a script can rely on

@test "start, exit and refused lines put event, svc and line first, in one order; protocols and signals are spelt by name" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "kill -XCPU \$\$"
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.1 root /bin/echo echo no
	127.0.0.1:0 dgram udp wait root internal echo
	[::1]:0 stream tcp nowait root /bin/echo echo six
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" one
	talk "$(port 2)" || true
	talk "$(port 3)" || true
	assert_equal "$(talk6 "$(port 5)")" six
	wait_until 5 log_lines '^event=exit ' 3
	# three services on port 0 told apart by line=
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+$'
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$'
	wait_log '^event=start svc=0 line=2 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+$'
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ signal=XCPU duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$'
	wait_log '^event=refused svc=0 line=3 reason=deny peer=127\.0\.0\.1:[0-9]+$'
	wait_log '^event=start svc=0 line=5 pid=[0-9]+ peer=\[::1\]:[0-9]+$'
	# the same protocol spelling in listen lines as in the ports file
	wait_log '^event=listen svc=0 line=1 addr=127\.0\.0\.1:[0-9]+ proto=tcp4$'
	wait_log '^event=listen svc=0 line=4 addr=127\.0\.0\.1:[0-9]+ proto=udp4$'
	wait_log '^event=listen svc=0 line=5 addr=\[::1\]:[0-9]+ proto=tcp6$'
	# every line starts with event=, no bare tcp or udp, no signal numbers
	run grep -Ev '^event=' "$LOG"
	assert_output ""
	run grep -E 'proto=(tcp|udp)( |$)|signal=[0-9]' "$LOG"
	assert_output ""
}

@test "reaching instances= is logged, the first time at once and then summed up" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,instances=1 root /bin/echo echo hi
	EOF
	start_superd
	pids=
	for i in $(seq 20); do
		talk "$(port 1)" >/dev/null &
		pids="$pids $!"
	done
	wait $pids
	wait_until 5 log_lines 'event=exit' 20
	wait_log '^event=full svc=0 line=1 instances=1$'
	# every start reached the limit: 20 in all, in a few lines
	wait_until 5 eval '[ "$(full_total)" -eq 20 ]'
	[ "$(log_count 'event=full')" -le 5 ]
}

# full_total: how many times the log says instances= was reached.
full_total() {
	awk '/event=full / { n += 1; for (i = 1; i <= NF; i++)
		if ($i ~ /^count=/) { split($i, a, "="); n += a[2] - 1 } }
		END { print n + 0 }' "$LOG"
}

# --- 13. what a newcomer tripped on

@test "the README's test-script example fails at once, with superd's log, when superd exits at once" {
	awk '/^## superd in test scripts/ { s = 1 } s && /^```sh$/ { b = 1; next }
	    b && /^```$/ { exit } b { print }' "$TOP/README.md" >"$T/example.sh"
	grep -q ' nobody ' "$T/example.sh"
	sed -i 's/ nobody / nobdy /' "$T/example.sh"
	t0=$(date +%s%N)
	run env PATH="$(dirname "$SUPERD"):$PATH" timeout 30 bash "$T/example.sh"
	t1=$(date +%s%N)
	assert_failure
	assert_output --partial 'unknown user "nobdy"'
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]
}

@test "the man page's script example ends when superd is gone" {
	awk '/^Start a service on a free port/ { s = 1 }
	    s && /^\.Bd -literal/ { b = 1; next } b && /^\.Ed/ { exit }
	    b { print }' "$TOP/man/superd.8" | sed 's/\\e/\\/g' >"$T/man.sh"
	grep -q ' nobody ' "$T/man.sh"
	sed -i 's/ nobody / nobdy /' "$T/man.sh"
	t0=$(date +%s%N)
	run env PATH="$(dirname "$SUPERD"):$PATH" timeout 30 bash -c "cd '$T' && bash man.sh"
	t1=$(date +%s%N)
	assert_failure
	[ "$status" -ne 124 ]
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]
}

@test "-b makes a bind failure at start fatal: exit 1 and FILE:LINE, what it bound removed" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	start_superd
	p=$(port 1)
	cat >"$T/second.conf" <<-EOF
	$T/u.sock stream unix nowait root /bin/echo echo u
	127.0.0.1:$p stream tcp nowait root /bin/echo echo y
	EOF
	t0=$(date +%s%N)
	run timeout 10 "$SUPERD" -b -d "$T/second.conf" 3>&-
	t1=$(date +%s%N)
	assert_failure 1
	assert_line "superd: $T/second.conf:2: cannot bind 127.0.0.1:$p (tcp4): Address already in use"
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]
	[ ! -e "$T/u.sock" ]
}

@test "stopping make run by its PID stops superd too" {
	RUN=$(mktemp -d /tmp/superd-test.XXXXXX)
	echo "$RUN" >>"$T/cleanup"
	chmod 755 "$RUN"
	make -s -C "$TOP" run RUNDIR="$RUN" >"$T/stdout" 2>"$LOG" </dev/null 3>&- &
	mk=$!
	SUPERD_PID=$mk		# until superd is found: teardown stops make
	wait_log '^event=listen ' 30
	# the superd under make, a child or a grandchild (under a shell)
	kids=$(cat /proc/"$mk"/task/*/children)
	for k in $kids; do
		kids="$kids $(cat /proc/"$k"/task/*/children 2>/dev/null)"
	done
	for k in $kids; do
		[ "$(cat /proc/"$k"/comm 2>/dev/null)" = superd ] && SUPERD_PID=$k
	done
	[ -n "$SUPERD_PID" ]
	kill -TERM "$mk"
	wait_until 10 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
}

@test "a detached superd with no syslog socket says so on stderr before detaching" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	hide=
	if [ -e /dev/log ]; then
		is_root || skip "needs root to hide /dev/log"
		: >"$T/nolog"
		hide="mount --bind $T/nolog /dev/log &&"
	fi
	run timeout 10 unshare -m --propagation private sh -c \
	    "$hide exec \"\$0\" -p \"\$1\" \"\$2\"" "$SUPERD" "$T/pid" "$CONF" 3>&-
	# the detached superd, for teardown
	wait_until 5 test -s "$T/pid"
	SUPERD_PID=$(cat "$T/pid")
	assert_success
	assert_output --partial "no syslog at /dev/log"
}

@test "usage and -h match the SYNOPSIS of superd.8, -b, -h and -V included; SEE ALSO names supertab(8)" {
	run "$SUPERD" -h
	assert_success
	usage=$(sed '1s/^usage: //; 2,$s/^ *//' <<<"$output")
	syn=$(mandoc -T ascii -O width=200 "$TOP/man/superd.8" | col -b |
	    awk '/^SYNOPSIS/ { s = 1; next } s && /^$/ { exit }
	    s { sub(/^ +/, ""); print }')
	assert_equal "$syn" "$usage"
	[[ $usage == *'[-bdDeEhrtVw]'* ]]
	[[ $usage == *'superd -S pidfile | pid'* ]]
	run "$SUPERD" -Z
	assert_failure 2
	assert_line "usage: ${usage%%$'\n'*}"
	assert_line "       superd -S pidfile | pid"
	mandoc -T ascii "$TOP/man/superd.8" | col -b | grep -q 'supertab(8)'
}

@test "an option error says what is expected, and a mistyped option name gets the nearest one" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,rate=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,timout=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,instnaces=5,stderr=nul root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,bogus=1 root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line --regexp "^$CONF:1: bad value \"5\" for option rate: expected N/S"
	assert_line "$CONF:2: unknown option \"timout\": did you mean timeout?"
	assert_line "$CONF:3: unknown option \"instnaces\": did you mean instances?"
	assert_line "$CONF:3: bad value \"nul\" for option stderr: expected log, inherit, socket or null"
	assert_line "$CONF:4: unknown option \"bogus\""
	assert_equal "${#lines[@]}" 5
}

# The holes that the attack on containment found (issue 13), as above:
# each test failed on the superd that had the hole.

# --- 14. chroot=DIR cannot be swapped by whoever owns it or a parent

# jail_under OWNER: $J, a jail with a static busybox, in a directory
# $JP (root's, 755) whose parent $JP/home is OWNER's, as a user's home.
jail_under() {
	[ -x /bin/busybox ] || skip "needs busybox-static"
	JP=$(mktemp -d /var/lib/superd-jail.XXXXXX)
	echo "$JP" >>"$T/cleanup"
	chmod 755 "$JP"
	mkdir -p "$JP/home/jail/bin"
	cp /bin/busybox "$JP/home/jail/bin/"
	chown "$1" "$JP/home"
	J=$JP/home/jail
}

@test "a chroot= whose parent another user owns is a -t error naming it, and a start error: that user cannot swap it for /" {
	is_root || skip "needs root"
	jail_under 65534
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J nobody /bin/busybox busybox ls /
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: chroot=$J: $JP/home is owned by uid 65534"
	run "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	assert_output --partial "$CONF:1: chroot=$J: $JP/home is owned by uid 65534"
	# what that user could do between load and a connection
	as_user sh -c "cd $JP/home && mv jail jail.old && ln -s / jail"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: chroot=$J: $JP/home is owned by uid 65534"
}

@test "a chroot= with a group- or world-writable directory, or a symbolic link, on its way is an error of its line" {
	is_root || skip "needs root"
	jail_under 0
	mkdir -p "$JP/w/jail/bin" "$JP/g/jail/bin" "$JP/real/jail/bin"
	cp /bin/busybox "$JP/w/jail/bin/"
	cp /bin/busybox "$JP/g/jail/bin/"
	cp /bin/busybox "$JP/real/jail/bin/"
	chmod 1777 "$JP/w"
	chmod 775 "$JP/g/jail"
	ln -s real "$JP/link"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J nobody /bin/busybox busybox true
	127.0.0.1:0 stream tcp nowait,chroot=$JP/w/jail nobody /bin/busybox busybox true
	127.0.0.1:0 stream tcp nowait,chroot=$JP/g/jail nobody /bin/busybox busybox true
	127.0.0.1:0 stream tcp nowait,chroot=$JP/link/jail nobody /bin/busybox busybox true
	127.0.0.1:0 stream tcp nowait,chroot=/tmp nobody /bin/busybox busybox true
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: chroot=$JP/w/jail: $JP/w is writable by group or others"
	assert_line "$CONF:3: chroot=$JP/g/jail: $JP/g/jail is writable by group or others"
	assert_line "$CONF:4: chroot=$JP/link/jail: $JP/link is a symbolic link"
	assert_line "$CONF:5: chroot=/tmp: /tmp is writable by group or others"
	assert_equal "${#lines[@]}" 4
}

@test "a reload to a chroot= another user can swap keeps the running table" {
	is_root || skip "needs root"
	jail_under 0
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J nobody /bin/busybox busybox ls /
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output "bin"
	chown 65534 "$JP/home"
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload-failed error=\"$CONF:1: chroot=$J: $JP/home is owned by uid 65534\""
	run talk "$(port 1)"
	assert_output "bin"
}

# --- 15. private-tmp's tmpfs is bounded, not half of the machine's memory

@test "private-tmp's tmpfs is 16 MiB by default, private-tmp=SIZE sets it, and a write past it fails with ENOSPC" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-tmp nobody /bin/df df -k /tmp
	127.0.0.1:0 stream tcp nowait,private-tmp=256k,stderr=socket nobody /bin/sh sh -c "df -k /tmp | awk 'NR==2{print $2}'; df -i /tmp | awk 'NR==2{print $2}'; head -c 300000 /dev/zero >/tmp/f; echo rc=$?"
	127.0.0.1:0 stream tcp nowait,private-tmp=1m nobody /bin/sh sh -c "i=0; while [ $i -lt 300 ] && true >/tmp/f$i; do i=$((i+1)); done; echo files=$i"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | awk 'NR==2{print $2}')" 16384
	run talk "$(port 2)"
	assert_line --index 0 256
	assert_line --index 1 64
	assert_output --partial "No space left on device"
	assert_line "rc=1"
	# inodes are bounded too: 1m has 256, the root directory one of them
	run talk "$(port 3)"
	assert_output --regexp "files=2[0-9][0-9]"
	refute_output "files=300"
}

@test "private-tmp= takes a size from 64k, nothing else" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-tmp=1k root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,private-tmp=unlimited root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,private-tmp=12q root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: bad value \"1k\" for option private-tmp: expected a size from 64k, with k, m or g"
	assert_line "$CONF:2: bad value \"unlimited\" for option private-tmp: expected a size from 64k, with k, m or g"
	assert_line "$CONF:3: bad value \"12q\" for option private-tmp: expected a size from 64k, with k, m or g"
	assert_equal "${#lines[@]}" 3
}

# --- 16. cgroups a superd that is gone left behind are removed at the next start

# cg_dirs PID: the superd.PID directories of superd PID, in every hierarchy.
cg_dirs() {
	find /sys/fs/cgroup -maxdepth 8 -type d -name "superd.$1" 2>/dev/null
}

@test "the cgroups of a superd killed with SIGKILL are left while its child runs, and removed at a later start once it has ended" {
	is_root || skip "needs root"
	grep -Eq '^pids[[:space:]].*1$' /proc/cgroups || skip "no pids controller"
	# the child runs while $T/run is there (bats removes $T at the end)
	touch "$T/run"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,tasks=8 root /bin/sh sh -c "echo up; while [ -e $T/run ]; do sleep 0.1; done"
	EOF
	# each superd here starts in a cgroup of the test's own, where no
	# other superd on the machine (another test run's) sweeps first
	cg=$(awk '{ for (i = 7; i < NF && $i != "-"; i++) ; }
	    $(i + 1) == "cgroup" && $NF ~ /(^|,)pids(,|$)/ { print $5; exit }' \
	    /proc/self/mountinfo)
	[ -n "$cg" ] || skip "no cgroup v1 pids hierarchy"
	cg=$cg/superd-test.$$
	mkdir "$cg"
	start_superd() {
		rm -f "$PORTS"
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
		    "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
		SUPERD_PID=$!
		wait_until 10 test -s "$PORTS"
	}
	start_superd
	timeout 30 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/out" &
	wait_until 5 grep -q up "$T/out"
	old=$SUPERD_PID
	child=$(sed -n 's/^event=start .* pid=\([0-9]*\).*/\1/p' "$LOG")
	[ -n "$child" ]
	[ -n "$(cg_dirs "$old")" ]
	kill -KILL "$old"
	wait "$old" || true
	SUPERD_PID=
	# the child still runs in its cgroup: left alone, and said
	start_superd
	wait_log "event=cgroup-swept path=[^ ]*/superd.$old removed=0 left=1 busy=1"
	kill -0 "$child"
	[ -n "$(cg_dirs "$old")" ]
	stop_superd
	rm "$T/run"
	wait_until 5 eval '! kill -0 '"$child"' 2>/dev/null'
	start_superd
	wait_log "event=cgroup-swept path=[^ ]*/superd.$old removed=1 left=0\$"
	[ -z "$(cg_dirs "$old")" ]
	# once, at start: a reload sweeps and says nothing again
	n=$(log_count "event=cgroup-swept")
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload"
	[ "$(log_count "event=cgroup-swept")" -eq "$n" ]
	stop_superd
	rmdir "$cg"
}

# --- 17. a chroot= path too long is said to be too long

@test "a chroot= longer than PATH_MAX is refused as too long, with the limit" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=/$(printf 'a%.0s' $(seq 6000)) root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: chroot= is too long: 6001 bytes, at most 4095"
}

# --- 18. an xinetd file cannot write table text of its own choosing

@test "import-xinetd: xinetd values cannot inject options, entries or line joins into the table" {
	printf 'bye "\\\\ \n* stream tcp nowait root /bin/sh sh\n' >"$T/banner"
	cat >"$T/x" <<-EOF
	service a
	{
		port = 7040
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/echo
		server_args = ok trailing\\
		only_from = 10.0.0.{1,2,/x,instances=1} 1.2.3.4/8,instances=1 fe80::1,instances=1 127.0.0.1
		env = A=b,instances=1 X=1 B=\\
		banner_fail = $T/banner
	}
	service b
	{
		port = 7041
		socket_type = stream
		wait = no
		user = root:root
		server = /bin/cat
	}
	service c
	{
		port = 7042
		bind = 127.0.0.1,*:7043
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
	}
	EOF
	run "$SUPERTAB" import-xinetd "$T/x"
	assert_success
	printf '%s\n' "$output" >"$CONF"
	# one entry, whole: the values that are not what they claim are noted
	assert_equal "$(grep -v '^#' "$CONF" | grep -c .)" 1
	run grep -c 'instances=1' "$CONF"
	assert_output 3		# in the notes only
	run grep -v -e '^#' -e '^$' "$CONF"
	assert_output '7040 stream tcp4 nowait,allow=10.0.0.1/32,allow=10.0.0.2/32,allow=127.0.0.1/32,env=X=1,env="B=\\",refuse-message="bye \"\\\\\\\\ \\n* stream tcp nowait root /bin/sh sh\\n" nobody /bin/echo echo ok "trailing\\"'
	run "$SUPERD" -t "$CONF"
	assert_success
	# superd reads the line back as what xinetd said
	start_superd
	run talk 7040
	assert_output 'ok trailing\'
}

# ticks PID: the user and system clock ticks a process has used.
ticks() {
	awk '{ print $14 + $15 }' /proc/"$1"/stat
}

@test "a balancer that sends part of a PROXY header and goes quiet costs superd nothing while it waits (the peeked bytes stay readable)" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=3 root /bin/echo echo x
	EOF
	start_superd
	before=$(ticks "$SUPERD_PID")
	run timeout 10 python3 "$TOP/tests/proxysend.py" --bind 127.0.0.2 \
	    --only 10 --keep --timeout 5 "$(port 1)"
	used=$(($(ticks "$SUPERD_PID") - before))
	echo "superd used $used ticks" >&3
	wait_log 'reason=proxy peer=127\.0\.0\.2:[0-9]+ error="timeout"$'
	# a level-triggered watch would wake superd at every turn for 3 s
	[ "$used" -le 10 ]
}

@test "a connection held for another spawn try keeps its per-source= count: another from its address is refused while it is served" {
	is_root || skip "needs root for a pids cgroup"
	[ -w /sys/fs/cgroup/pids/cgroup.procs ] || skip "no pids cgroup v1 here"
	cg=/sys/fs/cgroup/pids/superd-test-held.$$.$BATS_TEST_NUMBER
	mkdir "$cg"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,per-source=1 root /bin/sh sh -c "echo served; exec sleep 2"
	EOF
	start_superd
	echo 2 >"$cg/pids.max"
	echo "$SUPERD_PID" >"$cg/cgroup.procs"
	# superd and one child fill it: the next clone fails, its connection held
	timeout 5 nc -s 127.0.0.2 127.0.0.1 "$(port 1)" </dev/null >"$T/a" &
	a=$!
	wait_log 'peer=127\.0\.0\.2:'
	timeout 8 nc -s 127.0.0.3 127.0.0.1 "$(port 1)" </dev/null >"$T/b" &
	b=$!
	wait_log '^event=fork-failed '
	# the held one starts once the first child is gone
	wait_log 'event=start .* peer=127\.0\.0\.3:' 8
	echo max >"$cg/pids.max"
	run timeout 5 nc -s 127.0.0.3 -N 127.0.0.1 "$(port 1)" </dev/null
	refute_output --partial served
	wait_log '^event=refused svc=0 line=1 reason=per-source peer=127\.0\.0\.3:'
	wait "$a" "$b" || true
	wait_until 5 eval '[ "$(cat "$cg/pids.current")" -le 1 ]'
	# superd back where it was, so the directory can go
	echo "$SUPERD_PID" >/sys/fs/cgroup/pids/cgroup.procs
	rmdir "$cg"
}

# --- .include: a file another user can write is never served as root

# evil_dropin: $D, a drop-in directory beside the table, and in it (or as
# $2) a file nobody can write that runs id -u as root on port $1.
evil_dropin() {
	D=$T/superd.d
	mkdir -p "$D"
	chmod 755 "$T" "$D"
	echo "127.0.0.1:$1 stream tcp nowait root /usr/bin/id id -u" >"$D/evil.conf"
}

@test ".include refuses a file its group or others can write, a file another user owns, a writable directory and a symbolic link" {
	is_root || skip "needs root"
	p1=$(free_port) pm=$(free_port)
	evil_dropin "$p1"
	table <<-EOF
	127.0.0.1:$pm stream tcp nowait nobody /bin/echo echo main
	.include $D/*.conf
	EOF
	# the reproducer: the user nobody can write it
	chmod 666 "$D/evil.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: .include $D/evil.conf: writable by its group or others (mode 0666): refused; chmod go-w it"
	# that file alone is refused: the rest is served, nothing as root
	start_superd
	assert_equal "$(talk "$pm")" main
	run talk "$p1"
	assert_failure
	refute_output 0
	stop_superd
	# named explicitly, it refuses the whole table
	sed -i "s|\*\.conf|evil.conf|" "$CONF"
	run timeout 10 "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	assert_output --partial "$CONF:2: .include $D/evil.conf: writable by its group or others (mode 0666): refused"
	refute_output --partial "event=listen"
	sed -i "s|evil\.conf|*.conf|" "$CONF"
	# owned by another user, even if only it can write it
	chmod 644 "$D/evil.conf"
	chown 65534:65534 "$D/evil.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: .include $D/evil.conf: owned by uid 65534, not by root or superd's user: refused"
	# a root file in a directory others can write (they could swap it)
	chown 0:0 "$D/evil.conf"
	chmod 1777 "$D"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: .include: directory $D: writable by its group or others (mode 1777): refused; chmod go-w it"
	chmod 755 "$D"
	# a symbolic link is not followed, to a file another user writes or not
	mv "$D/evil.conf" "$T/target.conf"
	chown 65534:65534 "$T/target.conf"
	ln -s "$T/target.conf" "$D/evil.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: .include $D/evil.conf: is a symbolic link: name its target"
}

@test "a writable file included from an included file is left out, and everything else is served" {
	is_root || skip "needs root"
	p1=$(free_port) p2=$(free_port)
	evil_dropin "$p1"
	mv "$D/evil.conf" "$T/evil.inc"
	chmod 666 "$T/evil.inc"
	printf '%s\n' "127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo good" \
	    ".include $T/evil.inc" >"$D/good.conf"
	table <<-EOF
	.include $D/*.conf
	EOF
	start_superd
	assert_equal "$(talk "$p2")" good
	run talk "$p1"
	assert_failure
	log_has "^event=table-error error=\"$D/good.conf:2: .include $T/evil.inc: writable by its group or others \\(mode 0666\\): refused; chmod go-w it\"$"
}

# --- 19. import-xinetd: what xinetd restricted stays restricted, names stay text

@test "import-xinetd: an only_from of names only denies all, a no_access name holds its line back, a file name cannot write a line" {
	cat >"$T/a" <<-'EOF2'
	service a
	{
		port = 7050
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
		only_from = localhost
	}
	service b
	{
		port = 7051
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
		no_access = evil.example.
	}
	EOF2
	run "$SUPERTAB" import-xinetd "$T/a"
	assert_failure 1
	assert_line "7050 stream tcp4 nowait,deny=0.0.0.0/0,deny=::/0 nobody /bin/cat cat"
	assert_line "#   only_from: none of its values is an address: denied to all until allow= is given"
	assert_line "# 7051 stream tcp4 nowait nobody /bin/cat cat"
	# a file named to end the comment and start a line of its own
	mkdir "$T/d"
	name=$'x\n9999 stream tcp nowait root internal chargen\n#'
	cp "$T/a" "$T/d/$name"
	run "$SUPERTAB" import-xinetd "$T/d"
	refute_line "9999 stream tcp nowait root internal chargen"
	printf '%s\n' "$output" >"$CONF"
	run grep -c '^9999' "$CONF"
	assert_output 0
	# a banner_fail only root may read is not sent to refused clients
	umask 077
	echo secret >"$T/secret"
	printf 'service c\n{\n port = 7052\n socket_type = stream\n wait = no\n user = nobody\n server = /bin/cat\n banner_fail = %s\n}\n' "$T/secret" >"$T/c"
	run "$SUPERTAB" import-xinetd "$T/c"
	refute_output --partial "secret\\"
	assert_line "#   banner_fail $T/secret: not read (only a regular file anyone may read, of root or the importer, is)"
}

# --- 20. stderr orphans: one service's children cannot close another's pipes

@test "orphan stderr pipes: a service flooding them loses its own, never another service's" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=0 nobody /bin/sh sh -c "setsid sh -c 'echo victim $$ >&2; exec </dev/null >/dev/null; while :; do echo alive >&2; sleep 0.2; done' & echo started"
	127.0.0.1:0 stream tcp nowait,linger=0 nobody /bin/sh sh -c "setsid sh -c 'exec </dev/null >/dev/null; sleep 20' & echo hi"
	EOF
	# RLIMIT_NOFILE 200: 25 orphans in all, 16 for one service
	rm -f "$PORTS"
	(ulimit -n 200 && exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" \
	    2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	assert_equal "$(talk "$(port 1)")" started
	wait_log 'msg="victim [0-9]+"'
	victim=$(sed -n 's/.*msg="victim \([0-9]*\)".*/\1/p' "$LOG" | head -1)
	for i in $(seq 30); do
		assert_equal "$(talk "$(port 2)")" hi
	done
	wait_until 10 log_lines '^event=stderr-closed svc=[^ ]* line=2 ' 14
	# the flooding service lost its own; the victim still runs, logged
	run log_has '^event=stderr-closed svc=[^ ]* line=1 '
	assert_failure
	n=$(log_count 'msg="alive"')
	wait_until 5 eval '[ "$(log_count "msg=\"alive\"")" -gt '"$n"' ]'
	kill -0 "$victim"
	kill "$victim"
	# the flood's sleeps, in sessions of their own, end within 20 s
}

# --- 21. superd -S believes only root's or the asker's own superd

@test "superd -S refuses a pid file another user owns, and an answer that is not text" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	start_superd -p "$T/pid"
	cp "$T/pid" "$T/other.pid"
	chown nobody "$T/other.pid"
	run -1 "$SUPERD" -S "$T/other.pid"
	assert_output --regexp "other.pid: (belongs to uid 65534, neither root nor you: refused|no superd holds its lock)"
	# an impostor of the asker's own uid is believed, but not its bytes
	stop_superd
	cat >"$T/imp.py" <<-'EOF2'
	import os, socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind("\0superd/%d" % os.getpid())
	s.listen(4)
	open(sys.argv[1], "w").write("%d\n" % os.getpid())
	c, _ = s.accept()
	c.sendall(b"event=status services=1\n\x1b]0;owned\x07\x1b[2J\nevent=status-end\n")
	c.close()
	time.sleep(2)
	EOF2
	timeout 20 python3 "$T/imp.py" "$T/imp.pid" &
	imp=$!
	wait_until 5 test -s "$T/imp.pid"
	run -1 "$SUPERD" -S "$(cat "$T/imp.pid")"
	assert_output --partial "answered bytes that are not text: refused"
	refute_output --partial "owned"
	kill "$imp" 2>/dev/null || true
}

@test "an IPv4-mapped address in allow=, deny= or proxy= takes its prefix in IPv6 terms: ::ffff:127.0.0.2/8 is an error, not 127.0.0.0/8" {
	table <<-'EOF2'
	127.0.0.1:0 stream tcp nowait,proxy=::ffff:127.0.0.2/8 root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait,allow=::ffff:127.0.0.2/95 root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait,deny=[::ffff:127.0.0.2]/129 root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait,allow=::ffff:127.0.0.0/104,deny=::ffff:127.0.0.1 root /bin/echo echo x
	EOF2
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line --partial 'superd.conf:1: bad value "::ffff:127.0.0.2/8" for option proxy'
	assert_line --partial 'superd.conf:2: bad value "::ffff:127.0.0.2/95" for option allow'
	assert_line --partial 'superd.conf:3: bad value "[::ffff:127.0.0.2]/129" for option deny'
	refute_line --partial 'superd.conf:4:'
	# /104 is 127.0.0.0/8, a lone mapped address one address
	table <<-'EOF2'
	127.0.0.1:0 stream tcp nowait,allow=::ffff:127.0.0.0/104 root /bin/echo echo allowed
	127.0.0.1:0 stream tcp nowait,allow=::ffff:127.0.0.0/120,deny=::ffff:127.0.0.1 root /bin/echo echo denied
	127.0.0.1:0 stream tcp nowait,proxy=::ffff:127.0.0.2/128 root /bin/echo echo direct
	EOF2
	start_superd
	run talk "$(port 1)"
	assert_output allowed
	run talk "$(port 2)"
	refute_output --partial denied
	wait_log '^event=refused svc=0 line=2 reason=deny peer=127\.0\.0\.1:'
	run talk "$(port 3)"
	assert_output direct
	run timeout 5 python3 "$TOP/tests/proxysend.py" --bind 127.0.0.2 \
	    --src 192.0.2.9:1 "$(port 3)"
	assert_output direct
	wait_log 'line=3 pid=[0-9]+ peer=192\.0\.2\.9:1 proxy=127\.0\.0\.2:'
}

@test "superd -u never sends SIGUSR2 to a process that would die of it: one that answers as superd but does not block it is refused" {
	# a superd older than upgrades in place answers -S but SIGUSR2's
	# default would end it: -u must look before it signals
	cat >"$T/old.py" <<-'EOF2'
	import os, socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind("\0superd/%d" % os.getpid())
	s.listen(4)
	open(sys.argv[1], "w").write("%d\n" % os.getpid())
	end = time.time() + 20
	while time.time() < end:
	    c, _ = s.accept()
	    c.sendall(b"event=status services=1 children=0\nevent=status-end\n")
	    c.close()
	EOF2
	timeout 30 python3 "$T/old.py" "$T/old.pid" &
	old=$!
	wait_until 5 test -s "$T/old.pid"
	run -1 timeout 20 "$SUPERD" -u "$(cat "$T/old.pid")"
	assert_output --partial "does not take SIGUSR2 (a superd older than upgrades in place): not upgraded"
	kill -0 "$old"
	kill "$old" 2>/dev/null || true
}

# --- 40. the upgrade in place (issue 18): what an attacker found

# upgrade_bin FILE: $T/bin/superd, a script standing for a new binary:
# its -t is $SUPERD's, followed by FILE's shell (an admin, an attacker),
# every other run is $SUPERD itself, in the same pid, named as the script
# (the path an upgrade executes; $0 may be /dev/fd/N).
upgrade_bin() {
	mkdir -p "$T/bin"
	{
		printf '#!/bin/bash\ncase "$1" in -t)\n\t"%s" "$@"; rc=$?\n' "$SUPERD"
		cat "$1"
		printf '\texit $rc;;\nesac\nexec -a "%s" "%s" "$@"\n' \
		    "$T/bin/superd" "$SUPERD"
	} >"$T/bin/superd"
	chmod 755 "$T/bin/superd"
}

@test "a table broken between the upgrade's check and the new binary's start never ends superd: the running table is served, the errors logged" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	127.0.0.1:
	0 stream tcp nowait root /bin/echo echo two
	EOF
	# the table breaks once the check has passed (race.sh's reproducer)
	printf '\techo "this line is broken" >>"%s"\n' "$CONF" >"$T/breaker"
	upgrade_bin "$T/breaker"
	rm -f "$PORTS"
	"$T/bin/superd" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	p1=$(port 1)
	p3=$(port 3)
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade from=' 15
	log_has '^event=reload-failed error=".*superd.conf:4: .*" upgrade=1$'
	log_has '^event=reload-failed error="the table read after the upgrade has errors: the running table is kept" upgrade=1$'
	superd_alive
	run talk "$p1" "still served"
	assert_output "still served"
	run talk "$p3"
	assert_output "two"
	# the table mended, a reload reads it again as any reload would
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=1'
	run talk "$p1" "mended"
	assert_output "mended"
}

@test "with -b, an upgrade whose table adds a service on a busy address keeps superd serving: the bind is retried, never fatal" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_superd -b
	p1=$(port 1)
	busy=$(free_port)
	timeout 30 python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
time.sleep(30)' "$busy" &
	holder=$!
	wait_until 5 eval "ss -ltn | grep -q '127.0.0.1:$busy '"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	127.0.0.1:$busy stream tcp nowait root internal echo
	EOF
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade from=' 15
	superd_alive
	run talk "$p1" "served"
	assert_output "served"
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}

@test "SIGTERM with -k while an upgrade's check runs ends superd: the check is killed, the binary never executed" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sleep sleep 3
	EOF
	printf '\tsleep 2\n' >"$T/slow"
	upgrade_bin "$T/slow"
	rm -f "$PORTS"
	"$T/bin/superd" -d -k 10 -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	timeout 8 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=start '
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-check '
	kill -TERM "$SUPERD_PID"
	wait_log '^event=upgrade-failed error="superd is ending: the check was killed"$'
	# ended once its child is reaped, never upgraded
	wait_until 10 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
	! log_has '^event=upgrade-exec'
	! log_has '^event=upgrade from='
}

@test "the binary executed by an upgrade is the file checked: one renamed over its path during the check is not run" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	# during the check another file is renamed over the path (swapper.py)
	printf '#!/bin/sh\ntouch "%s"\nexec "%s" "$@"\n' "$T/evil-ran" \
	    "$SUPERD" >"$T/evil"
	chmod 755 "$T/evil"
	printf '\tmv -f "%s" "%s"\n' "$T/evil" "$T/bin/superd" >"$T/swap"
	upgrade_bin "$T/swap"
	rm -f "$PORTS"
	"$T/bin/superd" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade from=' 15
	[ ! -e "$T/evil-ran" ]
	run talk "$(port 1)" "checked"
	assert_output "checked"
}

@test "an upgrade refuses a binary in a directory another user owns: root never runs what that user puts there" {
	is_root || skip "needs root"
	user_dir
	cp "$SUPERD" "$UD/superd"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	rm -f "$PORTS"
	"$UD/superd" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	kill -USR2 "$SUPERD_PID"
	wait_log "^event=upgrade-failed error=\"binary=$UD/superd: $UD is owned by uid 65534\"\$"
	! log_has '^event=upgrade-check'
	superd_alive
	run talk "$(port 1)" "kept"
	assert_output "kept"
}

# --- 41. another user cannot bind beside a udp service on a fixed port and take its datagrams

# thief PROTO PORT MODE: as nobody, bind 127.0.0.1:PORT with MODE
# (SO_REUSEADDR or SO_REUSEPORT) and print "bound" or the errno's name
# to $UD/thief.MODE; a bound udp socket then waits 3 s for a datagram and
# appends "stole DATA".
thief() {
	cat >"$UD/thief.py" <<-'EOF2'
	import errno, socket, sys
	proto, port, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	s = socket.socket(socket.AF_INET,
	    socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, getattr(socket, mode), 1)
	try:
	    s.bind(("127.0.0.1", port))
	    if proto == "tcp":
	        s.listen(1)
	except OSError as e:
	    open(out, "w").write(errno.errorcode[e.errno] + "\n")
	    sys.exit(0)
	f = open(out, "w")
	f.write("bound\n")
	f.flush()
	if proto == "udp":
	    s.settimeout(3)
	    try:
	        f.write("stole %s\n" % s.recv(100).decode().strip())
	    except socket.timeout:
	        pass
	EOF2
	chmod 644 "$UD/thief.py"
	rm -f "$UD/thief.$3"
	as_user timeout 10 python3 "$UD/thief.py" "$1" "$2" "$3" "$UD/thief.$3" &
	THIEF=$!
	wait_until 5 test -s "$UD/thief.$3"
}

# udp_ask PORT: one datagram "ping" to 127.0.0.1:PORT, the answer printed.
udp_ask() {
	timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping\n", ("127.0.0.1", int(sys.argv[1])))
try:
    print(s.recv(100).decode().strip())
except socket.timeout:
    print("no answer")
' "$1"
}

@test "another user cannot bind beside a udp service on a fixed port, with SO_REUSEADDR or SO_REUSEPORT, so its datagrams stay superd's" {
	is_root || skip "needs root"
	user_dir
	pw=$(free_port)
	pn=$(free_port)
	pt=$(free_port)
	table <<-EOF
	127.0.0.1:$pw dgram udp wait nobody internal echo
	127.0.0.1:$pn dgram udp nowait,line-buffered nobody /usr/bin/tr tr a-z A-Z
	127.0.0.1:$pt stream tcp nowait nobody /bin/echo echo x
	EOF
	start_superd
	for p in "$pw" "$pn"; do
		for mode in SO_REUSEADDR SO_REUSEPORT; do
			thief udp "$p" "$mode"
			run udp_ask "$p"
			wait "$THIEF"
			echo "port $p $mode: $(cat "$UD/thief.$mode"), client: $output" >&2
			[ "$(cat "$UD/thief.$mode")" = EADDRINUSE ]
			if [ "$p" = "$pw" ]; then
				assert_output ping
			else
				assert_output PING
			fi
		done
	done
	# a second tcp listener is refused by tcp itself, SO_REUSEADDR or not
	thief tcp "$pt" SO_REUSEADDR
	wait "$THIEF"
	[ "$(cat "$UD/thief.SO_REUSEADDR")" = EADDRINUSE ]
	run talk "$pt"
	assert_output x
}

# --- 42. an upgrade's new binary takes over only what an old binary hands over

# A superd started by hand, or by something confused, with
# SUPERD_UPGRADE_STATE set: every descriptor the state names is checked
# to be what the state says before it is used, and the state's file to be
# the sealed memory file an old binary makes; anything else refuses the
# whole state, a fresh start.  tests/upstate.py makes the state.

# start_upstate (helpers.bash) starts superd as an upgrade's new binary
# with a state of upstate.py's items, service 1 on $CONF line 1.

# refused WHY: the state was refused for WHY (an ERE, the error= text),
# nothing of it was taken over: the listener was bound afresh and serves.
refused() {
	wait_log "^event=upgrade-failed error=\"$1\" restart=1\$"
	! log_has '^event=upgrade from='
	log_has '^event=listen svc=0 line=1 addr=127\.0\.0\.1:[0-9]+ proto=tcp4$'
	run talk "$(port 1)" "fresh"
	assert_output "fresh"
	stop_superd
}

echo_table() {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
}

@test "an upgrade's state in a plain file or a memory file left writable is refused: only one sealed as the old binary seals it is read" {
	echo_table
	start_upstate svc=listen --plain
	refused 'SUPERD_UPGRADE_STATE=[0-9]+ is a regular file not sealed as an upgrade.s state is'
	start_upstate svc=listen --unsealed
	refused 'SUPERD_UPGRADE_STATE=[0-9]+ is a regular file not sealed as an upgrade.s state is'
}

@test "an upgrade's running table in a plain file refuses the state it came with" {
	echo_table
	start_upstate svc=listen --table-plain "$CONF"
	refused 'SUPERD_UPGRADE_TABLE=[0-9]+ is a regular file not sealed as an upgrade.s state is'
}

@test "a state naming a file, a pipe, /dev/null, a udp or an unlistening tcp socket as a tcp service's listener is refused" {
	echo_table
	for d in file:"is a regular file, not a socket" \
	    piper:"is a pipe, not a socket" \
	    null:"is a character device, not a socket" \
	    udp:"is not of its type \(stream\)" \
	    tcp:"is not listening"; do
		start_upstate svc="${d%%:*}"
		refused "service 1 \(echo, line 1\): its socket, descriptor [0-9]+, ${d#*:}"
	done
}

@test "a state naming /dev/null as a child's pidfd is refused" {
	echo_table
	start_upstate svc=listen child=null
	refused 'child pid [0-9]+: its pidfd, descriptor [0-9]+, is a character device, not a pidfd'
}

@test "a state whose child's pidfd names another process than its pid is refused: superd never watches one and signals the other" {
	echo_table
	timeout 30 sleep 30 &
	other=$!
	start_upstate svc=listen child=fork,pid="$other"
	refused "child pid $other: its pidfd, descriptor [0-9]+, names pid [0-9]+"
	kill "$other" 2>/dev/null || true
}

@test "a state naming a pidfd of a process that is not superd's child is refused: superd never adopts another's process" {
	echo_table
	timeout 30 sleep 30 &
	other=$!
	start_upstate svc=listen child=pid:"$other",pid="$other"
	refused "child pid $other: its pidfd, descriptor [0-9]+, names no child of this process"
	kill "$other" 2>/dev/null || true
}

@test "a state naming a regular file as a child's connection is refused" {
	echo_table
	start_upstate svc=listen child=fork,conn=file
	refused 'child pid [0-9]+: its connection, descriptor [0-9]+, is a regular file, not a socket'
}

@test "a state naming a pipe's write end or /dev/null as a child's stderr pipe is refused" {
	echo_table
	start_upstate svc=listen child=fork,err=pipew
	refused "child pid [0-9]+: its stderr pipe, descriptor [0-9]+, is a pipe's write end, not its read end"
	start_upstate svc=listen child=fork,err=null
	refused 'child pid [0-9]+: its stderr pipe, descriptor [0-9]+, is a character device, not a pipe'
}

@test "a state naming a pipe as a lingering connection is refused" {
	echo_table
	start_upstate svc=listen linger=piper
	refused 'lingering connection 1, descriptor [0-9]+, is a pipe, not a socket'
}

@test "a state naming a pipe as the pid file is refused" {
	echo_table
	start_upstate svc=listen pidfile=piper
	refused 'the pid file, descriptor [0-9]+, is a pipe, not a regular file'
}

@test "a state naming /dev/null as a group kill's leader pidfd is refused: superd never SIGKILLs a group it has not proved its own" {
	echo_table
	start_upstate svc=listen gk=null
	refused 'group kill [0-9]+: its pidfd, descriptor [0-9]+, is a character device, not a pidfd'
}

@test "a state naming one low descriptor twice (a child's connection and a lingering one) is refused" {
	echo_table
	start_upstate svc=listen child=fork,conn=sock@7 linger=7
	refused 'descriptor 7 is named twice'
}

# --- 43. another holder of a listener cannot make superd block in accept

# O_NONBLOCK belongs to the listener's open file description, which a wait
# child and what it leaves running share with superd: superd asks for it
# again at each wake-up of a nowait listener (a copy of the flag kept
# from the last one went stale, and superd's accept4 blocked the loop).
@test "a process left holding a listener that clears its O_NONBLOCK does not block superd's loop" {
	p=$(free_port)
	cat >"$T/holder.py" <<-PY
	import os, socket, fcntl, time
	if os.fork() == 0:
	    os.setsid()
	    open("$T/left.pid", "w").write("%d\n" % os.getpid())
	    for i in range(600):
	        if os.path.exists("$T/go"):
	            break
	        time.sleep(0.05)
	    fl = fcntl.fcntl(0, fcntl.F_GETFL)
	    fcntl.fcntl(0, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)
	    open("$T/done", "w").write("done\n")
	    time.sleep(60)
	    os._exit(0)
	s = socket.socket(fileno=0)
	c, _ = s.accept()
	c.sendall(b"wait\n")
	c.close()
	os._exit(0)
	PY
	table <<-EOF
	127.0.0.1:$p stream tcp wait root /usr/bin/python3 python3 $T/holder.py
	127.0.0.1:0 stream tcp nowait root /bin/echo echo other
	EOF
	start_superd
	assert_equal "$(talk "$p")" wait
	wait_until 5 test -s "$T/left.pid"
	# the same address, nowait now: superd keeps the socket
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/echo echo nowait
	127.0.0.1:0 stream tcp nowait root /bin/echo echo other
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=2 '
	assert_equal "$(talk "$p")" nowait
	touch "$T/go"
	wait_until 5 test -s "$T/done"
	run talk "$p"
	assert_success
	assert_output nowait
	run talk "$(port 2)"
	assert_output other
	kill "$(cat "$T/left.pid")"
}
