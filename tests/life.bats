#!/usr/bin/env bats
# A connection's whole life (SPEC 9): what the exit line counts, the TCP
# options that find dead peers, refusals that say why, and -k.

load helpers

# exit_field NAME: the value of NAME= on the log's last event=exit line.
exit_field() {
	sed -n "s/^event=exit .* $1=\([^ ]*\).*/\1/p" "$LOG" | tail -n 1
}

@test "the exit line counts the CPU and memory of the child and of what it waited for" {
	cat >"$T/burn.py" <<-'EOF'
	import time
	b = b"x" * (64 << 20)
	t = time.process_time() + 0.3
	while time.process_time() < t:
	    pass
	EOF
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "python3 $T/burn.py; echo ok"
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo ok"
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" ok
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9]+\.[0-9]{3} maxrss=[0-9]+$'
	cpu=$(exit_field cpu)
	rss=$(exit_field maxrss)
	# the shell itself used next to nothing: python3, which it waited
	# for, is counted, 0.3 s of CPU and 64 MiB touched
	awk -v c="$cpu" 'BEGIN { exit !(c >= 0.3 && c < 5) }'
	[ "$rss" -ge 65536 ]
	assert_equal "$(talk "$(port 2)")" ok
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=0 duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$'
	[ "$(exit_field maxrss)" -lt 65536 ]
}

@test "a child killed by timeout= still has its usage on the exit line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "while :; do :; done"
	EOF
	start_superd
	timeout 10 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM duration=1\.[0-9]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$' 5
	# it spun until the TERM: some CPU, however busy the machine (with
	# WNOWAIT, as here, the rusage is filled all the same)
	awk -v c="$(exit_field cpu)" 'BEGIN { exit !(c > 0) }'
	[ "$(exit_field maxrss)" -gt 0 ]
}

# start_pid LINE: the pid of the table line's last started child.
start_pid() {
	sed -n "s/^event=start svc=[^ ]* line=$1 pid=\([0-9]*\).*/\1/p" "$LOG" |
	    tail -n 1
}

@test "-k 1 ends the children left after SIGTERM, even one ignoring TERM, then superd exits" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sleep sleep 100
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "trap '' TERM; echo up; sleep 100"
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo up; sleep 0.3; echo done"
	EOF
	start_superd -k 1
	: >"$T/out2"
	: >"$T/out3"
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	timeout 20 nc 127.0.0.1 "$(port 2)" </dev/null >"$T/out2" &
	timeout 20 nc 127.0.0.1 "$(port 3)" </dev/null >"$T/out3" &
	wait_until 5 grep -q up "$T/out2"
	wait_until 5 grep -q up "$T/out3"
	wait_until 5 log_lines '^event=start ' 3
	sleeper=$(start_pid 1)
	stubborn=$(start_pid 2)
	kill -0 "$sleeper"
	kill -0 "$stubborn"
	kill -TERM "$SUPERD_PID"
	# 1 s of wait, TERM, 2 s of grace, KILL: gone well within 8 s
	wait_until 8 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
	wait "$SUPERD_PID" || status=$?
	assert_equal "${status:-0}" 0
	SUPERD_PID=
	run kill -0 "$sleeper"
	assert_failure
	run kill -0 "$stubborn"
	assert_failure
	log_has '^event=shutdown signal=TERM children=3 wait=1$'
	# the one that finished within the wait was left to finish
	assert_equal "$(cat "$T/out3")" $'up\ndone'
	log_has '^event=exit svc=0 line=3 pid=[0-9]+ status=0 '
	run log_count 'event=timeout svc=0 line=3 '
	assert_output 0
	log_has "^event=timeout svc=0 line=1 pid=$sleeper signal=TERM reason=shutdown\$"
	log_has "^event=exit svc=0 line=1 pid=$sleeper signal=TERM "
	log_has "^event=timeout svc=0 line=2 pid=$stubborn signal=TERM reason=shutdown\$"
	log_has "^event=timeout svc=0 line=2 pid=$stubborn signal=KILL reason=shutdown\$"
	log_has "^event=exit svc=0 line=2 pid=$stubborn signal=KILL "
	# what the stubborn shell started, in its group, went with it (a
	# zombie for a moment, until whoever inherited it reaps it)
	wait_until 5 eval '! pgrep -g '"$stubborn"' >/dev/null'
}

