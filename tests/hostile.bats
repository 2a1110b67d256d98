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

# --- 12. log lines a script can rely on

# --- 13. what a newcomer tripped on
