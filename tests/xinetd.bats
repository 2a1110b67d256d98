#!/usr/bin/env bats
# supertab import-xinetd: xinetd's files made into table lines that
# superd serves, with nothing dropped without a comment.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	# Debian's own xinetd files, unpacked, never installed
	XINETD_DEB=$("$BATS_TEST_DIRNAME/debfiles.sh" xinetd)
	export XINETD_DEB
}

import() {
	"$SUPERTAB" import-xinetd "$@"
}

@test "import-xinetd turns Debian's own xinetd.conf and xinetd.d into lines superd -t accepts" {
	sed "s#/etc/xinetd.d#$XINETD_DEB/etc/xinetd.d#" \
	    "$XINETD_DEB/etc/xinetd.conf" >"$T/xinetd.conf"
	run import "$T/xinetd.conf"
	assert_success
	printf '%s\n' "$output" >"$CONF"
	# every service of Debian's is off: so is every line
	assert_equal "$(grep -c '^#<off># ' "$CONF")" 15
	assert_equal "$(grep -v '^#' "$CONF" | grep -c .)" 0
	assert_line "#<off># echo stream tcp4 nowait root internal echo"
	assert_line "#<off># time dgram udp4 wait root internal time"
	# xinetd's own built-ins that superd lacks are said so, not dropped
	assert_line --partial "xinetd.d/services:4: service services"
	assert_line "#   not served: type INTERNAL: superd has no built-in of this name"
	run "$SUPERD" -t "$CONF"
	assert_success
	# a directory given alone is read as includedir reads one
	run import "$XINETD_DEB/etc/xinetd.d"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | grep -c '^#<off># ')" 15
}

@test "an imported Debian echo service, enabled and on another port, answers as xinetd's does" {
	p=$(free_port)
	sed -e 's/disable[[:space:]]*= yes/disable = no/' \
	    -e "s/wait[[:space:]]*= no/wait = no\n\tport = $p\n\tbind = 127.0.0.1/" \
	    "$XINETD_DEB/etc/xinetd.d/echo" >"$T/echo"
	run import "$T/echo"
	assert_success
	assert_line "127.0.0.1:$p stream tcp4 nowait root internal echo"
	printf '%s\n' "$output" >"$CONF"
	start_superd
	run talk "$p" "hello xinetd"
	assert_output "hello xinetd"
}

@test "a typical CTF xinetd file becomes a line that serves its port with its limits and its banner_fail" {
	p=$(free_port)
	printf 'Too many connections from you.\r\n' >"$T/banner_fail"
	cat >"$T/ctf" <<-EOF
	service ctf
	{
	    disable = no
	    socket_type = stream
	    protocol    = tcp
	    wait        = no
	    user        = nobody
	    type        = UNLISTED
	    port        = $p
	    bind        = 127.0.0.1
	    server      = /bin/sh
	    server_args = -c read_line_then_wait
	    banner_fail = $T/banner_fail
	    # safety options
	    per_source	= 2 # the maximum instances of this service per source IP address
	    rlimit_cpu	= 20 # the maximum number of CPU seconds that the service may use
	    #rlimit_as  = 1024M # the Address Space resource limit for the service
	}
	EOF
	run import "$T/ctf"
	assert_success
	assert_line '127.0.0.1:'"$p"' stream tcp4 nowait,per-source=2,rlimit-cpu=20,refuse-message="Too many connections from you.\\r\\n" nobody /bin/sh sh -c read_line_then_wait'
	# the program: a shell function name is no program; serve a real one
	printf '%s\n' "$output" | sed 's#-c read_line_then_wait#-c "echo flag; exec sleep 5"#' >"$CONF"
	start_superd
	exec 4< <(timeout 10 nc 127.0.0.1 "$p")
	exec 5< <(timeout 10 nc 127.0.0.1 "$p")
	read -r -t 5 a <&4
	read -r -t 5 b <&5
	assert_equal "$a" flag
	assert_equal "$b" flag
	# a third from the same address: per_source's refusal, with its banner
	run talk "$p"
	assert_output "$(printf 'Too many connections from you.\r')"
	wait_log 'reason=per-source'
	exec 4<&- 5<&-
}

