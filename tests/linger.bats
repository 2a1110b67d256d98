#!/usr/bin/env bats
# A connection after its child (SPEC 9): superd's copy of it lingers so
# that no reset eats a reply, idle= ends a child whose connection carries
# nothing, and the exit line counts the bytes each way.

load helpers

# lost N PORT: how many of N clients sending 2,000,000 bytes to a service
# that answers 20 and exits without reading the rest miss those 20.
lost() {
	local i n miss=0
	for ((i = 0; i < $1; i++)); do
		n=$(head -c 2000000 /dev/zero | timeout 10 nc -N 127.0.0.1 "$2" |
		    wc -c)
		[ "$n" -eq 20 ] || miss=$((miss + 1))
	done
	echo "$miss"
}

@test "a reply written before the program exits unread input reaches every client, and linger=0 loses some" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /usr/bin/head head -c 20
	127.0.0.1:0 stream tcp nowait,linger=0 root /usr/bin/head head -c 20
	EOF
	start_superd
	assert_equal "$(lost 20 "$(port 1)")" 0
	# without superd's copy the program's exit is the socket's last
	# close, with input unread: a reset, before or with the reply
	miss=$(lost 20 "$(port 2)")
	echo "linger=0 lost $miss of 20" >&3
	[ "$miss" -ge 1 ]
}

@test "what a service leaves running in the background keeps writing to its client after the shell exits" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "(sleep 0.5; echo late) & echo early"
	EOF
	start_superd
	# five in a row: without superd's copy, the background shell's exit
	# with the client's "hello" unread resets the connection, often
	# before the client has read "late"
	for i in 1 2 3 4 5; do
		run talk "$(port 1)" hello
		assert_output "early
late"
	done
}

@test "the exit line counts the bytes a client sent and received" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	127.0.0.1:0 stream tcp nowait root /usr/bin/head head -c 7
	EOF
	start_superd
	n=$(head -c 12345 /dev/zero | timeout 10 nc -N 127.0.0.1 "$(port 1)" |
	    wc -c)
	assert_equal "$n" 12345
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=[0-9.]+ in=12345 out=12345 cpu=[0-9.]+ maxrss=[0-9]+$'
	assert_equal "$(talk "$(port 2)" "0123456789")" 0123456
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=0 duration=[0-9.]+ in=10 out=7 cpu='
}

@test "in= and out= are the payload bytes when the service shuts its side down, before or after the client" {
	cat >"$T/shut.py" <<-'EOF'
	import socket, sys, time
	s = socket.socket(fileno=0)
	def drain():
	    while s.recv(4096):
	        pass
	if sys.argv[1] == "first":
	    s.sendall(b"y" * 1000)
	    s.shutdown(socket.SHUT_WR)
	    drain()
	else:
	    drain()
	    if sys.argv[1] == "after":
	        s.sendall(b"y" * 1000)
	    s.shutdown(socket.SHUT_WR)
	time.sleep(0.3)
	EOF
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $T/shut.py after
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $T/shut.py first
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $T/shut.py nothing
	EOF
	start_superd
	# the client half-closes first: the service reads to the end, then
	# answers and shuts down
	n=$(printf '%777s' x | timeout 10 nc -N 127.0.0.1 "$(port 1)" | wc -c)
	assert_equal "$n" 1000
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=[0-9.]+ in=777 out=1000 cpu='
	# the service answers and shuts down before it reads
	n=$(printf '%777s' x | timeout 10 nc -N 127.0.0.1 "$(port 2)" | wc -c)
	assert_equal "$n" 1000
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=0 duration=[0-9.]+ in=777 out=1000 cpu='
	# a service that sends nothing has sent nothing, its FIN aside
	n=$(printf '%777s' x | timeout 10 nc -N 127.0.0.1 "$(port 3)" | wc -c)
	assert_equal "$n" 0
	wait_log '^event=exit svc=0 line=3 pid=[0-9]+ status=0 duration=[0-9.]+ in=777 out=0 cpu='
}

@test "idle=1 ends a silent client's cat after a second and keeps one that sends a byte every 0.3 s" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,idle=1 root /bin/cat cat
	EOF
	start_superd
	sleep 5 | timeout 10 nc 127.0.0.1 "$(port 1)" >/dev/null &
	wait_log '^event=timeout svc=0 line=1 pid=[0-9]+ signal=TERM reason=idle$' 5
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM duration=1\.[0-9]+ '
	: >"$LOG.seen"
	cat >"$T/slow.py" <<-'PY'
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
	got = b""
	for _ in range(10):
	    s.sendall(b"x")
	    time.sleep(0.3)
	s.shutdown(socket.SHUT_WR)
	while True:
	    b = s.recv(100)
	    if not b:
	        break
	    got += b
	print(len(got))
	PY
	assert_equal "$(timeout 10 python3 "$T/slow.py" "$(port 1)")" 10
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=(2\.9|[3-9]\.)'
	assert_equal "$(log_count 'event=timeout .*signal=TERM')" 1
}

@test "idle= and linger= are checked as FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,idle=0 root /bin/cat cat
	127.0.0.1:0 dgram udp wait,idle=5 root /bin/cat cat
	unix:/tmp/x.sock stream unix nowait,idle=5 root /bin/cat cat
	127.0.0.1:0 stream tcp wait,linger=2 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,linger=61 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,linger=0,idle=30 root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line --partial "superd.conf:1: "
	assert_line --partial "superd.conf:2: idle= is for stream nowait services only"
	assert_line --partial "superd.conf:3: idle= is for tcp services only"
	assert_line --partial "superd.conf:4: linger= is for stream nowait services only"
	assert_line --partial "superd.conf:5: "
	refute_line --partial "superd.conf:6:"
}

