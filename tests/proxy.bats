#!/usr/bin/env bats
# Behind a load balancer (SPEC 11): connections from a proxy= source
# start with a PROXY v1 or v2 header, which superd reads before any
# child starts; from then on every feature sees the client it names.

load helpers

@test "proxy= and proxy-timeout= are checked as FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.1,proxy=::1/128,proxy-timeout=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=10.0.0.0/33 root /bin/cat cat
	127.0.0.1:0 dgram udp wait,proxy=127.0.0.1 root /bin/cat cat
	unix:/tmp/x.sock stream unix nowait,proxy=127.0.0.1 root /bin/cat cat
	127.0.0.1:0 stream tcp wait,proxy=127.0.0.1 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy-timeout=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.1,proxy-timeout=0 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=[::1] root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	refute_line --partial "superd.conf:1:"
	assert_line --partial "superd.conf:2: bad value \"10.0.0.0/33\" for option proxy"
	assert_line --partial "superd.conf:3: proxy= is for tcp stream services only, not dgram udp"
	assert_line --partial "superd.conf:4: proxy= on a unix socket is proxy=*: its peers have no address to match, so every connection is a balancer's"
	assert_line --partial "superd.conf:5: proxy= is for nowait services only"
	assert_line --partial "superd.conf:6: proxy-timeout= without proxy="
	assert_line --partial "superd.conf:7: bad value \"0\" for option proxy-timeout"
	refute_line --partial "superd.conf:8:"
}

# psend ARGS...: tests/proxysend.py, a client that speaks like a balancer
# (the header, then the payload), bound to 127.0.0.2, the table's proxy=.
psend() {
	timeout 15 python3 "$TOP/tests/proxysend.py" --bind 127.0.0.2 "$@"
}

# An environment printer: the connection's variables, then what follows.
envsvc() {
	cat >"$T/env.sh" <<-'SH'
	#!/bin/sh
	env | grep -E '^(TCP|PROXY|REMOTE_)' | sort
	echo --
	exec cat
	SH
	chmod 755 "$T/env.sh"
}

@test "through a v1 or v2 header the service sees the client in TCPREMOTEIP, the address it reached in TCPLOCALIP, the balancer in PROXYREMOTEIP" {
	envsvc
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root $T/env.sh env.sh
	EOF
	start_superd
	for v in -1 -2; do
		run psend $v --src 192.0.2.7:4711 --dst 198.51.100.3:443 \
		    --payload 'hi\n' "$(port 1)"
		assert_success
		assert_line TCPREMOTEIP=192.0.2.7
		assert_line TCPREMOTEPORT=4711
		assert_line REMOTE_ADDR=192.0.2.7
		assert_line REMOTE_PORT=4711
		assert_line TCPLOCALIP=198.51.100.3
		assert_line TCPLOCALPORT=443
		assert_line PROXYREMOTEIP=127.0.0.2
		assert_line --regexp '^PROXYREMOTEPORT=[0-9]+$'
		assert_line TCPCONNNUM=1
		assert_equal "${lines[-1]}" hi
	done
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=192\.0\.2\.7:4711 proxy=127\.0\.0\.2:[0-9]+$'
	run psend --src '[2001:db8::5]:99' --dst '[2001:db8::1]:80' \
	    --payload 'six\n' "$(port 1)"
	assert_line TCPREMOTEIP=2001:db8::5
	assert_line TCPLOCALIP=2001:db8::1
	wait_log 'peer=\[2001:db8::5\]:99 proxy=127\.0\.0\.2:'
}

@test "a direct client on the same port is served as itself, without PROXY variables" {
	envsvc
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root $T/env.sh env.sh
	EOF
	start_superd
	run talk "$(port 1)" 'direct'
	assert_line TCPREMOTEIP=127.0.0.1
	refute_line --partial PROXY
	assert_equal "${lines[-1]}" direct
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+$'
}

