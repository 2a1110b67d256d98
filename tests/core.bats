#!/usr/bin/env bats
# The core: stream TCP services, the child's world, signals, pid files.

load helpers

@test "several ports in one table each run their own program" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/tr tr a-z A-Z
	127.0.0.1:0 stream tcp nowait root /usr/bin/wc wc -l
	127.0.0.1:0 stream tcp nowait root /usr/bin/sort sort
	EOF
	start_superd
	run talk "$(port 1)" "hello"
	assert_output "HELLO"
	run talk "$(port 2)" $'a\nb\nc\n'
	assert_output "3"
	run talk "$(port 3)" $'pear\napple\nfig\n'
	assert_output $'apple\nfig\npear'
}

@test "unmodified classic inetd.conf lines load and serve" {
	# tabs, a numeric port, argv[0] left out, a # inside the entry
	p=$(free_port)
	printf '# classic\n\n%s\tstream\ttcp\tnowait\troot\t/bin/echo\techo\t#not-a-comment\n' \
	    "127.0.0.1:$p" >"$CONF"
	printf '127.0.0.1:0\tstream\ttcp\tnowait\tnobody\t/usr/bin/id\n' >>"$CONF"
	start_superd
	run talk "$p"
	assert_output "#not-a-comment"
	run talk "$(port 4)"
	assert_output --partial "uid=65534(nobody)"
}

@test "the event=listen line reports the port the kernel chose for port 0" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo hi
	EOF
	start_superd
	p=$(port 1)
	[ "$p" -gt 0 ]
	wait_log "^event=listen svc=0 line=1 addr=127\.0\.0\.1:$p proto=tcp4$"
	run talk "$p"
	assert_output "hi"
}

@test "an IPv6 service on [::1] answers over IPv6 and sees a v6 peer" {
	table <<-'EOF'
	[::1]:0 stream tcp6 nowait root /bin/sh sh -c "echo $TCPREMOTEIP"
	EOF
	start_superd
	p=$(port 1 tcp6)
	run talk6 "$p"
	assert_output '::1'
	run talk "$p"
	assert_failure
}

@test "a hosts: line sets the address of the lines after it, until the next" {
	table <<-'EOF'
	127.0.0.2:
	0 stream tcp nowait root /bin/sh sh -c "echo $TCPLOCALIP"
	*:
	0 stream tcp4 nowait root /bin/sh sh -c "echo $TCPLOCALIP"
	EOF
	start_superd
	run timeout 5 nc -N 127.0.0.2 "$(port 2)" </dev/null
	assert_output "127.0.0.2"
	run talk "$(port 2)"
	assert_failure
	run timeout 5 nc -N 127.0.0.3 "$(port 4)" </dev/null
	assert_output "127.0.0.3"
}

@test "a host list and a host name give one socket per address" {
	table <<-'EOF'
	127.0.0.1,127.0.0.2:0 stream tcp nowait root /bin/echo echo list
	localhost:0 stream tcp4 nowait root /bin/echo echo name
	EOF
	start_superd
	[ "$(awk '$1 == 1' "$PORTS" | wc -l)" -eq 2 ]
	p2=$(awk '$1 == 1 && $3 ~ /^127.0.0.2/ { split($3, a, ":"); print a[2] }' "$PORTS")
	run timeout 5 nc -N 127.0.0.2 "$p2" </dev/null
	assert_output "list"
	run talk "$(port 2)"
	assert_output "name"
}

@test "tcp on * listens on IPv4 and IPv6, each with its own socket" {
	table <<-EOF
	0 stream tcp nowait root /bin/echo echo both
	EOF
	start_superd
	run grep -c ' 0 ' "$PORTS"
	assert_output 2
	run talk "$(port 1 tcp4)"
	assert_output both
	run talk6 "$(port 1 tcp6)"
	assert_output both
}

