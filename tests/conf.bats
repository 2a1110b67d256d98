#!/usr/bin/env bats
# The service table: the grammar, every error with its line, -t.

load helpers

CORPUS=${CORPUS:-$TOP/../shared/inetd-corpus}

@test "-t on a good table prints nothing, binds nothing and exits 0" {
	p=$(free_port)
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_success
	assert_output ""
	run timeout 2 nc -z 127.0.0.1 "$p"
	assert_failure
}

@test "-t reports every error of a table, each as FILE:LINE: message, and exits 1" {
	table <<-'EOF'
	# line 1 is a comment
	127.0.0.1:7001 strem tcp nowait root /bin/cat cat
	127.0.0.1:7002 stream tcpx nowait root /bin/cat cat
	127.0.0.1:7003 stream tcp waiting root /bin/cat cat
	127.0.0.1:70000 stream tcp nowait root /bin/cat cat
	127.0.0.1:nosuchservice stream tcp nowait root /bin/cat cat
	127.0.0.1:7006 stream tcp nowait nosuchuser /bin/cat cat
	127.0.0.1:7007 stream tcp nowait root:nosuchgroup /bin/cat cat
	127.0.0.1:7008 stream tcp nowait root bin/cat cat
	127.0.0.1:7009 stream tcp nowait root /nonexistent/prog prog
	127.0.0.1:7010 stream tcp nowait root /etc/passwd passwd
	127.0.0.1:7011 stream tcp nowait root /bin/cat cat
	127.0.0.1:7011 stream tcp nowait root /bin/cat cat
	rstatd/1-3 dgram rpc/udp wait root /usr/sbin/rpc.rstatd rpc.rstatd
	127.0.0.1:7014 stream tcp nowait,bogus=1 root /bin/cat cat
	127.0.0.1:7015 stream tcp nowait
	127.0.0.1:7016 stream tcp nowait root /bin/sh sh -c "unterminated
	127.0.0.1:7017 dgram tcp nowait root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: unknown socket type \"strem\" (stream or dgram)"
	assert_line "$CONF:3: unknown protocol \"tcpx\""
	assert_line "$CONF:4: wait field \"waiting\" is neither wait nor nowait"
	assert_line "$CONF:5: port 70000 is out of range (0-65535) or not a number"
	assert_line "$CONF:6: unknown service \"nosuchservice\" for tcp (not in /etc/services)"
	assert_line "$CONF:7: unknown user \"nosuchuser\""
	assert_line "$CONF:8: unknown group \"nosuchgroup\""
	assert_line "$CONF:9: program \"bin/cat\" is not an absolute path"
	assert_line "$CONF:10: program /nonexistent/prog: No such file or directory"
	assert_line "$CONF:11: program /etc/passwd is not executable"
	assert_line "$CONF:13: address 127.0.0.1:7011 (tcp4) is already used by line 12"
	assert_line "$CONF:14: RPC services are not supported (rpc/udp)"
	assert_line "$CONF:15: unknown option \"bogus\""
	assert_line --regexp "^$CONF:16: 4 fields, expected at least 6"
	assert_line "$CONF:17: unterminated quote"
	assert_line "$CONF:18: socket type dgram does not go with protocol tcp"
	assert_equal "${#lines[@]}" 16
}

@test "a table with an error makes superd exit 1 at start, having bound nothing" {
	p=$(free_port)
	table <<-EOF
	127.0.0.1:$p stream tcp nowait root /bin/cat cat
	127.0.0.1:0 stream tcp nowait nosuchuser /bin/cat cat
	EOF
	run timeout 10 "$SUPERD" -d "$CONF"
	assert_failure 1
	assert_output --partial "$CONF:2: unknown user \"nosuchuser\""
	run timeout 2 nc -z 127.0.0.1 "$p"
	assert_failure
}

@test "a missing table is an error naming the file" {
	run "$SUPERD" -t "$T/nonexistent.conf"
	assert_failure 1
	assert_output "$T/nonexistent.conf: No such file or directory"
}

@test "an address on * conflicts with the same port on a single address" {
	table <<-EOF
	7001 stream tcp4 nowait root /bin/cat cat
	127.0.0.1:7001 stream tcp4 nowait root /bin/cat cat
	127.0.0.1:0 stream tcp4 nowait root /bin/cat cat
	127.0.0.1:0 stream tcp4 nowait root /bin/cat cat
	127.0.0.1:7001 dgram udp4 wait root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:2: address 127.0.0.1:7001 (tcp4) is already used by line 1"
}

