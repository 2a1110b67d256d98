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

@test "make install puts the table, superd.d, the service unit, the example socket unit and the example table under DESTDIR" {
	inst install
	[ -f "$T/root/etc/superd.conf" ]
	[ -d "$T/root/etc/superd.d" ]
	grep -qx '.include /etc/superd.d/\*.conf' "$T/root/etc/superd.conf"
	grep -qx '.include /etc/inetd.conf' "$T/root/etc/superd.conf"
	# the included inetd.conf, a comment, since none was there
	run grep -v '^#' "$T/root/etc/inetd.conf"
	assert_output ''
	u=$T/root/usr/local/lib/systemd/system
	[ -f "$u/superd.service" ]
	# the socket unit is an example, to edit before it is enabled
	[ ! -e "$u/superd.socket" ]
	grep -q '^ListenStream=' \
	    "$T/root/usr/local/share/doc/superd/examples/superd.socket"
	[ -x "$T/root/usr/local/sbin/superd" ]
	[ -x "$T/root/usr/local/libexec/superd/upper" ]
	# pty's relay, where superd looks for it
	[ -x "$T/root/usr/local/libexec/superd/superd-pty" ]
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

@test "make install never overwrites an existing table or inetd.conf, and make uninstall leaves them" {
	mkdir -p "$T/root/etc"
	echo '# mine' >"$T/root/etc/superd.conf"
	echo 'finger stream tcp nowait nobody /usr/sbin/tcpd in.fingerd' \
	    >"$T/root/etc/inetd.conf"
	cp "$T/root/etc/inetd.conf" "$T/inetd.orig"
	inst install
	grep -q 'exists: left as it is' "$T/make.out"
	[ "$(cat "$T/root/etc/superd.conf")" = '# mine' ]
	cmp "$T/inetd.orig" "$T/root/etc/inetd.conf"
	inst uninstall
	[ "$(cat "$T/root/etc/superd.conf")" = '# mine' ]
	cmp "$T/inetd.orig" "$T/root/etc/inetd.conf"
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

@test "the installed table checks out with superd -t, its included inetd.conf and superd.d made by make install" {
	# no DESTDIR: the paths written into the table are those it reads
	r=$T/root
	make -s -C "$TOP" install PREFIX="$r/usr" SYSCONFDIR="$r/etc" \
	    INETD_CONF="$r/etc/inetd.conf" >"$T/make.out" 2>&1 ||
	    { cat "$T/make.out"; false; }
	grep -qx ".include $r/etc/superd.d/\*.conf" "$r/etc/superd.conf"
	# the table includes /etc/inetd.conf, update-inetd's, whatever
	# SYSCONFDIR; here, the one made beside it
	sed -i "s|^.include /etc/inetd.conf$|.include $r/etc/inetd.conf|" \
	    "$r/etc/superd.conf"
	chmod 755 "$T" "$r" "$r/etc"
	run "$SUPERD" -t "$T/root/etc/superd.conf"
	assert_success
	assert_output ''
}
