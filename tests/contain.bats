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

@test "a failed user= switch exits 126 and the exit line names setgroups, setgid or setuid" {
	is_root || skip "needs root"
	unshare -U -r true 2>/dev/null || skip "no user namespaces here"
	# root of a user namespace that maps only uid 0 and denies setgroups
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait nobody /bin/echo echo reached
	EOF
	rm -f "$PORTS"
	unshare -U -r "$SUPERD" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	refute_output --partial reached
	wait_log 'event=exit .*status=126 .*error="setgroups 1 groups: Operation not permitted"' 5
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

# --- chroot= and the namespaces, one connection's own each

# jail: $J, a small root for chroot= with a static busybox as /bin/sh,
# and /tmp and /proc to mount on; under /var/lib (or, not root, $HOME),
# whose parents only root may change, as chroot= requires (not /tmp).
jail() {
	[ -x /bin/busybox ] || skip "needs busybox-static"
	if is_root; then
		J=$(mktemp -d /var/lib/superd-jail.XXXXXX)
	else
		J=$(mktemp -d "$HOME/.superd-jail.XXXXXX")
	fi
	echo "$J" >>"$T/cleanup"
	mkdir -p "$J/bin" "$J/tmp" "$J/proc"
	cp /bin/busybox "$J/bin/busybox"
	ln -s busybox "$J/bin/sh"
	chmod 755 "$J"
}

@test "private-network gives a child a network of its own with only lo, and lo up" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network root /sbin/ip ip -o link
	127.0.0.1:0 stream tcp nowait root /sbin/ip ip -o link
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	# the host's, as seen without the option, has more than lo
	run talk "$(port 2)"
	assert_success
	[ "${#lines[@]}" -gt 1 ]
}

@test "private-network=shared gives all of a service's connections one network of their own, not the host's, with only lo up" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network=shared root /bin/sh sh -c "readlink /proc/self/ns/net; ip -o link"
	127.0.0.1:0 stream tcp nowait,private-network root /bin/readlink readlink /proc/self/ns/net
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	shared=${lines[0]}
	[ "$shared" != "$(readlink /proc/self/ns/net)" ]
	run talk "$(port 1)"
	assert_line --index 0 "$shared"
	# one per connection without =shared
	a=$(talk "$(port 2)")
	b=$(talk "$(port 2)")
	[ -n "$a" ] && [ "$a" != "$b" ] && [ "$a" != "$shared" ]
}

@test "private-network: two connections alive at once are in two network namespaces, each made for it by the pool, neither the host's" {
	is_root || skip "a pool is a root superd's"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network root /bin/sh sh -c "readlink /proc/self/ns/net; grep -c : /proc/net/dev; sleep 1"
	EOF
	start_superd
	# a set ahead of the first connection: the pool is up
	pg=$(ps -o pgid= -p "$SUPERD_PID" | tr -d ' ')
	wait_until 5 pgrep -g "$pg" -x superd-nspool
	pool=$(pgrep -g "$pg" -x superd-nspool)
	talk "$(port 1)" >"$T/a" &
	a=$!
	talk "$(port 1)" >"$T/b" &
	b=$!
	wait "$a" "$b"
	# "net:[N]", then one interface (lo) each
	assert_equal "$(sed -n 2p "$T/a") $(sed -n 2p "$T/b")" "1 1"
	na=$(sed -n 1p "$T/a")
	nb=$(sed -n 1p "$T/b")
	[[ $na == net:* ]] && [ "$na" != "$nb" ]
	[ "$na" != "$(readlink /proc/self/ns/net)" ]
	[ "$nb" != "$(readlink /proc/self/ns/net)" ]
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=.* nspool_taken=2 nspool_empty=0'
	# the pool goes with superd (gone, or a zombie of an init that
	# does not reap)
	stop_superd
	wait_until 5 eval '[ "$(ps -o stat= -p "$pool")" = "" ] ||
	    [ "$(ps -o stat= -p "$pool" | cut -c1)" = Z ]'
}

@test "private-network: a burst past what the pool has ready falls back to the clone, and every connection still gets a network of its own with only lo" {
	is_root || skip "a pool is a root superd's"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network,private-tmp root /bin/sh sh -c "readlink /proc/self/ns/net; grep -c : /proc/net/dev; ls /tmp | wc -l; : >/tmp/seen; sleep 2"
	EOF
	start_superd
	# 64 connections at once, all alive together: 64 namespaces
	timeout 20 python3 - "$(port 1)" >"$T/burst" <<-'PY'
	import socket, sys
	port = int(sys.argv[1])
	socks = [socket.create_connection(("127.0.0.1", port), timeout=15)
	    for _ in range(64)]
	for s in socks:
	    s.shutdown(socket.SHUT_WR)
	for s in socks:
	    data = b""
	    while True:
	        b = s.recv(4096)
	        if not b:
	            break
	        data += b
	    print(data.decode().replace("\n", " ").strip())
	PY
	assert_equal "$(wc -l <"$T/burst")" 64
	# each: its own namespace, only lo, an empty /tmp of its own
	assert_equal "$(awk '{ print $2, $3 }' "$T/burst" | sort -u)" "1 0"
	assert_equal "$(awk '{ print $1 }' "$T/burst" | grep -c '^net:')" 64
	assert_equal "$(awk '{ print $1 }' "$T/burst" | sort -u | wc -l)" 64
	! grep -qF "$(readlink /proc/self/ns/net)" "$T/burst"
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=.* nspool_taken=[1-9][0-9]* nspool_empty=[1-9][0-9]*'
}

