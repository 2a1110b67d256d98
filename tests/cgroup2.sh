#!/usr/bin/env bash
# cgroup2.sh: memory= and tasks= on cgroup v2, in a cgroup delegated the
# way systemd delegates a service's (Delegate=yes), inside a virtual
# machine, since the machines the suite runs on may have every
# controller bound to cgroup v1 (make cgroup2; .ci/run runs it after the
# suite).
#
# It boots Debian's kernel (linux-image-amd64, fetched with apt-get
# download and unpacked into tests/bin/, not installed) under qemu with
# cgroup_no_v1=all, on an initramfs made here: busybox (busybox-static),
# this tree's superd with the shared libraries ldd names, and
# tests/cg2prog.c linked statically.  Its init mounts cgroup2, passes
# +memory +pids down to system.slice as systemd does, makes
# system.slice/superd.service and starts superd in it; it prints a PASS
# or FAIL line per check on the serial console, then powers off.  The
# checks: superd -t changes nothing; superd moves itself into the
# service cgroup's leaf and passes the controllers on; what a superd
# that is gone left is swept; a child over memory=16m is killed and its
# exit line says out of memory; a fork loop under tasks=8 is stopped and
# superd serves on; a child's cgroup has its limit and is removed at its
# exit; a reload moves nothing again, and one that first needs the move
# takes superd's running children along; superd -t in systemd's .control
# cgroup checks the unit's; a superd started in the leaf uses the cgroup
# above it; a cgroup that is not delegated
# (no controllers, other processes in it, not writable by superd's
# user) is a FILE:LINE: error.
#
# SUPERD names another superd binary to test (this tree's by default).
# KVM when /dev/kvm answers within CG2_KVM_S seconds, else qemu's TCG;
# CG2_TIMEOUT (300) seconds in all.  SKIP, exit 0, only where qemu
# cannot run at all (no qemu-system-x86_64, not x86-64); anything else
# missing is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

TIMEOUT=${CG2_TIMEOUT:-300}
KVM_S=${CG2_KVM_S:-30}
KDIR=tests/bin/cg2-kernel

skip() {
	echo "SKIP: cgroup2.sh: $*"
	exit 0
}

command -v qemu-system-x86_64 >/dev/null ||
    skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || skip "not an x86-64 machine"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || {
	echo "cgroup2.sh: needs a static /bin/busybox (busybox-static)" >&2
	exit 1
}
SUPERD=${SUPERD:-./superd}
[ -x "$SUPERD" ] || { echo "cgroup2.sh: no $SUPERD: build it (make)" >&2; exit 1; }

# Debian's kernel, once: the package linux-image-amd64 depends on
kernel=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
if [ -z "$kernel" ]; then
	d=$(mktemp -d)
	get() {
		(cd "$d" && apt-get download -qq -o APT::Sandbox::User=root \
		    "$(apt-cache depends linux-image-amd64 |
		    sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' |
		    head -n 1)")
	}
	get || { [ "$(id -u)" = 0 ] && apt-get update -qq && get; }
	mkdir -p "$KDIR"
	dpkg -x "$d"/linux-image-*.deb "$d/x"
	cp -r "$d/x/boot" "$KDIR/"
	rm -rf "$d"
	kernel=$(ls "$KDIR"/boot/vmlinuz-* | head -n 1)
fi