@test "a header split at every byte, or sent with its payload, leaves the child exactly the payload" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /bin/cat cat
	EOF
	start_superd
	for v in -1 -2; do
		run psend $v --split-every --pause 0.005 --payload 'PROXY x\n' "$(port 1)"
		assert_success
		assert_output 'PROXY x'
		run psend $v --together --payload 'one send\n' "$(port 1)"
		assert_output 'one send'
		assert_equal "$(psend $v --split 1,5,13,16 --authority example.org \
		    --payload '\r\n\r\n' "$(port 1)" | od -An -c | tr -d ' \n')" \
		    '\r\n\r\n'
		assert_equal "$(psend $v --split 3,16 --together --payload 'abc' "$(port 1)" | od -An -c | tr -d ' ')" 'abc'
	done
}

@test "the exit line's in= counts what follows the PROXY header, not the header superd read" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /bin/cat cat
	EOF
	start_superd
	run psend -1 --payload 'abcdef' "$(port 1)"
	assert_output abcdef
	run psend -2 --authority example.org --payload 'abcdefgh' "$(port 1)"
	assert_output abcdefgh
	wait_until 5 eval '[ "$(log_count "^event=exit svc=[^ ]* line=1 ")" -ge 2 ]'
	log_has '^event=exit svc=[^ ]* line=1 .* in=6 out=6 '
	log_has '^event=exit svc=[^ ]* line=1 .* in=8 out=8 '
}

@test "a v2 header split after its 16th byte leaves the child a socket that wakes for a single byte (SO_RCVLOWAT set back)" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /usr/bin/head head -n 1
	EOF
	start_superd
	# the client keeps its end open: the line must be read as it is
	auth=$(printf 'a%.0s' $(seq 100))
	run psend --authority "$auth" --split 16 --pause 0.2 --keep --timeout 3 \
	    --payload 'hi\n' "$(port 1)"
	assert_success
	assert_output hi
}

@test "a v2 header of 64 KiB, its TLVs split across sends, is read whole before the child starts" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /bin/cat cat
	EOF
	start_superd
	hex=$(head -c 65000 /dev/zero | od -An -tx1 -v | tr -d ' \n')
	run psend --tlv "04:$hex" --split 16,20000,40000 --payload 'after\n' "$(port 1)"
	assert_success
	assert_output after
}

@test "v2 LOCAL and v1 UNKNOWN are served as connections from the balancer itself" {
	envsvc
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root $T/env.sh env.sh
	EOF
	start_superd
	for v in -1 -2; do
		run psend $v --local --authority x.example --payload 'ping\n' "$(port 1)"
		assert_success
		assert_line TCPREMOTEIP=127.0.0.2
		assert_line PROXYREMOTEIP=127.0.0.2
		assert_line TCPLOCALIP=127.0.0.1
		refute_line --partial PROXY_
		assert_equal "${lines[-1]}" ping
	done
	# a LOCAL whose block is not TLVs: discarded, still served
	run psend --raw 0d0a0d0a000d0a515549540a200000050102030405 \
	    --payload 'pong\n' "$(port 1)"
	assert_success
	assert_line TCPREMOTEIP=127.0.0.2
	assert_equal "${lines[-1]}" pong
}

@test "v2 TLVs become PROXY_AUTHORITY, PROXY_UNIQUE_ID, PROXY_SSL, PROXY_SSL_VERSION and PROXY_SSL_CN" {
	envsvc
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root $T/env.sh env.sh
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,env=PROXY_SSL=mine root $T/env.sh env.sh
	EOF
	start_superd
	run psend --src 192.0.2.1:1 --authority www.example.com --unique-id abc123 \
	    --ssl-version TLSv1.3 --ssl-cn client.example --payload 'x\n' "$(port 1)"
	assert_line PROXY_AUTHORITY=www.example.com
	assert_line PROXY_UNIQUE_ID=abc123
	assert_line PROXY_SSL=1
	assert_line PROXY_SSL_VERSION=TLSv1.3
	assert_line PROXY_SSL_CN=client.example
	run psend --src 192.0.2.1:1 --no-tls --payload 'x\n' "$(port 1)"
	assert_line PROXY_SSL=0
	refute_line --partial PROXY_AUTHORITY
	run psend --src 192.0.2.1:1 --payload 'x\n' "$(port 1)"
	refute_line --partial PROXY_SSL
	# env= wins over a header's
	run psend --src 192.0.2.1:1 --ssl --payload 'x\n' "$(port 2)"
	assert_line PROXY_SSL=mine
}

