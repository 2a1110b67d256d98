#!/usr/bin/env bats
# Upgrade in place (issue 18, SPEC 13): SIGUSR2 and superd -u check the
# binary superd was started from, then execute it in the same pid with
# every listener, child and counter; a binary that fails its check
# leaves the old superd serving, with one event=upgrade-failed line.

load helpers

# superd runs from $BIN (a copy), so that a test can replace that file
# as a package upgrade does: a new file renamed over the path.
setup_bin() {
	mkdir -p "$T/bin" "$T/alt"
	cp "$TOP/superd" "$T/bin/superd"
	cp "$TOP/superd" "$T/alt/superd"
	BIN=$T/bin/superd
}

# install_bin FILE: FILE becomes $BIN, renamed over it.
install_bin() {
	cp "$1" "$BIN.new" && chmod 755 "$BIN.new" && mv -f "$BIN.new" "$BIN"
}

start_bin() {
	rm -f "$PORTS"
	"$BIN" -d -P "$PORTS" "$@" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
}

# upgrade N: SIGUSR2, then the Nth event=upgrade line.
upgrade() {
	kill -USR2 "$SUPERD_PID"
	wait_until 15 log_lines '^event=upgrade from=' "$1"
}

@test "a SIGUSR2 upgrade keeps the pid and the listeners, and logs from= to= services= children=" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	127.0.0.1:0 dgram udp wait root internal echo
	EOF
	start_bin
	p=$(port 1)
	run talk "$p" "before"
	assert_output "before"
	upgrade 1
	wait_log '^event=upgrade from=[0-9.]+(\+[0-9a-f]+)? to=[0-9.]+(\+[0-9a-f]+)? services=2 children=0 pause_ms=[0-9.]+$'
	kill -0 "$SUPERD_PID"
	run talk "$p" "after"
	assert_output "after"
	# the listener was kept, not bound again
	run log_count '^event=listen '
	assert_output 2
	log_has '^event=upgrade-check binary=.*/bin/superd pid=[0-9]+$'
}

@test "300 connections during 5 upgrades (the binary copied to a second path and back) are all answered, by the same pid throughout" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	p=$(port 1)
	# the same pid answers kill -0 every 5 ms through all of it
	( while [ ! -e "$T/done" ]; do
		kill -0 "$SUPERD_PID" 2>/dev/null || echo gone >>"$T/gone"
		sleep 0.005
	done ) &
	watcher=$!
	timeout 60 python3 - "$p" >"$T/clients" <<-'PY' &
	import socket, sys, time
	port, ok, bad = int(sys.argv[1]), 0, 0
	for i in range(300):
	    msg = b"c%d\n" % i
	    try:
	        s = socket.create_connection(("127.0.0.1", port), timeout=10)
	        s.sendall(msg)
	        s.shutdown(socket.SHUT_WR)
	        got = b""
	        while True:
	            d = s.recv(100)
	            if not d:
	                break
	            got += d
	        s.close()
	        ok += got == msg
	        bad += got != msg
	    except OSError:
	        bad += 1
	    time.sleep(0.01)
	print("ok=%d bad=%d" % (ok, bad))
	PY
	clients=$!
	for n in 1 2 3 4 5; do
		if [ $((n % 2)) = 1 ]; then install_bin "$T/alt/superd"
		else install_bin "$TOP/superd"; fi
		upgrade "$n"
	done
	wait "$clients"
	touch "$T/done"
	wait "$watcher"
	run cat "$T/clients"
	assert_output "ok=300 bad=0"
	[ ! -e "$T/gone" ]
	run log_count '^event=upgrade from='
	assert_output 5
	! log_has 'event=upgrade-failed'
}

