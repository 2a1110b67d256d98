#!/usr/bin/env bats
# supertab: editing tables safely; superd - and -P for scripts.

load helpers

# An odd table: comments everywhere, blanks, tabs, trailing spaces, both
# kinds of continuation, a disabled entry, no port collisions.
odd_table() {
	printf '%s\n' \
	    '# A table full of comments' \
	    '   # an indented comment' \
	    '' \
	    '#<off># 127.0.0.1:7301	stream tcp nowait root /bin/echo echo off' \
	    '127.0.0.1:7302    stream	tcp   nowait  root  /bin/echo   echo   two    ' \
	    '127.0.0.1:7303 stream tcp nowait root \' \
	    '/bin/echo echo three' \
	    '127.0.0.1:7304 stream tcp nowait root /bin/echo' \
	    '	echo four' \
	    '## the end' >"$CONF"
	printf '# no final newline' >>"$CONF"
	cp "$CONF" "$T/orig"
}

tab() {
	"$SUPERTAB" -f "$CONF" "$@"
}

@test "list shows every entry with its line and state, continuations joined" {
	odd_table
	run tab list
	assert_success
	assert_line --index 0 "4 disabled 127.0.0.1:7301	stream tcp nowait root /bin/echo echo off"
	assert_line --index 1 "5 enabled 127.0.0.1:7302    stream	tcp   nowait  root  /bin/echo   echo   two    "
	assert_line --index 2 "6 enabled 127.0.0.1:7303 stream tcp nowait root /bin/echo echo three"
	assert_line --index 3 "8 enabled 127.0.0.1:7304 stream tcp nowait root /bin/echo echo four"
	assert_equal "${#lines[@]}" 4
	cmp "$CONF" "$T/orig"
}

@test "disable comments out every line of an entry with #<off>#, and nothing else changes" {
	odd_table
	run tab disable 7303
	assert_success
	run diff "$T/orig" "$CONF"
	assert_output - <<-'EOF'
	6,7c6,7
	< 127.0.0.1:7303 stream tcp nowait root \
	< /bin/echo echo three
	---
	> #<off># 127.0.0.1:7303 stream tcp nowait root \
	> #<off># /bin/echo echo three
	EOF
	run tab disable 127.0.0.1:7303
	assert_success
	assert_output "127.0.0.1:7303 is already disabled"
	run tab enable 7303
	assert_success
	cmp "$CONF" "$T/orig"
}

@test "enable removes the marker; enabling an enabled entry changes nothing" {
	odd_table
	run tab enable 7301
	assert_success
	run diff "$T/orig" "$CONF"
	assert_output - <<-'EOF'
	4c4
	< #<off># 127.0.0.1:7301	stream tcp nowait root /bin/echo echo off
	---
	> 127.0.0.1:7301	stream tcp nowait root /bin/echo echo off
	EOF
	cp "$CONF" "$T/after"
	run tab enable 7302
	assert_success
	assert_output "7302 is already enabled"
	cmp "$CONF" "$T/after"
}

@test "remove deletes the entry with its continuation lines and nothing else" {
	odd_table
	run tab remove 7304
	assert_success
	run diff "$T/orig" "$CONF"
	assert_output - <<-'EOF'
	8,9d7
	< 127.0.0.1:7304 stream tcp nowait root /bin/echo
	< 	echo four
	EOF
	run tab remove 7301
	assert_success
	! grep -q 7301 "$CONF"
}

@test "add appends a checked line, keeping the last line's missing newline fixed" {
	odd_table
	run tab add '127.0.0.1:7305 stream tcp nowait root /bin/echo echo five'
	assert_success
	assert_output "added line 12: 127.0.0.1:7305 stream tcp nowait root /bin/echo echo five"
	run diff "$T/orig" "$CONF"
	assert_output - <<-'EOF'
	11c11,12
	< # no final newline
	\ No newline at end of file
	---
	> # no final newline
	> 127.0.0.1:7305 stream tcp nowait root /bin/echo echo five
	EOF
	"$SUPERD" -t "$CONF"
}

@test "a bad line, a duplicate address and an ambiguous name are refused, the table untouched" {
	odd_table
	run tab add '127.0.0.1:7306 stream tcp nowait nosuchuser /bin/echo echo x'
	assert_failure 1
	assert_output --partial "$CONF:12: unknown user \"nosuchuser\""
	cmp "$CONF" "$T/orig"
	run tab add '127.0.0.1:7302 stream tcp nowait root /bin/echo echo dup'
	assert_failure 1
	assert_output --partial "$CONF:12: address 127.0.0.1:7302 (tcp4) is already used by line 5"
	cmp "$CONF" "$T/orig"
	run tab add '# just a comment'
	assert_failure 1
	cmp "$CONF" "$T/orig"
	# two disabled entries whose service part is 7400
	printf '\n#<off># 127.0.0.1:7400 stream tcp nowait root /bin/echo echo a\n#<off># 127.0.0.2:7400 stream tcp nowait root /bin/echo echo b\n' >>"$CONF"
	cp "$CONF" "$T/two"
	run tab enable 7400
	assert_failure 1
	assert_output --partial "has more than one disabled entry named \"7400\"; candidates:"
	assert_output --partial "12 disabled 127.0.0.1:7400"
	assert_output --partial "13 disabled 127.0.0.2:7400"
	cmp "$CONF" "$T/two"
	run tab remove 9999
	assert_failure 1
	assert_output --partial 'has no entry named "9999"; candidates:'
	cmp "$CONF" "$T/two"
	run tab enable 127.0.0.2:7400
	assert_success
}