@test "allow=, deny= and per-source= act on the client the header names, not on the balancer" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,deny=192.0.2.66 root /bin/echo echo served
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,allow=192.0.2.0/24 root /bin/echo echo served
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,per-source=1 root /bin/sh sh -c "echo served; sleep 5"
	EOF
	start_superd
	run psend --src 192.0.2.66:1 "$(port 1)"
	refute_output --partial served
	wait_log '^event=refused svc=0 line=1 reason=deny peer=192\.0\.2\.66:1$'
	run psend --src 192.0.2.67:1 "$(port 1)"
	assert_output served
	run psend --src 198.51.100.1:1 "$(port 2)"
	refute_output --partial served
	wait_log '^event=refused svc=0 line=2 reason=deny peer=198\.51\.100\.1:1$'
	run psend --src 192.0.2.9:1 "$(port 2)"
	assert_output served
	psend --src 192.0.2.1:1 --keep --timeout 4 "$(port 3)" >"$T/first" &
	first=$!
	wait_log 'line=3 pid=[0-9]+ peer=192\.0\.2\.1:1 proxy='
	# the status names its balancer as its start line does
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=child svc=0 line=3 pid=[0-9]+ peer=192\.0\.2\.1:1 proxy=127\.0\.0\.2:[0-9]+ age=[0-9.]+$'
	run psend --src 192.0.2.1:2 --timeout 3 "$(port 3)"
	refute_output --partial served
	wait_log '^event=refused svc=0 line=3 reason=per-source peer=192\.0\.2\.1:2$'
	run psend --src 192.0.2.2:1 --timeout 1 --keep "$(port 3)"
	assert_output --partial served
	wait "$first" || true
	run cat "$T/first"
	assert_output served
}

@test "a malformed header, a silent connection past proxy-timeout= and a cut-off one are closed, logged reason=proxy and counted" {
	# a service each: a refusal's line is logged at once, not summed up
	for i in 1 2 3 4 5; do
		echo "127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=1 root /bin/echo echo served"
	done | table
	start_superd
	run psend --bad v1-too-long "$(port 1)"
	refute_output --partial served
	wait_log '^event=refused svc=0 line=1 reason=proxy peer=127\.0\.0\.2:[0-9]+ error="v1 line too long"$'
	run psend --no-header --payload 'GET / HTTP/1.0\r\n\r\n' "$(port 2)"
	refute_output --partial served
	wait_log 'line=2 reason=proxy peer=127\.0\.0\.2:[0-9]+ error="[^"]+"$'
	start=$(date +%s%N)
	run psend --only 10 --keep --timeout 5 "$(port 3)"
	refute_output --partial served
	el=$((($(date +%s%N) - start) / 1000000))
	[ "$el" -ge 900 ]
	[ "$el" -lt 3000 ]
	wait_log 'line=3 reason=proxy peer=127\.0\.0\.2:[0-9]+ error="timeout"$'
	# a v2 header that says 65,535 bytes and sends 100: late, not oversized
	hex=$(head -c 65000 /dev/zero | od -An -tx1 -v | tr -d ' \n')
	run psend --tlv "04:$hex" --only 100 --keep --timeout 5 "$(port 4)"
	wait_log 'line=4 reason=proxy .* error="timeout"$'
	printf 'PROXY TCP4 1.2.3.4' | timeout 5 nc -s 127.0.0.2 -N 127.0.0.1 "$(port 5)" || true
	wait_log 'line=5 reason=proxy .* error="closed"$'
	kill -USR1 "$SUPERD_PID"
	for i in 1 2 3 4 5; do
		wait_log "^event=status svc=0 line=$i .* refused_proxy=1 refused_proxy_full=0 proxy_waiting=0"
	done
}

