#!/usr/bin/env bats
# Containment options of the wait field (SPEC 8): rlimits, nice, umask,
# no-new-privs, applied in the child, and a failed step in the exit line.

load helpers

@test "rlimit-*= options set the child's limits, soft and hard" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,rlimit-cpu=7,rlimit-as=512m,rlimit-data=1g,rlimit-stack=4096k,rlimit-fsize=10k,rlimit-core=0,rlimit-nofile=77,rlimit-nproc=500 root /bin/sh sh -c "ulimit -St; ulimit -Ht; ulimit -v; ulimit -d; ulimit -s; ulimit -f; ulimit -c; ulimit -n; ulimit -p"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "7 8 524288 1048576 4096 20 0 77 500 "
}

@test "without rlimit options a child has superd's own limits" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "ulimit -t; ulimit -c; ulimit -Sn"
	EOF
	want=$(sh -c 'ulimit -t; ulimit -c; ulimit -Sn' | tr '\n' ' ')
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "$want"
}

@test "nice= and umask= reach the child" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,nice=7,umask=027 root /bin/sh sh -c "nice; umask"
	127.0.0.1:0 stream tcp nowait,nice=-3,umask=0 root /bin/sh sh -c "nice; umask"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "7 0027 "
	run talk "$(port 2)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "-3 0000 "
}

@test "no-new-privs sets NoNewPrivs in the child, and only there" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,no-new-privs root /bin/grep grep NoNewPrivs /proc/self/status
	127.0.0.1:0 stream tcp nowait root /bin/grep grep NoNewPrivs /proc/self/status
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+1$'
	run talk "$(port 2)"
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+0$'
}

@test "a CPU burner under rlimit-cpu=1 ends by SIGXCPU or SIGKILL within 3 s" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,rlimit-cpu=1 root /bin/sh sh -c "while :; do :; done"
	EOF
	start_superd
	start=$(date +%s%N)
	timeout 10 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null || true
	wait_log 'event=exit .*signal=(XCPU|KILL)' 5
	end=$(date +%s%N)
	[ $(( (end - start) / 1000000 )) -lt 3500 ]
}

@test "every containment option on one line, each applied" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,rlimit-nofile=33,umask=077,nice=5,no-new-privs root /bin/sh sh -c "ulimit -n; umask; nice; grep NoNewPrivs /proc/self/status"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_line "33"
	assert_line "0077"
	assert_line "5"
	assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
}

@test "a failed step exits 126 before exec and the exit line says why" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,rlimit-nofile=2000000 root /bin/echo echo reached
	EOF
	start_superd
	run talk "$(port 1)"
	refute_output --partial reached
	wait_log 'event=exit .*status=126 .*error="rlimit-nofile 2000000: Operation not permitted"' 5
}

@test "bad containment values are FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:7201 stream tcp nowait,rlimit-cpu=0 root /bin/cat cat
	127.0.0.1:7202 stream tcp nowait,rlimit-as=12q root /bin/cat cat
	127.0.0.1:7203 stream tcp nowait,rlimit-nofile=-1 root /bin/cat cat
	127.0.0.1:7204 stream tcp nowait,nice=20 root /bin/cat cat
	127.0.0.1:7205 stream tcp nowait,umask=0800 root /bin/cat cat
	127.0.0.1:7206 stream tcp nowait,no-new-privs=1 root /bin/cat cat
	127.0.0.1:7207 stream tcp nowait,rlimit-stack root /bin/cat cat
	127.0.0.1:7208 stream tcp nowait,rlimit-cpux=1 root /bin/cat cat
	127.0.0.1:7209 stream tcp nowait,umask=1000 root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: bad value \"0\" for option rlimit-cpu: expected a number of seconds from 1 to 2678400"
	assert_line "$CONF:2: bad value \"12q\" for option rlimit-as: expected a size in bytes, with k, m or g, or unlimited"
	assert_line "$CONF:3: bad value \"-1\" for option rlimit-nofile: expected a number from 0 to 1073741824"
	assert_line "$CONF:4: bad value \"20\" for option nice: expected a number from -20 to 19"
	assert_line "$CONF:5: bad value \"0800\" for option umask: expected an octal mask from 0 to 777"
	assert_line "$CONF:6: option \"no-new-privs\" takes no value"
	assert_line "$CONF:7: option \"rlimit-stack\" needs a value (rlimit-stack=value)"
	assert_line "$CONF:8: unknown option \"rlimit-cpux\": did you mean rlimit-cpu?"
	assert_line "$CONF:9: bad value \"1000\" for option umask: expected an octal mask from 0 to 777"
	assert_equal "${#lines[@]}" 9
}