@test "the child's environment is exactly the SPEC's clean one" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/env env
	EOF
	FOO_PLANTED=leak start_superd
	p=$(port 1)
	run talk "$p"
	assert_success
	names=$(printf '%s\n' "$output" | cut -d= -f1 | sort | tr '\n' ' ')
	assert_equal "$names" "HOME LOGNAME PATH PROTO REMOTE_ADDR REMOTE_PORT SHELL SUPERD_SERVICE TCPCONNNUM TCPLOCALIP TCPLOCALPORT TCPREMOTEIP TCPREMOTEPORT USER "
	assert_line "PATH=/usr/local/bin:/usr/bin:/bin"
	assert_line "PROTO=TCP"
	assert_line "TCPLOCALIP=127.0.0.1"
	assert_line "TCPLOCALPORT=$p"
	assert_line "TCPREMOTEIP=127.0.0.1"
	assert_line "REMOTE_ADDR=127.0.0.1"
	assert_line "SUPERD_SERVICE=0"
	assert_line "USER=root"
	assert_line "LOGNAME=root"
	assert_line "HOME=$(getent passwd root | cut -d: -f6)"
	assert_line "TCPCONNNUM=1"
	rport=$(printf '%s\n' "$output" | sed -n 's/^TCPREMOTEPORT=//p')
	assert_line "REMOTE_PORT=$rport"
	refute_line --partial FOO_PLANTED
}

@test "with -E superd's own environment reaches the child" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /usr/bin/env env
	EOF
	FOO_PLANTED=kept PATH=/opt/x:$PATH start_superd -E
	run talk "$(port 1)"
	assert_line "FOO_PLANTED=kept"
	assert_line "PROTO=TCP"
	assert_line "PATH=/opt/x:$PATH"
	assert_equal "$(printf '%s\n' "$output" | grep -c '^PATH=')" 1
}

@test "a wildcard IPv6 socket reports IPv4-mapped peers as plain IPv4" {
	# a v6 socket without V6ONLY is only what a supervisor may hand over;
	# superd's own tcp6 on * is V6ONLY, so check the tcp4 half's view
	table <<-'EOF'
	0 stream tcp nowait root /bin/sh sh -c "echo $TCPREMOTEIP $TCPLOCALIP"
	EOF
	start_superd
	run talk "$(port 1 tcp4)"
	assert_output "127.0.0.1 127.0.0.1"
	run talk6 "$(port 1 tcp6)"
	assert_output "::1 ::1"
}

@test "a service sees no descriptor beyond 0, 1 and 2" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	start_superd -p "$T/pid"
	# hold a connection open and look at the running cat from outside
	exec 5<>"/dev/tcp/127.0.0.1/$(port 1)"
	wait_log "^event=start svc=0 line=1 pid=[0-9]+"
	pid=$(grep -Eo '^event=start svc=0 line=1 pid=[0-9]+' "$LOG" | head -1 |
	    cut -d= -f5)
	wait_until 5 eval 'test "$(readlink "/proc/$pid/exe")" = "$(readlink -f /bin/cat)"'
	fds=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
	exec 5>&-
	assert_equal "$fds" "0 1 2 "
}