@test "tcp next to tcp6 on one port is IPv4 plus IPv6, as inetd tables write it" {
	table <<-EOF
	0 stream tcp nowait root /bin/echo echo four
	EOF
	p=$(free_port)
	table <<-EOF
	$p stream tcp nowait root /bin/echo echo four
	$p stream tcp6 nowait root /bin/echo echo six
	EOF
	start_superd
	run talk "$p"
	assert_output four
	run talk6 "$p"
	assert_output six
}

@test "continuation lines: a leading blank or a trailing backslash" {
	printf '127.0.0.1:0\tstream\ttcp\tnowait\troot\t/bin/echo\n\techo one two\n' >"$CONF"
	printf '127.0.0.1:0 stream tcp nowait root \\\n/bin/echo echo three\n' >>"$CONF"
	start_superd
	run talk "$(port 1)"
	assert_output "one two"
	run talk "$(port 3)"
	assert_output "three"
}

@test "argv[0] defaults to the program's base name" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh
	EOF
	start_superd
	run talk "$(port 1)" 'echo "$0"'
	assert_output "sh"
}

@test "quotes group words into one argument" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c 'echo "a  b" $PROTO' x
	127.0.0.1:0 stream tcp nowait root /usr/bin/printf printf "[%s]" "two words" "say \"hi\""
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output "a  b TCP"
	run talk "$(port 2)"
	assert_output '[two words][say "hi"]'
}

@test "inside double quotes \\n is a newline: a python3 -c line runs its two statements" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 -c "import sys\nprint('got', sys.stdin.read().strip())"
	EOF
	start_superd
	run talk "$(port 1)" 'hello'
	assert_output "got hello"
}

@test "inside double quotes \\t is a tab, \\\\ and \\\" themselves, another backslash stays; single quotes are literal" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /usr/bin/printf printf "[%s]" "a\tb" "c\\d" "e\"f" "g\dh" 'i\tj'
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output "$(printf '[a\tb][c\\d][e"f][g\\dh][i\\tj]')"
}

@test "a backslash that ends an entry inside double quotes is a FILE:LINE error" {
	printf '127.0.0.1:0 stream tcp nowait root /bin/echo echo "abc\\\\\n' >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: a backslash ends the entry inside \"...\": a backslash is written twice there"
	# a newline made by \n stays inside its message's one line
	printf '127.0.0.1:0 stream tcp nowait "no\\nbody" /bin/echo echo\n' >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:1: unknown user \"no\\\\nbody\""
}

@test "supertab add keeps a line with escapes byte for byte, and superd reads it" {
	: >"$CONF"
	line='127.0.0.1:0 stream tcp nowait root /usr/bin/python3 python3 -c "print(1)\nprint(\"a\\tb\")"'
	run "$SUPERTAB" -f "$CONF" add "$line"
	assert_success
	run grep -F -x -- "$line" "$CONF"
	assert_success
	start_superd
	run talk "$(port 1)"
	assert_output "$(printf '1\na\tb')"
}

@test "a service name from /etc/services gives its port" {
	grep -q '^tcpmux' /etc/services || skip "no /etc/services"
	table <<-EOF
	127.0.0.1:tcpmux stream tcp nowait root /bin/echo echo mux
	EOF
	run "$SUPERD" -t "$CONF"
	assert_success
}

@test "every table of the inetd.conf corpus reads with only Debian-missing or RPC errors" {
	[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
	n=0
	for f in "$CORPUS"/*.conf; do
		n=$((n + 1))
		run "$SUPERD" -t "$f"
		# every line it prints names the file and a line
		if [ -n "$output" ]; then
			bad=$(printf '%s\n' "$output" | grep -Ev "^$f:[0-9]+: (program /[^ ]*: No such file or directory|unknown user \"[^\"]*\"|unknown group \"[^\"]*\"|unknown service \"[^\"]*\" for (tcp|udp) \(not in /etc/services\)|RPC services are not supported \(rpc/[a-z0-9]+\))$" || true)
			if [ -n "$bad" ]; then
				echo "$bad"
				false
			fi
		fi
	done
	[ "$n" -eq 33 ]
}

@test "the corpus lines superd can serve on this machine check clean" {
	[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
	# the internal services of OpenBSD's and CSRG BSD's stock tables,
	# tcp, tcp6 and udp wait, exactly as written there
	for f in 01-openbsd-src.conf 10-weiss-original-bsd.conf; do
		grep -E '^[a-z]+[[:space:]].*internal' "$CORPUS/$f" >"$CONF"
		[ "$(wc -l <"$CONF")" -ge 2 ]
		run "$SUPERD" -t "$CONF"
		assert_success
	done
}