@test "a connection whose header is in while its service is at instances= waits for a child, as a direct one waits in the backlog" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,instances=1 root /bin/sh sh -c "sleep 1; echo served $TCPREMOTEIP"
	EOF
	start_superd
	psend --src 192.0.2.1:1 --timeout 5 "$(port 1)" >"$T/a" &
	a=$!
	wait_log 'peer=192\.0\.2\.1:1 proxy='
	run psend --src 192.0.2.2:1 --timeout 5 "$(port 1)"
	assert_output 'served 192.0.2.2'
	wait "$a"
	run cat "$T/a"
	assert_output 'served 192.0.2.1'
	refute log_has 'event=refused'
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=0 line=1 .* proxy_waiting=0$'
}

@test "a connection whose header comes while its service is at instances= is admitted when its child starts, so per-source= counts only the running ones" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,instances=1,per-source=1 root /bin/sh sh -c "sleep 0.5; echo served"
	EOF
	start_superd
	# three at once from one client, the headers 0.3 s late
	for i in 1 2 3; do
		psend --src 192.0.2.1:$i --split 5 --pause 0.3 --timeout 8 \
		    "$(port 1)" >"$T/c$i" &
		eval "c$i=\$!"
	done
	wait "$c1" "$c2" "$c3"
	for i in 1 2 3; do
		run cat "$T/c$i"
		assert_output served
	done
	refute log_has 'event=refused'
	wait_log '^event=start .* peer=192\.0\.2\.1:3 proxy='
}

# holders N PORT SECS: N connections from 127.0.0.2 that send nothing,
# held SECS seconds; prints "up" once all are connected.
holders() {
	python3 - "$@" <<-'PY'
	import socket, sys, time
	n, port, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
	socks = []
	for _ in range(n):
	    s = socket.socket()
	    s.bind(("127.0.0.2", 0))
	    s.settimeout(5)
	    s.connect(("127.0.0.1", port))
	    socks.append(s)
	print("up", flush=True)
	time.sleep(secs)
	PY
}

@test "a flood of silent connections from a balancer stops at its share of the descriptors, refused and counted, and the rest is served" {
	printf '#!/bin/sh\nulimit -n 128 || exit 1\nexec %s "$@"\n' "$SUPERD" \
	    >"$T/superd128"
	chmod 755 "$T/superd128"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=30 root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=30 root /bin/echo echo two
	EOF
	SUPERD=$T/superd128 start_superd
	holders 40 "$(port 1)" 20 >"$T/held" &
	h=$!
	wait_until 10 grep -q up "$T/held"
	wait_log '^event=refused svc=0 line=1 reason=proxy-full peer=127\.0\.0\.2:'
	# another service's balancer connections still get their share
	run psend --src 192.0.2.1:1 "$(port 2)"
	assert_output two
	# and a direct client of the flooded one is served
	run talk "$(port 1)"
	assert_output one
	kill -USR1 "$SUPERD_PID"
	# a quarter of 128 in all; one service no more than the rest leave
	wait_log '^event=status svc=0 line=1 .* refused_proxy_full=2[4-9] proxy_waiting=1[56] ?'
	kill "$h" 2>/dev/null || true
	wait "$h" || true
}

# lowsocks PID: how many of PID's sockets have a descriptor from 5 to 63,
# where a child's short table is (fd.c).
lowsocks() {
	local f n=0
	for f in /proc/"$1"/fd/*; do
		[ "${f##*/}" -ge 5 ] && [ "${f##*/}" -lt 64 ] || continue
		case $(readlink "$f") in socket:*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

@test "past 16 silent connections from a balancer, the rest wait for their header above the children's short tables, and a split header is still served" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=30 root /bin/echo echo one
	EOF
	start_superd
	holders 40 "$(port 1)" 20 >"$T/held" &
	h=$!
	wait_until 10 grep -q up "$T/held"
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=0 line=1 .* proxy_waiting=40 ?'
	run lowsocks "$SUPERD_PID"
	[ "$output" -le 16 ] || fail "$output sockets below 64: $(ls -l /proc/"$SUPERD_PID"/fd)"
	# a header split after its first byte, the rest a moment later
	run psend --src 192.0.2.1:1 --split 1 "$(port 1)"
	assert_output one
	kill "$h" 2>/dev/null || true
	wait "$h" || true
}

