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
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=[0-9.]+ cpu=[0-9]+\.[0-9]{3} maxrss=[0-9]+$'
	cpu=$(exit_field cpu)
	rss=$(exit_field maxrss)
	# the shell itself used next to nothing: python3, which it waited
	# for, is counted, 0.3 s of CPU and 64 MiB touched
	awk -v c="$cpu" 'BEGIN { exit !(c >= 0.3 && c < 5) }'
	[ "$rss" -ge 65536 ]
	assert_equal "$(talk "$(port 2)")" ok
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=0 duration=[0-9.]+ cpu=[0-9.]+ maxrss=[0-9]+$'
	[ "$(exit_field maxrss)" -lt 65536 ]
}

@test "a child killed by timeout= still has its usage on the exit line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "while :; do :; done"
	EOF
	start_superd
	timeout 10 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM duration=1\.[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$' 5
	# it spun for its whole second (less on a busy machine, never none)
	awk -v c="$(exit_field cpu)" 'BEGIN { exit !(c >= 0.2) }'
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