@test "a child started before an upgrade and ending after it is logged by the new binary with its service and its whole duration" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root /bin/sh sh -c "sleep 2; echo done"
	EOF
	start_bin
	( talk "$(port 1)" >"$T/reply" ) &
	client=$!
	wait_log '^event=start svc=0 line=1 pid='
	upgrade 1
	log_has '^event=upgrade from=.* children=1 '
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=' 10
	# the exit line comes after the upgrade's, with the time before it
	run sed -n '/^event=upgrade from=/,$p' "$LOG"
	assert_line --regexp '^event=exit svc=0 line=1 pid=[0-9]+ status=0 duration=(2\.|3\.)'
	wait "$client"
	run cat "$T/reply"
	assert_output "done"
}

@test "a timeout=2 child started 1 s before an upgrade is killed about 1 s after it" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=2 root /bin/sleep sleep 30
	EOF
	start_bin
	( talk "$(port 1)" >/dev/null ) &
	client=$!
	wait_log '^event=start svc=0 line=1 pid='
	sleep 1
	upgrade 1
	wait_log '^event=timeout svc=0 line=1 pid=[0-9]+ signal=TERM$' 5
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM duration=' 5
	run grep -E '^event=exit svc=0' "$LOG"
	# 2 s from its start, not 2 s from the upgrade
	assert_output --regexp 'duration=(1\.9|2\.[0-4])'
	wait "$client" || true
}

@test "a broken new binary (a script that exits 1) leaves the old superd serving, with one upgrade-failed line" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	printf '#!/bin/sh\necho "this is no superd" >&2\nexit 1\n' >"$T/broken"
	install_bin "$T/broken"
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-failed error=".*/bin/superd -t exited 1: this is no superd"$'
	kill -0 "$SUPERD_PID"
	run talk "$(port 1)" "still here"
	assert_output "still here"
	run log_count '^event=upgrade-failed'
	assert_output 1
	! log_has '^event=upgrade-exec'
}

@test "a missing binary, one that does not answer the handshake, one whose answer is too long to read whole, and one that reads only a newer state are refused" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	rm -f "$BIN"
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-failed error=".*/bin/superd: No such file or directory"$'
	# an old superd: -t passes, but it says nothing of states
	printf '#!/bin/sh\nexit 0\n' >"$T/old"
	install_bin "$T/old"
	kill -USR2 "$SUPERD_PID"
	wait_log 'error=".*/bin/superd does not say which state versions it reads'
	printf '#!/bin/sh\necho "superd-upgrade version=9.0 states=3,4"\n' >"$T/newer"
	install_bin "$T/newer"
	kill -USR2 "$SUPERD_PID"
	wait_log 'error=".*/bin/superd reads state versions 3,4, not 1 to 2"$'
	# a list too long to be read whole is no answer (its tail, cut,
	# could have named a version it did not: 23 read as 2)
	long=$(printf '9,%.0s' $(seq 127))23
	printf '#!/bin/sh\necho "superd-upgrade version=9.0 states=%s"\n' "$long" >"$T/long"
	install_bin "$T/long"
	kill -USR2 "$SUPERD_PID"
	wait_until 10 eval '[ "$(log_count "does not say which state versions")" -ge 2 ]'
	run talk "$(port 1)" "served"
	assert_output "served"
	run log_count '^event=upgrade-failed'
	assert_output 4
}

# psend ARGS...: tests/proxysend.py, a balancer bound to 127.0.0.2.
psend() {
	timeout 15 python3 "$TOP/tests/proxysend.py" --bind 127.0.0.2 "$@"
}

@test "a child through a balancer carried across an upgrade keeps its balancer in superd -S, and its in= still leaves the PROXY header out" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /bin/sh sh -c "head -c 6; for i in \$(seq 100); do [ -e $T/go ] && break; sleep 0.1; done"
	EOF
	start_bin
	psend -2 --authority example.org --payload abcdef "$(port 1)" >"$T/reply" &
	client=$!
	wait_log '^event=start svc=0 line=1 pid=[0-9]+ peer=192\.0\.2\.1:4000 proxy=127\.0\.0\.2:[0-9]+$'
	upgrade 1
	log_has '^event=upgrade from=.* children=1 '
	run "$BIN" -S "$SUPERD_PID"
	assert_line --regexp '^event=child svc=0 line=1 pid=[0-9]+ peer=192\.0\.2\.1:4000 proxy=127\.0\.0\.2:[0-9]+ age='
	touch "$T/go"
	wait "$client"
	run cat "$T/reply"
	assert_output abcdef
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 .* in=6 out=6 ' 10
}