@test "without -k a child outlives superd's SIGTERM" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sleep sleep 100
	EOF
	start_superd
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ '
	sleeper=$(start_pid 1)
	kill -TERM "$SUPERD_PID"
	wait "$SUPERD_PID" || true
	SUPERD_PID=
	kill -0 "$sleeper"
	kill -KILL "$sleeper"
	run log_count 'event=timeout'
	assert_output 0
}

@test "under -k a second SIGTERM ends the children without waiting out the rest" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sleep sleep 100
	EOF
	start_superd -k 60
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ '
	sleeper=$(start_pid 1)
	kill -TERM "$SUPERD_PID"
	wait_log '^event=shutdown signal=TERM children=1 wait=60$'
	# listeners are closed while superd waits, and it reloads nothing
	run talk "$(port 1)"
	assert_failure
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload-failed error="superd is ending"$'
	kill -0 "$sleeper"
	kill -INT "$SUPERD_PID"
	wait_log "^event=exit svc=0 line=1 pid=$sleeper signal=TERM " 3
	wait_until 5 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null'
	SUPERD_PID=
}

@test "-k takes seconds from 0 to 86400" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/true true
	EOF
	for bad in -1 86401 x ''; do
		run "$SUPERD" -t -k "$bad" "$CONF"
		assert_failure 2
		assert_output --partial "-k $bad: seconds (0 to 86400) is"
	done
	run "$SUPERD" -t -k 0 "$CONF"
	assert_success
}

@test "a refused client reads refuse-message's text, for per-source, rate and deny alike" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,per-source=1,refuse-message="busy, try later\r\n" root /bin/sleep sleep 10
	127.0.0.1:0 stream tcp nowait,rate=1/60,refuse-message="slow down\n" root /bin/echo echo hi
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.1,refuse-message=no\tway\\\n root /bin/echo echo hi
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.1 root /bin/echo echo hi
	EOF
	start_superd
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=start svc=0 line=1 '
	# a client that sent its request first still gets the text whole
	assert_equal "$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$(port 1)" | od -An -c -w128 | tr -s ' ')" \
	    ' b u s y , t r y l a t e r \r \n'
	wait_log '^event=refused svc=0 line=1 reason=per-source '
	assert_equal "$(talk "$(port 2)")" hi
	assert_equal "$(talk "$(port 2)")" "slow down"
	wait_log '^event=refused svc=0 line=2 reason=rate '
	assert_equal "$(talk "$(port 3)" | od -An -c -w128 | tr -s ' ')" ' n o \t w a y \ \n'
	wait_log '^event=refused svc=0 line=3 reason=deny '
	# without the option a refused client reads nothing, as before
	run talk "$(port 4)"
	assert_output ''
}

