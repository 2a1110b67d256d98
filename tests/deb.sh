#!/usr/bin/env bash
# deb.sh [PACKAGE.deb]: superd's Debian package, end to end, as root on a
# throwaway Debian machine (.ci/run runs it last).  Builds the package
# (make deb) unless one is named, installs it with apt-get (so tcpd and
# update-inetd come too), lists its files, checks the installed table
# (superd -t /etc/superd.conf), then starts the installed superd on it
# (-w) and installs fingerd: fingerd's postinst registers its line with
# update-inetd, which only edits /etc/inetd.conf, and finger @127.0.0.1
# must then be answered by in.fingerd through superd, with no signal and
# no restart.  At the end it stops the superd it started, by its pid, and
# purges the packages it installed (and /etc/inetd.conf, if the package
# created it).  It binds port 79 on every address (fingerd's line names
# none) and refuses to start when something already listens there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "deb.sh: run as root, on a machine that may lose packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

pkg=${1:-}
if [ -z "$pkg" ]; then
	make deb
	# the very file make deb built: a glob could pick a stale one
	# (0.9.0 sorts after 0.10.0)
	pkg=superd_$(dpkg-parsechangelog -S Version)_$(dpkg --print-architecture).deb
	[ -f "$pkg" ] || { echo "deb.sh: make deb built no $pkg" >&2; exit 1; }
fi
case $pkg in /*) ;; *) pkg=./$pkg;; esac

if ss -Hltn 'sport = :79' | grep -q .; then
	echo "deb.sh: something listens on port 79 already:" >&2
	ss -ltnp 'sport = :79' >&2
	exit 1
fi

tmp=$(mktemp -d)
spid=
installed=
had_inetd_conf=0
[ -e /etc/inetd.conf ] && had_inetd_conf=1
# What is not installed yet is purged at the end; what was, stays.
for p in superd fingerd finger tcpd update-inetd; do
	dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' ||
	    installed="$installed $p"
done

cleanup() {
	local rc=$?
	if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
		kill "$spid"
		wait "$spid" 2>/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -s "$tmp/superd.log" ]; then
		echo "--- superd's log"
		cat "$tmp/superd.log"
	fi
	if [ -n "$installed" ]; then
		echo "--- purging:$installed"
		# shellcheck disable=SC2086
		apt-get purge -y -qq $installed >/dev/null || rc=1
	fi
	[ "$had_inetd_conf" = 1 ] || rm -f /etc/inetd.conf
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

echo "--- apt-get install $pkg"
apt-get install -y -qq "$pkg" >"$tmp/apt.log" 2>&1 || {
	cat "$tmp/apt.log"; exit 1; }
dpkg -s superd | grep -E '^(Status|Version|Depends|Provides):'

echo "--- dpkg -L superd"
dpkg -L superd

echo "--- superd -t /etc/superd.conf"
/usr/sbin/superd -t /etc/superd.conf
echo "--- /etc/inetd.conf"
cat /etc/inetd.conf

# The installed superd as the unit starts it, in the foreground; under
# systemd the package's postinst has started it already.
if [ -d /run/systemd/system ]; then
	systemctl is-active superd
else
	/usr/sbin/superd -d -w -p "$tmp/superd.pid" /etc/superd.conf \
	    >"$tmp/superd.log" 2>&1 &
	spid=$!
	for _ in $(seq 100); do
		[ -s "$tmp/superd.pid" ] && break
		kill -0 "$spid" || { echo "superd exited"; exit 1; }
		sleep 0.1
	done
	[ -s "$tmp/superd.pid" ] || { echo "superd did not start"; exit 1; }
fi

echo "--- apt-get install fingerd finger"
apt-get install -y -qq --no-install-recommends fingerd finger \
    >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; exit 1; }
grep -i inetd "$tmp/apt.log" || true
echo "--- /etc/inetd.conf"
cat /etc/inetd.conf

# update-inetd signals nothing (no /run/inetd.pid, no /etc/init.d/*inetd):
# superd -w sees the edit and binds port 79 on its own.
for _ in $(seq 50); do
	ss -Hltn 'sport = :79' | grep -q . && break
	sleep 0.1
done
ss -ltn 'sport = :79'

echo "--- finger root@127.0.0.1"
out=$(timeout 10 finger root@127.0.0.1 2>&1) || {
	echo "$out"; echo "finger failed"; exit 1; }
echo "$out"
grep -q '^Login: root' <<<"$out" || { echo "not in.fingerd's answer"; exit 1; }
if [ -n "$spid" ]; then
	echo "--- superd's log"
	grep -E 'event=(reload|start|exit|listen)' "$tmp/superd.log" |
	    grep -v 'event=exit.*status=0' | head -n 20 || true
fi
echo "deb.sh: ok"