@test "an upgrade to a binary that reads only the older state version hands it that version, the child still carried" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.2 root /bin/sh sh -c "head -c 6; for i in \$(seq 100); do [ -e $T/go ] && break; sleep 0.1; done"
	EOF
	start_bin
	# superd as the release before: its check names state version 1 only;
	# the state's version (its header's bytes 8 to 11) is written down
	cat >"$T/v1" <<-EOF
	#!/bin/sh
	if [ -n "\$SUPERD_UPGRADE_STATE" ]; then
		od -An -tu4 -j8 -N4 /proc/self/fd/\$SUPERD_UPGRADE_STATE >"$T/version"
		exec "$TOP/superd" "\$@"
	fi
	"$TOP/superd" "\$@" | sed 's/ states=.*/ states=1/'
	EOF
	install_bin "$T/v1"
	psend -2 --payload abcdef "$(port 1)" >"$T/reply" &
	client=$!
	wait_log '^event=start svc=0 line=1 pid='
	upgrade 1
	run cat "$T/version"
	assert_output --regexp '^ *1$'
	touch "$T/go"
	wait "$client"
	run cat "$T/reply"
	assert_output abcdef
	# version 1 carries no header length: in= counts its 28 bytes too
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ status=0 .* in=34 out=6 ' 10
}

@test "a check that does not end in 10 s is killed and the upgrade refused" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	printf '#!/bin/sh\nexec sleep 60\n' >"$T/hang"
	install_bin "$T/hang"
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-check '
	# the loop serves during the check
	run talk "$(port 1)" "during"
	assert_output "during"
	wait_log '^event=upgrade-failed error=".*/bin/superd -t gave no answer in 10 s: killed"$' 15
	kill -0 "$SUPERD_PID"
}

@test "a SIGUSR2 while a check runs is refused, and the first upgrade goes on" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	printf '#!/bin/sh\nsleep 1\nexec %s "$@"\n' "$TOP/superd" >"$T/slow"
	install_bin "$T/slow"
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-check '
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade-failed error="an upgrade is in progress already: this one is refused"$'
	wait_log '^event=upgrade from=' 10
	run talk "$(port 1)" "x"
	assert_output "x"
}

@test "the counters are carried: superd -S and the metrics show the totals from before the upgrade" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	127.0.0.1:0 stream tcp nowait root internal metrics
	EOF
	start_bin -p "$T/pid"
	for i in 1 2 3; do talk "$(port 1)" "x" >/dev/null; done
	wait_until 5 log_lines '^event=exit svc=0 line=1 ' 3
	upgrade 1
	run "$BIN" -S "$T/pid"
	assert_success
	assert_line --regexp '^event=status services=2 children=0 upgrades=1 upgrade_failures=0$'
	assert_line --regexp '^event=status svc=0 line=1 .* started=3 '
	run timeout 10 curl -sS "http://127.0.0.1:$(port 2)/metrics"
	assert_line 'superd_upgrades_total 1'
	assert_line --regexp '^superd_connections_total\{service="0",addr="127.0.0.1:[0-9]+",proto="tcp4"\} 3$'
	# the pid file still names this pid, locked
	[ "$(cat "$T/pid")" = "$SUPERD_PID" ]
}

@test "superd -u upgrades a running superd and says so; a failed upgrade exits 1 with the reason" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin -p "$T/pid"
	run timeout 40 "$BIN" -u "$T/pid"
	assert_success
	assert_output "superd pid $SUPERD_PID upgraded in place"
	log_has '^event=upgrade from='
	printf '#!/bin/sh\necho "bad table" >&2\nexit 1\n' >"$T/broken"
	cp "$BIN" "$T/good"
	install_bin "$T/broken"
	run timeout 40 "$T/good" -u "$T/pid"
	assert_failure 1
	assert_output --regexp "^[a-z]+: superd pid $SUPERD_PID kept its binary: .*/bin/superd -t exited 1: bad table$"
	run talk "$(port 1)" "ok"
	assert_output "ok"
	run timeout 10 "$T/good" -u "$T/nopid"
	assert_failure 1
}