@test "refuse-message= and the TCP options are checked as FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:1 stream tcp nowait,keepalive,nodelay,user-timeout=5 root /bin/true true
	127.0.0.1:2 stream tcp wait,keepalive=1/2/3 root /bin/true true
	127.0.0.1:3 stream tcp nowait,keepalive=0 root /bin/true true
	127.0.0.1:4 stream tcp nowait,keepalive=1/1/2/3 root /bin/true true
	127.0.0.1:5 stream tcp nowait,keepalive=1/1/128 root /bin/true true
	127.0.0.1:6 dgram udp wait,keepalive root /bin/true true
	/tmp/superd-life.sock stream unix nowait,nodelay root /bin/true true
	127.0.0.1:8 stream tcp nowait,nodelay=1 root /bin/true true
	127.0.0.1:9 stream tcp nowait,user-timeout=0 root /bin/true true
	127.0.0.1:10 stream tcp nowait,refuse-message="busy",per-source=2 root /bin/true true
	127.0.0.1:11 stream tcp nowait,refuse-message=a\q root /bin/true true
	127.0.0.1:12 stream tcp wait,refuse-message=no root /bin/true true
	127.0.0.1:13 dgram udp nowait,refuse-message=no root /bin/true true
	127.0.0.1:14 stream tcp nowait,refuse-message= root /bin/true true
	127.0.0.1:15 stream tcp nowait,user-timeout=86401 root /bin/true true
	127.0.0.1:16 dgram udp nowait,user-timeout=3 root /bin/true true
	EOF
	long=$(printf 'x%.0s' $(seq 513))
	echo "127.0.0.1:17 stream tcp nowait,refuse-message=$long root /bin/true true" >>"$CONF"
	echo "127.0.0.1:18 stream tcp nowait,refuse-message=${long#x} root /bin/true true" >>"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	refute_line --partial "$CONF:1:"
	refute_line --partial "$CONF:2:"
	assert_line "$CONF:3: bad value \"0\" for option keepalive: expected IDLE[/INTERVAL[/COUNT]]: seconds (1 to 32767), seconds (1 to 32767), probes (1 to 127)"
	assert_line --partial "$CONF:4: bad value \"1/1/2/3\" for option keepalive"
	assert_line --partial "$CONF:5: bad value \"1/1/128\" for option keepalive"
	assert_line "$CONF:6: keepalive is for tcp services only, not udp"
	assert_line "$CONF:7: nodelay is for tcp services only, not unix"
	assert_line "$CONF:8: option \"nodelay\" takes no value"
	assert_line "$CONF:9: bad value \"0\" for option user-timeout: expected a number of seconds from 1 to 86400"
	assert_line "$CONF:10: refuse-message= must be the last option: its text runs to the end of the field, and \"per-source\" would be part of it"
	assert_line --partial "$CONF:11: bad value \"a\\\\q\" for option refuse-message"
	assert_line "$CONF:12: refuse-message= is for stream nowait services only: superd accepts no other's connections"
	assert_line "$CONF:13: refuse-message= is for stream nowait services only: superd accepts no other's connections"
	assert_line --partial "$CONF:14: bad value \"\" for option refuse-message"
	assert_line --partial "$CONF:15: bad value \"86401\" for option user-timeout"
	assert_line --partial "$CONF:16: user-timeout= is for tcp services only"
	assert_line --partial "$CONF:17: bad value \"xxx"
	refute_line --partial "$CONF:18:"
}

@test "keepalive, user-timeout= and nodelay reach every accepted connection, nowait and wait alike, and a reload changes them" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,keepalive=5/6/7,user-timeout=9,nodelay root /usr/bin/python3 python3 $TOP/tests/sockopts.py
	127.0.0.1:0 stream tcp wait,keepalive,nodelay root /usr/bin/python3 python3 $TOP/tests/sockopts.py --accept
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $TOP/tests/sockopts.py
	EOF
	read -r ktime </proc/sys/net/ipv4/tcp_keepalive_time
	read -r kintvl </proc/sys/net/ipv4/tcp_keepalive_intvl
	read -r kcnt </proc/sys/net/ipv4/tcp_keepalive_probes
	start_superd
	assert_equal "$(talk "$(port 1)")" "nodelay=1 keepalive=1 idle=5 intvl=6 cnt=7 user-timeout=9000"
	assert_equal "$(talk "$(port 2)")" "nodelay=1 keepalive=1 idle=$ktime intvl=$kintvl cnt=$kcnt user-timeout=0"
	assert_equal "$(talk "$(port 3)")" "nodelay=0 keepalive=0 idle=$ktime intvl=$kintvl cnt=$kcnt user-timeout=0"
	p1=$(port 1)
	# what a reload takes away is put back as the kernel has it
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,keepalive=8 root /usr/bin/python3 python3 $TOP/tests/sockopts.py
	127.0.0.1:0 stream tcp wait root /usr/bin/python3 python3 $TOP/tests/sockopts.py --accept
	127.0.0.1:0 stream tcp nowait,nodelay root /usr/bin/python3 python3 $TOP/tests/sockopts.py
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=3 added=0 removed=0 changed=3 kept=0$'
	assert_equal "$(port 1)" "$p1"
	assert_equal "$(talk "$(port 1)")" "nodelay=0 keepalive=1 idle=8 intvl=$kintvl cnt=$kcnt user-timeout=0"
	wait_until 5 eval '! log_has "event=start svc=0 line=2 .*" || log_has "event=exit svc=0 line=2 "'
	assert_equal "$(talk "$(port 2)")" "nodelay=0 keepalive=0 idle=$ktime intvl=$kintvl cnt=$kcnt user-timeout=0"
	assert_equal "$(talk "$(port 3)")" "nodelay=1 keepalive=0 idle=$ktime intvl=$kintvl cnt=$kcnt user-timeout=0"
}

