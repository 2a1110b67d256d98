#!/usr/bin/env bats
# .include PATH: drop-in directories (issue 17, item 1).  The named table
# is all-or-nothing; an included file's broken entry is left out, logged
# by its own FILE:LINE, and the rest is served.

load helpers

# dropin: $D, a drop-in directory beside the table, as /etc/superd.d is.
dropin() {
	D=$T/superd.d
	mkdir -p "$D"
	chmod 755 "$T" "$D"
}

# reload: SIGHUP, then wait for one more event=reload or reload-failed.
reload() {
	local before
	before=$(log_count '^event=reload')
	kill -HUP "$SUPERD_PID"
	wait_until 10 eval '[ "$(log_count "^event=reload")" -gt '"$before"' ]'
}

@test "a drop-in directory's good entries are served and its broken one is logged by its own FILE:LINE" {
	dropin
	p1=$(free_port) p2=$(free_port) p3=$(free_port) p4=$(free_port)
	table <<-EOF
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	.include $D/*.conf
	EOF
	cat >"$D/10-a.conf" <<-EOF
	# a package's file
	127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo a
	127.0.0.1:$p3 stream tcp nowait no-such-user /bin/echo echo broken
	EOF
	cat >"$D/20-b.conf" <<-EOF
	127.0.0.1:$p4 stream tcp nowait nobody /bin/echo echo b
	EOF
	echo "not read: not *.conf" >"$D/README"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$D/10-a.conf:3: unknown user \"no-such-user\""
	start_superd
	assert_equal "$(talk "$p1")" main
	assert_equal "$(talk "$p2")" a
	assert_equal "$(talk "$p4")" b
	talk "$p3" && fail "the entry with an error is served"
	log_has "^event=table-error error=\"$D/10-a.conf:3: unknown user \\\\\"no-such-user\\\\\"\"$"
	log_has "^event=listen svc=$p1 line=1 addr=127.0.0.1:$p1 proto=tcp4$"
	log_has "^event=listen svc=$p2 line=2 addr=127.0.0.1:$p2 proto=tcp4 file=$D/10-a.conf$"
	log_has "^event=listen svc=$p4 line=1 addr=127.0.0.1:$p4 proto=tcp4 file=$D/20-b.conf$"
	# the status says which file a service is from
	kill -USR1 "$SUPERD_PID"
	wait_log "^event=status svc=$p4 line=1 .* file=$D/20-b.conf$"
}

@test "an error in the named table refuses the whole table, included files and all" {
	dropin
	p1=$(free_port) p2=$(free_port)
	table <<-EOF
	.include $D/*.conf
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	127.0.0.1:$p1 stream tcpx nowait nobody /bin/echo echo bad
	EOF
	echo "127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo a" >"$D/a.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$CONF:3: unknown protocol \"tcpx\""
	run timeout 10 "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	refute_output --partial "event=listen"
	# and a bad .include line, or one of a file that is not there
	printf '.include\n.include %s/none.conf\n' "$D" >"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:1: expected \".include PATH\": one file or pattern (quote a path with blanks)"
	assert_line "$CONF:2: .include $D/none.conf: No such file or directory"
}

@test "a relative .include is read from the table's directory, whatever superd's own" {
	mkdir -p "$T/etc/sub"
	p1=$(free_port)
	echo ".include sub/x.conf" >"$T/etc/superd.conf"
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo rel" \
	    >"$T/etc/sub/x.conf"
	cd /
	run "$SUPERD" -t "$T/etc/superd.conf"
	assert_success
	CONF=$T/etc/superd.conf
	start_superd
	assert_equal "$(talk "$p1")" rel
	# a reload, from "/", reads it again from the same place
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo rel2" \
	    >"$T/etc/sub/x.conf"
	reload
	wait_log '^event=reload services=1 added=0 removed=0 changed=1 kept=0$'
	assert_equal "$(talk "$p1")" rel2
}

@test "a loop of .include lines and nesting past 8 levels are errors at the line that closes them" {
	echo ".include b.conf" >"$T/a.conf"
	echo ".include a.conf" >"$T/b.conf"
	run "$SUPERD" -t "$T/a.conf"
	assert_failure 1
	assert_output "$T/b.conf:1: .include $T/a.conf: a loop: it is being read already"
	echo ".include self.conf" >"$T/self.conf"
	run "$SUPERD" -t "$T/self.conf"
	assert_failure 1
	assert_output "$T/self.conf:1: .include $T/self.conf: a loop: it is being read already"
	for i in 0 1 2 3 4 5 6 7 8 9; do
		echo ".include n$((i + 1)).conf" >"$T/n$i.conf"
	done
	: >"$T/n10.conf"
	run "$SUPERD" -t "$T/n0.conf"
	assert_failure 1
	assert_output "$T/n8.conf:1: .include n9.conf: nested deeper than 8 levels"
	# 8 levels are fine
	echo "" >"$T/n8.conf"
	run "$SUPERD" -t "$T/n0.conf"
	assert_success
	assert_output ""
}

@test "a pattern that matches nothing, or a drop-in directory that is not there, is fine and says nothing" {
	dropin
	p1=$(free_port)
	table <<-EOF
	.include $D/*.conf
	.include $T/no-such-dir/*.conf
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	EOF
	run "$SUPERD" -t "$CONF"
	assert_success
	assert_output ""
}

@test "hosts: lines end with their file, in either direction" {
	dropin
	p1=$(free_port) p2=$(free_port)
	table <<-EOF
	127.0.0.1:
	.include $D/*.conf
	$p1 stream tcp nowait nobody /bin/echo echo main
	EOF
	cat >"$D/a.conf" <<-EOF
	$p2 stream tcp nowait nobody /bin/echo echo a
	[::1]:
	EOF
	start_superd
	log_has "^event=listen svc=$p1 line=3 addr=127.0.0.1:$p1 proto=tcp4$"
	log_has "^event=listen svc=$p2 line=1 addr=0.0.0.0:$p2 proto=tcp4 file=$D/a.conf$"
}

@test "a reload after an included file changed serves the change, and an entry moved into it keeps its socket" {
	dropin
	p1=$(free_port) p2=$(free_port)
	table <<-EOF
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo one
	.include $D/*.conf
	EOF
	echo "127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo two" >"$D/a.conf"
	start_superd
	assert_equal "$(talk "$p2")" two
	echo "127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo TWO" >"$D/a.conf"
	reload
	wait_log '^event=reload services=2 added=0 removed=0 changed=1 kept=1$'
	assert_equal "$(talk "$p2")" TWO
	# the named table's entry moves, as written, into a file of its own
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo one" >"$D/b.conf"
	echo ".include $D/*.conf" >"$CONF"
	reload
	wait_log '^event=reload services=2 added=0 removed=0 changed=0 kept=2$'
	assert_equal "$(talk "$p1")" one
	# a broken edit of an included file leaves out that entry only, and
	# the reload is a good one
	echo "127.0.0.1:$p2 stream tcp nowait nobody /no/such/program" >"$D/a.conf"
	reload
	wait_log "^event=table-error error=\"$D/a.conf:1: program /no/such/program: No such file or directory\"$"
	wait_log '^event=reload services=1 added=0 removed=1 changed=0 kept=1$'
	if log_has '^event=reload-failed'; then
		fail "a broken included entry failed the reload"
	fi
	assert_equal "$(talk "$p1")" one
}

@test "between two included files on one address the later is left out; against the named table, the included one" {
	dropin
	p1=$(free_port) p2=$(free_port)
	table <<-EOF
	.include $D/*.conf
	127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo main
	EOF
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo a" >"$D/a.conf"
	printf '%s\n' "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo b" \
	    "$p2 stream tcp nowait nobody /bin/echo echo b2" >"$D/b.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$D/b.conf:1: address 127.0.0.1:$p1 (tcp4) is already used by $D/a.conf:1: left out"
	assert_line "$D/b.conf:2: address 0.0.0.0:$p2 (tcp4) is already used by $CONF:2: left out"
	start_superd
	assert_equal "$(talk "$p1")" a
	assert_equal "$(talk "$p2")" main
}

@test "supertab add refuses an entry that conflicts with one of an included file" {
	dropin
	p1=$(free_port)
	echo ".include $D/*.conf" >"$CONF"
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo a" >"$D/a.conf"
	cp "$CONF" "$T/orig"
	run "$SUPERTAB" -f "$CONF" add "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo new"
	assert_failure 1
	assert_line "$D/a.conf:1: address 127.0.0.1:$p1 (tcp4) is already used by $CONF:2: left out"
	cmp "$CONF" "$T/orig"
	# supertab check counts included files' errors too
	run "$SUPERTAB" -f "$CONF" check
	assert_success
	echo "bad" >>"$D/a.conf"
	run "$SUPERTAB" -f "$CONF" check
	assert_failure 1
	assert_output --partial "$D/a.conf:2: "
	# and an add elsewhere, with that old error left, goes in
	run "$SUPERTAB" -f "$CONF" add "127.0.0.1:$(free_port) stream tcp nowait nobody /bin/echo echo ok"
	assert_success
}

@test "supertab keeps an included file's old conflict as old when an edit moves the line it names" {
	dropin
	p0=$(free_port) p1=$(free_port)
	table <<-EOF
	127.0.0.1:$p0 stream tcp nowait nobody /bin/echo echo x
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	.include $D/*.conf
	EOF
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo a" >"$D/a.conf"
	run "$SUPERTAB" -f "$CONF" remove "127.0.0.1:$p0"
	assert_success
	assert_output --partial "1 error already in $CONF, left as it was"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$D/a.conf:1: address 127.0.0.1:$p1 (tcp4) is already used by $CONF:1: left out"
}

@test "an included entry never takes or removes the IPv6 half of a named entry, and a lone survivor keeps its own" {
	dropin
	p1=$(free_port) p2=$(free_port) p3=$(free_port)
	table <<-EOF
	$p1 stream tcp nowait nobody /bin/echo echo main1
	$p2 stream tcp nowait nobody /bin/echo echo main2
	.include $D/*.conf
	EOF
	echo "$p1 stream tcp nowait nobody /bin/echo echo dup" >"$D/a.conf"
	echo "[::1]:$p2 stream tcp6 nowait nobody /bin/echo echo thief" >"$D/b.conf"
	echo "$p3 stream tcp nowait nobody /bin/echo echo first" >"$D/c.conf"
	echo "$p3 stream tcp nowait nobody /bin/echo echo second" >"$D/d.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$D/a.conf:1: address 0.0.0.0:$p1 (tcp4) is already used by $CONF:1: left out"
	assert_line "$D/b.conf:1: address [::1]:$p2 (tcp6) is already used by $CONF:2: left out"
	assert_line "$D/d.conf:1: address 0.0.0.0:$p3 (tcp4) is already used by $D/c.conf:1: left out"
	start_superd
	assert_equal "$(talk "$p1")" main1
	assert_equal "$(talk6 "$p1")" main1
	assert_equal "$(talk "$p2")" main2
	assert_equal "$(talk6 "$p2")" main2
	assert_equal "$(talk "$p3")" first
	assert_equal "$(talk6 "$p3")" first
}

@test "supertab keeps an old conflict as old when the drop-in directory's path starts with the table's own" {
	D=$CONF.d
	mkdir -p "$D"
	chmod 755 "$T" "$D"
	p0=$(free_port) p1=$(free_port)
	table <<-EOF
	127.0.0.1:$p0 stream tcp nowait nobody /bin/echo echo x
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	.include $D/*.conf
	EOF
	echo "127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo a" >"$D/a.conf"
	run "$SUPERTAB" -f "$CONF" remove "127.0.0.1:$p0"
	assert_success
	assert_output --partial "1 error already in $CONF, left as it was"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_output "$D/a.conf:1: address 127.0.0.1:$p1 (tcp4) is already used by $CONF:1: left out"
}

@test "a bad file a pattern matches is refused alone: a symbolic link, a group-writable file, a directory, a FIFO, one over 16 MiB" {
	dropin
	p1=$(free_port) p2=$(free_port)
	table <<-EOF
	127.0.0.1:$p1 stream tcp nowait nobody /bin/echo echo main
	.include $D/*.conf
	EOF
	echo "127.0.0.1:$p2 stream tcp nowait nobody /bin/echo echo good" >"$D/5-good.conf"
	echo "# a package's" >"$T/target"
	ln -s "$T/target" "$D/1-link.conf"
	: >"$D/2-group.conf"
	chmod 664 "$D/2-group.conf"
	mkdir "$D/3-dir.conf"
	mkfifo "$D/4-fifo.conf"
	truncate -s 17M "$D/6-big.conf"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:2: .include $D/1-link.conf: is a symbolic link: name its target"
	assert_line "$CONF:2: .include $D/2-group.conf: writable by its group or others (mode 0664): refused; chmod go-w it"
	assert_line --partial "$CONF:2: .include $D/3-dir.conf: "
	assert_line --partial "$CONF:2: .include $D/4-fifo.conf: "
	assert_line --partial "$CONF:2: .include $D/6-big.conf: "
	assert_equal "${#lines[@]}" 5
	start_superd
	assert_equal "$(talk "$p1")" main
	assert_equal "$(talk "$p2")" good
	log_has "^event=table-error error=\"$CONF:2: .include $D/1-link.conf: is a symbolic link: name its target\"$"
	# an explicit .include of such a file still refuses the named table
	echo ".include $D/2-group.conf" >>"$CONF"
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	assert_line "$CONF:3: .include $D/2-group.conf: writable by its group or others (mode 0664): refused; chmod go-w it"
	run timeout 10 "$SUPERD" -d "$CONF" 3>&-
	assert_failure 1
	refute_output --partial "event=listen"
}

@test "drop-ins that each include their own directory are each read once: 8 of them give 29 errors, not millions" {
	dropin
	echo ".include $D/*.conf" >"$CONF"
	for i in 1 2 3 4 5 6 7 8; do
		printf '%s\n' "127.0.0.1:$(free_port) stream tcp nowait nobody /bin/echo echo $i" \
		    ".include *.conf" >"$D/$i.conf"
	done
	run timeout 20 "$SUPERD" -t "$CONF"
	assert_failure 1
	# file k's pattern meets the k files being read (loops); the 8th is too deep
	assert_equal "${#lines[@]}" 29
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c ': a loop: it is being read already$')" 28
	assert_line "$D/8.conf:2: .include *.conf: nested deeper than 8 levels"
	start_superd
	assert_equal "$(log_count '^event=listen ')" 8
}
