#!/usr/bin/env bats
# A service's stderr in the log (SPEC 10, stderr=log, the default): one
# event=stderr line a line, under the pid of the child's event=start
# line, escaped, cut at 1 KiB, at most 100 a second per service with the
# rest counted; never blocking superd or, for long, the child.

load helpers

# pid_of_start LINE: the pid of the first event=start line of table line
# LINE.
pid_of_start() {
	sed -n "s/^event=start svc=[^ ]* line=$1 pid=\([0-9]*\).*/\1/p" "$LOG" |
	    head -1
}

# stderr_sum LINE: the lines of table line LINE's stderr logged, plus
# those its count= lines say were dropped.
stderr_sum() {
	local logged dropped
	logged=$(log_count "^event=stderr svc=[^ ]* line=$1 ")
	dropped=$(sed -n "s/^event=stderr-dropped svc=[^ ]* line=$1 count=//p" \
	    "$LOG" | awk '{ n += $1 } END { print n + 0 }')
	echo $((logged + dropped))
}

# stderr_sum_is LINE N
stderr_sum_is() {
	[ "$(stderr_sum "$1")" -eq "$2" ]
}

@test "a line a child writes to stderr is logged once, with the pid of its start line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "echo oops >&2; echo out"
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" out
	wait_log '^event=exit svc=[^ ]* line=1 '
	pid=$(pid_of_start 1)
	[ -n "$pid" ]
	wait_log "^event=stderr svc=[^ ]* line=1 pid=$pid msg=\"oops\"\$"
	assert_equal "$(log_count '^event=stderr ')" 1
	# nothing of the child's reaches superd's own stderr unlabelled
	! log_has '^oops'
}

@test "a last line without a newline is logged when the child exits" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "echo first >&2; printf 'no newline' >&2"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null
	pid=$(pid_of_start 1)
	wait_log "^event=stderr svc=[^ ]* line=1 pid=$pid msg=\"first\"\$"
	wait_log "^event=stderr svc=[^ ]* line=1 pid=$pid msg=\"no newline\"\$"
}

@test "a 5 KiB line is logged cut at 1 KiB with truncated=1, and the next line whole" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "{ head -c 5120 /dev/zero | tr '\\0' x; echo; echo next; } >&2"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null
	x1k=$(head -c 1024 /dev/zero | tr '\0' x)
	wait_log "^event=stderr svc=[^ ]* line=1 pid=[0-9]+ msg=\"next\"\$"
	assert_equal "$(log_count "^event=stderr svc=[^ ]* line=1 pid=[0-9]+ msg=\"$x1k\" truncated=1\$")" 1
	# the rest of the long line is not logged as lines of its own
	assert_equal "$(log_count '^event=stderr ')" 2
}

@test "control characters, quotes and backslashes of a stderr line are escaped" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "printf 'a\"b\\\\c\\001\\033[2Jd\\r\\tend\\n' >&2"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null
	wait_log '^event=stderr '
	run grep -F 'msg="a\"b\\c\001\033[2Jd\r\tend"' "$LOG"
	assert_success
	# one log line, nothing raw: no ESC, no CR in the log
	! grep -q "$(printf '\033')" "$LOG"
	! grep -q "$(printf '\r')" "$LOG"
}

@test "what a child's own background process writes after the child's exit is logged under the child's pid" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "(sleep 0.5; echo late >&2) </dev/null >/dev/null & echo early"
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" early
	pid=$(pid_of_start 1)
	wait_log "^event=exit svc=[^ ]* line=1 pid=$pid "
	wait_log "^event=stderr svc=[^ ]* line=1 pid=$pid msg=\"late\"\$"
	# and it came after the exit line
	exit_at=$(grep -n "^event=exit svc=[^ ]* line=1 pid=$pid " "$LOG" | cut -d: -f1)
	late_at=$(grep -n 'msg="late"' "$LOG" | cut -d: -f1)
	[ "$late_at" -gt "$exit_at" ]
}

