#!/usr/bin/env bats
# The metrics built-in (issue 15): Prometheus's text format, checked by
# promtool, counters that match what the test did, HTTP errors for
# anything but GET and HEAD /metrics, and scrapers that cannot stall
# superd or its other services.

load helpers

# promtool: from make promtool (tests/bin), or installed.
PROMTOOL=$TOP/tests/bin/promtool
[ -x "$PROMTOOL" ] || PROMTOOL=$(command -v promtool || echo "$PROMTOOL")

# scrape PORT [PATH]: the body of GET PATH (/metrics).
scrape() {
	timeout 10 curl -sS "http://127.0.0.1:$1${2:-/metrics}"
}

# value FILE NAME LABEL [LABEL]: the value of the one sample of NAME
# whose labels hold each LABEL (such as 'proto="tcp4"'); fails unless
# there is exactly one.
value() {
	awk -v n="$2" -v l="$3" -v k="${4:-}" '
	    substr($0, 1, length(n) + 1) == n "{" && index($1, l) &&
	    index($1, k) { v = $2; c++ }
	    END { if (c != 1) { print "samples: " c + 0 > "/dev/stderr"
	        exit 1 }
	        print v }' "$1"
}

# sample FILE NAME PORT [LABEL]: the value of NAME for the service
# listening on PORT, with LABEL (reason="deny") if given.
sample() {
	value "$1" "$2" "addr=\"127.0.0.1:$3\"" "${4:-}"
}

# send_queued PORT: a connection from PORT has bytes its peer has not
# taken (Send-Q), a writer blocked on a reader that does not read.
send_queued() {
	ss -Htn "( sport = :$1 )" | awk '$3 > 0 { f = 1 } END { exit !f }'
}

# http_status PORT REQUEST [SECS]: the status line superd answers a raw
# REQUEST with, the client's side left open for SECS (1) after it.
http_status() {
	{ printf '%b' "$2"; sleep "${3:-1}"; } |
	    timeout 20 nc -q 1 127.0.0.1 "$1" | head -1 | tr -d '\r'
}

@test "GET /metrics passes promtool check metrics and counts connections and deny= refusals exactly" {
	[ -x "$PROMTOOL" ] || fail "no promtool: make promtool"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.2 nobody internal echo
	EOF
	start_superd
	m=$(port 1)
	e=$(port 2)
	for i in 1 2 3; do
		run talk "$e" "hi$i"
		assert_output "hi$i"
	done
	for i in 1 2; do
		printf 'x' | timeout 10 nc -N -s 127.0.0.2 127.0.0.1 "$e" || true
	done
	wait_until 5 log_lines "event=exit svc=0 line=2 " 3
	wait_until 5 log_lines "event=refused svc=0 line=2 reason=deny" 1
	scrape "$m" >"$T/m"
	run "$PROMTOOL" check metrics <"$T/m"
	assert_success
	assert_equal "$(sample "$T/m" superd_connections_total "$e")" 5
	assert_equal "$(sample "$T/m" superd_children_started_total "$e")" 3
	assert_equal "$(sample "$T/m" superd_refused_total "$e" 'reason="deny"')" 2
	assert_equal "$(sample "$T/m" superd_refused_total "$e" 'reason="rate"')" 0
	assert_equal "$(sample "$T/m" superd_exits_total "$e" 'outcome="exit-zero"')" 3
	assert_equal "$(sample "$T/m" superd_connection_duration_seconds_count "$e")" 3
	assert_equal "$(sample "$T/m" superd_connection_duration_seconds_bucket "$e" 'le="+Inf"')" 3
	assert_equal "$(sample "$T/m" superd_children_running "$e")" 0
	# echo's bytes, counted at the reap from superd's copy of each
	assert_equal "$(sample "$T/m" superd_received_bytes_total "$e")" 9
	assert_equal "$(sample "$T/m" superd_sent_bytes_total "$e")" 9
	assert_equal "$(value "$T/m" superd_build_info 'version="')" 1
	grep -q '^superd_services 2$' "$T/m"
	grep -q '^# TYPE superd_connection_duration_seconds histogram$' "$T/m"
}

