#!/usr/bin/env bash
# valgrind.sh: superd under valgrind's memcheck through RELOADS reloads
# (SIGHUP, alternating two tables, so that services are added, removed,
# changed and kept) and CONNS connections (make valgrind; CI runs it).
#
# Fails on any invalid access or use of uninitialised memory in superd or
# in a child before its execve, on any definitely or indirectly lost block
# at exit, and when the heap superd holds grows between the 20th reload
# and the last (the four kinds of vgdb's leak_check summary, summed).
# Under valgrind superd spawns the vfork way: valgrind runs a clone(2)
# with CLONE_VM only as a thread or as vfork (spawn.c).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SUPERD=${SUPERD:-$TOP/superd}
LOADGEN=$TOP/bench/loadgen
RELOADS=${RELOADS:-200}
CONNS=${CONNS:-2000}
W=$(mktemp -d /tmp/superd-valgrind.XXXXXX)
VPID=

cleanup() {
	if [ -n "$VPID" ] && kill -0 "$VPID" 2>/dev/null; then
		kill -KILL "$VPID" 2>/dev/null || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$W"; fi
}
trap cleanup EXIT

fail() {
	echo "valgrind: FAIL: $*"
	echo "--- superd's log (last 20 lines):"
	tail -20 "$W/log" || true
	KEEP=1
	echo "kept in $W"
	exit 1
}

# wait_for SECONDS COMMAND...: poll every 100 ms, fail after SECONDS.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

reloads_logged() {
	[ "$(grep -c '^event=reload ' "$W/log" || true)" -ge "$1" ]
}

# port LINE: the port the table's line LINE got (-P file).
port() {
	awk -v l="$1" '$1 == l { n = split($3, a, ":"); print a[n]; exit }' \
	    "$W/ports"
}

# held: the bytes of a LEAK SUMMARY's four kinds ("1,234 (+5) bytes").
held() {
	sed -n 's/.*\(lost\|reachable\): \([0-9,]*\) .*bytes.*/\2/p' |
	    tr -d , | awk '{ s += $1; n++ } END { if (n == 4) print s }'
}

# The steady service (line 1) is in both tables and keeps its socket;
# line 2 changes, lines 3 and 4 are removed and added in turn.
cat >"$W/a.conf" <<EOF
127.0.0.1:0 stream tcp nowait root /bin/echo echo steady
127.0.0.1:0 stream tcp nowait,instances=4 root /bin/cat cat
127.0.0.1:0 dgram udp wait nobody internal echo
127.0.0.1:0 stream tcp nowait,allow=127.0.0.0/8,env=A=1 root internal echo
EOF
cat >"$W/b.conf" <<EOF
127.0.0.1:0 stream tcp nowait root /bin/echo echo steady
127.0.0.1:0 stream tcp nowait,instances=8,timeout=30 root /bin/cat cat
[::1]:0 stream tcp6 nowait,per-source=4 root internal chargen
$W/s.sock stream unix nowait,mode=0600 root /bin/echo echo unix
EOF
cp "$W/a.conf" "$W/superd.conf"
# superd knows it runs under valgrind through valgrind.h's client request
[ -e /usr/include/valgrind/valgrind.h ] ||
    fail "superd was built without <valgrind/valgrind.h> (package valgrind)"

valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$W/vg.%p" \
    "$SUPERD" -d -P "$W/ports" "$W/superd.conf" >"$W/stdout" \
    2>"$W/log" 3>&- &
VPID=$!
wait_for 60 test -s "$W/ports" || fail "superd did not start"

per=$((CONNS / RELOADS))
[ "$per" -ge 1 ] || per=1
errors=0
sum20=
for ((r = 1; r <= RELOADS; r++)); do
	if ((r % 2)); then t=b; else t=a; fi
	cp "$W/$t.conf" "$W/superd.conf.new"
	mv "$W/superd.conf.new" "$W/superd.conf"
	kill -HUP "$VPID"
	wait_for 30 reloads_logged "$r" || fail "reload $r was not logged"
	out=$("$LOADGEN" -p "$(port 1)" -c 2 -n "$per" -t 60)
	case $out in
	*"completed=$per err_connect=0 err_reset=0 err_other=0 err_timeout=0"*)
		;;
	*)	errors=$((errors + 1)); echo "reload $r: $out";;
	esac
	# the built-ins: a forked child (tcp) and the parent itself (udp)
	if [ "$t" = a ] && ((r % 10 == 0)); then
		[ "$(printf e | timeout 30 nc -N 127.0.0.1 "$(port 4)")" = e ] ||
		    { errors=$((errors + 1)); echo "reload $r: tcp echo"; }
		[ "$(timeout 30 python3 "$TOP/tests/udpclient.py" 127.0.0.1 \
		    "$(port 3)" u --timeout 10)" = u ] ||
		    { errors=$((errors + 1)); echo "reload $r: udp echo"; }
	fi
	if [ "$r" -eq 20 ]; then
		sum20=$(vgdb --pid="$VPID" leak_check summary 2>&1)
	fi
done
sumend=$(vgdb --pid="$VPID" leak_check summary 2>&1)
# one connection to each program service of the last table
if ((RELOADS % 2)); then
	[ "$(printf x | timeout 30 nc -N 127.0.0.1 "$(port 2)")" = x ] ||
	    errors=$((errors + 1))
	[ "$(timeout 30 nc -U -N "$W/s.sock" </dev/null)" = unix ] ||
	    errors=$((errors + 1))
fi

kill -TERM "$VPID"
rc=0
wait "$VPID" || rc=$?
VPID=

h20=$(printf '%s\n' "$sum20" | held)
hend=$(printf '%s\n' "$sumend" | held)
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$W"/vg.* 2>/dev/null || true)
started=$(grep -c 'event=start ' "$W/log" || true)
echo "valgrind: reloads=$RELOADS connections=$((RELOADS * per))" \
    "children=$started client-errors=$errors exit=$rc" \
    "heap-after-20=${h20:-?} heap-at-end=${hend:-?}"
if [ -n "$bad" ]; then
	for f in $bad; do
		echo "--- $f"
		grep -v reset_after_fork "$f" | head -60
	done
	fail "memcheck reported errors"
fi
[ "$rc" -eq 0 ] || fail "superd under valgrind exited $rc"
[ "$errors" -eq 0 ] || fail "$errors client errors"
[ -n "$h20" ] && [ -n "$hend" ] || fail "vgdb gave no leak summary:
$sum20
$sumend"
# a few KiB of slack: free lists of children and sources may grow once
[ "$hend" -le $((h20 + 4096)) ] || fail "the heap grew from $h20 to" \
    "$hend bytes between reload 20 and $RELOADS"
echo "valgrind: ok"