tmp=$(mktemp -d)
qpid=
cleanup() {
	local rc=$?
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

# The initramfs: busybox, superd and its libraries, the services.
root=$tmp/root
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/"
cp "$SUPERD" "$root/bin/superd"
ldd "$SUPERD" | grep -o '/[^ ]*' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
${CC:-cc} -static -O2 -o "$root/bin/cg2prog" tests/cg2prog.c
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cat >"$root/etc/superd.conf" <<-'EOF'
127.0.0.1:7001 stream tcp nowait,memory=16m root /bin/cg2prog cg2prog hog 64
127.0.0.1:7002 stream tcp nowait,memory=64m root /bin/cg2prog cg2prog hog 8
127.0.0.1:7003 stream tcp nowait,tasks=8 root /bin/cg2prog cg2prog fork 50
127.0.0.1:7004 stream tcp nowait root /bin/cg2prog cg2prog hog 1
127.0.0.1:7005 stream tcp nowait,memory=16m root /bin/cg2prog cg2prog show 1
EOF
sed 's/ root / nobody /' "$root/etc/superd.conf" >"$root/etc/nobody.conf"

cat >"$root/init" <<-'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
echo "cg2: booted"
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# check NAME COMMAND...: PASS or FAIL
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
# wait_for S COMMAND...: until COMMAND succeeds, S seconds at most
wait_for() {
	i=$(($1 * 10)); shift
	while [ $i -gt 0 ]; do "$@" && return 0; usleep 100000; i=$((i - 1)); done
	return 1
}
# in_cg DIR COMMAND...: COMMAND run in cgroup DIR
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"; }
logged() { grep -Eq "$1" /tmp/log; }
talk() { cg2prog talk "$1"; }

cg=/sys/fs/cgroup
echo "+memory +pids" >$cg/cgroup.subtree_control
mkdir $cg/system.slice
echo "+memory +pids" >$cg/system.slice/cgroup.subtree_control
svc=$cg/system.slice/superd.service
mkdir $svc
# what a superd that is gone (pid 99999) left there
mkdir -p $svc/superd.99999/7

in_cg $svc superd -t /etc/superd.conf >/tmp/t 2>&1
check "superd -t in a delegated cgroup accepts memory= and tasks=" [ $? = 0 ]
check "superd -t moves nothing and enables nothing" \
    sh -c "[ ! -d $svc/supervisor ] && [ -z \"\$(cat $svc/cgroup.subtree_control)\" ]"
# systemd runs a delegated unit's ExecReload= in its .control cgroup
mkdir $svc/.control
in_cg $svc/.control superd -t /etc/superd.conf >/tmp/t 2>&1
check "superd -t as ExecReload= (in .control) checks the unit's cgroup" [ $? = 0 ]

# superd itself the background job, so that $! is its pid
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' $svc \
    superd -d -P /tmp/ports /etc/superd.conf >/dev/null 2>/tmp/log &
spid=$!
if ! wait_for 20 test -s /tmp/ports; then
	fail "superd starts in the delegated cgroup"; cat /tmp/log
else
	pass "superd starts in the delegated cgroup"
fi
check "superd moved itself into the leaf supervisor" \
    grep -qx "0::/system.slice/superd.service/supervisor" /proc/$spid/cgroup
check "the service's cgroup passes memory and pids on" \
    sh -c "grep -qw memory $svc/cgroup.subtree_control && grep -qw pids $svc/cgroup.subtree_control"
check "the move is logged once" logged '^event=cgroup-delegated path=/sys/fs/cgroup/system.slice/superd.service leaf=supervisor controllers="\+memory \+pids" children=0$'
check "what a superd that is gone left is swept" \
    sh -c "grep -q 'event=cgroup-swept path=$svc/superd.99999 removed=1 left=0' /tmp/log && [ ! -d $svc/superd.99999 ]"

out=$(talk 7001)
check "a child over memory=16m does not survive 64 MiB" [ "$out" != survived ]
check "its exit line says out of memory" wait_for 20 logged \
    '^event=exit svc=7001 line=1 pid=[0-9]+ signal=KILL .*error="memory 16m: out of memory"$'
out=$(talk 7002)
check "a child under memory=64m touches 8 MiB" [ "$out" = survived ]
out=$(talk 7003)
k=${out#forked }
check "a fork loop under tasks=8 is stopped ($out)" \
    sh -c "[ '$k' -ge 1 ] 2>/dev/null && [ '$k' -le 7 ]"
out=$(talk 7004)
check "superd serves on after the fork loop" [ "$out" = survived ]
talk 7005 >/tmp/show
out=$(head -n 1 /tmp/show)
check "a child's cgroup is superd.PID/N beside the leaf ($out)" \
    sh -c "echo '$out' | grep -Eqx '/system.slice/superd.service/superd.$spid/[0-9]+'"
check "... with memory.max 16m" [ "$(sed -n 2p /tmp/show)" = 16777216 ]
check "... removed at its exit" wait_for 10 sh -c "[ ! -d $cg$out ]"
check "no child's cgroup is left" wait_for 10 sh -c \
    "[ -z \"\$(find $svc/superd.$spid -mindepth 1 -type d)\" ]"

in_cg $svc/.control superd -t /etc/superd.conf >/tmp/t 2>&1
check "superd -t in .control passes beside the running superd" [ $? = 0 ]
kill -HUP $spid
check "a reload is done" wait_for 10 logged '^event=reload '
check "a reload moves nothing again" \
    [ "$(grep -c '^event=cgroup-delegated' /tmp/log)" = 1 ]
out=$(talk 7002)
check "memory= works after the reload" [ "$out" = survived ]
kill $spid
wait $spid

# a superd started in the leaf already (upgraded in place, or put there
# by systemd's DelegateSubgroup=supervisor)
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' $svc/supervisor \
    superd -d -P /tmp/ports2 /etc/superd.conf >/dev/null 2>/tmp/log2 &
spid=$!
wait_for 20 test -s /tmp/ports2
talk 7005 >/tmp/show
check "a superd started in the leaf makes its children's cgroups beside it" \
    grep -Eqx "/system.slice/superd.service/superd.$spid/[0-9]+" /tmp/show
check "... and moves nothing" sh -c "! grep -q cgroup-delegated /tmp/log2 &&
    grep -qx 0::/system.slice/superd.service/supervisor /proc/$spid/cgroup"
kill $spid
wait $spid

# a reload that first needs the move, while a child started before runs
grow=$cg/system.slice/grow.service
mkdir $grow
echo '127.0.0.1:7006 stream tcp nowait root /bin/cg2prog cg2prog show 20' \
    >/tmp/grow.conf
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' $grow \
    superd -d -P /tmp/ports3 /tmp/grow.conf >/dev/null 2>/tmp/log3 &
spid=$!
wait_for 20 test -s /tmp/ports3
talk 7006 >/tmp/show &
tpid=$!
wait_for 10 grep -q event=start /tmp/log3
cpid=$(sed -n 's/^event=start .* pid=\([0-9]*\) .*/\1/p' /tmp/log3)
grep 7005 /etc/superd.conf >>/tmp/grow.conf
kill -HUP $spid
check "a reload that first needs the move is done" \
    wait_for 10 grep -q '^event=reload ' /tmp/log3
check "... and takes superd's running child along" grep -q \
    "^event=cgroup-delegated path=$grow leaf=supervisor controllers=\"+memory +pids\" children=1\$" /tmp/log3
check "... into the leaf" \
    grep -qx "0::/system.slice/grow.service/supervisor" /proc/$cpid/cgroup
talk 7005 >/tmp/show2
check "... and memory= works from then on" \
    grep -Eqx "/system.slice/grow.service/superd.$spid/[0-9]+" /tmp/show2
kill $tpid $spid
wait $spid

# a table with a namespace pool (private-network, root) and memory=:
# the pool, double-forked, is started after the move, so it is not
# left in the service's cgroup beside the leaf (enabling: EBUSY)
pooled=$cg/system.slice/pooled.service
mkdir $pooled
echo '127.0.0.1:7007 stream tcp nowait,private-network,memory=64m root /bin/cg2prog cg2prog show 1' \
    >/tmp/pooled.conf
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' $pooled \
    superd -d -P /tmp/ports4 /tmp/pooled.conf >/dev/null 2>/tmp/log4 &
spid=$!
check "a table with a namespace pool and memory= is served" \
    wait_for 20 test -s /tmp/ports4
check "... its move logged" grep -q \
    "^event=cgroup-delegated path=$pooled leaf=supervisor" /tmp/log4
ppid=$(grep -lx superd-nspool /proc/[0-9]*/comm 2>/dev/null |
    sed -n 's|^/proc/\([0-9]*\)/comm$|\1|p' | head -1)
check "... and its pool in the leaf" sh -c "[ -n '$ppid' ] &&
    grep -qx 0::/system.slice/pooled.service/supervisor /proc/$ppid/cgroup"
talk 7007 >/tmp/show4
check "... and memory= works for its children" \
    grep -Eqx "/system.slice/pooled.service/superd.$spid/[0-9]+" /tmp/show4
kill $spid
wait $spid

# a service's cgroup whose slice passes no controllers on
mkdir -p $cg/plain.slice/superd.service
out=$(in_cg $cg/plain.slice/superd.service superd -t /etc/superd.conf 2>&1)
check "without the controllers, superd -t fails" [ $? = 1 ]
check "... with FILE:LINE: and the reason" sh -c "echo \"\$0\" | grep -q \
    \"^/etc/superd.conf:1: memory= needs the memory cgroup controller: superd's cgroup $cg/plain.slice/superd.service does not have it in its cgroup.controllers\"" "$out"
out=$(in_cg $cg/plain.slice/superd.service superd -d /etc/superd.conf 2>&1)
check "... and so does superd" [ $? = 1 ]

# other processes in the service's cgroup
busy=$cg/system.slice/busy.service
mkdir $busy
in_cg $busy sleep 60 &
bpid=$!
wait_for 5 grep -q busy.service /proc/$bpid/cgroup
out=$(in_cg $busy superd -d /etc/superd.conf 2>&1)
check "with another process in its cgroup, superd fails" [ $? = 1 ]
check "... with FILE:LINE: and EBUSY" sh -c "echo \"\$0\" | grep -q \
    '^/etc/superd.conf:1: memory= needs superd.s cgroup $busy cannot pass the controllers on: .*Device or resource busy (other processes are in it)'" "$out"
check "... and leaves no leaf behind" [ ! -d $busy/supervisor ]
kill $bpid

# a cgroup superd's user cannot write (not delegated to it)
user=$cg/system.slice/user.service
mkdir $user
out=$(in_cg $user su -s /bin/sh nobody -c 'superd -t /etc/nobody.conf' 2>&1)
check "as a user the cgroup is not delegated to, superd -t fails" [ $? = 1 ]
check "... with FILE:LINE: and EACCES" sh -c "echo \"\$0\" | grep -q \
    '^/etc/nobody.conf:1: memory= needs superd.s cgroup $user is not delegated to it (Delegate=yes under systemd): cgroup.procs: Permission denied'" "$out"

[ $fails = 0 ] || { echo "--- superd's log"; cat /tmp/log; }
echo "cg2: done fails=$fails"
poweroff -f
EOF
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 \
    >"$tmp/initrd.gz"

# run_vm ACCEL BOOT_S: the machine on ACCEL, its console in $tmp/console;
# 2 when it printed nothing of its boot within BOOT_S seconds.
run_vm() {
	local start=$SECONDS
	qemu-system-x86_64 -accel "$1" -m 512 -smp 1 -nographic -no-reboot \
	    -kernel "$kernel" -initrd "$tmp/initrd.gz" \
	    -append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
	    </dev/null >"$tmp/console" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$2" ] &&
		    ! grep -aq '^cg2: booted' "$tmp/console"; then
			kill "$qpid"; wait "$qpid" || true; qpid=
			return 2
		fi
		if [ $((SECONDS - start0)) -ge "$TIMEOUT" ]; then
			echo "cgroup2.sh: the machine ran past ${TIMEOUT}s" >&2
			kill "$qpid"; wait "$qpid" || true; qpid=
			return 1
		fi
		sleep 1
	done
	wait "$qpid" || true
	qpid=
}

start0=$SECONDS
rc=0
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	echo "--- qemu, KVM"
	run_vm kvm "$KVM_S" || rc=$?
fi
if [ "$rc" = 2 ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	[ "$rc" = 2 ] && echo "--- KVM did not boot within ${KVM_S}s"
	echo "--- qemu, TCG"
	rc=0
	run_vm tcg "$((TIMEOUT - (SECONDS - start0)))" || rc=$?
fi
tr -d '\r' <"$tmp/console" | grep -a -E '^(PASS|FAIL|cg2:|/|event=)' || true
[ "$rc" = 0 ] || exit 1
tr -d '\r' <"$tmp/console" | grep -aqx 'cg2: done fails=0' || {
	echo "--- console"
	tr -d '\r' <"$tmp/console" | tail -n 60
	exit 1
}
echo "cgroup2.sh: all passed in $((SECONDS - start0))s"
