#!/usr/bin/env bats
# make install and make uninstall into a DESTDIR: the table only when
# there is none, the units with the installation's paths, and uninstall
# leaving the administrator's table.  (The Debian package: tests/deb.sh.)

load helpers

inst() {
	make -s -C "$TOP" "$@" DESTDIR="$T/root" >"$T/make.out" 2>&1 || {
		cat "$T/make.out" >&2
		return 1
	}
}

@test "make install puts the table, superd.d, the units and the example table under DESTDIR" {
	inst install
	[ -f "$T/root/etc/superd.conf" ]
	[ -d "$T/root/etc/superd.d" ]
	grep -qx '.include /etc/superd.d/\*.conf' "$T/root/etc/superd.conf"
	grep -qx '.include /etc/inetd.conf' "$T/root/etc/superd.conf"
	u=$T/root/usr/local/lib/systemd/system
	[ -f "$u/superd.service" ]
	[ -f "$u/superd.socket" ]
	[ -x "$T/root/usr/local/sbin/superd" ]
	[ -x "$T/root/usr/local/libexec/superd/upper" ]
	ex=$T/root/usr/local/share/doc/superd/examples/superd.conf
	grep -q '/usr/local/libexec/superd/upper' "$ex"
}

@test "the installed unit runs -w with a pid file and checks the table before it sends SIGHUP" {
	inst install PREFIX=/opt/sd SYSCONFDIR=/opt/etc
	u=$T/root/opt/sd/lib/systemd/system/superd.service
	run grep '^Exec' "$u"
	assert_line 'ExecStart=/opt/sd/sbin/superd -D -e -w -p /run/superd.pid /opt/etc/superd.conf'
	assert_line --index 1 'ExecReload=/opt/sd/sbin/superd -t /opt/etc/superd.conf'
	assert_line --index 2 'ExecReload=/bin/kill -HUP $MAINPID'
	# the table's own includes follow SYSCONFDIR; inetd.conf is update-inetd's
	grep -qx '.include /opt/etc/superd.d/\*.conf' \
	    "$T/root/opt/etc/superd.conf"
	grep -qx '.include /etc/inetd.conf' "$T/root/opt/etc/superd.conf"
}

@test "make install never overwrites an existing table, and make uninstall leaves it" {
	mkdir -p "$T/root/etc"
	echo '# mine' >"$T/root/etc/superd.conf"
	inst install
	grep -q 'exists: left as it is' "$T/make.out"
	[ "$(cat "$T/root/etc/superd.conf")" = '# mine' ]
	inst uninstall
	[ "$(cat "$T/root/etc/superd.conf")" = '# mine' ]
	[ ! -e "$T/root/usr/local/sbin/superd" ]
	[ ! -e "$T/root/usr/local/lib/systemd/system/superd.service" ]
	[ ! -e "$T/root/usr/local/libexec/superd" ]
	[ ! -e "$T/root/usr/local/share/doc/superd" ]
	[ ! -e "$T/root/etc/superd.d" ]
}

@test "make uninstall leaves a superd.d that holds files" {
	inst install
	echo '# a package' >"$T/root/etc/superd.d/pkg.conf"
	inst uninstall
	[ -f "$T/root/etc/superd.d/pkg.conf" ]
}