@test "a service flooding stderr with 100,000 lines neither stops superd nor waits long itself, and what is dropped is counted" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $TOP/tests/errflood.py 100000 PORT2
	127.0.0.1:0 stream tcp nowait nobody /bin/echo echo other
	EOF
	# the first service asks the second: its port goes in after binding
	start_superd
	other=$(port 2)
	sed -i "s/PORT2/$other/" "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload '
	run talk "$(port 1)"
	assert_success
	# superd answered the other service while the flood ran, halfway
	assert_output --regexp '^answer=other elapsed=[0-9.]+$'
	elapsed=${output##*elapsed=}
	echo "100,000 stderr lines written in ${elapsed}s" >&3
	# a generous bound: a child that waited for the log's rate would
	# take 1,000 s
	[ "$(echo "$elapsed < 10" | bc)" = 1 ]
	# every line is logged or counted as dropped, the rate kept
	wait_until 10 stderr_sum_is 1 100000 || {
		echo "sum $(stderr_sum 1)" >&2
		grep -E '^event=stderr-dropped' "$LOG" >&2
		false
	}
	logged=$(log_count '^event=stderr svc=[^ ]* line=1 ')
	echo "logged $logged, dropped $((100000 - logged))" >&3
	[ "$logged" -ge 100 ]
	[ "$logged" -le 1200 ]
	# the count= lines are few: one a second at most
	[ "$(log_count '^event=stderr-dropped ')" -le 12 ]
}

@test "stderr=inherit, socket and null are as they were: superd's stderr, the client, nowhere" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,stderr=inherit nobody /bin/sh sh -c "echo raw-line >&2"
	127.0.0.1:0 stream tcp nowait,stderr=socket nobody /bin/sh sh -c "echo to-client >&2"
	127.0.0.1:0 stream tcp nowait,stderr=null nobody /bin/sh sh -c "echo nowhere >&2; echo out"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null
	wait_log '^raw-line$'
	assert_equal "$(talk "$(port 2)")" to-client
	assert_equal "$(talk "$(port 3)")" out
	wait_log '^event=exit svc=[^ ]* line=3 '
	! log_has nowhere
	! log_has '^event=stderr '
}

@test "a reload that removes a service keeps its name on the stderr of what its child left running" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/echo echo other
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "(sleep 1; echo after-reload >&2) </dev/null >/dev/null & echo early"
	EOF
	start_superd
	assert_equal "$(talk "$(port 2)")" early
	pid=$(pid_of_start 2)
	wait_log "^event=exit svc=[^ ]* line=2 pid=$pid "
	sed -i 2d "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload .*removed=1'
	# the removed service's line, not the one now on its line
	wait_log "^event=stderr svc=0 line=2 pid=$pid msg=\"after-reload\"\$"
}

@test "pipes left open by background processes are bounded: the oldest are closed, and logged" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=0 nobody /bin/sh sh -c "sleep 30 </dev/null >/dev/null & echo ok"
	EOF
	# RLIMIT_NOFILE 160: an eighth is 20 orphan pipes at most, and one
	# service's share of them 16 (a quarter, 16 at least)
	rm -f "$PORTS"
	(ulimit -n 160 && exec "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" \
	    2>"$LOG" 3>&-) &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	for i in $(seq 25); do
		assert_equal "$(talk "$(port 1)")" ok
	done
	wait_until 10 log_lines '^event=exit ' 25
	wait_until 10 log_lines '^event=stderr-closed svc=[^ ]* line=1 pid=[0-9]+ reason=orphans ' 9
	# the oldest: the first nine children's
	first=$(sed -n 's/^event=start .* pid=\([0-9]*\).*/\1/p' "$LOG" | head -9 | sort)
	closed=$(sed -n 's/^event=stderr-closed .* pid=\([0-9]*\) .*/\1/p' "$LOG" | sort)
	assert_equal "$closed" "$first"
	# superd still serves
	assert_equal "$(talk "$(port 1)")" ok
}

@test "superd exiting closes the pipes it still reads, and logs their last partial line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,linger=0 nobody /bin/sh sh -c "printf partial >&2; sleep 30 </dev/null >/dev/null & echo ok"
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" ok
	wait_log '^event=exit '
	stop_superd
	log_has '^event=stderr svc=[^ ]* line=1 pid=[0-9]+ msg="partial"$'
}

@test "a line a running child writes to stderr is logged while it runs, superd otherwise idle" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/sh sh -c "echo early >&2; sleep 4; echo out"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null &
	wait_log '^event=stderr svc=[^ ]* line=1 pid=[0-9]+ msg="early"$' 3
	# read at once, not with the child's exit
	! log_has '^event=exit svc=[^ ]* line=1 '
}