@test "every attribute import-xinetd cannot carry over is named in a comment above its line" {
	cat >"$T/x.conf" <<-'EOF'
	defaults
	{
		log_type = SYSLOG authpriv info
		instances = 30
		only_from = 127.0.0.1 10.1.0.0
	}
	service telnet
	{
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
		only_from += ::1
		no_access = 127.0.0.2
		passenv = PATH
		access_times = 2:00-9:00
		cps = 25 30
		log_on_success += DURATION
		flags = IPv6 NORETRY NODELAY
		env = LANG=C
		nice = 5
		umask = 027
		rlimit_as = 8M
		rlimit_files = 64
	}
	EOF
	run import "$T/x.conf"
	assert_success
	# the defaults' own: said once, where they are
	assert_line --partial "x.conf:1: defaults"
	assert_line "#   log_type: superd logs to its own log (superd(8) LOGS)"
	# the service's, each between its header and its line
	text=$(printf '%s\n' "$output" | sed -n '/service telnet/,/^telnet /p')
	for what in "passenv PATH" access_times "cps: over 25 a second xinetd stops the service for 30 s" \
	    log_on_success "flags NORETRY" "only_from with no_access"; do
		printf '%s\n' "$text" | grep -q "^#   $what" || fail "no note for $what"
	done
	assert_line "telnet stream tcp nowait,instances=30,rate=25/1,allow=127.0.0.1/32,allow=10.1.0.0/16,allow=::1/128,deny=127.0.0.2/32,env=LANG=C,umask=027,nice=5,rlimit-as=8m,rlimit-nofile=64,nodelay nobody /bin/cat cat"
	printf '%s\n' "$output" >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_success
}

@test "only_from's forms become allow= with their bits, and a host name is noted, not guessed" {
	cat >"$T/x" <<-'EOF'
	service a
	{
		port = 7001
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
		only_from = 10.0.0.{1,2} 192.168.{1,7} 0.0.0.0 fe80::/10 2001:db8::1 gateway.example.
	}
	EOF
	run import "$T/x"
	assert_success
	assert_line "7001 stream tcp4 nowait,allow=10.0.0.1/32,allow=10.0.0.2/32,allow=192.168.1.0/24,allow=192.168.7.0/24,allow=0.0.0.0/0,allow=::/0,allow=fe80::/10,allow=2001:db8::1/128 nobody /bin/cat cat"
	assert_line "#   only_from gateway.example.: a name, which superd does not look up; give its addresses"
}

@test "a service xinetd would run that superd cannot is left without a line, saying why" {
	cat >"$T/x" <<-'EOF'
	service rstatd
	{
		type = RPC
		socket_type = dgram
		protocol = udp
		server = /usr/sbin/rpc.rstatd
		wait = yes
		user = root
		rpc_version = 2-4
	}
	service fwd
	{
		type = UNLISTED
		port = 7002
		socket_type = stream
		wait = no
		redirect = 10.0.0.1 22
	}
	service raw
	{
		port = 7003
		socket_type = raw
		wait = no
		user = root
		server = /bin/cat
	}
	EOF
	run import "$T/x"
	assert_success
	assert_line "#   not served: type RPC: superd serves no RPC services"
	assert_line "#   not served: redirect: superd does not relay; a program such as socat can"
	assert_line "#   not served: socket_type raw: superd serves stream and dgram sockets"
	assert_equal "$(printf '%s\n' "$output" | grep -v '^#' | grep -c .)" 0
}