@test "a state of a newer format version is refused by the new binary, which starts afresh" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	python3 - "$T/state" <<-'PY'
	import struct, sys
	head = b"SUPERDST" + struct.pack("<IIQIIIIQ", 3, 48, 48, 0, 0, 0, 0, 0)
	open(sys.argv[1], "wb").write(head)
	PY
	rm -f "$PORTS"
	python3 "$BATS_TEST_DIRNAME/upstate.py" --raw "$T/state" -- \
	    "$TOP/superd" -d -P "$PORTS" "$CONF" >"$T/stdout" 2>"$LOG" 3>&- &
	SUPERD_PID=$!
	wait_until 10 test -s "$PORTS"
	wait_log '^event=upgrade-failed error="a newer state version than this binary reads" restart=1$'
	run talk "$(port 1)" "fresh"
	assert_output "fresh"
}

@test "a short, garbled or foreign state is refused by the new binary, which closes what it named and binds afresh" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	python3 - "$T" <<-'PY'
	import struct, sys
	d = sys.argv[1]
	open(d + "/short", "wb").write(b"SUPERDST\x01\x00")
	body = b"\x07" * 64
	head = b"SUPERDST" + struct.pack("<IIQIIIIQ", 1, 48, 48 + len(body),
	                                 0, 0, 0, 0, 12345)
	open(d + "/garbled", "wb").write(head + body)
	open(d + "/foreign", "wb").write(b"\x7fELF" + b"\0" * 60)
	PY
	for s in short:"shorter than its header" \
	    garbled:"a sum that does not match: garbled" \
	    foreign:"not a superd state"; do
		rm -f "$PORTS"
		python3 "$BATS_TEST_DIRNAME/upstate.py" --raw "$T/${s%%:*}" -- \
		    "$TOP/superd" -d -P "$PORTS" "$CONF" >"$T/stdout" \
		    2>"$LOG" 3>&- &
		SUPERD_PID=$!
		wait_until 10 test -s "$PORTS"
		wait_log "^event=upgrade-failed error=\"${s#*:}\" restart=1\$"
		run talk "$(port 1)" "fresh"
		assert_output "fresh"
		stop_superd
	done
}

@test "a connection lingering after its child is carried across an upgrade: the client's late bytes are discarded, never answered with a reset" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,linger=20 root /bin/echo echo reply
	EOF
	start_bin
	timeout 30 python3 - "$(port 1)" "$T/phase" "$T/result" <<-'PY' &
	import os, socket, sys, time
	port, phase, result = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	s = socket.create_connection(("127.0.0.1", port), 10)
	got = b""
	while True:
	    d = s.recv(100)
	    if not d:
	        break
	    got += d
	open(phase, "w").write("read\n")
	while not os.path.exists(phase + ".go"):
	    time.sleep(0.05)
	try:
	    for _ in range(5):
	        s.sendall(b"late bytes\n")
	        time.sleep(0.1)
	    s.close()
	    open(result, "w").write("%r no-reset\n" % got)
	except OSError as e:
	    open(result, "w").write("%r %s\n" % (got, e.__class__.__name__))
	PY
	client=$!
	wait_until 10 test -s "$T/phase"
	wait_log '^event=exit svc=0 line=1 '
	upgrade 1
	touch "$T/phase.go"
	wait "$client"
	run cat "$T/result"
	assert_output "b'reply\\n' no-reset"
}

