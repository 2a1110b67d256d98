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