@test "enabling an entry that would not load is refused" {
	printf '#<off># 127.0.0.1:7401 stream tcp nowait root /nonexistent echo\n' >"$CONF"
	cp "$CONF" "$T/orig"
	run tab enable 7401
	assert_failure 1
	assert_output --partial "$CONF:1: program /nonexistent: No such file or directory"
	cmp "$CONF" "$T/orig"
}

@test "20 concurrent adds all land, none lost, and the table checks clean" {
	printf '# concurrent\n' >"$CONF"
	pids=
	for i in $(seq 20); do
		"$SUPERTAB" -f "$CONF" add "127.0.0.1:$((7500 + i)) stream tcp nowait root /bin/echo echo $i" >/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	run tab list
	assert_equal "${#lines[@]}" 20
	for i in $(seq 20); do
		grep -q "^127.0.0.1:$((7500 + i)) " "$CONF"
	done
	"$SUPERD" -t "$CONF"
	# nothing left beside the table
	assert_equal "$(ls -A "$(dirname "$CONF")" | grep -c "$(basename "$CONF")")" 1
}

@test "a change keeps the table's mode and owner" {
	is_root || skip "needs root"
	odd_table
	chmod 640 "$CONF"
	chown nobody:daemon "$CONF"
	tab disable 7302
	assert_equal "$(stat -c '%a %U %G' "$CONF")" "640 nobody daemon"
}

@test "edit with a scripted EDITOR installs a valid change" {
	odd_table
	cat >"$T/editor" <<-'EOF'
	#!/bin/sh
	sed -i 's/two/TWO/' "$1"
	EOF
	chmod 755 "$T/editor"
	EDITOR=$T/editor run tab edit </dev/null
	assert_success
	grep -q 'echo   TWO' "$CONF"
	assert_equal "$(diff "$T/orig" "$CONF" | grep -c '^[<>]')" 2
	# no copy left in the table's folder
	assert_equal "$(ls -A "$(dirname "$CONF")" | grep -c "$(basename "$CONF")")" 1
}

@test "edit with an invalid change shows the errors and leaves the table untouched" {
	odd_table
	cat >"$T/editor" <<-'EOF'
	#!/bin/sh
	echo '127.0.0.1:7309 stream tcp nowait root /bin/echo' >>"$1"
	echo '127.0.0.1:7310 stream tcpx nowait root /bin/echo' >>"$1"
	EOF
	chmod 755 "$T/editor"
	VISUAL=$T/editor run tab edit </dev/null
	assert_failure 1
	assert_output --partial 'unknown protocol "tcpx"'
	assert_output --partial 'edit abandoned'
	cmp "$CONF" "$T/orig"
	copy=$(printf '%s\n' "$output" | sed -n 's/.*the copy is kept at //p')
	grep -q tcpx "$copy"
	rm -f "$copy"
}

@test "edit refuses to install over a table that changed meanwhile, and keeps the copy" {
	odd_table
	cat >"$T/editor" <<-EOF
	#!/bin/sh
	sed -i 's/two/mine/' "\$1"
	"$SUPERTAB" -f "$CONF" disable 7302 >/dev/null
	EOF
	chmod 755 "$T/editor"
	EDITOR=$T/editor run tab edit </dev/null
	assert_failure 1
	assert_output --partial "changed while you edited"
	grep -q '^#<off># 127.0.0.1:7302' "$CONF"
	! grep -q 'mine' "$CONF"
	copy=$(printf '%s\n' "$output" | sed -n 's/.*is kept at //p')
	grep -q 'echo   mine' "$copy"
	rm -f "$copy"
}

@test "a failed editor abandons the edit" {
	odd_table
	EDITOR=/bin/false run tab edit </dev/null
	assert_failure 1
	assert_output --partial "the editor failed"
	cmp "$CONF" "$T/orig"
}

@test "-p makes the running superd serve an added service and stop serving a removed one" {
	a=$(free_port)
	b=$(free_port)
	table <<-EOF
	127.0.0.1:$a stream tcp nowait root /bin/echo echo a
	EOF
	start_superd -p "$T/pid"
	wait_until 5 test -s "$T/pid"
	run tab -p "$T/pid" add "127.0.0.1:$b stream tcp nowait root /bin/echo echo b"
	assert_success
	assert_line "superd (pid $SUPERD_PID) told to reread the table"
	wait_log 'event=reload services=2 added=1'
	assert_equal "$(talk "$b")" b
	tab -p "$T/pid" remove "$a"
	wait_log 'event=reload services=1 added=0 removed=1'
	run talk "$a"
	assert_failure
	tab -p "$T/pid" disable "$b"
	wait_log 'event=reload services=0 '
	run talk "$b"
	assert_failure
	tab -p "$T/pid" enable "$b"
	wait_log 'event=reload services=1 added=1'
	assert_equal "$(talk "$b")" b
}

@test "check reports the table's errors like superd -t" {
	printf '127.0.0.1:7600 stream tcp nowait root /bin/echo\n127.0.0.1:7601 strem tcp nowait root /bin/echo\n' >"$CONF"
	run tab check
	assert_failure 1
	assert_output "$CONF:2: unknown socket type \"strem\" (stream or dgram)"
	run "$SUPERTAB"
	assert_failure 2
	run "$SUPERTAB" -f "$CONF" frobnicate
	assert_failure 2
}

@test "the README's test-script example runs as written" {
	awk '/^## superd in test scripts/ { s = 1 } s && /^```sh$/ { b = 1; next }
	    b && /^```$/ { exit } b { print }' "$TOP/README.md" >"$T/example.sh"
	[ -s "$T/example.sh" ]
	run env PATH="$TOP:$PATH" timeout 30 bash "$T/example.sh"
	assert_success
	assert_output "HELLO FROM A TEST"
}