@test "a reload that changes a private-network entry gives it a new pool, and the old one exits" {
	is_root || skip "a pool is a root superd's"
	p=$(free_port)
	table <<-EOF
	127.0.0.1:$p stream tcp nowait,private-network root /bin/readlink readlink /proc/self/ns/net
	EOF
	start_superd
	pg=$(ps -o pgid= -p "$SUPERD_PID" | tr -d ' ')
	wait_until 5 pgrep -g "$pg" -x superd-nspool
	old=$(pgrep -g "$pg" -x superd-nspool)
	# a child's slot keeps the old entry pinned: not its pool
	run talk "$p"
	assert_output --regexp '^net:'
	sed -i "s/private-network/private-network,instances=9/" "$CONF"
	kill -HUP "$SUPERD_PID"
	wait_log '^event=reload .*changed=1'
	wait_until 5 eval '[ "$(ps -o stat= -p "$old")" = "" ] ||
	    [ "$(ps -o stat= -p "$old" | cut -c1)" = Z ]'
	run talk "$p"
	assert_output --regexp '^net:'
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=.* nspool_taken=1 nspool_empty=0'
}

@test "private-network takes no value but shared" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network=yes root /bin/true true
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure
	assert_output --partial ':1: bad value "yes" for option private-network: expected nothing, or shared'
}

@test "private-pid makes the service PID 1 of its own namespace, whose /proc shows only its processes" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-pid root /bin/sh sh -c "echo $$; ls /proc | grep -c '^[0-9]*$'"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_line --index 0 1
	# sh, ls and grep, never the host's hundred
	[ "${lines[1]}" -le 3 ]
}

@test "under private-pid a failed step still names itself in the exit line" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-pid,rlimit-nofile=2000000 root /bin/echo echo reached
	EOF
	start_superd
	run talk "$(port 1)"
	refute_output --partial reached
	wait_log 'event=exit .*status=126 .*error="rlimit-nofile 2000000: Operation not permitted"' 5
}

@test "under private-pid timeout='s SIGTERM does not reach PID 1, the SIGKILL 2 s later ends it" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-pid,timeout=1 root /bin/sleep sleep 60
	EOF
	start_superd
	timeout 10 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null || true
	wait_log 'event=exit .*signal=KILL duration=3\.' 8
	log_has 'event=timeout .*signal=TERM'
}

@test "private-tmp gives each connection an empty /tmp and /var/tmp that the host and the next connection never see" {
	name=superd-private-tmp-$$-$RANDOM
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,private-tmp root /bin/sh sh -c "ls /tmp /var/tmp | grep -c $name; echo x >/tmp/$name; echo y >/var/tmp/$name; cat /tmp/$name /var/tmp/$name"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "0 x y "
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "0 x y "
	[ ! -e "/tmp/$name" ]
	[ ! -e "/var/tmp/$name" ]
}

@test "read-only makes every file system read-only (EROFS), /tmp excepted under private-tmp, /dev/null still writable" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,read-only,private-tmp,stderr=socket root /bin/sh sh -c "echo x >/var/lib/superd-ro-test || true; echo y >/tmp/a && cat /tmp/a; echo z >/dev/null && echo null"
	127.0.0.1:0 stream tcp nowait,read-only,stderr=socket root /bin/sh sh -c "echo y >/tmp/superd-ro-test"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_line --partial "Read-only file system"
	assert_line y
	assert_line null
	run talk "$(port 2)"
	assert_output --partial "Read-only file system"
	[ ! -e /var/lib/superd-ro-test ]
	[ ! -e /tmp/superd-ro-test ]
}

@test "hostname= names the child's own UTS namespace and leaves the host's name alone" {
	host=$(uname -n)
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,hostname=jail-7.example root /bin/sh sh -c "hostname; uname -n"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "jail-7.example jail-7.example "
	assert_equal "$(uname -n)" "$host"
}

