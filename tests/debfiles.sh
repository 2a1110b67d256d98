#!/bin/sh
# debfiles.sh PKG: the files of the Debian package PKG, unpacked under
# tests/debs/PKG and not installed (no maintainer script runs, no daemon
# starts), for tests that need a package's own files: Debian's
# /etc/xinetd.d, say.  Fetched once with apt-get download from the
# machine's package sources; prints the directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
d=$top/tests/debs/$1
if [ ! -d "$d" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp" "$d.part"' EXIT
	if ! (cd "$tmp" && apt-get download -q "$1" >/dev/null 2>&1); then
		echo "debfiles.sh: apt-get download $1 failed" >&2
		exit 1
	fi
	rm -rf "$d.part"
	mkdir -p "$d.part"
	dpkg -x "$tmp"/*.deb "$d.part"
	mv "$d.part" "$d"
fi
echo "$d"