@test "lingering clients that never close stop at a quarter of the descriptor limit, summed up, and superd keeps serving" {
	printf '#!/bin/sh\nulimit -n 256 || exit 1\nexec %s "$@"\n' "$SUPERD" \
	    >"$T/superd256"
	chmod +x "$T/superd256"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=20 root /bin/true true
	127.0.0.1:0 stream tcp nowait root /bin/echo echo still
	EOF
	SUPERD=$T/superd256 start_superd
	# 100 clients hold their ends 4 s; superd may hold 256 / 4 = 64, a
	# service alone half of them
	run timeout 20 python3 "$TOP/tests/flood.py" "$(port 1)" 100 --hold 4
	assert_success
	wait_log '^event=linger-full svc=0 line=1 peer=127\.0\.0\.1:[0-9]+$'
	wait_log '^event=linger-full svc=0 line=1 count=[0-9]+ peer='
	refute log_has 'event=refused'
	assert_equal "$(talk "$(port 2)")" still
	superd_alive
}

@test "one service's lingering clients leave the other services their share" {
	printf '#!/bin/sh\nulimit -n 256 || exit 1\nexec %s "$@"\n' "$SUPERD" \
	    >"$T/superd256"
	chmod +x "$T/superd256"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=60 root /bin/true true
	127.0.0.1:0 stream tcp nowait,linger=60 root /bin/true true
	EOF
	SUPERD=$T/superd256 start_superd
	timeout 20 python3 "$TOP/tests/flood.py" "$(port 1)" 100 --hold 8 \
	    >"$T/flood1" &
	flood=$!
	wait_log '^event=(linger-full|refused) svc=0 line=1 '
	# line 1 holds its half, 32 of 64: line 2's 16 are all held
	run timeout 20 python3 "$TOP/tests/flood.py" "$(port 2)" 16 --hold 1
	assert_success
	refute log_has 'event=(linger-full|refused) svc=0 line=2 '
	wait "$flood"
	refute log_has 'event=refused'
}

# holder PORT SECS: a client that reads its reply and the end, then holds
# on SECS seconds without closing; its reply goes to $T/reply.
holder() {
	timeout $(($2 + 5)) python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
got = b""
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
print(got.decode(), end="", flush=True)
time.sleep(int(sys.argv[2]))
' "$1" "$2" >"$T/reply" &
}

@test "superd ending under -k waits for a lingering connection no longer than its linger= seconds" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=1 root /bin/echo echo hi
	EOF
	start_superd -k 30
	holder "$(port 1)" 8
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	wait_until 5 test -s "$T/reply"
	assert_equal "$(cat "$T/reply")" hi
	kill -TERM "$SUPERD_PID"
	# the linger second, not the client's 8 s nor -k's 30
	wait_until 4 eval '! superd_alive'
}

@test "-k S bounds the whole wait: lingering connections are closed when S runs out, or at a second SIGTERM" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=15 root /bin/echo echo hi
	EOF
	start_superd -k 1
	holder "$(port 1)" 20
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	wait_until 5 test -s "$T/reply"
	kill -TERM "$SUPERD_PID"
	# -k's second, not linger's 15
	wait_until 4 eval '! superd_alive'
	stop_superd
	rm -f "$T/reply"
	start_superd -k 30
	holder "$(port 1)" 20
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	wait_until 5 test -s "$T/reply"
	kill -TERM "$SUPERD_PID"
	wait_log '^event=shutdown signal=TERM'
	superd_alive
	kill -TERM "$SUPERD_PID"
	wait_until 3 eval '! superd_alive'
}

# cpu PID: the user and system clock ticks a process has used.
cpu() {
	awk '{ print $14 + $15 }' /proc/"$1"/stat
}

@test "a client that keeps sending while its connection lingers costs superd next to nothing, and its reply was delivered" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=4 root /bin/echo echo hi
	EOF
	start_superd
	before=$(cpu "$SUPERD_PID")
	# reads its reply and the end, then sends as fast as it can for 3 s
	run timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
got = b""
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
print(got.decode(), end="", flush=True)
s.settimeout(0.2)
buf, sent, end = b"x" * 65536, 0, time.time() + 3
while time.time() < end:
    try:
        sent += s.send(buf)
    except socket.timeout:
        pass
print(" sent=%d" % sent, file=sys.stderr)
' "$(port 1)"
	assert_success
	assert_output --partial hi
	echo "$output" >&3
	used=$(($(cpu "$SUPERD_PID") - before))
	echo "superd used $used ticks" >&3
	# a tenth of a second (ticks are 1/100 s): discarding at full speed
	# costs several times that
	[ "$used" -le 10 ]
}

# sockets_of PID: how many sockets process PID holds.
sockets_of() {
	find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

@test "a lingering connection is closed as soon as its client closes, superd otherwise idle" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=30 root /bin/echo echo hi
	EOF
	start_superd
	before=$(sockets_of "$SUPERD_PID")
	# the client reads to the end that superd's shutdown gives, then
	# closes; it sent nothing, and no FIN before its reply
	run timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
got = b""
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
sys.stdout.write(got.decode())
s.close()' "$(port 1)"
	assert_success
	assert_output hi
	wait_log '^event=exit svc=[^ ]* line=1 '
	# superd's copy goes with the client's close, not 30 s later, nor
	# with the next timer superd has (its title's, a second on)
	for ((i = 0; i < 12 * WAIT_SCALE; i++)); do
		[ "$(sockets_of "$SUPERD_PID")" -le "$before" ] && break
		sleep 0.05
	done
	[ "$(sockets_of "$SUPERD_PID")" -le "$before" ]
}