@test "private-ipc: a message queue made inside is not the host's" {
	before=$(ipcs -q | grep -c '^0x' || true)
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-ipc root /bin/sh sh -c "ipcmk -Q >/dev/null && ipcs -q | grep -c '^0x'"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_success
	assert_output 1
	assert_equal "$(ipcs -q | grep -c '^0x' || true)" "$before"
}

@test "chroot= runs the program inside DIR, with private-pid, private-tmp and read-only there too" {
	jail
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J,private-pid,private-tmp,read-only root /bin/sh sh -c "echo \$\$; ls /; echo a >/tmp/a && cat /tmp/a; echo b >/bin/b"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_equal "$(printf '%s\n' "$output" | tr '\n' ' ')" "1 bin proc tmp a "
	wait_log 'event=exit .*status=1 ' 5
	[ ! -e "$J/bin/b" ]
	[ -z "$(ls "$J/tmp")" ]
}

@test "a pool that cannot make a set says why once, and exits with superd all the same" {
	is_root || skip "a pool is a root superd's"
	jail
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J,private-network,private-tmp root /bin/sh sh -c "echo ok"
	EOF
	start_superd
	pg=$(ps -o pgid= -p "$SUPERD_PID" | tr -d ' ')
	wait_until 5 pgrep -g "$pg" -x superd-nspool
	pool=$(pgrep -g "$pg" -x superd-nspool)
	# what its next sets mount on is gone (the sets made keep theirs);
	# its word comes behind the sets it had ready (16 at most)
	rmdir "$J/tmp"
	for i in $(seq 24); do
		talk "$(port 1)" >/dev/null || true
	done
	wait_log '^event=nspool-failed line=1 error="No such file or directory"'
	for i in 1 2 3 4; do
		talk "$(port 1)" >/dev/null || true
	done
	assert_equal "$(log_count '^event=nspool-failed')" 1
	stop_superd
	wait_until 5 eval '[ "$(ps -o stat= -p "$pool")" = "" ] ||
	    [ "$(ps -o stat= -p "$pool" | cut -c1)" = Z ]'
}

@test "private-tmp under chroot= with /tmp an absolute link inside DIR: the pool's tmpfs is mounted where the child's would be, each connection's its own" {
	is_root || skip "a pool is a root superd's"
	jail
	# the link resolves inside DIR for the child; from the host's root
	# it names a directory of the host's
	d=superd-nspool-link-$$-$RANDOM
	rmdir "$J/tmp"
	mkdir "$J/$d" "/$d"
	echo "/$d" >>"$T/cleanup"
	ln -s "/$d" "$J/tmp"
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J,private-tmp root /bin/sh sh -c "ls /tmp; echo x >/tmp/seen; echo done"
	EOF
	start_superd
	pg=$(ps -o pgid= -p "$SUPERD_PID" | tr -d ' ')
	wait_until 5 pgrep -g "$pg" -x superd-nspool
	run talk "$(port 1)"
	assert_output done
	run talk "$(port 1)"
	assert_output done
	[ -z "$(ls -A "$J/$d")" ] && [ -z "$(ls -A "/$d")" ]
	kill -USR1 "$SUPERD_PID"
	wait_log '^event=status svc=.* nspool_taken=2 nspool_empty=0'
}

@test "a chroot= without the program, or without what its options mount on, is a -t error of its line" {
	jail
	mkdir "$J/empty"
	table <<-EOF
	127.0.0.1:7211 stream tcp nowait,chroot=$J root /bin/cat cat
	127.0.0.1:7212 stream tcp nowait,chroot=$J/none root /bin/sh sh
	127.0.0.1:7213 stream tcp nowait,chroot=$J/bin,private-tmp root /busybox sh
	127.0.0.1:7214 stream tcp nowait,chroot=$J/bin,private-pid root /busybox sh
	127.0.0.1:7215 stream tcp nowait,chroot=$J root /bin/../../../../bin/cat cat
	127.0.0.1:7216 stream tcp nowait,chroot=$J root /tmp
	127.0.0.1:7217 stream tcp nowait,chroot=$J,private-tmp,private-pid root /bin/sh sh
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: program /bin/cat in chroot $J: No such file or directory"
	assert_line "$CONF:2: chroot $J/none: No such file or directory"
	assert_line "$CONF:3: private-tmp needs a directory $J/bin/tmp: No such file or directory"
	assert_line "$CONF:4: private-pid needs a directory $J/bin/proc: No such file or directory"
	assert_line "$CONF:5: program /bin/../../../../bin/cat in chroot $J: No such file or directory"
	assert_line "$CONF:6: program /tmp in chroot $J is not a regular file"
	assert_equal "${#lines[@]}" 6
}