@test "refusals summed up before an upgrade are still logged as one count= line after it" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,rate=1/60 root internal echo
	EOF
	start_bin
	for i in 1 2 3 4; do talk "$(port 1)" x >/dev/null || true; done
	wait_log '^event=refused svc=0 line=1 reason=rate peer='
	kill -USR2 "$SUPERD_PID"
	wait_log '^event=upgrade from=' 10
	wait_log '^event=refused svc=0 line=1 reason=rate count=2 peer=' 5
	run log_count 'reason=rate count='
	assert_output 1
	run "$BIN" -S "$SUPERD_PID"
	assert_line --regexp '^event=status svc=0 line=1 .* refused_rate=3 '
}

@test "superd -S asked during upgrades in place always answers: the control socket's moment of absence is waited out" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_bin
	# askers in a loop while 5 upgrades go by (the attacker's 2 in 20)
	(
		end=$((SECONDS + 8))
		while [ "$SECONDS" -lt "$end" ]; do
			timeout 15 "$BIN" -S "$SUPERD_PID" >/dev/null 2>>"$T/fails" ||
			    echo "exit $?" >>"$T/fails"
		done
	) &
	askers=$!
	for i in 1 2 3 4 5; do
		kill -USR2 "$SUPERD_PID"
		wait_until 15 log_lines '^event=upgrade from=' "$i"
	done
	wait "$askers"
	[ ! -s "$T/fails" ] || { cat "$T/fails"; false; }
}

@test "a whole state made by hand (a listener, a child with its connection and stderr pipe, a lingering socket) passes the new binary's checks and is taken over" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	start_upstate svc=listen child=fork,conn=sock,err=piper linger=sock \
	    --table "$CONF" --pids "$T/pids"
	wait_log '^event=upgrade from=upstate\.py to=.* services=1 children=1 pause_ms='
	! log_has '^event=listen '
	run talk "$(port 1)" "taken"
	assert_output "taken"
	# the child is watched: its end is logged under its service
	kid=$(head -1 "$T/pids")
	kill "$kid"
	wait_log "^event=exit svc=0 line=1 pid=$kid signal=TERM "
}

@test "SUPERD_UPGRADE_STATE that is no descriptor number, or one not open, and a state naming one not open, are refused: a fresh start" {
	table <<-EOF
	127.0.0.1:0 stream tcp nowait root internal echo
	EOF
	for e in -1:"too small" 2:"too small" abc:"invalid" \
	    99999999999:"too large" 2147483647:"=2147483647 is not open, not a sealed memory file"; do
		start_upstate --env "${e%%:*}"
		wait_log "^event=upgrade-failed error=\"SUPERD_UPGRADE_STATE( is )?${e#*:}\" restart=1\$"
		run talk "$(port 1)" "fresh"
		assert_output "fresh"
		stop_superd
	done
	start_upstate svc=40
	wait_log '^event=upgrade-failed error="service 1 \(echo, line 1\): its socket, descriptor 40, is not open, not a socket" restart=1$'
	run talk "$(port 1)" "fresh"
	assert_output "fresh"
}

@test "a group whose SIGKILL is due at an upgrade is taken over (its zombie leader's pidfd passes the checks) and killed by the new binary" {
	setup_bin
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=1 root /bin/sh sh -c "(trap '' TERM; exec sleep 30) & exec sleep 30"
	EOF
	start_bin
	( timeout 10 nc 127.0.0.1 "$(port 1)" </dev/null >/dev/null ) &
	client=$!
	wait_log '^event=exit svc=0 line=1 pid=[0-9]+ signal=TERM '
	pid=$(sed -n 's/^event=start svc=0 line=1 pid=\([0-9]*\).*/\1/p' "$LOG")
	# its group's member ignores SIGTERM: the SIGKILL is 2 s away
	kill -0 -- "-$pid"
	upgrade 1
	! log_has 'event=upgrade-failed'
	wait_log "^event=timeout svc=0 line=1 pid=$pid signal=KILL\$" 5
	# by the new binary
	run sed -n '/^event=upgrade from=/,$p' "$LOG"
	assert_line "event=timeout svc=0 line=1 pid=$pid signal=KILL"
	wait_until 5 eval '! kill -0 -- -'"$pid"' 2>/dev/null'
	wait "$client" || true
}
