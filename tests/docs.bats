#!/usr/bin/env bats
# The man pages against the code: every table option, command-line flag,
# log event and child variable the sources name is documented where the
# pages say they are.  Read from the sources, so that a new option or
# event without its documentation fails here.

load helpers

# A page's text with its continuation lines ("...\" and the next) joined.
joined() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1"
}

# The part of a joined page from the line matching $2 to the next .Sh.
section() {
	joined "$1" | awk -v h="$2" '$0 ~ h { s = 1; print; next }
	    s && /^\.Sh / { exit } s { print }'
}

@test "every option of the wait field is an item of superd.conf.5, as are sndbuf= and rcvbuf=" {
	sed -n '/^} optdefs\[\] = {/,/^};/p' "$TOP/confopt.c" |
	    sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p' >"$T/opts"
	[ "$(wc -l <"$T/opts")" -ge 40 ]
	printf '%s\n' sndbuf rcvbuf >>"$T/opts"
	# the items' own words: ".It Cm rlimit-nofile= Ns Ar N , Cm ..."
	joined "$TOP/man/superd.conf.5" | sed -n 's/^\.It //p' |
	    tr ' ,' '\n\n' | sed -n 's/=$//; /^[a-z][a-z-]*$/p' |
	    sort -u >"$T/items"
	joined "$TOP/man/superd.conf.5" | grep -o 'Cm [a-z]*buf=' |
	    sed 's/Cm //; s/=$//' >>"$T/items"
	while read -r o; do
		grep -qx -- "$o" "$T/items" ||
		    fail "option $o is not an item of superd.conf.5"
	done <"$T/opts"
}

@test "every flag of superd's getopt string is an item of superd.8" {
	flags=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' \
	    "$TOP/superd.c" | tr -d :)
	[ "${#flags}" -ge 15 ]
	joined "$TOP/man/superd.8" | sed -n 's/^\.It Fl \(.\).*/\1/p' \
	    >"$T/items"
	for ((i = 0; i < ${#flags}; i++)); do
		grep -qx -- "${flags:i:1}" "$T/items" ||
		    fail "-${flags:i:1} is not an item of superd.8"
	done
}

@test "every event= the sources log is an item of superd.8's LOGS" {
	# literal names; those made with %s are the back-offs' (below)
	grep -oh 'event=[a-z][a-z0-9-]*' "$TOP"/*.c | sed 's/^event=//' |
	    sort -u >"$T/events"
	[ "$(wc -l <"$T/events")" -ge 50 ]
	section "$TOP/man/superd.8" '^\.Sh LOGS' | sed -n 's/^\.It Li //p' |
	    tr ' ,' '\n\n' | sort -u >"$T/items"
	grep -q '^accept-failed$' "$T/items"
	grep -q '^table-error$' "$T/items"
	while read -r e; do
		grep -qx -- "$e" "$T/items" ||
		    fail "event=$e is not an item of superd.8's LOGS"
	done <"$T/events"
}

@test "every variable superd sets for a child is in superd.8's ENVIRONMENT" {
	# names: an array's items and env_pair()'s first argument, not the
	# values ("TCP", "L")
	grep -o '"[A-Z_][A-Z_]*=\{0,1\}"\(,\| }\)' "$TOP/spawnenv.c" |
	    sed 's/"\([A-Z_]*\)=\{0,1\}".*/\1/' | sort -u >"$T/vars"
	[ "$(wc -l <"$T/vars")" -ge 30 ]
	grep -qx TCPREMOTEIP "$T/vars"
	grep -qx _STDBUF_O "$T/vars"
	section "$TOP/man/superd.8" '^\.Sh ENVIRONMENT' >"$T/env"
	while read -r v; do
		# LISTEN_ is a prefix: LISTEN_FDS and LISTEN_PID
		if [[ $v == *_ ]]; then
			grep -q -- "Ev $v" "$T/env"
		else
			grep -Eq -- "Ev $v([^A-Z_]|\$)" "$T/env"
		fi || fail "$v is not in superd.8's ENVIRONMENT"
	done <"$T/vars"
}