# netns_pair: two network namespaces of the test's own, joined by a veth
# pair with link-local addresses that exist only between them: superd's
# side 169.254.77.1 in $NS_S, the client's 169.254.77.2 in $NS_C.
netns_pair() {
	NS_S=superd-life-s$$
	NS_C=superd-life-c$$
	ip netns add "$NS_S" || skip "no network namespaces here"
	ip netns add "$NS_C"
	ip link add "vs$$" netns "$NS_S" type veth peer name "vc$$" netns "$NS_C"
	ip -n "$NS_S" link set lo up
	ip -n "$NS_S" addr add 169.254.77.1/30 dev "vs$$"
	ip -n "$NS_S" link set "vs$$" up
	ip -n "$NS_C" addr add 169.254.77.2/30 dev "vc$$"
	ip -n "$NS_C" link set "vc$$" up
}

eval "helpers_$(declare -f teardown)"
teardown() {
	helpers_teardown
	if [ -n "${NS_S:-}" ]; then
		ip netns del "$NS_S" 2>/dev/null || true
		ip netns del "$NS_C" 2>/dev/null || true
	fi
}

@test "a peer that vanishes without a FIN ends a blocked cat within the keepalive or user-timeout bound" {
	is_root || skip "needs root for network namespaces"
	netns_pair
	table <<-'EOF'
	169.254.77.1:0 stream tcp nowait,keepalive=1/1/2 root /bin/cat cat
	169.254.77.1:0 stream tcp nowait,user-timeout=2 root /bin/cat cat /dev/zero
	169.254.77.1:0 stream tcp nowait root /bin/cat cat
	EOF
	rm -f "$PORTS"
	ip netns exec "$NS_S" "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	for l in 1 2 3; do
		ip netns exec "$NS_C" timeout 30 nc 169.254.77.1 "$(port "$l")" </dev/null >/dev/null &
	done
	wait_until 5 log_lines '^event=start ' 3
	# the client's address goes: what superd's side sends now reaches
	# nobody, and nothing, not even a reset, comes back
	ip -n "$NS_C" addr flush dev "vc$$"
	t0=$(date +%s)
	# keepalive=1/1/2: 1 s idle, then 2 probes 1 s apart, 3 s; a cat
	# writing into the void: 2 s without an acknowledgement
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=1 ' 8
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=1 ' 8
	log_has 'cat: -: Connection timed out'
	log_has 'cat: write error: Connection timed out'
	[ $(($(date +%s) - t0)) -le 8 ]
	# the same cat without either option is still waiting
	pid3=$(sed -n 's/^event=start svc=0 line=3 pid=\([0-9]*\).*/\1/p' "$LOG")
	kill -0 "$pid3"
	run log_count 'event=exit svc=0 line=3 '
	assert_output 0
}