@test "a reload that removes a service closes the connections waiting for their header, and -k closes them too" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/echo echo y
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=30 root /bin/echo echo x
	EOF
	start_superd -k 5
	p=$(port 2)
	psend --only 3 --keep --timeout 10 "$p" >"$T/out" 2>&1 &
	c=$!
	wait_until 5 eval "ss -tn state established '( sport = :$p )' | grep -q 127.0.0.2"
	sed -i 2d "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log '^event=refused svc=0 line=2 reason=proxy peer=127\.0\.0\.2:[0-9]+ error="removed"$'
	wait "$c" || true
	run cat "$T/out"
	refute_line x
	# -k: superd ends at once, closing what waits for a header
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/echo echo y
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2,proxy-timeout=30 root /bin/echo echo x
	EOF
	kill -HUP "$SUPERD_PID"
	wait_until 5 eval '[ "$(log_count "event=listen svc=0 line=2")" -eq 2 ]'
	wait_until 5 eval '[ -n "$(port 2)" ] && [ "$(port 2)" != "$p" ]'
	p=$(port 2)
	psend --only 3 --keep --timeout 10 "$p" >"$T/out" 2>&1 &
	c=$!
	wait_until 5 eval "ss -tn state established '( sport = :$p )' | grep -q 127.0.0.2"
	kill -TERM "$SUPERD_PID"
	wait_until 3 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
	wait "$c" || true
	wait_log 'error="removed"$'
}

# The balancers: real HAProxy and nginx, on loopback, in the foreground,
# their files in the test's directory, stopped by PID in teardown_file's
# place (bal_stop).  The client is 127.0.0.2, the balancer connects from
# 127.0.0.3 (haproxy) or 127.0.0.4 (nginx): superd tells them apart.
BAL_PID=

bal_stop() {
	if [ -n "$BAL_PID" ]; then
		kill -TERM "$BAL_PID" 2>/dev/null || true
		wait "$BAL_PID" 2>/dev/null || true
		BAL_PID=
	fi
}

teardown() {
	bal_stop
	stop_superd
	kill_started_children
}

# envonly: the connection's variables, then exit (no input read).
envonly() {
	cat >"$T/envonly.sh" <<-'SH'
	#!/bin/sh
	env | grep -E '^(TCP|PROXY|REMOTE_)' | sort
	SH
	chmod 755 "$T/envonly.sh"
}

# haproxy_start FPORT 'server line options' ['bind options' ['a line']]:
# a TCP frontend on 127.0.0.1:FPORT (the line in it) to superd's
# $(port 1).
haproxy_start() {
	command -v haproxy >/dev/null || skip "haproxy is not installed"
	cat >"$T/haproxy.cfg" <<-EOF
	global
	    maxconn 100
	defaults
	    mode tcp
	    timeout connect 5s
	    timeout client 10s
	    timeout server 10s
	frontend f
	    bind 127.0.0.1:$1 $3
	    ${4:-}
	    default_backend b
	backend b
	    server s 127.0.0.1:$(port 1) source 127.0.0.3 $2
	EOF
	haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
	BAL_PID=$!
	wait_until 10 eval "ss -tln | grep -q '127.0.0.1:$1 '" || {
		cat "$T/haproxy.log" >&2
		return 1
	}
}

@test "through haproxy's send-proxy and send-proxy-v2 the service sees the client's address and port, and haproxy's in PROXYREMOTEIP" {
	envonly
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.3 root $T/envonly.sh envonly.sh
	EOF
	start_superd
	for opt in send-proxy send-proxy-v2; do
		f=$(free_port)
		haproxy_start "$f" "$opt"
		# no -N: haproxy 2.6 aborts a session whose client sends its
		# FIN before the server's connection is up (tcplog "CC")
		run timeout 10 nc -s 127.0.0.2 127.0.0.1 "$f" </dev/null
		assert_line TCPREMOTEIP=127.0.0.2
		# the client's own port: the one the start line names
		c=$(printf '%s\n' "$output" | sed -n 's/^TCPREMOTEPORT=//p')
		[ -n "$c" ]
		[ "$c" != "$f" ]
		assert_line TCPLOCALIP=127.0.0.1
		assert_line TCPLOCALPORT="$f"
		assert_line PROXYREMOTEIP=127.0.0.3
		wait_log "peer=127\\.0\\.0\\.2:$c proxy=127\\.0\\.0\\.3:[0-9]+\$"
		bal_stop
	done
}

