#!/usr/bin/env bats
# Limits and access control: floods, slow clients and hostile peers.

load helpers

FLOOD="python3 $BATS_TEST_DIRNAME/flood.py"

# max_running SVC: the most children of SVC alive at once, from the
# order of start and exit lines in the log.
max_running() {
	awk -v s="svc=$1" '$2 == s && $1 == "event=start" { n++; if (n > m) m = n }
		$2 == s && $1 == "event=exit" { n-- } END { print m + 0 }' "$LOG"
}

# cpu_ticks PID: user + system time of a process, in clock ticks.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat
}

@test "instances=2: never more than 2 children, and all 5 concurrent clients are served" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,instances=2 root /bin/sh sh -c "sleep 0.5; echo served"
	EOF
	start_superd
	p=$(port 1)
	pids=
	for i in 1 2 3 4 5; do
		(talk "$p" >"$T/out.$i") &
		pids="$pids $!"
	done
	wait $pids
	for i in 1 2 3 4 5; do
		assert_equal "$(cat "$T/out.$i")" served
	done
	wait_until 5 log_lines 'event=exit' 5
	assert_equal "$(max_running 0)" 2
	! log_has 'event=refused'
}

@test "per-source=1: a second concurrent connection from the same address is closed at once and logged" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,per-source=1 root /bin/sh sh -c "echo first; sleep 3"
	EOF
	start_superd
	p=$(port 1)
	(timeout 10 nc 127.0.0.1 "$p" </dev/null >"$T/first") &
	wait_until 5 grep -q first "$T/first"
	start=$(date +%s%N)
	run talk "$p"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_output ""
	[ "$elapsed" -lt 2000 ]
	wait_log '^event=refused svc=0 line=1 reason=per-source peer=127\.0\.0\.1:[0-9]+$'
}

@test "TCPCONNNUM counts this address's open connections to the service" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo $TCPCONNNUM; sleep 2"
	EOF
	start_superd
	p=$(port 1)
	(timeout 10 nc 127.0.0.1 "$p" </dev/null >"$T/a") &
	wait_until 5 test -s "$T/a"
	(timeout 10 nc 127.0.0.1 "$p" </dev/null >"$T/b") &
	wait_until 5 test -s "$T/b"
	assert_equal "$(cat "$T/a")" 1
	assert_equal "$(cat "$T/b")" 2
}

@test "rate=5/2: 20 quick connections get 5 to 7 served, and the service serves again later" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,rate=5/2 root /bin/echo echo ok
	EOF
	start_superd
	p=$(port 1)
	run $FLOOD "$p" 20
	echo "$output"
	served=$(echo "$output" | sed 's/.*answered=//')
	[ "$served" -ge 5 ] && [ "$served" -le 7 ]
	wait_log '^event=refused svc=0 line=1 reason=rate'
	wait_until 5 eval "[ \"\$(talk $p)\" = ok ]"
	superd_alive
}

@test "inetd's nowait.N limits starts per minute, without shutting the service down" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait.3 root /bin/echo echo ok
	EOF
	start_superd
	run $FLOOD "$(port 1)" 6
	assert_output --partial "answered=3"
	wait_log 'reason=rate'
}

@test "timeout=1 ends the connection and leaves nothing of its process group behind" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "sleep 30 & sleep 30"
	EOF
	start_superd
	start=$(date +%s)
	run talk "$(port 1)"
	[ $(($(date +%s) - start)) -lt 5 ]
	wait_log '^event=timeout svc=0 line=1 pid=[0-9]+ signal=TERM$'
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM '
	pid=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\).*/\1/p' "$LOG")
	wait_until 5 eval "[ -z \"\$(ps -e -o pgid= | awk -v g=$pid '\$1 == g')\" ]"
}

@test "a child that ignores SIGTERM gets SIGKILL 2 s later, with its group" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "trap '' TERM; sleep 30 & sleep 30"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null || true
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=KILL duration=3\.' 8
	pid=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\).*/\1/p' "$LOG")
	wait_until 5 eval "[ -z \"\$(ps -e -o pgid= | awk -v g=$pid '\$1 == g')\" ]"
}

