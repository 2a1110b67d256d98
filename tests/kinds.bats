#!/usr/bin/env bats
# Every socket kind inetd serves: UDP, unix sockets, wait mode, built-ins.

load helpers

UDP="python3 $BATS_TEST_DIRNAME/udpclient.py"
WAITSERVER=$BATS_TEST_DIRNAME/waitserver.py
UDPUPPER=$BATS_TEST_DIRNAME/udpupper.py

# A directory that users other than root can reach.
public_dir() {
	PUB=$(mktemp -d /tmp/superd-test.XXXXXX)
	chmod 755 "$PUB"
	echo "$PUB" >>"$T/cleanup"
}

teardown() {
	stop_superd
	kill_started_children
	if [ -f "$T/cleanup" ]; then
		xargs rm -rf <"$T/cleanup"
	fi
	true
}

@test "in.tftpd as a dgram udp wait service serves a file byte-identical to tftp" {
	[ -x /usr/sbin/in.tftpd ] || skip "no in.tftpd"
	public_dir
	head -c 300000 /dev/urandom >"$PUB/blob"
	chmod 644 "$PUB/blob"
	table <<-EOF
	127.0.0.1:0 dgram udp wait root /usr/sbin/in.tftpd in.tftpd -t 1 -s $PUB
	EOF
	start_superd
	p=$(port 1 udp4)
	(cd "$T" && timeout 20 tftp -m binary 127.0.0.1 "$p" -c get blob got)
	cmp "$PUB/blob" "$T/got"
	# in.tftpd exits after its idle time; superd then watches the socket again
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 ' 10
	(cd "$T" && timeout 20 tftp -m binary 127.0.0.1 "$p" -c get blob got2)
	cmp "$PUB/blob" "$T/got2"
	assert_equal "$(log_count 'event=start')" 2
}

@test "a dgram nowait service answers several clients, one child per datagram" {
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /usr/bin/python3 python3 $UDPUPPER
	EOF
	start_superd
	p=$(port 1 udp4)
	for i in 1 2 3 4 5; do
		run $UDP 127.0.0.1 "$p" "hello$i"
		assert_success
		assert_output --regexp "^HELLO$i [0-9]+$"
	done
	wait_until 5 log_lines 'event=exit' 5
	assert_equal "$(log_count 'event=start')" 5
}

@test "a dgram nowait burst starts one child per datagram, never a storm" {
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /usr/bin/python3 python3 $UDPUPPER
	EOF
	start_superd
	p=$(port 1 udp4)
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(10):
    s.sendto(b"x%d" % i, ("127.0.0.1", int(sys.argv[1])))
got = 0
try:
    while got < 10:
        s.recvfrom(100); got += 1
except socket.timeout:
    pass
print(got)' "$p" >"$T/got"
	assert_equal "$(cat "$T/got")" 10
	wait_until 5 log_lines 'event=exit' 10
	assert_equal "$(log_count 'event=start')" 10
}

@test "a dgram nowait child that exits without reading its datagram does not start another for it" {
	table <<-EOF
	127.0.0.1:0 dgram udp nowait root /bin/true true
	EOF
	start_superd
	run $UDP 127.0.0.1 "$(port 1 udp4)" "unread" --timeout 1
	assert_failure 3
	wait_log 'event=exit'
	# give a storm the chance to show: superd's own checks run within 0.2 s
	run $UDP 127.0.0.1 "$(port 1 udp4)" "again" --timeout 1
	wait_until 5 log_lines 'event=exit' 2
	assert_equal "$(log_count 'event=start')" 2
}

