#!/usr/bin/env bats
# The README's examples, run as they are written, against conf/superd.conf
# served the way `make run` serves it.

load helpers

# Run the ```console block that follows the heading $1 in README.md:
# each "$ command" is run, and its output compared with the lines after
# it; a line "..." matches any one line.
run_console_block() {
	local heading=$1 cmd= expect= got n=0
	awk -v h="$heading" '
		$0 == h { inh = 1; next }
		inh && /^```console$/ { inb = 1; next }
		inb && /^```$/ { exit }
		inb { print }' "$TOP/README.md" >"$T/block"
	[ -s "$T/block" ]
	check() {
		[ -n "$cmd" ] || return 0
		n=$((n + 1))
		got=$(cd "$T" && timeout 10 bash -c "$cmd" 2>&1) || true
		if ! paste -d '\n' <(printf '%s\n' "$expect") <(printf '%s\n' "$got") |
		    awk 'NR % 2 == 1 { e = $0; next } e != "..." && e != $0 { bad = 1 } END { exit bad }' ||
		    [ "$(printf '%s\n' "$expect" | wc -l)" != "$(printf '%s\n' "$got" | wc -l)" ]; then
			echo "README example: \$ $cmd"
			echo "expected:"; printf '%s\n' "$expect"
			echo "got:"; printf '%s\n' "$got"
			return 1
		fi
	}
	while IFS= read -r line; do
		if [[ $line == '$ '* ]]; then
			check || return 1
			cmd=${line#\$ }
			expect=
			first=1
		else
			if [ -n "$first" ]; then expect=$line; first=; else expect=$expect$'\n'$line; fi
		fi
	done <"$T/block"
	check || return 1
	[ "$n" -gt 0 ]
}

# make run's table and programs, where nobody can reach them (the test's
# own temporary directory is private to root).
stage_run_table() {
	RUN=$(mktemp -d /tmp/superd-test.XXXXXX)
	chmod 755 "$RUN"
	echo "$RUN" >"$T/rundir"
	make -s -C "$TOP" run-table RUNDIR="$RUN" >/dev/null
}

teardown() {
	stop_superd
	kill_started_children
	[ -f "$T/rundir" ] && rm -rf "$(cat "$T/rundir")"
	true
}

@test "the README tour works against make run's table" {
	stage_run_table
	cp "$RUN/superd.conf" "$CONF"
	start_superd
	wait_until 5 eval 'test "$(wc -l <"$PORTS")" -ge 8'
	run_console_block "## A one-minute tour"
	# the services ran as nobody, under make run's copy of services/
	log_has '^event=exit svc=7101 line=[0-9]+ pid=[0-9]+ status=0'
	! log_has 'status=12[67]'
}

@test "conf/superd.conf checks clean once its programs are installed" {
	stage_run_table
	run "$SUPERD" -t "$RUN/superd.conf"
	assert_success
	run diff <(sed 's|/usr/local/libexec/superd/|X/|' "$TOP/conf/superd.conf") \
	    <(sed "s|$RUN/|X/|" "$RUN/superd.conf")
	assert_success
}

@test "the HTTP example answers curl with a date" {
	stage_run_table
	sed 's/^7180/0/; /^71[0-9][0-9]/d; /^7105/d; /^9102/d' "$RUN/superd.conf" >"$CONF"
	start_superd
	p=$(awk '$2 == "0" { split($3, a, ":"); print a[2]; exit }' "$PORTS")
	run timeout 10 curl -s -i "http://127.0.0.1:$p/"
	assert_success
	assert_line --regexp '^HTTP/1.0 200 OK'
	assert_line --regexp "^$(date -u +%Y-%m-%d)T"
}