@test "a syntax error is FILE:LINE on stderr, exit 1, and the other services are still converted" {
	cat >"$T/x" <<-'EOF'
	service good
	{
		port = 7004
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
	}
	service bad
	{
		port 7005
		socket_type = stream
	}
	service unclosed
	{
		port = 7006
	EOF
	run --separate-stderr import "$T/x"
	assert_failure 1
	assert_line "7004 stream tcp4 nowait nobody /bin/cat cat"
	[[ "$stderr" == *"$T/x:11: expected =, += or -= after port"* ]] || fail "$stderr"
	[[ "$stderr" == *"$T/x:14: service has no closing }"* ]] || fail "$stderr"
	[[ "$output" != *"service bad"* ]] || fail "a block in error was converted"
}

@test "include and includedir are followed, names with a dot or a tilde skipped, and a loop of includes ends" {
	mkdir -p "$T/d"
	for n in one two.rpmsave three~; do
		cat >"$T/d/$n" <<-EOF
		service $n
		{
			port = $((7010 + ${#n}))
			socket_type = stream
			wait = no
			user = nobody
			server = /bin/cat
		}
		EOF
	done
	printf 'includedir %s\ninclude %s\n' "$T/d" "$T/main" >"$T/main"
	run import "$T/main"
	assert_success
	assert_line --partial "service one"
	[[ "$output" != *"two.rpmsave"* && "$output" != *"three~"* ]] || fail "$output"
	assert_equal "$(printf '%s\n' "$output" | grep -c 'service one')" 1
}

@test "a disabled service stays disabled and supertab enable turns it on" {
	cat >"$T/x" <<-'EOF'
	defaults
	{
		disabled = b
	}
	service a
	{
		port = 7020
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
		disable = yes
	}
	service b
	{
		port = 7021
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
	}
	EOF
	run import "$T/x"
	assert_success
	assert_line "#<off># 7020 stream tcp4 nowait nobody /bin/cat cat"
	assert_line "#<off># 7021 stream tcp4 nowait nobody /bin/cat cat"
	printf '%s\n' "$output" >"$CONF"
	run "$SUPERTAB" -f "$CONF" enable 7020
	assert_success
	run "$SUPERTAB" -f "$CONF" list
	assert_line "$(grep -n '^7020' "$CONF" | cut -d: -f1) enabled 7020 stream tcp4 nowait nobody /bin/cat cat"
}

@test "two xinetd services on one port: the second is printed commented out under superd's reason" {
	cat >"$T/x" <<-'EOF'
	service a
	{
		port = 7030
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
	}
	service b
	{
		port = 7030
		socket_type = stream
		wait = no
		user = nobody
		server = /bin/cat
	}
	EOF
	run import "$T/x"
	assert_failure 1
	assert_line "7030 stream tcp4 nowait nobody /bin/cat cat"
	assert_line "# 7030 stream tcp4 nowait nobody /bin/cat cat"
	assert_line "#   superd -t: address 0.0.0.0:7030 (tcp4) is already used by the line of $T/x:1"
	printf '%s\n' "$output" >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_success
}

@test "superd given xinetd's directory or file says how to convert it, not a list of field errors" {
	run "$SUPERD" -t "$XINETD_DEB/etc/xinetd.d"
	assert_failure 1
	assert_output "$XINETD_DEB/etc/xinetd.d: is a directory; to convert xinetd files: supertab import-xinetd $XINETD_DEB/etc/xinetd.d"
	f=$XINETD_DEB/etc/xinetd.d/echo
	run "$SUPERD" -t "$f"
	assert_failure 1
	assert_line --index 0 "$f:5: xinetd syntax, not a table line; to convert xinetd files: supertab import-xinetd $f"
	assert_line --index 1 "$f:6: xinetd syntax (see line 5)"
	refute_output --partial "fields, expected"
	# a table with one xinetd block among good lines: the block is said so
	printf '%s\n' '127.0.0.1:0 stream tcp nowait root /bin/cat cat' \
	    'service x' '{' '	port = 1' '}' >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line --index 0 "$CONF:2: xinetd syntax, not a table line; to convert xinetd files: supertab import-xinetd $CONF"
	assert_equal "${#lines[@]}" 3
}
