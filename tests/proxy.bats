#!/usr/bin/env bats
# Behind a load balancer (SPEC 11): connections from a proxy= source
# start with a PROXY v1 or v2 header, which superd reads before any
# child starts; from then on every feature sees the client it names.

load helpers

@test "proxy= and proxy-timeout= are checked as FILE:LINE errors" {
	table <<-'EOF'
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.1,proxy=::1/128,proxy-timeout=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=10.0.0.0/33 root /bin/cat cat
	127.0.0.1:0 dgram udp wait,proxy=127.0.0.1 root /bin/cat cat
	unix:/tmp/x.sock stream unix nowait,proxy=127.0.0.1 root /bin/cat cat
	127.0.0.1:0 stream tcp wait,proxy=127.0.0.1 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy-timeout=5 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=127.0.0.1,proxy-timeout=0 root /bin/cat cat
	127.0.0.1:0 stream tcp nowait,proxy=[::1] root /bin/cat cat
	EOF
	run "$SUPERD" -t "$CONF"
	assert_failure 1
	refute_line --partial "superd.conf:1:"
	assert_line --partial "superd.conf:2: bad value \"10.0.0.0/33\" for option proxy"
	assert_line --partial "superd.conf:3: proxy= is for tcp stream services only, not dgram udp"
	assert_line --partial "superd.conf:4: proxy= is for tcp stream services only, not stream unix"
	assert_line --partial "superd.conf:5: proxy= is for nowait services only"
	assert_line --partial "superd.conf:6: proxy-timeout= without proxy="
	assert_line --partial "superd.conf:7: bad value \"0\" for option proxy-timeout"
	refute_line --partial "superd.conf:8:"
}