@test "through haproxy, per-source= limits the client and deny= refuses it, not the balancer" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.3,per-source=1,deny=127.0.0.6 root /bin/sh sh -c "echo served; sleep 3"
	EOF
	start_superd
	f=$(free_port)
	haproxy_start "$f" send-proxy-v2
	timeout 5 nc -s 127.0.0.2 127.0.0.1 "$f" </dev/null >"$T/first" &
	first=$!
	wait_log 'peer=127\.0\.0\.2:[0-9]+ proxy=127\.0\.0\.3:'
	run timeout 5 nc -s 127.0.0.2 127.0.0.1 "$f" </dev/null
	refute_output --partial served
	wait_log '^event=refused svc=0 line=1 reason=per-source peer=127\.0\.0\.2:'
	run timeout 5 nc -s 127.0.0.5 127.0.0.1 "$f" </dev/null
	assert_output --partial served
	run timeout 5 nc -s 127.0.0.6 127.0.0.1 "$f" </dev/null
	refute_output --partial served
	wait_log '^event=refused svc=0 line=1 reason=deny peer=127\.0\.0\.6:'
	wait "$first" || true
}

@test "through haproxy terminating TLS, PROXY_SSL, PROXY_SSL_VERSION, PROXY_SSL_CN and PROXY_AUTHORITY are set" {
	command -v openssl >/dev/null || skip "openssl is not installed"
	envonly
	cd "$T"
	ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
	openssl req -x509 $ec -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca 2>/dev/null
	openssl req $ec -keyout srv.key -out srv.csr -subj /CN=localhost 2>/dev/null
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 1 2>/dev/null
	cat srv.pem srv.key >srv.bundle
	openssl req $ec -keyout cli.key -out cli.csr -subj /CN=alice.example 2>/dev/null
	openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 1 2>/dev/null
	cd - >/dev/null
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.3 root $T/envonly.sh envonly.sh
	EOF
	start_superd
	f=$(free_port)
	haproxy_start "$f" "send-proxy-v2 proxy-v2-options ssl,cert-cn,authority,unique-id" \
	    "ssl crt $T/srv.bundle verify optional ca-file $T/ca.pem" \
	    "unique-id-format id-%rt"
	run timeout 10 openssl s_client -quiet -connect "127.0.0.1:$f" \
	    -servername www.example.test -cert "$T/cli.pem" -key "$T/cli.key" \
	    -CAfile "$T/ca.pem" </dev/null
	assert_line PROXY_SSL=1
	assert_line --regexp '^PROXY_SSL_VERSION=TLSv1\.[23]$'
	assert_line PROXY_SSL_CN=alice.example
	assert_line PROXY_AUTHORITY=www.example.test
	assert_line --regexp '^PROXY_UNIQUE_ID=id-[0-9]+$'
	assert_line TCPREMOTEIP=127.0.0.1
	# without a client certificate: TLS, but no CN
	run timeout 10 openssl s_client -quiet -connect "127.0.0.1:$f" \
	    -servername www.example.test -CAfile "$T/ca.pem" </dev/null
	assert_line PROXY_SSL=1
	refute_line --partial PROXY_SSL_CN
}