@test "exits are counted by outcome: exit 0, exit non-zero, a signal, a program that is not there" {
	# where nobody can look, so that execve fails with ENOENT
	PUB=$(mktemp -d /tmp/superd-test.XXXXXX)
	chmod 755 "$PUB"
	echo "$PUB" >>"$T/cleanup"
	cp /bin/true "$PUB/gone"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "exit 0"
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "exit 3"
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "kill -KILL \$\$"
	127.0.0.1:0 stream tcp nowait nobody $PUB/gone gone
	EOF
	start_superd
	rm "$PUB/gone"
	for l in 2 3 4 5; do
		talk "$(port $l)" x || true
	done
	wait_until 5 log_lines "event=exit " 4
	scrape "$(port 1)" >"$T/m"
	for l in 2 3 4 5; do
		p=$(port $l)
		case $l in
		2) want=exit-zero ;;
		3) want=exit-nonzero ;;
		4) want=signal ;;
		5) want=never-ran ;;
		esac
		for o in exit-zero exit-nonzero signal never-ran; do
			n=0
			[ "$o" = "$want" ] && n=1
			assert_equal "$o $(sample "$T/m" superd_exits_total "$p" "outcome=\"$o\"")" "$o $n"
		done
		assert_equal "$(sample "$T/m" superd_children_started_total "$p")" 1
	done
	log_has "event=exit svc=0 line=5 pid=[0-9]+ status=127 " || { cat "$LOG"; false; }
}

@test "a client that connects to the metrics port and sends nothing delays no other service" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait nobody internal echo
	EOF
	start_superd
	m=$(port 1)
	e=$(port 2)
	# nc without -N sends no FIN at its stdin's EOF: a silent connection
	timeout 20 nc 127.0.0.1 "$m" </dev/null >/dev/null 3>&- &
	silent=$!
	wait_log "event=start svc=0 line=1 "
	# echo answers at once, and so does another scrape, while it sits there
	start=$(date +%s%N)
	run talk "$e" ping
	assert_output ping
	scrape "$m" >"$T/m"
	end=$(date +%s%N)
	[ $(((end - start) / 1000000)) -lt 1000 ]
	# the silent one; the answering one is counted once it has started
	assert_equal "$(sample "$T/m" superd_children_running "$m")" 1
	kill "$silent" 2>/dev/null || true
	wait "$silent" 2>/dev/null || true
}

@test "a request head not whole after 10 s gets 408 and the child exits" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	EOF
	start_superd
	m=$(port 1)
	start=$(date +%s)
	# half a head, and no FIN (nc without -N) while superd waits
	printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' |
	    timeout 20 nc 127.0.0.1 "$m" >"$T/r" 3>&- &
	client=$!
	wait_until 14 grep -q '^HTTP/1.1 408 Request Timeout' "$T/r"
	end=$(date +%s)
	[ $((end - start)) -ge 9 ] && [ $((end - start)) -le 12 ]
	wait_log "event=exit svc=0 line=1 pid=[0-9]+ status=0 "
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
}

@test "anything but GET or HEAD /metrics gets a short HTTP error: 405 with Allow, 404, 400, 505, 431" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	EOF
	start_superd
	m=$(port 1)
	run timeout 10 curl -si -X POST "http://127.0.0.1:$m/metrics"
	assert_line --partial "HTTP/1.1 405 Method Not Allowed"
	assert_line --partial "Allow: GET, HEAD"
	run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$m/other"
	assert_output 404
	run http_status "$m" 'garbage\r\n\r\n'
	assert_output "HTTP/1.1 400 Bad Request"
	run http_status "$m" 'GET /metrics HTTP/1.1\r\n\r\n'
	assert_output "HTTP/1.1 400 Bad Request"		# no Host
	run http_status "$m" 'GET /metrics HTTP/2.0\r\n\r\n'
	assert_output "HTTP/1.1 505 HTTP Version Not Supported"
	big=$(head -c 20480 /dev/zero | tr '\0' a)
	run timeout 10 curl -s -o /dev/null -w '%{http_code}' \
	    -H "X-Big: $big" "http://127.0.0.1:$m/metrics"
	assert_output 431
	# HTTP/1.0 without Host, a query string, and HEAD with no body
	run http_status "$m" 'GET /metrics?x=1 HTTP/1.0\r\n\r\n'
	assert_output "HTTP/1.1 200 OK"
	run timeout 10 curl -sI "http://127.0.0.1:$m/metrics"
	assert_line --partial "HTTP/1.1 200 OK"
	assert_line --partial "Content-Type: text/plain; version=0.0.4; charset=utf-8"
	assert_line --partial "Connection: close"
	run timeout 10 curl -s -X HEAD -o "$T/body" -w '%{size_download}' \
	    "http://127.0.0.1:$m/metrics"
	assert_output 0
	# Content-Length is the body's length
	timeout 10 curl -s -D "$T/h" -o "$T/b" "http://127.0.0.1:$m/metrics"
	len=$(tr -d '\r' <"$T/h" | sed -n 's/^Content-Length: //p')
	assert_equal "$len" "$(wc -c <"$T/b")"
}

