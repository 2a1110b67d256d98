#!/usr/bin/env bats
# memory= and tasks= (SPEC 8): a cgroup per child, made by superd and
# removed at the child's exit, in the cgroup v1 hierarchies where the
# memory and pids controllers are mounted as v1, else in cgroup v2.

load helpers

# helpers.bash's teardown, and the processes a test's children left
# outside their process group (their pids in $T/pids)
eval "helpers_$(declare -f teardown)"
teardown() {
	if [ -f "$T/pids" ]; then
		xargs kill -KILL <"$T/pids" 2>/dev/null || true
	fi
	helpers_teardown
}

# cg_v1 CTL: the mount point of a cgroup v1 hierarchy with controller CTL.
cg_v1() {
	awk -v c="$1" '/ - cgroup / { n = split($NF, o, ",")
	    for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' \
	    /proc/self/mountinfo
}

# cg_of PID CTL: the directory of PID's cgroup in CTL's hierarchy.
cg_of() {
	local mnt path
	mnt=$(cg_v1 "$2")
	if [ -n "$mnt" ]; then
		path=$(awk -F: -v c="$2" '{ n = split($2, o, ",")
		    for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' \
		    /proc/"$1"/cgroup)
	else
		mnt=$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
		path=$(sed -n 's/^0:://p' /proc/"$1"/cgroup)
	fi
	echo "$mnt${path%/}"
}

# children_cgroups CTL: the child cgroups under superd's superd.PID.
children_cgroups() {
	find "$(cg_of "$SUPERD_PID" "$1")/superd.$SUPERD_PID" -mindepth 1 \
	    -type d 2>/dev/null | wc -l
}

no_children_cgroups() {
	[ "$(children_cgroups "$1")" -eq 0 ]
}

# needs_cgroups: root, and the memory and pids controllers somewhere.
needs_cgroups() {
	is_root || skip "needs root"
	grep -Eq '^(memory|pids)[[:space:]].*1$' /proc/cgroups ||
	    skip "no memory and pids controllers"
}

# show_limits: $T/show, a program that prints the limits of its own
# cgroups, found from /proc/self/cgroup and /proc/self/mountinfo.
show_limits() {
	cat >"$T/show" <<-'EOF'
	#!/bin/sh
	for c in memory pids; do
		mnt=$(awk -v c="$c" '/ - cgroup / { n = split($NF, o, ",")
		    for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' \
		    /proc/self/mountinfo)
		if [ -n "$mnt" ]; then
			path=$(awk -F: -v c="$c" '{ n = split($2, o, ",")
			    for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' \
			    /proc/self/cgroup)
			f=memory.limit_in_bytes
		else
			mnt=$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
			path=$(sed -n 's/^0:://p' /proc/self/cgroup)
			f=memory.max
		fi
		[ "$c" = pids ] && f=pids.max
		echo "$c $(cat "$mnt$path/$f")"
	done
	[ -z "$1" ] || sleep "$1"
	EOF
	chmod 755 "$T/show"
}

@test "a child over memory= is killed by the kernel and its exit line says out of memory" {
	needs_cgroups
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,memory=16m root /usr/bin/python3 python3 -c "b = b'x' * (64 << 20); print('survived')"
	127.0.0.1:0 stream tcp nowait,memory=64m root /usr/bin/python3 python3 -c "b = b'x' * (8 << 20); print('survived')"
	EOF
	start_superd
	run talk "$(port 1)"
	refute_output --partial survived
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=KILL duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+ error="memory 16m: out of memory"$'
	run talk "$(port 2)"
	assert_output survived
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ status=0 duration=[0-9.]+ in=[0-9]+ out=[0-9]+ cpu=[0-9.]+ maxrss=[0-9]+$'
}

@test "a child's cgroup has the limits its line sets; after a reload new children get the new ones, running ones keep theirs" {
	needs_cgroups
	show_limits
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,memory=16m,tasks=7 root $T/show show 30
	EOF
	start_superd
	p=$(port 1)
	timeout 20 nc 127.0.0.1 "$p" </dev/null >"$T/first" &
	nc_pid=$!
	wait_until 5 grep -q pids "$T/first"
	assert_equal "$(tr '\n' ' ' <"$T/first")" "memory 16777216 pids 7 "
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,memory=1g,tasks=9 root $T/show show
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload services=1 added=0 removed=0 changed=1 kept=0$'
	run talk "$p"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "memory 1073741824 pids 9 "
	# the first child, still running, keeps the limits it started with
	pid=$(sed -n 's/^event=start .* pid=\([0-9]*\) .*/\1/p' "$LOG" | head -n 1)
	run cat "$(cg_of "$pid" pids)/pids.max"
	assert_output 7
	kill "$nc_pid" 2>/dev/null || true
	kill -TERM "$pid"
	wait_until 5 no_children_cgroups pids
	wait_until 5 no_children_cgroups memory
}

@test "a fork loop under tasks=16 is contained, superd serves another service meanwhile and no cgroup is left" {
	needs_cgroups
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,tasks=16,timeout=3 root /usr/bin/python3 python3 $TOP/tests/forkloop.py
	127.0.0.1:0 stream tcp nowait root /bin/echo echo served
	EOF
	start_superd
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/loop" &
	wait_until 10 grep -q refused "$T/loop"
	# the service itself and 15 children: the 16 tasks=16 allows
	assert_equal "$(cat "$T/loop")" "refused after 15: Resource temporarily unavailable"
	pid=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\) .*/\1/p' "$LOG")
	run cat "$(cg_of "$pid" pids)/pids.current"
	assert_output 16
	run talk "$(port 2)"
	assert_output served
	wait_log '^event=exit svc=0 line=1 .*signal=TERM' 10
	run talk "$(port 2)"
	assert_output served
	wait_until 5 no_children_cgroups pids
	# and superd's own parent cgroup goes with it
	dir=$(cg_of "$SUPERD_PID" pids)/superd.$SUPERD_PID
	[ -d "$dir" ]
	stop_superd
	[ ! -d "$dir" ]
}

@test "what a child leaves running in its cgroup is killed and the cgroup removed" {
	needs_cgroups
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,tasks=16 root /bin/sh sh -c "setsid sleep 60 </dev/null >/dev/null & echo $!; setsid sleep 60 </dev/null >/dev/null & echo $!"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "${#lines[@]}" 2
	printf '%s\n' "${lines[@]}" >"$T/pids"
	wait_log '^event=exit svc=0 line=1 .*status=0'
	# the sleepers left their process group: only the cgroup holds them
	wait_until 5 no_children_cgroups pids
	for p in "${lines[@]}"; do
		wait_until 5 eval "! kill -0 $p 2>/dev/null"
	done
}

@test "a fork loop under rlimit-nproc= as nobody is contained and superd serves another service meanwhile" {
	is_root || skip "needs root"
	# where the user nobody can read the loop
	d=$(mktemp -d /tmp/superd-cgroup.XXXXXX)
	echo "$d" >>"$T/cleanup"
	chmod 755 "$d"
	cp "$TOP/tests/forkloop.py" "$d/"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,rlimit-nproc=20,timeout=3 nobody /usr/bin/python3 python3 $d/forkloop.py
	127.0.0.1:0 stream tcp nowait root /bin/echo echo served
	EOF
	start_superd
	timeout 20 nc 127.0.0.1 "$(port 1)" </dev/null >"$T/loop" &
	wait_until 10 grep -q refused "$T/loop"
	run cat "$T/loop"
	assert_output --regexp '^refused after [0-9]+: Resource temporarily unavailable$'
	run talk "$(port 2)"
	assert_output served
	wait_log '^event=exit svc=0 line=1 .*signal=TERM' 10
	run talk "$(port 2)"
	assert_output served
}

@test "memory= and tasks= without their cgroup controller are FILE:LINE errors with -t and on a reload" {
	needs_cgroups
	command -v unshare >/dev/null || skip "no unshare"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait,memory=16m root /bin/echo echo x
	127.0.0.1:0 stream tcp nowait,tasks=5 root /bin/echo echo x
	EOF
	# every cgroup file system unmounted, in a mount namespace of its own
	cat >"$T/nocgroups" <<-'EOF'
	#!/bin/sh
	for m in $(awk '/ - cgroup2? / { print $5 }' /proc/self/mountinfo | sort -r); do
		umount "$m" || exit 99
	done
	exec "$@"
	EOF
	chmod 755 "$T/nocgroups"
	run unshare -m --propagation private "$T/nocgroups" "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: memory= needs the memory cgroup controller, which is mounted neither as cgroup v1 nor in cgroup v2"
	assert_line "$CONF:3: tasks= needs the pids cgroup controller, which is mounted neither as cgroup v1 nor in cgroup v2"
	assert_equal "${#lines[@]}" 2
	# the same host can serve them
	run "$SUPERD" -t "$CONF"
	assert_success
	# a running superd without them keeps its table when a reload adds one
	head -n 1 "$CONF" >"$T/one"
	cp "$T/one" "$CONF"
	unshare -m --propagation private "$T/nocgroups" "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	echo '127.0.0.1:0 stream tcp nowait,memory=16m root /bin/echo echo x' >>"$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload-failed error=".*:2: memory= needs the memory cgroup controller'
	run talk "$(port 1)"
	assert_output x
}

@test "bad memory= and tasks= values are FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:7201 stream tcp nowait,memory=512k root /bin/cat cat
	127.0.0.1:7202 stream tcp nowait,memory=unlimited root /bin/cat cat
	127.0.0.1:7203 stream tcp nowait,memory=16q root /bin/cat cat
	127.0.0.1:7204 stream tcp nowait,tasks=0 root /bin/cat cat
	127.0.0.1:7205 stream tcp nowait,tasks=4194305 root /bin/cat cat
	127.0.0.1:7206 stream tcp nowait,tasks root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: bad value \"512k\" for option memory: expected a size from 1m, with k, m or g"
	assert_line "$CONF:2: bad value \"unlimited\" for option memory: expected a size from 1m, with k, m or g"
	assert_line "$CONF:3: bad value \"16q\" for option memory: expected a size from 1m, with k, m or g"
	assert_line "$CONF:4: bad value \"0\" for option tasks: expected a number from 1 to 4194304"
	assert_line "$CONF:5: bad value \"4194305\" for option tasks: expected a number from 1 to 4194304"
	assert_line "$CONF:6: option \"tasks\" needs a value (tasks=value)"
	assert_equal "${#lines[@]}" 6
}

@test "memory= and tasks= hold beside the namespace options" {
	needs_cgroups
	show_limits
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,memory=32m,tasks=11,private-pid,private-network,private-ipc,read-only,no-new-privs root $T/show show
	127.0.0.1:0 stream tcp nowait,memory=16m,private-pid,private-network root /usr/bin/python3 python3 -c "b = b'x' * (64 << 20); print('survived')"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "memory 33554432 pids 11 "
	run talk "$(port 2)"
	refute_output --partial survived
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ signal=KILL .*error="memory 16m: out of memory"$'
	wait_until 5 no_children_cgroups memory
	wait_until 5 no_children_cgroups pids
}

@test "a superd that detaches names superd.PID after its own pid, and its first child gets its limits" {
	needs_cgroups
	show_limits
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,memory=16m,tasks=7 root $T/show show
	EOF
	"$SUPERD" -e -P "$PORTS" -p "$T/pid" "$CONF" 2>"$LOG" 3>&-
	wait_until 10 test -s "$T/pid"
	SUPERD_PID=$(cat "$T/pid")
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "memory 16777216 pids 7 "
	[ -d "$(cg_of "$SUPERD_PID" pids)/superd.$SUPERD_PID" ]
}