@test "allow= serves only matching peers; deny= refuses them and wins over allow=" {
	table <<-EOF
	0 stream tcp4 nowait,allow=127.0.0.1 root /bin/echo echo allowed
	0 stream tcp4 nowait,deny=127.0.0.2 root /bin/echo echo notdenied
	0 stream tcp4 nowait,allow=127.0.0.0/8,deny=127.0.0.2/32 root /bin/echo echo both
	0 stream tcp6 nowait,allow=::1/128 root /bin/echo echo six
	EOF
	start_superd
	from() { timeout 5 nc -N -s "$1" 127.0.0.1 "$2" </dev/null; }
	assert_equal "$(from 127.0.0.1 "$(port 1)")" allowed
	assert_equal "$(from 127.0.0.2 "$(port 1)")" ""
	assert_equal "$(from 127.0.0.1 "$(port 2)")" notdenied
	assert_equal "$(from 127.0.0.2 "$(port 2)")" ""
	assert_equal "$(from 127.0.0.3 "$(port 3)")" both
	assert_equal "$(from 127.0.0.2 "$(port 3)")" ""
	assert_equal "$(talk6 "$(port 4 tcp6)")" six
	wait_log '^event=refused svc=0 line=[0-9]+ reason=deny peer=127\.0\.0\.2:[0-9]+$'
}

@test "env= reaches the child, over a variable of the same name" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,env=GREETING=hello,env=PATH=/bin,env=X=a=b root /usr/bin/env env
	EOF
	start_superd
	run talk "$(port 1)"
	assert_line "GREETING=hello"
	assert_line "PATH=/bin"
	assert_line "X=a=b"
	assert_equal "$(printf '%s\n' "$output" | grep -c '^PATH=')" 1
}

@test "stderr=socket sends the child's stderr to the client, null discards it, inherit logs it" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,stderr=socket root /bin/sh sh -c "echo to-stderr >&2"
	127.0.0.1:0 stream tcp nowait,stderr=null root /bin/sh sh -c "echo nowhere >&2; echo out; exec ls /proc/self/fd"
	127.0.0.1:0 stream tcp nowait,stderr=inherit root /bin/sh sh -c "echo inherited-line >&2"
	EOF
	start_superd
	assert_equal "$(talk "$(port 1)")" to-stderr
	# ls's own descriptor for /proc/self/fd is 3; a leaked one would
	# push it to 4.  (A shell pipeline reading /proc/$$/fd could list
	# the shell's own pipe for a moment.)
	assert_equal "$(talk "$(port 2)" | tr '\n' ' ')" "out 0 1 2 3 "
	talk "$(port 3)" >/dev/null
	wait_log '^inherited-line$'
	! log_has nowhere
}

@test "500 refused connections give no more than 10 log lines, whose counts add up" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,deny=127.0.0.1 root /bin/echo echo no
	127.0.0.1:0 stream tcp nowait root /bin/echo echo yes
	EOF
	start_superd
	run $FLOOD "$(port 1)" 500
	assert_output --partial "answered=0"
	# the last summary comes within a second
	wait_until 5 eval '[ "$(awk "/reason=deny/ { n += (match(\$0, /count=[0-9]+/) ? substr(\$0, RSTART + 6, RLENGTH - 6) : 1) } END { print n }" "$LOG")" = 500 ]'
	lines=$(log_count 'event=refused')
	echo "refusal lines: $lines"
	[ "$lines" -le 10 ]
	assert_equal "$(talk "$(port 2)")" yes
}

@test "a flood under prlimit --nofile=64 costs superd little CPU, and it serves afterwards" {
	command -v prlimit >/dev/null || skip "no prlimit"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	rm -f "$PORTS"
	prlimit --nofile=64 "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	p=$(port 1)
	before=$(cpu_ticks "$SUPERD_PID")
	# 200 connections held open for 3 s: far more than 64 descriptors
	run $FLOOD "$p" 200 --hold 3 --send x
	echo "$output"
	after=$(cpu_ticks "$SUPERD_PID")
	hz=$(getconf CLK_TCK)
	echo "superd CPU during the flood: $((after - before)) ticks of 1/$hz s"
	echo "flood-cpu-ms=$(((after - before) * 1000 / hz))" >&3
	# spinning on EMFILE would burn the whole 3 s
	[ $((after - before)) -lt $((hz * 3 / 4 * WAIT_SCALE)) ]
	superd_alive
	wait_log 'event=(accept|fork)-failed'
	wait_until 10 eval "[ \"\$(talk $p hello)\" = hello ]"
}