@test "bad chroot= and namespace options are FILE:LINE errors, and built-ins take none of them" {
	table <<-'EOF'
	127.0.0.1:7221 stream tcp nowait,chroot=srv root /bin/cat cat
	127.0.0.1:7222 stream tcp nowait,hostname=a_b root /bin/cat cat
	127.0.0.1:7223 stream tcp nowait,hostname=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa root /bin/cat cat
	127.0.0.1:7224 stream tcp nowait,private-network=1 root /bin/cat cat
	127.0.0.1:7225 stream tcp nowait,private-pid root internal echo
	127.0.0.1:7226 stream tcp nowait,chroot=/ root internal echo
	127.0.0.1:7227 stream tcp nowait,privat-tmp root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: bad value \"srv\" for option chroot: expected an absolute path"
	assert_line "$CONF:2: bad value \"a_b\" for option hostname: expected 1 to 64 letters, digits, '-' or '.'"
	assert_line --regexp "^$CONF:3: bad value \"a{65}\" for option hostname"
	assert_line "$CONF:4: bad value \"1\" for option private-network: expected nothing, or shared"
	assert_line "$CONF:5: namespace options (private-*, hostname=, read-only) are for programs, not built-in services"
	assert_line "$CONF:6: chroot= is for programs, not built-in services"
	assert_line "$CONF:7: unknown option \"privat-tmp\": did you mean private-tmp?"
	assert_equal "${#lines[@]}" 7
}

@test "a namespace step that fails names itself and its errno in the exit line" {
	jail
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J,private-pid root /bin/sh sh -c "echo reached"
	127.0.0.1:0 stream tcp nowait,chroot=$J/bin root /busybox echo reached
	EOF
	start_superd
	# what was there at load is gone at the connection
	rmdir "$J/proc"
	run talk "$(port 1)"
	refute_output --partial reached
	wait_log 'event=exit svc=[^ ]+ line=1 .*status=126 .*error="mount proc /proc: No such file or directory"' 5
	mv "$J/bin" "$J/bin.gone"
	run talk "$(port 2)"
	refute_output --partial reached
	wait_log "event=exit svc=[^ ]+ line=2 .*status=126 .*error=\"chroot $J/bin: No such file or directory\"" 5
}

@test "a reload to a table whose chroot= lacks the program keeps the running table" {
	jail
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J root /bin/sh sh -c "echo old"
	EOF
	start_superd
	run talk "$(port 1)"
	assert_output old
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,chroot=$J root /bin/cat cat
	EOF
	kill -HUP "$SUPERD_PID"
	wait_log "event=reload-failed error=\"$CONF:1: program /bin/cat in chroot $J: No such file or directory\""
	run talk "$(port 1)"
	assert_output old
}

@test "superd not root: private-network works in a user namespace, the service keeps superd's uid" {
	is_root || skip "needs root to become nobody"
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -r -n true 2>/dev/null ||
	    skip "no unprivileged user namespaces here"
	D=$(mktemp -d /tmp/superd-nonroot.XXXXXX)
	echo "$D" >>"$T/cleanup"
	chown 65534:65534 "$D"
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,private-network,private-pid nobody /bin/sh sh -c "id -u; echo $$; ip -o link"
	EOF
	cp "$CONF" "$D/superd.conf"
	chmod 644 "$D/superd.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$SUPERD" -d -P "$D/ports" "$D/superd.conf" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	PORTS=$D/ports
	wait_until 10 test -s "$PORTS"
	run talk "$(port 1)"
	assert_success
	assert_line --index 0 65534
	assert_line --index 1 1
	assert_line --index 2 --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
	assert_equal "${#lines[@]}" 3
}

@test "superd not root where no user namespace may be made: a namespace option is a -t error of its line" {
	is_root || skip "needs root to make the user namespace"
	table <<-'EOF'
	127.0.0.1:7231 stream tcp nowait nobody /bin/cat cat
	127.0.0.1:7232 stream tcp nowait,private-network nobody /bin/cat cat
	EOF
	# superd as uid 65534 of a user namespace that may have none inside
	run python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) != 0:
	sys.exit(77)
open("/proc/self/setgroups", "w").write("deny")
open("/proc/self/uid_map", "w").write("65534 0 1")
open("/proc/self/gid_map", "w").write("65534 0 1")
open("/proc/sys/user/max_user_namespaces", "w").write("0")
os.execv(sys.argv[1], sys.argv[1:])' "$SUPERD" -t "$CONF"
	[ "$status" -ne 77 ] || skip "no user namespaces here"
	assert_failure 1
	assert_line "$CONF:2: private-network needs root or unprivileged user namespaces: No space left on device"
	assert_equal "${#lines[@]}" 1
}

@test "under private-pid a child over RLIMIT_NPROC still gives its connection back: the kernel, not the child, says its pid" {
	is_root || skip "RLIMIT_NPROC binds a user that is not root"
	id games >/dev/null 2>&1 || skip "needs the games user"
	nproc_bursts nowait,private-pid
}