@test "the metrics port counts itself: each answer includes its own connection" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	EOF
	start_superd
	m=$(port 1)
	for i in 1 2 3; do
		scrape "$m" >"$T/m$i"
	done
	assert_equal "$(sample "$T/m1" superd_connections_total "$m")" 1
	assert_equal "$(sample "$T/m3" superd_connections_total "$m")" 3
	# its own child is started after the fork that answers
	assert_equal "$(sample "$T/m3" superd_children_started_total "$m")" 2
}

@test "counters survive a reload that keeps the service; reloads and failed reloads are counted" {
	m=$(free_port)
	e=$(free_port)
	table <<-EOF
	127.0.0.1:$m stream tcp nowait nobody internal metrics
	127.0.0.1:$e stream tcp nowait nobody internal echo
	EOF
	start_superd
	talk "$e" a >/dev/null
	wait_log "event=exit svc=$e "
	scrape "$m" >"$T/m0"
	t0=$(sed -n 's/^superd_last_reload_success_timestamp_seconds //p' "$T/m0")
	table <<-EOF
	127.0.0.1:$m stream tcp nowait nobody internal metrics
	127.0.0.1:$e stream tcp nowait,instances=5 nobody internal echo
	EOF
	# the reload's time is to be later than t0 (milliseconds)
	wait_until 2 eval '[ "$(echo "$(date +%s.%N) > $t0 + 0.002" | bc)" = 1 ]'
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload services=2 added=0 removed=0 changed=1 kept=1"
	echo "127.0.0.1:0 stream tcp bogus nobody internal echo" >"$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload-failed"
	talk "$e" b >/dev/null
	wait_until 5 log_lines "event=exit svc=$e " 2
	scrape "$m" >"$T/m"
	"$PROMTOOL" check metrics <"$T/m"
	assert_equal "$(sample "$T/m" superd_connections_total "$e")" 2
	grep -q '^superd_reloads_total 1$' "$T/m"
	grep -q '^superd_reload_failures_total 1$' "$T/m"
	t1=$(sed -n 's/^superd_last_reload_success_timestamp_seconds //p' "$T/m")
	[ "$(echo "$t1 > $t0" | bc)" = 1 ]
	start=$(sed -n 's/^superd_start_time_seconds //p' "$T/m")
	[ "$(echo "$start <= $t0" | bc)" = 1 ]
	now=$(date +%s)
	[ "$(echo "$now - $start < 60" | bc)" = 1 ]
}

@test "superd's open descriptors are the parent's, counted before the scrape's fork" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait nobody internal echo
	EOF
	start_superd
	scrape "$(port 1)" >"$T/m"
	n=$(sed -n 's/^superd_open_fds //p' "$T/m")
	# the parent's table now, less the connection it held for the scrape
	have=$(ls /proc/"$SUPERD_PID"/fd | wc -l)
	[ "$n" -ge "$have" ] && [ "$n" -le $((have + 2)) ]
	grep -Eq "^superd_max_fds $(awk '/^Max open files/ { print $4 }' /proc/"$SUPERD_PID"/limits)$" "$T/m"
}

@test "a datagram metrics line is a load error with FILE:LINE; superd -t and supertab check accept the stream one" {
	table <<-EOF
	127.0.0.1:9102 stream tcp nowait nobody internal metrics
	EOF
	run "$SUPERD" -t "$CONF"
	assert_success
	assert_output ""
	run "$SUPERTAB" -f "$CONF" check
	assert_success
	table <<-EOF
	# metrics over udp
	127.0.0.1:9102 dgram udp wait nobody internal metrics
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: the metrics built-in is a stream service (HTTP over tcp)"
	run "$SUPERTAB" -f "$CONF" check
	assert_failure
	assert_output --partial "$CONF:2: the metrics built-in is a stream service"
}

@test "200 silent connections to the metrics port hold at most instances= children and stop no other service" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,instances=10 nobody internal metrics
	127.0.0.1:0 stream tcp nowait nobody internal echo
	EOF
	start_superd
	m=$(port 1)
	e=$(port 2)
	timeout 30 python3 - "$m" <<-'PY' &
	import socket, sys, time
	socks = []
	for i in range(200):
	    s = socket.socket()
	    s.settimeout(5)
	    s.connect(("127.0.0.1", int(sys.argv[1])))
	    socks.append(s)
	time.sleep(25)
	PY
	holder=$!
	wait_log "event=full svc=0 line=1 instances=10"
	[ "$(children_of "$SUPERD_PID")" -le 10 ]
	for i in 1 2 3; do
		run talk "$e" "still$i"
		assert_output "still$i"
	done
	[ "$(children_of "$SUPERD_PID")" -le 11 ]
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}