@test "superd keeps its own descriptors at 64 and above: below are only stdio, spawn's eventfd, the children's way back and pty's relay" {
	# The low numbers are for connections, so that a child's private
	# descriptor table, cut at its socket's number, stays short.  With a
	# listener of each kind, syslog (in a mount namespace with a /dev of
	# its own, for a fake syslogd) and a pid file.
	unshare -m --propagation private true 2>/dev/null ||
	    skip "no mount namespace here (unshare -m)"
	D=$(mktemp -d /tmp/superd-fds.XXXXXX)
	echo "$D" >>"$T/cleanup"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo tcp
	127.0.0.1:0 dgram udp wait root /bin/true true
	$D/s.sock stream unix nowait root /bin/echo echo unix
	EOF
	cat >"$T/inner" <<-'EOF'
	mount -t tmpfs -o mode=755 none /dev || exit 2
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	    mknod -m 666 /dev/urandom c 1 9 && ln -s /proc/self/fd /dev/fd ||
	    exit 2
	touch "$T/go"
	python3 "$TOP/tests/syslogd.py" /dev/log "$T/go" "$T/syslog" &
	d=$!
	for ((i = 0; i < 100; i++)); do [ -S /dev/log ] && break; sleep 0.05; done
	"$SUPERD" -D -p "$T/pid" -P "$T/ports" "$CONF" 3>&- &
	s=$!
	for ((i = 0; i < 200; i++)); do [ -s "$T/ports" ] && break; sleep 0.05; done
	# a connection served and reaped: its pidfd came and went
	p=$(awk '$4 == "tcp4" { n = split($3, a, ":"); print a[n] }' "$T/ports")
	timeout 5 nc -N 127.0.0.1 "$p" </dev/null >"$T/answer"
	for ((i = 0; i < 100; i++)); do grep -q 'event=exit' "$T/syslog" && break; sleep 0.05; done
	for f in /proc/$s/fd/*; do
		n=${f##*/}
		[ "$n" -ge 3 ] && [ "$n" -lt 64 ] && echo "$n $(readlink "$f")"
	done >"$T/low"
	for f in /proc/$s/fd/*; do
		[ "${f##*/}" -ge 64 ] && echo "${f##*/} $(readlink "$f")"
	done >"$T/high"
	cp "$T/pid" "$T/pidseen"
	kill -TERM $s
	for ((i = 0; i < 100; i++)); do kill -0 $s 2>/dev/null || break; sleep 0.05; done
	kill -KILL $s $d 2>/dev/null
	wait
	EOF
	export T TOP SUPERD CONF
	timeout 30 unshare -m --propagation private bash "$T/inner" 2>/dev/null
	assert_equal "$(cat "$T/answer")" tcp
	grep -q 'superd\[[0-9]*\]: event=listen ' "$T/syslog"
	grep -Eq '^[0-9]+$' "$T/pidseen"
	run cat "$T/low"
	assert_output --regexp '^3 anon_inode:\[eventfd\]
4 socket:\[[0-9]+\]
5 /.*/superd-pty$'
	# and at 64 and above at least the three listeners, the way back,
	# the signalfd, the epoll descriptor, the pid file and the syslog
	# socket
	cat "$T/high" >&2
	[ "$(wc -l <"$T/high")" -ge 8 ]
}

@test "1 MiB of random bytes through /bin/cat comes back byte-identical" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/cat cat
	EOF
	start_superd
	head -c 1048576 /dev/urandom >"$T/in"
	timeout 20 nc -N 127.0.0.1 "$(port 1)" <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
}

@test "a service runs as the table's user: nobody" {
	is_root || skip "needs root"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody /usr/bin/id id
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"
}

@test "user:group and user.group set the group" {
	is_root || skip "needs root"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait nobody:daemon /usr/bin/id id -g
	127.0.0.1:0 stream tcp nowait nobody.daemon /usr/bin/id id -g
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output "$(getent group daemon | cut -d: -f3)"
	run talk "$(port 2)"
	assert_output "$(getent group daemon | cut -d: -f3)"
}

@test "a service gets its user's supplementary groups" {
	is_root || skip "needs root"
	user=superdtest$$
	useradd -M -N -g nogroup -G daemon,sys "$user"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait $user /usr/bin/id id -Gn
	EOF
	start_superd
	run talk "$(port 1)"
	userdel "$user"
	assert_output "nogroup daemon sys"
}

@test "a program that vanished after load exits 127, and superd logs it" {
	cp /bin/true "$T/prog"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root $T/prog prog
	EOF
	start_superd
	rm "$T/prog"
	talk "$(port 1)" || true
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=127 duration='
}

@test "a program that cannot be executed exits 126" {
	printf '#!/nonexistent/interpreter\n' >"$T/prog"
	chmod 755 "$T/prog"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root $T/prog prog
	EOF
	start_superd
	printf 'garbage\n' >"$T/prog"
	chmod 644 "$T/prog"
	talk "$(port 1)" || true
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=126 '
}

@test "start and exit are logged with pid, peer, status, duration and usage" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "exit 3"
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "kill -9 \$\$"
	EOF
	start_superd
	talk "$(port 1)" || true
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=127\.0\.0\.1:[0-9]+$'
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=3 duration=[0-9]+\.[0-9]{3} in=[0-9]+ out=[0-9]+ cpu=[0-9]+\.[0-9]{3} maxrss=[0-9]+$'
	talk "$(port 2)" || true
	wait_log '^event=exit svc=0 line=2 pid=[0-9]+ signal=KILL duration='
}

