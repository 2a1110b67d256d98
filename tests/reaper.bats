#!/usr/bin/env bats
# superd as PID 1 of a container, and -r: orphans reparented to superd
# are reaped (reaper.c), signals still reach it, its own children's exit
# lines stay right.  PID 1 is PID 1 of a new PID namespace (unshare
# --pid --fork --mount-proc, as root), the container's case without a
# container runtime.

load helpers
bats_require_minimum_version 1.5.0

# pid1_possible: unshare may make a PID namespace here, or the test skips.
pid1_possible() {
	is_root || skip "a PID namespace needs root here"
	unshare --pid --fork --mount-proc true 2>/dev/null ||
	    skip "unshare --pid --fork --mount-proc refused here"
}

# start_pid1 [superd options...]: superd -d on $CONF as PID 1 of a new
# PID namespace; SUPERD_PID is its pid as seen from here, UNSHARE_PID
# unshare's, which exits with it.
start_pid1() {
	rm -f "$PORTS"
	unshare --pid --fork --mount-proc "$SUPERD" -d -P "$PORTS" "$@" \
	    "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	UNSHARE_PID=$!
	wait_until 10 test -s "$PORTS" || {
		cat "$LOG" >&2
		return 1
	}
	SUPERD_PID=$(echo $(cat /proc/"$UNSHARE_PID"/task/*/children))
	[ -n "$SUPERD_PID" ]
	# it is PID 1 over there
	grep -Eq "^NSpid:[[:space:]]+$SUPERD_PID[[:space:]]+1\$" \
	    /proc/"$SUPERD_PID"/status
}

teardown() {
	stop_superd
	kill_started_children
	if [ -n "${UNSHARE_PID:-}" ]; then
		kill -KILL "$UNSHARE_PID" 2>/dev/null || true
		wait "$UNSHARE_PID" 2>/dev/null || true
	fi
}

# in_ns COMMAND...: run COMMAND inside superd's PID namespace.
in_ns() {
	timeout 15 nsenter -t "$SUPERD_PID" -p -m -- "$@"
}

# ns_pids: the processes of superd's PID namespace, by their pids here.
ns_pids() {
	local ns p
	ns=$(readlink /proc/"$SUPERD_PID"/ns/pid) || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p"/ns/pid 2>/dev/null)" = "$ns" ] &&
		    echo "${p#/proc/}"
	done
	return 0
}

# zombies_of PID: how many zombies PID has as children, right now.
zombies_of() {
	local c n=0
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		grep -q '^State:[[:space:]]*Z' /proc/"$c"/status 2>/dev/null &&
		    n=$((n + 1))
	done
	echo "$n"
}

# ns_zombies: how many zombies superd's PID namespace holds, right now.
ns_zombies() {
	local p n=0
	for p in $(ns_pids); do
		grep -q '^State:[[:space:]]*Z' /proc/"$p"/status 2>/dev/null &&
		    n=$((n + 1))
	done
	echo "$n"
}

# ns_sleeping: a sleep(1) of superd's namespace still runs (not a zombie).
ns_sleeping() {
	local p
	for p in $(ns_pids); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] &&
		    ! grep -q '^State:[[:space:]]*Z' /proc/"$p"/status \
		    2>/dev/null && return 0
	done
	return 1
}

no_zombie_in_ns() {
	[ "$(ns_zombies)" -eq 0 ]
}

no_zombie_of_superd() {
	[ "$(zombies_of "$SUPERD_PID")" -eq 0 ]
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

# ppid_of PID
ppid_of() {
	sed -n 's/^PPid:[[:space:]]*//p' /proc/"$1"/status
}

@test "as PID 1, superd reaps the orphaned sleep of sh -c 'sleep 1 &': no zombie is left, and it is counted" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "sleep 1 </dev/null >/dev/null 2>&1 & echo started"
	EOF
	start_pid1
	run talk "$(port 1)"
	assert_output started
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	# the sleep runs on, an orphan of superd's, then exits
	wait_until 10 eval '! ns_sleeping'
	wait_until 5 no_zombie_in_ns
	wait_log '^event=reaped orphans=1 total=1$'
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status services=1 children=0 orphans=1$'
}

@test "as PID 1, superd stays in the foreground without -D: detaching would end its namespace" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo up
	EOF
	rm -f "$PORTS"
	unshare --pid --fork --mount-proc "$SUPERD" -e -P "$PORTS" "$CONF" \
	    >"$T/stdout" 2>"$LOG" 3>&- &
	UNSHARE_PID=$!
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	assert_output up
	SUPERD_PID=$(echo $(cat /proc/"$UNSHARE_PID"/task/*/children))
	grep -Eq "^NSpid:[[:space:]]+$SUPERD_PID[[:space:]]+1\$" \
	    /proc/"$SUPERD_PID"/status
}

@test "SIGTERM sent to PID 1 from inside its namespace ends superd, its children (with -k) and the namespace" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo up; exec sleep 30"
	EOF
	start_pid1 -k 1
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/out" 2>&1 3>&- &
	wait_until 5 test -s "$T/out"
	wait_log '^event=start svc=0 line=1 pid=2 '
	in_ns sh -c 'kill -TERM 1'
	wait_log '^event=shutdown signal=TERM children=1 wait=1$'
	wait_log '^event=exit svc=0 line=1 pid=2 signal=TERM '
	wait_until 10 gone "$UNSHARE_PID"
	run wait "$UNSHARE_PID"
	assert_success
	# nothing of the namespace is left
	[ -z "$(ns_pids)" ]
	gone "$SUPERD_PID"
}

@test "as PID 1 with -k 1, a group still has its 2 seconds after SIGTERM: a member that traps TERM finishes its trap" {
	pid1_possible
	cat >"$T/member.sh" <<-'EOF'
	#!/bin/sh
	trap 'sleep 1; echo done >"$1"; exit 0' TERM
	while :; do sleep 0.1; done
	EOF
	chmod +x "$T/member.sh"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "$T/member.sh $T/done </dev/null >/dev/null 2>&1 & echo up; exec sleep 30"
	EOF
	start_pid1 -k 1
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/out" 2>&1 3>&- &
	wait_until 5 test -s "$T/out"
	in_ns sh -c 'kill -TERM 1'
	wait_log '^event=exit svc=0 line=1 pid=2 signal=TERM ' 10
	wait_until 5 test -s "$T/done"
	wait_until 10 gone "$UNSHARE_PID"
}

@test "SIGKILL from outside ends PID 1 superd and everything in its namespace" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo up; sleep 30 >/dev/null 2>&1 & exec sleep 30"
	EOF
	start_pid1
	run talk "$(port 1)" </dev/null &
	wait_log '^event=start svc=0 line=1 pid=2 '
	wait_until 5 eval '[ "$(ns_pids | wc -l)" -ge 3 ]'
	kill -KILL "$SUPERD_PID"
	wait_until 10 gone "$UNSHARE_PID"
	wait_until 5 eval '[ -z "$(ns_pids)" ]'
}

@test "SIGHUP sent to PID 1 reloads the table, and SIGUSR1 logs the status" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	EOF
	start_pid1
	run talk "$(port 1)"
	assert_output one
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	127.0.0.1:0 stream tcp nowait root /bin/echo echo two
	EOF
	rm -f "$PORTS"
	in_ns sh -c 'kill -HUP 1'
	wait_log '^event=reload services=2 added=1 '
	wait_until 5 test -s "$PORTS"
	run talk "$(port 2)"
	assert_output two
	in_ns sh -c 'kill -USR1 1'
	wait_log '^event=status services=2 children=0 orphans=0$'
}

@test "superd -S 1 answers inside its namespace, as the Dockerfile's HEALTHCHECK asks" {
	pid1_possible
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo one
	EOF
	start_pid1
	run in_ns "$SUPERD" -S 1
	assert_success
	assert_line --regexp '^event=status services=1 children=0 orphans=0$'
}

@test "with -r, an orphan is reparented to superd, then reaped" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "sleep 1 </dev/null >/dev/null 2>&1 & echo \$! >$T/orphan"
	EOF
	start_superd -r
	# the connection ends with the sh's process group (linger.c)
	talk "$(port 1)" >/dev/null &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	orphan=$(cat "$T/orphan")
	# the sh is gone: its sleep is superd's now
	[ "$(ppid_of "$orphan")" = "$SUPERD_PID" ]
	# reaped: gone from /proc, not a zombie
	wait_until 5 gone "$orphan"
	no_zombie_of_superd
	wait_log '^event=reaped orphans=1 total=1$'
}

@test "without -r, and not PID 1, superd is no subreaper: the orphan goes where it went before" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "sleep 3 </dev/null >/dev/null 2>&1 & echo \$! >$T/orphan"
	EOF
	start_superd
	talk "$(port 1)" >/dev/null &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 '
	orphan=$(cat "$T/orphan")
	[ -d /proc/"$orphan" ]
	[ "$(ppid_of "$orphan")" != "$SUPERD_PID" ]
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status services=1 children=0$'
	kill "$orphan" 2>/dev/null || true
}

@test "with -r, a timed-out group still has its 2 seconds after SIGTERM: a member that traps TERM finishes its trap" {
	cat >"$T/member.sh" <<-'EOF'
	#!/bin/sh
	trap 'sleep 1; echo done >"$1"; exit 0' TERM
	while :; do sleep 0.1; done
	EOF
	chmod +x "$T/member.sh"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "$T/member.sh $T/done </dev/null >/dev/null 2>&1 & echo up; exec sleep 30"
	EOF
	start_superd -r
	timeout 15 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/out" 2>&1 3>&- &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM '
	# the leader's zombie is kept, the member an orphan of superd's
	wait_until 5 test -s "$T/done"
	wait_log '^event=timeout svc=0 line=1 pid=[0-9]+ signal=KILL'
	wait_until 5 no_zombie_of_superd
}

# status_orphans N: a SIGUSR1 status line says N orphans reaped.
status_orphans() {
	kill -USR1 "$SUPERD_PID"
	log_has "^event=status services=3 children=0 orphans=$1\$"
}

@test "with -r, a flood of 2,000 orphans is reaped in bounded time while another service answers and a child's exit line stays right" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 $TOP/tests/orphans.py 2000 3
	127.0.0.1:0 stream tcp nowait root /bin/echo echo two
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo three; sleep 0.3; exit 3"
	EOF
	start_superd -r
	# the connection ends with the last sleep of its group (linger.c)
	timeout 30 nc -N 127.0.0.1 "$(port 1)" </dev/null >"$T/out1" 3>&- &
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 ' 15
	# while the orphans exit and are reaped: the others answer
	run talk "$(port 3)"
	assert_output three
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run timeout 2 nc -N 127.0.0.1 "$(port 2)" </dev/null
		assert_output two
		sleep 0.1
	done
	wait_log '^event=exit svc=0 line=3 pid=[0-9]+ status=3 duration=0\.[3-9][0-9]* '
	wait_until 20 status_orphans 2000
	no_zombie_of_superd
	log_has '^event=reaped orphans=[0-9]+ total=[0-9]+$'
	stop_superd
	# the count is complete by the exit line
	total=$(sed -n 's/^event=reaped orphans=\([0-9]*\) total=[0-9]*$/\1/p' "$LOG" |
	    awk '{ s += $1 } END { print s }')
	[ "$total" -eq 2000 ]
	[ "$(log_count '^event=reaped ')" -le 2 ]
}

# exits_right N: N exit lines of the gated service, each status=7 and a
# duration of at least the gate's second.
exits_right() {
	[ "$(log_count '^event=exit svc=0 line=1 pid=[0-9]+ status=7 ')" -eq "$1" ] &&
	    [ "$(log_count '^event=exit svc=0 line=1 pid=[0-9]+ status=7 duration=([1-9]|[1-2][0-9])\.[0-9]+ ')" -eq "$1" ]
}

@test "with -r, 150 of superd's own children and 150 orphans exiting at the same moment: each child has its exit line, status and duration, and only the orphans are counted" {
	mkfifo "$T/gate"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "(cat $T/gate </dev/null >/dev/null 2>&1 &); echo up; cat $T/gate >/dev/null; exit 7"
	EOF
	start_superd -r
	for i in $(seq 150); do
		timeout 30 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/out.$i" 2>&1 3>&- &
	done
	wait_until 20 eval '[ "$(grep -l ^up "$T"/out.* | wc -l)" -eq 150 ]'
	# all 300 cats open the gate while it is held, and end at its close
	timeout 10 sleep 1 >"$T/gate"
	wait_until 20 exits_right 150
	wait_until 10 no_zombie_of_superd
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status services=1 children=0 orphans=150$' 10
	[ "$(log_count '^event=exit ')" -eq 150 ]
}

@test "conf/Dockerfile: its table passes superd -t with the ENTRYPOINT's options, its files and make target exist" {
	df=$TOP/conf/Dockerfile
	# the ENTRYPOINT's argv, one a line, superd's options after argv[0]
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("ENTRYPOINT "):
        print("\n".join(json.loads(line[len("ENTRYPOINT "):])))
' "$df" >"$T/entry"
	[ "$(head -1 "$T/entry")" = /usr/sbin/superd ]
	mapfile -t opts < <(tail -n +2 "$T/entry")
	grep -q '^HEALTHCHECK .*"/usr/sbin/superd", "-S", "1"' "$df"
	grep -q '^COPY conf/container.conf /etc/superd.conf$' "$df"
	# the table, its programs where this checkout has them
	sed "s|/usr/local/libexec/superd|$TOP/services|" \
	    "$TOP/conf/container.conf" >"$T/container.conf"
	run "$SUPERD" "${opts[@]}" -t "$T/container.conf"
	assert_success
	grep -q '^RUN make clean && make superd$' "$df"
	make -C "$TOP" -n superd >/dev/null
	for f in $(sed -n 's/^COPY \([^-][^ ]*\) .*/\1/p' "$df"); do
		[ "$f" = . ] || [ -e "$TOP/$f" ]
	done
}