@test "through nginx's stream module with proxy_protocol on the service sees the client, and nginx in PROXYREMOTEIP" {
	command -v nginx >/dev/null || skip "nginx is not installed"
	mod=/usr/lib/nginx/modules/ngx_stream_module.so
	[ -f "$mod" ] || skip "nginx's stream module is not installed"
	envonly
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.4,per-source=1 root /bin/sh sh -c "$T/envonly.sh; sleep 2"
	EOF
	start_superd
	f=$(free_port)
	cat >"$T/nginx.conf" <<-EOF
	load_module $mod;
	daemon off;
	master_process off;
	pid $T/nginx.pid;
	error_log $T/nginx.err info;
	events { worker_connections 64; }
	stream {
	    server {
	        listen 127.0.0.1:$f;
	        proxy_pass 127.0.0.1:$(port 1);
	        proxy_protocol on;
	        proxy_bind 127.0.0.4;
	    }
	}
	EOF
	nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" &
	BAL_PID=$!
	wait_until 10 eval "ss -tln | grep -q '127.0.0.1:$f '" || {
		cat "$T/nginx.err" >&2
		return 1
	}
	timeout 10 nc -s 127.0.0.2 127.0.0.1 "$f" </dev/null >"$T/out" &
	first=$!
	wait_log 'peer=127\.0\.0\.2:[0-9]+ proxy=127\.0\.0\.4:[0-9]+$'
	c=$(sed -n 's/.* peer=127\.0\.0\.2:\([0-9]*\) proxy=.*/\1/p' "$LOG" | head -1)
	# the same client again: per-source=1 refuses it, nginx's address is not counted
	run timeout 5 nc -s 127.0.0.2 127.0.0.1 "$f" </dev/null
	refute_output --partial TCPREMOTEIP
	wait_log '^event=refused svc=0 line=1 reason=per-source peer=127\.0\.0\.2:'
	wait "$first" || true
	run cat "$T/out"
	assert_line TCPREMOTEIP=127.0.0.2
	assert_line TCPREMOTEPORT="$c"
	assert_line TCPLOCALPORT="$f"
	assert_line PROXYREMOTEIP=127.0.0.4
}

@test "conf/haproxy.cfg, the fleet example, is a configuration haproxy accepts, and its superd line one superd accepts" {
	command -v haproxy >/dev/null || skip "haproxy is not installed"
	run haproxy -c -f "$TOP/conf/haproxy.cfg"
	assert_success
	sed -n 's/^#   \(7000 stream .*\)/\1/p' "$TOP/conf/haproxy.cfg" >"$CONF"
	assert_equal "$(wc -l <"$CONF")" 1
	sed -i 's|/usr/local/bin/app app|/bin/cat cat|' "$CONF"
	run "$SUPERD" -t "$CONF"
	assert_success
}

@test "a unix stream service with proxy=* reads the header of every connection, its child sees the client the header names" {
	envsvc
	table <<-EOF
	$T/px.sock stream unix nowait,proxy=*,mode=0600 root $T/env.sh env.sh
	EOF
	start_superd
	cat >"$T/ux.py" <<-'PY'
	import socket, struct, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(10)
	s.connect(sys.argv[1])
	if sys.argv[2] == "v1":
	    s.sendall(b"PROXY TCP4 192.0.2.1 198.51.100.2 5000 80\r\npayload\n")
	elif sys.argv[2] == "local":
	    s.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00payload\n")
	else:
	    s.sendall(b"payload\n")
	s.shutdown(socket.SHUT_WR)
	out = b""
	while True:
	    d = s.recv(4096)
	    if not d:
	        break
	    out += d
	sys.stdout.write(out.decode("ascii", "replace"))
	PY
	run timeout 15 python3 "$T/ux.py" "$T/px.sock" v1
	assert_line TCPREMOTEIP=192.0.2.1
	assert_line TCPREMOTEPORT=5000
	assert_line TCPLOCALIP=198.51.100.2
	assert_line "payload"
	refute_line --partial UNIXREMOTE
	wait_log '^event=start .* peer=192\.0\.2\.1:5000 proxy=unix'
	run timeout 15 python3 "$T/ux.py" "$T/px.sock" local
	assert_line TCPREMOTEIP=
	assert_line "payload"
	# no header: closed, logged
	run timeout 15 python3 "$T/ux.py" "$T/px.sock" none
	refute_line "payload"
	wait_log 'reason=proxy peer=unix error="bad signature"'
}
