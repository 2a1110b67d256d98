# Loaded by every test file: start a real superd on a table the test
# writes, find its ports, wait on conditions (never a bare sleep), stop it
# by its PID.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
SUPERD=${SUPERD:-$TOP/superd}
SUPERTAB=${SUPERTAB:-$TOP/supertab}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
# Sanitizer builds are slower; give conditions more time there.
WAIT_SCALE=1
[ -n "${SUPERD_ASAN:-}" ] && WAIT_SCALE=3

setup() {
	T=$BATS_TEST_TMPDIR
	CONF=$T/superd.conf
	LOG=$T/log
	PORTS=$T/ports
	SUPERD_PID=
}

teardown() {
	stop_superd
	kill_started_children
	# directories a test made outside $BATS_TEST_TMPDIR
	if [ -f "$T/cleanup" ]; then
		xargs rm -rf <"$T/cleanup"
	fi
}

# wait_until SECONDS COMMAND...: poll COMMAND every 50 ms until it
# succeeds; fail after SECONDS (scaled under sanitizers).
wait_until() {
	local secs=$1 i max
	shift
	max=$((secs * 20 * WAIT_SCALE))
	for ((i = 0; i < max; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out after ${secs}s waiting for: $*" >&2
	return 1
}

# log_has PATTERN: the superd log has a line matching the ERE.
log_has() {
	grep -Eq -- "$1" "$LOG"
}

# wait_log PATTERN [SECONDS]
wait_log() {
	wait_until "${2:-5}" log_has "$1" || {
		echo "--- log:" >&2
		cat "$LOG" >&2
		return 1
	}
}

# log_count PATTERN: how many log lines match.
log_count() {
	grep -Ec -- "$1" "$LOG" || true
}

# log_lines PATTERN N: exactly N log lines match (for wait_until, which
# must count again at each poll: `wait_until 5 test "$(log_count X)" -eq N`
# counts once, before the first).
log_lines() {
	[ "$(log_count "$1")" -eq "$2" ]
}

# start_superd [superd options...]: superd -d on $CONF, in the
# background, with its ports in $PORTS; returns when every listener is up.
start_superd() {
	rm -f "$PORTS"
	"$SUPERD" -d -P "$PORTS" "$@" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS" || {
		cat "$LOG" >&2
		return 1
	}
}

# start_upstate ITEM... [OPTION...]: superd started as an upgrade's new
# binary, handed a state tests/upstate.py makes of those items.
start_upstate() {
	rm -f "$PORTS"
	python3 "$BATS_TEST_DIRNAME/upstate.py" "$@" -- "$SUPERD" -d \
	    -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
}

# start_superd_noports: for tables whose ports may all fail to bind.
start_superd_bare() {
	"$SUPERD" -d "$@" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
}

superd_alive() {
	[ -n "$SUPERD_PID" ] && kill -0 "$SUPERD_PID" 2>/dev/null
}

stop_superd() {
	if superd_alive; then
		kill -TERM "$SUPERD_PID" 2>/dev/null || true
		wait_until 10 eval '! kill -0 '"$SUPERD_PID"' 2>/dev/null' ||
		    kill -KILL "$SUPERD_PID" 2>/dev/null || true
	fi
	[ -n "$SUPERD_PID" ] && wait "$SUPERD_PID" 2>/dev/null || true
	SUPERD_PID=
}

# Children that outlive a test (sleepers) are stopped by the pids and
# process groups the log names, never by name.
kill_started_children() {
	local pid
	[ -f "${LOG:-}" ] || return 0
	for pid in $(sed -n 's/^event=start .* pid=\([0-9]*\).*/\1/p' "$LOG"); do
		kill -KILL -- "-$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# port LINE [PROTO]: the port superd bound for the table's line LINE.
port() {
	local want=${2:-}
	awk -v l="$1" -v p="$want" '$1 == l && (p == "" || $4 == p) {
		n = split($3, a, ":"); print a[n]; exit }' "$PORTS"
}

# talk PORT [INPUT]: send INPUT (and EOF) to 127.0.0.1:PORT, print reply.
talk() {
	printf '%s' "${2:-}" | timeout 10 nc -N 127.0.0.1 "$1"
}

# talk6 PORT [INPUT]: the same over [::1].
talk6() {
	printf '%s' "${2:-}" | timeout 10 nc -N ::1 "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A table line for a test: writes $CONF from stdin.
table() {
	cat >"$CONF"
}

# children_of PID: the direct children of a process.
children_of() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -c . || true
}

is_root() {
	[ "$(id -u)" = 0 ]
}

# nproc_bursts WAIT: a service of the games user with wait field WAIT,
# under an RLIMIT_NPROC just above what games runs; 150 clients in
# bursts of 50 must all be served: a child whose execve fails for want
# of processes gives its connection back (spawnback.c), and superd
# says so, never giving a connection up.
nproc_bursts() {
	table <<-EOF
	127.0.0.1:0 stream tcp $1 games /bin/sh sh -c "echo \$TCPREMOTEPORT"
	EOF
	n=$(ps -u games --no-headers | wc -l)
	rm -f "$PORTS"
	(ulimit -u $((n + 8)) &&
	 exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	for i in 1 2 3; do
		run timeout 60 python3 "$TOP/tests/burst.py" "$(port 1)" 50
		assert_output "ok=50 wrong=0 failed=0"
	done
	log_has '^event=exec-failed svc=0 line=1 backoff=[0-9.]+ error="Resource temporarily unavailable"'
	! log_has 'reason=fork'
}