@test "a stream wait service accepts for itself; superd watches the socket again after it exits" {
	table <<-EOF
	127.0.0.1:0 stream tcp wait root /usr/bin/python3 python3 $WAITSERVER 1
	EOF
	start_superd
	p=$(port 1)
	run talk "$p"
	assert_output --regexp '^served 1 by [0-9]+$'
	first=${output##* }
	run talk "$p"
	assert_output "served 2 by $first"
	run talk "$p"
	assert_output "served 3 by $first"
	wait_log "^event=exit svc=0 line=1 pid=$first status=0 " 10
	run talk "$p"
	assert_output --regexp '^served 1 by [0-9]+$'
	[ "${output##* }" != "$first" ]
	assert_equal "$(log_count 'event=start')" 2
}

@test "a unix socket service gets PROTO=UNIX and the peer's credentials" {
	public_dir
	table <<-EOF
	$PUB/env.sock stream unix nowait root /usr/bin/env env
	EOF
	start_superd
	grep -q "^1 $PUB/env.sock $PUB/env.sock unix$" "$PORTS"
	run timeout 5 socat - "UNIX-CONNECT:$PUB/env.sock" </dev/null
	assert_line "PROTO=UNIX"
	assert_line "UNIXREMOTEUID=$(id -u)"
	assert_line "UNIXREMOTEGID=$(id -g)"
	assert_line --regexp '^UNIXREMOTEPID=[0-9]+$'
	assert_line "SUPERD_SERVICE=$PUB/env.sock"
	if is_root; then
		run timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
		    socat - "UNIX-CONNECT:$PUB/env.sock" </dev/null
		assert_line "UNIXREMOTEUID=65534"
		assert_line "UNIXREMOTEGID=65534"
	fi
}

@test "mode= and owner= set the unix socket file; the file goes when superd stops" {
	is_root || skip "needs root"
	public_dir
	table <<-EOF
	$PUB/a.sock stream unix nowait,mode=0660,owner=nobody:daemon root /bin/echo echo a
	$PUB/b.sock stream unix nowait root /bin/echo echo b
	EOF
	start_superd
	assert_equal "$(stat -c '%a %U %G' "$PUB/a.sock")" "660 nobody daemon"
	assert_equal "$(stat -c '%a' "$PUB/b.sock")" "666"
	run timeout 5 socat - "UNIX-CONNECT:$PUB/a.sock" </dev/null
	assert_output a
	stop_superd
	[ ! -e "$PUB/a.sock" ]
	[ ! -e "$PUB/b.sock" ]
}

@test "a reload that changes mode= and owner= applies them to superd's own socket" {
	is_root || skip "needs root"
	public_dir
	table <<-EOF
	$PUB/s.sock stream unix nowait,mode=0600 root /bin/echo echo x
	EOF
	start_superd
	assert_equal "$(stat -c '%a %U' "$PUB/s.sock")" "600 root"
	table <<-EOF
	$PUB/s.sock stream unix nowait,mode=0640,owner=nobody root /bin/echo echo x
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log 'event=reload services=1'
	assert_equal "$(stat -c '%a %U' "$PUB/s.sock")" "640 nobody"
	run timeout 5 socat - "UNIX-CONNECT:$PUB/s.sock" </dev/null
	assert_output x
}

@test "a unix socket appears with its mode and owner already set, whatever superd's umask" {
	is_root || skip "needs root"
	public_dir
	table <<-EOF
	$PUB/a.sock stream unix nowait,mode=0666 root /bin/echo echo a
	$PUB/b.sock stream unix nowait,mode=0600,owner=nobody:daemon root /bin/echo echo b
	EOF
	umask 077
	start_superd
	assert_equal "$(stat -c '%a %U' "$PUB/a.sock")" "666 root"
	assert_equal "$(stat -c '%a %U %G' "$PUB/b.sock")" "600 nobody daemon"
	# nothing but the two sockets is left in the directory
	assert_equal "$(ls -A "$PUB" | sort | tr '\n' ' ')" "a.sock b.sock "
}

@test "a stale unix socket file is replaced; any other file at the path is never removed" {
	public_dir
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$PUB/stale.sock"
	table <<-EOF
	$PUB/stale.sock stream unix nowait root /bin/echo echo fresh
	EOF
	start_superd
	run timeout 5 socat - "UNIX-CONNECT:$PUB/stale.sock" </dev/null
	assert_output fresh
	# a file there at start is a table error (hostile.bats); one that
	# a reload meets is a bind failure, retried
	echo precious >"$PUB/file.sock"
	table <<-EOF
	$PUB/stale.sock stream unix nowait root /bin/echo echo fresh
	$PUB/file.sock stream unix nowait root /bin/echo echo never
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log "^event=bind-failed svc=$PUB/file.sock line=2 proto=unix retry=10 error=\"$PUB/file.sock exists and is not a socket\""
	assert_equal "$(cat "$PUB/file.sock")" precious
}

@test "a reload that removes a unix service removes its socket file" {
	public_dir
	table <<-EOF
	$PUB/gone.sock stream unix nowait root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait root /bin/echo echo y
	EOF
	start_superd
	[ -S "$PUB/gone.sock" ]
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo y
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log 'event=reload services=1'
	[ ! -e "$PUB/gone.sock" ]
}

@test "the stream built-ins follow their RFCs over tcp and tcp6" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal echo
	127.0.0.1:0 stream tcp nowait nobody internal discard
	127.0.0.1:0 stream tcp nowait nobody internal chargen
	127.0.0.1:0 stream tcp nowait nobody internal daytime
	127.0.0.1:0 stream tcp nowait nobody internal time
	[::1]:0 stream tcp6 nowait nobody internal echo
	EOF
	start_superd
	# echo (RFC 862)
	head -c 100000 /dev/urandom >"$T/in"
	timeout 10 nc -N 127.0.0.1 "$(port 1)" <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	assert_equal "$(talk6 "$(port 6 tcp6)" six)" six
	# discard (RFC 863): nothing comes back
	assert_equal "$(talk "$(port 2)" "gone")" ""
	# chargen (RFC 864): 72 printable characters a line, each line one on
	timeout 5 nc 127.0.0.1 "$(port 3)" </dev/null | head -c 148 >"$T/cg" || true
	run cat -A "$T/cg"
	assert_line --index 0 ' !"#$%&'\''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefg^M$'
	assert_line --index 1 '!"#$%&'\''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh^M$'
	# daytime (RFC 867): the time as text, one line
	run talk "$(port 4)"
	assert_output --regexp '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'$'\r''$'
	# time (RFC 868): 32 bits, seconds since 1900
	t=$(timeout 5 nc 127.0.0.1 "$(port 5)" </dev/null | od -An -tx1 | tr -d ' \n')
	t=$((16#$t))
	now=$(($(date +%s) + 2208988800))
	[ $((t - now)) -le 3 ] && [ $((now - t)) -le 3 ]
	# they ran in children, under the same logs (chargen may end on SIGPIPE)
	assert_equal "$(log_count 'event=start')" 6
	wait_until 5 eval '[ "$(log_count "event=exit")" -eq 6 ]'
	! log_has 'status=12[67]'
}

@test "the datagram built-ins answer in superd itself over udp and udp6" {
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	127.0.0.1:0 dgram udp wait nobody internal discard
	127.0.0.1:0 dgram udp wait nobody internal chargen
	127.0.0.1:0 dgram udp wait nobody internal daytime
	127.0.0.1:0 dgram udp wait nobody internal time
	[::1]:0 dgram udp6 wait nobody internal echo
	EOF
	start_superd
	run $UDP 127.0.0.1 "$(port 1 udp4)" "ping"
	assert_output "ping"
	run $UDP ::1 "$(port 6 udp6)" "ping6"
	assert_output "ping6"
	run $UDP 127.0.0.1 "$(port 2 udp4)" "void" --timeout 1
	assert_failure 3
	run $UDP 127.0.0.1 "$(port 3 udp4)" "x"
	assert_success
	[ "${#output}" -le 512 ]
	run $UDP 127.0.0.1 "$(port 4 udp4)" "x"
	assert_output --regexp '^[A-Z][a-z]{2} [A-Z][a-z]{2} '
	run $UDP 127.0.0.1 "$(port 5 udp4)" "x" --hex
	t=$((16#$output))
	now=$(($(date +%s) + 2208988800))
	[ $((t - now)) -le 3 ] && [ $((now - t)) -le 3 ]
	# no child: answered by superd itself
	assert_equal "$(log_count 'event=start')" 0
}

@test "a udp built-in ignores a datagram from a privileged source port" {
	is_root || skip "binding port 999 needs root"
	table <<-EOF
	127.0.0.1:0 dgram udp wait nobody internal echo
	EOF
	start_superd
	p=$(port 1 udp4)
	run $UDP 127.0.0.1 "$p" "loop?" --sport 999 --timeout 1
	assert_failure 3
	assert_output ""
	run $UDP 127.0.0.1 "$p" "fine"
	assert_output "fine"
	kill -USR1 "$SUPERD_PID"
	wait_log "^event=status svc=0 line=1 .* started=1 refused_deny=1 "
}

@test "udp services on port 0 each get a port of their own, never one another service holds" {
	# with SO_REUSEADDR on every socket, the kernel's choice of a free
	# port may be one another reuse socket already holds: two services
	# then share it and only one of them ever gets a datagram
	for i in $(seq 2000); do
		echo "127.0.0.1:0 dgram udp wait nobody internal discard"
	done | table
	start_superd
	wait_until 10 eval '[ "$(wc -l <"$PORTS")" -eq 2000 ]'
	run awk '{ print $3 }' "$PORTS"
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" 2000
}

@test "sndbuf= and rcvbuf= are applied to the listening socket" {
	table <<-EOF
	127.0.0.1:0 stream tcp,sndbuf=64k,rcvbuf=96k nowait root /bin/true true
	EOF
	start_superd
	run ss -Hltm "sport = :$(port 1)"
	# the kernel doubles what it is given
	assert_output --partial "rb196608"
	assert_output --partial "tb131072"
}

@test "a table holding every kind loads and serves each" {
	public_dir
	cp "$WAITSERVER" "$UDPUPPER" "$PUB/"
	chmod 755 "$PUB"/*.py
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody /usr/bin/tr tr a-z A-Z
	[::1]:0 stream tcp6 nowait nobody /bin/echo echo six
	127.0.0.1:0 stream tcp wait nobody /usr/bin/python3 python3 $PUB/waitserver.py 1
	127.0.0.1:0 dgram udp nowait nobody /usr/bin/python3 python3 $PUB/udpupper.py
	$PUB/s.sock stream unix nowait nobody /bin/echo echo unix
	127.0.0.1:0 stream tcp nowait nobody internal echo
	127.0.0.1:0 dgram udp wait nobody internal echo
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)" abc)" ABC
	assert_equal "$(talk6 "$(port 2 tcp6)")" six
	run talk "$(port 3)"
	assert_output --regexp '^served 1 by'
	run $UDP 127.0.0.1 "$(port 4 udp4)" "dg"
	assert_output --regexp '^DG [0-9]+$'
	assert_equal "$(timeout 5 socat - "UNIX-CONNECT:$PUB/s.sock" </dev/null)" unix
	assert_equal "$(talk "$(port 6)" e)" e
	assert_equal "$($UDP 127.0.0.1 "$(port 7 udp4)" u)" u
}