@test "every metric superd writes is in superd.8's METRICS, and conf/prometheus.yml passes promtool check config" {
	[ -x "$PROMTOOL" ] || fail "no promtool: make promtool"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	EOF
	start_superd
	scrape "$(port 1)" >"$T/m"
	sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$T/m" >"$T/names"
	[ "$(wc -l <"$T/names")" -ge 19 ]
	sed -n '/^\.Sh METRICS/,/^\.Sh /p' "$TOP/man/superd.8" >"$T/man"
	while read -r name; do
		grep -Eq "^\.It Li (.* )?$name[ ,{]" "$T/man" ||
		    fail "$name is not in superd.8's METRICS"
	done <"$T/names"
	run "$PROMTOOL" check config "$TOP/conf/prometheus.yml"
	assert_success
}

@test "a scraper that asks and never reads the answer holds its child 30 s at most, and superd answers meanwhile" {
	{
		echo "127.0.0.1:0 stream tcp nowait nobody internal metrics"
		for i in $(seq 2 1500); do
			echo "127.0.0.1:0 stream tcp nowait nobody internal echo"
		done
	} | table
	start_superd
	wait_until 5 eval 'test "$(wc -l <"$PORTS")" -eq 1500'
	m=$(port 1)
	# a small receive window, a request, and no read for 40 s
	timeout 45 python3 - "$m" 3>&- <<-'PY' &
	import socket, sys, time
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	s.connect(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
	time.sleep(40)
	PY
	reader=$!
	wait_log "event=start svc=0 line=1 "
	run talk "$(port 2)" ping
	assert_output ping
	# the whole answer is more than the socket buffers hold: still running
	wait_until 10 send_queued "$m"
	if log_has "event=exit svc=0 line=1 "; then
		fail "the metrics child exited with its answer unread"
	fi
	wait_log "event=exit svc=0 line=1 pid=[0-9]+ signal=ALRM duration=(29|30|31)\." 35
	run talk "$(port 3)" pong
	assert_output pong
	kill "$reader" 2>/dev/null || true
}

@test "the stderr lines a service's children write are counted as logged" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "echo oops >&2; echo again >&2"
	EOF
	start_superd
	talk "$(port 2)" || true
	talk "$(port 2)" || true
	wait_until 5 log_lines "event=stderr svc=0 line=2 " 4
	scrape "$(port 1)" >"$T/m"
	"$PROMTOOL" check metrics <"$T/m"
	assert_equal "$(sample "$T/m" superd_stderr_lines_logged_total "$(port 2)")" 4
	assert_equal "$(sample "$T/m" superd_stderr_lines_dropped_total "$(port 2)")" 0
	assert_equal "$(sample "$T/m" superd_stderr_pipe_failures_total "$(port 2)")" 0
}

@test "a metrics child stopped by SIGSTOP is ended by superd within 35 s, the metrics line's default timeout=" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	EOF
	start_superd
	m=$(port 1)
	timeout 45 nc 127.0.0.1 "$m" </dev/null >/dev/null 3>&- &
	client=$!
	wait_log "event=start svc=0 line=1 "
	pid=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\).*/\1/p' "$LOG")
	# what a process of the child's uid can do: its alarm(30) never ends it
	kill -STOP "$pid"
	start=$(date +%s)
	wait_log "event=timeout svc=0 line=1 pid=$pid signal=TERM" 40
	end=$(date +%s)
	[ $((end - start)) -ge 32 ] && [ $((end - start)) -le 37 ]
	wait_log "event=exit svc=0 line=1 pid=$pid signal=(TERM|KILL)" 10
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
}

@test "a tcp nowait service of whose connections superd keeps no copy (linger=0, no idle=) has no byte series, not a 0" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody internal metrics
	127.0.0.1:0 stream tcp nowait,linger=0 nobody internal echo
	127.0.0.1:0 stream tcp nowait,linger=0,idle=30 nobody internal echo
	EOF
	start_superd
	run talk "$(port 2)" hello
	assert_output hello
	run talk "$(port 3)" hello
	assert_output hello
	wait_until 5 log_lines "event=exit svc=0 line=[23] " 2
	scrape "$(port 1)" >"$T/m"
	"$PROMTOOL" check metrics <"$T/m"
	for name in superd_received_bytes_total superd_sent_bytes_total; do
		run grep -c "^$name{.*addr=\"127.0.0.1:$(port 2)\"" "$T/m"
		assert_output 0
		assert_equal "$(sample "$T/m" "$name" "$(port 3)")" 5
	done
}