@test "SIGTERM closes the listeners, exits 0 and leaves children running" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "echo started; sleep 2; echo finished"
	EOF
	start_superd
	p=$(port 1)
	(timeout 10 nc 127.0.0.1 "$p" </dev/null >"$T/out") &
	client=$!
	wait_until 5 grep -q started "$T/out"
	kill -TERM "$SUPERD_PID"
	wait "$SUPERD_PID" || status=$?
	assert_equal "${status:-0}" 0
	SUPERD_PID=
	wait_log '^event=shutdown signal=TERM children=1$'
	run talk "$p"
	assert_failure
	wait "$client" || true
	run cat "$T/out"
	assert_output $'started\nfinished'
}

@test "SIGINT also stops superd with status 0" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/true true
	EOF
	start_superd
	kill -INT "$SUPERD_PID"
	wait "$SUPERD_PID" || status=$?
	assert_equal "${status:-0}" 0
	SUPERD_PID=
}

@test "a second superd with the same pid file refuses to start; the first runs on" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo first
	EOF
	start_superd -p "$T/pid"
	wait_until 5 test -s "$T/pid"
	assert_equal "$(cat "$T/pid")" "$SUPERD_PID"
	run timeout 10 "$SUPERD" -d -p "$T/pid" "$CONF"
	assert_failure 1
	assert_output --partial "already running"
	assert_output --partial "$SUPERD_PID"
	superd_alive
	run talk "$(port 1)"
	assert_output first
}

@test "without -d superd detaches, writes its pid file and serves" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo daemon
	EOF
	run timeout 10 "$SUPERD" -e -P "$PORTS" -p "$T/pid" "$CONF" 3>&-
	assert_success
	wait_until 5 test -s "$T/pid"
	SUPERD_PID=$(cat "$T/pid")
	wait_until 5 test -s "$PORTS"
	run talk "$(port 1)"
	assert_output daemon
	kill -TERM "$SUPERD_PID"
	wait_until 5 eval "! kill -0 $SUPERD_PID 2>/dev/null"
	[ ! -e "$T/pid" ]
	SUPERD_PID=
}

@test "no zombies are left after 200 connections" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/echo echo x
	EOF
	start_superd
	p=$(port 1)
	for i in $(seq 200); do talk "$p" >/dev/null; done
	wait_until 10 log_lines 'event=exit' 200
	zombies=$(ps --ppid "$SUPERD_PID" -o stat= | grep -c Z || true)
	assert_equal "$zombies" 0
	assert_equal "$(children_of "$SUPERD_PID")" 0
}

@test "in a burst of 300 connections at once each child sees its own peer" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,instances=1000 root /bin/sh sh -c "echo \$TCPREMOTEPORT"
	EOF
	start_superd
	run timeout 60 python3 "$BATS_TEST_DIRNAME/burst.py" "$(port 1)" 300
	assert_success
	assert_output "ok=300 wrong=0 failed=0"
	wait_until 10 log_lines 'event=exit' 300
	assert_equal "$(log_count 'status=0')" 300
}

@test "-V prints the version, -h the usage, a bad flag exits 2" {
	run "$SUPERD" -V
	assert_success
	assert_output --regexp '^superd [0-9]+\.[0-9]+'
	run "$SUPERD" -h
	assert_success
	assert_output --partial "usage: superd [-bdDeEhrtVw] [-k seconds] [-P portsfile] [-p pidfile] [-q backlog] [service-table | -]"
	run "$SUPERD" -Z
	assert_failure 2
	run "$SUPERD" -q notanumber /dev/null
	assert_failure 2
	run "$SUPERD" a b
	assert_failure 2
}

@test "-q sets the listen backlog" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/true true
	EOF
	start_superd -q 7
	p=$(port 1)
	run ss -Hltn "sport = :$p"
	assert_output --regexp "LISTEN +0 +7 "
}
