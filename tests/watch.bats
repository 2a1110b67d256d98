#!/usr/bin/env bats
# -w: the table watched; an edit is served with no signal.

load helpers

# answers PORT TEXT: the service on PORT answers TEXT now.
answers() {
	[ "$(talk "$1")" = "$2" ]
}

@test "-w: an edit of the table is served within a second, with no signal" {
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo one" >"$CONF"
	start_superd -w
	run talk "$p"
	assert_output one
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo two" >"$CONF"
	wait_until 2 answers "$p" two
	assert_equal "$(log_count 'event=reload ')" 1
}

@test "-w: an editor's new file renamed over the table is seen, as is a package's file beside it renamed in" {
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo one" >"$CONF"
	start_superd -w
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo renamed" >"$T/new"
	mv "$T/new" "$CONF"
	wait_until 2 answers "$p" renamed
}

@test "-w: a bad edit is a reload-failed line, the old service answers, and mending it is seen" {
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo good" >"$CONF"
	start_superd -w
	echo "127.0.0.1:$p stream tcp nowait,instances=x root /bin/echo echo bad" >"$CONF"
	wait_log "event=reload-failed error=\"$CONF:1: bad value"
	run talk "$p"
	assert_output good
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo mended" >"$CONF"
	wait_until 2 answers "$p" mended
}

@test "-w: what is written beside the table (its -P ports file, its pid file, any other) starts no reload" {
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo x" >"$CONF"
	start_superd -w -p "$T/pid"
	for i in 1 2 3; do
		echo "$i" >"$T/other"
		touch "$T/superd.conf.swp" "$T/.superd.conf.swp"
	done
	rm "$T/other"
	# a SIGHUP's reload is logged and rewrites the ports file beside
	# the table: that too must not start one more
	kill -HUP "$SUPERD_PID"
	wait_log 'event=reload '
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo y" >"$CONF"
	wait_until 2 answers "$p" y
	# one for the SIGHUP, one for the edit: nothing else, which only a
	# window longer than the longest quiet period (1 s) can show
	run sleep 1.5
	assert_equal "$(log_count 'event=reload ')" 2
}

@test "-w: a table that is a symbolic link is watched through the link and at its target" {
	mkdir "$T/real"
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo one" >"$T/real/t.conf"
	ln -s "$T/real/t.conf" "$T/link.conf"
	CONF=$T/link.conf
	start_superd -w
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo target" >"$T/real/t.conf"
	wait_until 2 answers "$p" target
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo other" >"$T/real/u.conf"
	ln -sfn "$T/real/u.conf" "$T/link.conf"
	wait_until 2 answers "$p" other
}

@test "-w: a writer that never stops cannot put the reload off beyond a second" {
	p=$(free_port)
	echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo one" >"$CONF"
	start_superd -w
	# rewrite the table every 0.1 s for up to 8 s: the reload must come
	# while it still writes (the quiet period alone would never end)
	(
		for i in $(seq 80); do
			echo "127.0.0.1:$p stream tcp nowait root /bin/echo echo busy" >"$CONF"
			sleep 0.1
			[ -e "$T/stop" ] && break
		done
	) &
	writer=$!
	wait_until 4 answers "$p" busy
	kill -0 "$writer"	# still writing
	touch "$T/stop"
	wait "$writer"
}

@test "-w with a table read from standard input is a usage error" {
	run "$SUPERD" -w - </dev/null
	assert_failure 2
	assert_output "superd: -w watches a table's file: one read from standard input has none"
}

@test "-w: an edit of an included file and a file dropped into an included directory are served with no signal" {
	D=$T/superd.d
	mkdir -p "$D"
	chmod 755 "$T" "$D"
	p1=$(free_port) p2=$(free_port) p3=$(free_port)
	echo "127.0.0.1:$p1 stream tcp nowait root /bin/echo echo one" \
	    >"$T/inetd.conf"
	table <<-EOF
	.include $D/*.conf
	.include $T/inetd.conf
	EOF
	start_superd -w
	assert_equal "$(talk "$p1")" one
	# update-inetd's way: a new file moved over the included one
	echo "127.0.0.1:$p2 stream tcp nowait root /bin/echo echo two" \
	    >>"$T/inetd.conf"
	cp "$T/inetd.conf" "$T/.new" && mv "$T/.new" "$T/inetd.conf"
	wait_until 2 answers "$p2" two
	# a package's file in the drop-in directory
	echo "127.0.0.1:$p3 stream tcp nowait root /bin/echo echo three" \
	    >"$D/pkg.conf"
	wait_until 2 answers "$p3" three
	assert_equal "$(talk "$p1")" one
}
