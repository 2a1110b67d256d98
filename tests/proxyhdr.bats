#!/usr/bin/env bats
# proxyhdr.c, the PROXY header parser, from the outside: real headers
# (made by tests/proxysend.py, and one captured from a real haproxy) fed
# to tests/proxycheck, which prints what proxy_parse() made of them.
# superd itself reads headers through the same function (tests/proxy.bats).

load helpers

setup_file() {
	make -s -C "$BATS_TEST_DIRNAME/.." tests/proxycheck >/dev/null
}

SEND=$BATS_TEST_DIRNAME/proxysend.py
CHECK=$BATS_TEST_DIRNAME/proxycheck

# parse [proxysend options...]: the header proxysend makes, parsed.
parse() {
	"$SEND" --stdout "$@" | "$CHECK"
}

# parse_hex HEX: these bytes, parsed.
parse_hex() {
	"$SEND" --stdout --raw "$1" | "$CHECK"
}

@test "a v1 TCP4 header gives the client's address and ports, and leaves what follows it" {
	run parse -1 --src 192.0.2.7:4321 --dst 198.51.100.9:443 \
	    --payload 'GET / HTTP/1.0\r\n\r\n'
	assert_success
	assert_line "version=1"
	assert_line "local=0"
	assert_line "src=192.0.2.7"
	assert_line "sport=4321"
	assert_line "dst=198.51.100.9"
	assert_line "dport=443"
	assert_line "header=44"
	assert_line "rest=18"
	assert_line "ssl=-1"
}

@test "a v1 TCP6 header gives IPv6 addresses, a v4-mapped one included, and ports 0 and 65535" {
	run parse -1 --src '[2001:db8::1]:65535' --dst '[::ffff:192.0.2.1]:0'
	assert_success
	assert_line "src=2001:db8::1"
	assert_line "sport=65535"
	assert_line "dst=::ffff:192.0.2.1"
	assert_line "dport=0"
}

@test "v1 UNKNOWN is the balancer itself, with or without anything after it on the line" {
	run parse -1 --local
	assert_success
	assert_line "local=1"
	assert_line "header=15"
	refute_line --partial "src="
	run "$CHECK" < <(printf 'PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\nx')
	assert_success
	assert_line "local=1"
	assert_line "header=107"
	assert_line "rest=1"
	# the spec's receiver ignores all after UNKNOWN, even with no space
	run "$CHECK" < <(printf 'PROXY UNKNOWNxyz\r\nab')
	assert_success
	assert_line "local=1"
	assert_line "header=18"
	assert_line "rest=2"
}

@test "a v1 line is at most 107 bytes: one byte more is refused at its 107th byte" {
	run "$CHECK" < <(printf 'PROXY UNKNOWN %091d\r\n' 0)
	assert_success
	assert_line "header=107"
	run "$CHECK" < <(printf 'PROXY UNKNOWN %092d\r\n' 0)
	assert_failure 1
	assert_line "error why=v1 line too long"
	assert_line "at=107"
}

@test "v1 ports and addresses take no leading zeros, and a port is at most 65535" {
	run parse_hex "$(printf 'PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n' | od -An -tx1 | tr -d ' \n')"
	assert_success
	assert_line "sport=0"
	for line in 'PROXY TCP4 1.2.3.4 5.6.7.8 00 1\r\n' \
	    'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n' \
	    'PROXY TCP4 1.2.3.4 5.6.7.8 1 999999\r\n' \
	    'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n'; do
		run "$CHECK" < <(printf "$line")
		assert_failure 1
		assert_line "error why=v1 bad port"
	done
	for line in 'PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n' \
	    'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n' \
	    'PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n' \
	    'PROXY TCP6 ::1::2 ::1 1 2\r\n' \
	    'PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n'; do
		run "$CHECK" < <(printf "$line")
		assert_failure 1
		assert_line "error why=v1 bad address"
	done
}

@test "v2 LOCAL, a health check, is the balancer itself, whatever addresses it carries" {
	run parse --local
	assert_success
	assert_line "version=2"
	assert_line "local=1"
	assert_line "header=16"
	refute_line --partial "src="
	# LOCAL with a TCP4 family and its addresses: ignored, skipped
	run parse_hex 0d0a0d0a000d0a515549540a2011000cc0000201c633640100500050
	assert_success
	assert_line "local=1"
	assert_line "header=28"
}

@test "a v2 LOCAL's block that is not TLVs is discarded, as the spec says, not refused; a PROXY's is refused" {
	run parse_hex 0d0a0d0a000d0a515549540a200000050102030405
	assert_success
	assert_line "local=1"
	assert_line "header=21"
	assert_line "authority="
	# an AUTHORITY, then a TLV cut off: what the block gave is forgotten
	run parse_hex 0d0a0d0a000d0a515549540a20000007020001610102ff
	assert_success
	assert_line "header=23"
	assert_line "authority="
	run parse_hex 0d0a0d0a000d0a515549540a210000050102030405
	assert_failure 1
	assert_line "error why=v2 TLV truncated"
}

@test "v2 PROXY over IPv4 and over IPv6 gives the addresses and ports" {
	run parse --src 192.0.2.1:4000 --dst 198.51.100.1:80 --payload 'hi\n'
	assert_success
	assert_line "local=0"
	assert_line "src=192.0.2.1"
	assert_line "sport=4000"
	assert_line "dst=198.51.100.1"
	assert_line "dport=80"
	assert_line "header=28"
	assert_line "rest=3"
	run parse --src '[2001:db8::5]:1' --dst '[2001:db8::6]:443'
	assert_success
	assert_line "src=2001:db8::5"
	assert_line "dst=2001:db8::6"
	assert_line "dport=443"
	assert_line "header=52"
}

@test "v2 TLVs give the authority, the unique id, TLS, its version and a verified certificate's CN; NOOP and unknown types are skipped" {
	run parse --authority www.example.org --unique-id 'id-42 x' \
	    --ssl-version TLSv1.3 --ssl-cn client.example \
	    --tlv 04:000000 --tlv e0:ff00 --tlv 01:6832 --crc
	assert_success
	assert_line "authority=www.example.org"
	assert_line "unique_id=id-42 x"
	assert_line "ssl=1"
	assert_line "ssl_version=TLSv1.3"
	assert_line "ssl_cn=client.example"
	assert_line "ssl_verified=1"
}

@test "an unverified client certificate's CN is left out, and an SSL TLV without TLS says so" {
	run parse --ssl-cn mallory --ssl-verify 19
	assert_success
	assert_line "ssl=1"
	assert_line "ssl_cn="
	assert_line "ssl_verified=0"
	run parse --no-tls
	assert_success
	assert_line "ssl=0"
	assert_line "ssl_version="
}

@test "TLV text that is not printable ASCII is left out, the header still accepted; a binary unique id comes out in hex" {
	# an authority with ESC, one with UTF-8, one of 256 bytes
	for v in 1b5b326a 6dc3bc6e6368656e $(printf '61%.0s' $(seq 256)); do
		run parse --tlv "02:$v"
		assert_success
		assert_line "authority="
	done
	run parse --unique-id-hex 00ff10ab
	assert_success
	assert_line "unique_id=00ff10ab"
	run parse --unique-id-hex "$(printf '07%.0s' $(seq 127))"
	assert_success
	assert_line "unique_id=$(printf '07%.0s' $(seq 127))"
	run parse --unique-id-hex "$(printf '07%.0s' $(seq 128))"
	assert_success
	assert_line "unique_id="
	run parse --unique-id "$(printf 'u%.0s' $(seq 128))"
	assert_success
	assert_line "unique_id=$(printf 'u%.0s' $(seq 128))"
}

@test "a right CRC32C is accepted and a wrong one refused, also on LOCAL" {
	run parse --crc --authority a.example
	assert_success
	assert_line "authority=a.example"
	run parse --bad-crc --authority a.example
	assert_failure 1
	assert_line "error why=v2 CRC32C mismatch"
	run parse --local --crc
	assert_success
	run parse --local --bad-crc
	assert_failure 1
	assert_line "error why=v2 CRC32C mismatch"
}

@test "a repeated SSL sub-TLV is refused as a repeated TLV is: two CNs are two identities" {
	# SSL: a verified certificate, CN bob, then CN eve
	run parse --tlv 20:0700000000220003626f62220003657665
	assert_failure 1
	assert_line "error why=v2 repeated SSL sub-TLV"
	run parse --tlv 20:07000000002100013121000132
	assert_failure 1
	assert_line "error why=v2 repeated SSL sub-TLV"
	run parse --tlv 20:0700000000220003657665
	assert_success
	assert_line "ssl_cn=eve"
}

@test "v2 UNSPEC, UDP and unix headers are the balancer itself; their TLVs are still read" {
	for fam in 12 22 31 32; do
		run parse --fam "$fam" --authority "f$fam"
		assert_success
		assert_line "local=1"
		assert_line "authority=f$fam"
	done
	run parse --unspec --unique-id u1
	assert_success
	assert_line "local=1"
	assert_line "unique_id=u1"
	# one side UNSPEC: the addresses are not laid out, skipped whole
	run parse --fam 10
	assert_success
	assert_line "local=1"
}

@test "a start of a header asks for more, and proxy_want says how much to read" {
	run "$CHECK" < <("$SEND" --stdout -1 | head -c 20)
	assert_failure 2
	assert_line "more want=107"
	run "$CHECK" < <("$SEND" --stdout | head -c 10)
	assert_failure 2
	assert_line "more want=16"
	run "$CHECK" < <("$SEND" --stdout --authority example.com | head -c 20)
	assert_failure 2
	assert_line "more want=42"
	run "$CHECK" </dev/null
	assert_failure 2
	assert_line "more want=107"
	# the line's CR without its LF
	run "$CHECK" < <(printf 'PROXY UNKNOWN\r')
	assert_failure 2
}

@test "the longest v2 header, 65551 bytes, is read whole" {
	run parse --tlv "04:$(head -c 65520 /dev/zero | od -An -tx1 -v |
	    tr -d ' \n')" --payload 'after'
	assert_success
	assert_line "header=65551"
	assert_line "rest=5"
}

@test "a direct client is refused at its first byte: HTTP, TLS, SSH, SMTP" {
	for hex in 474554202f20485454502f312e300d0a 1603010200010001fc0303 \
	    5353482d322e302d4f70656e5353480d0a 45484c4f20780d0a; do
		run parse_hex "$hex"
		assert_failure 1
		assert_line "error why=bad signature"
		assert_line "at=1"
	done
	# "PROX" then not "Y": at its fifth byte; a v2 signature wrong at
	# its eighth byte: there
	run "$CHECK" < <(printf 'PROXI TCP4')
	assert_line "at=5"
	run parse --bad v2-signature
	assert_line "at=8"
}

@test "every malformed kind is refused with its reason, as soon as its bytes show it" {
	while read -r kind at why; do
		run parse --bad "$kind"
		[ "$status" -eq 1 ] || { echo "$kind: $output"; false; }
		assert_line "error why=$why"
		assert_line "at=$at"
	done <<-'EOF'
	signature 1 bad signature
	v2-signature 8 bad signature
	v1-too-long 107 v1 line too long
	v1-lf 42 v1 bad line end
	v1-cr 43 v1 bad line end
	v1-protocol 10 v1 bad protocol
	v1-spacing 22 v1 bad spacing
	v1-missing 39 v1 too few fields
	v1-extra 42 v1 too many fields
	v1-address 21 v1 bad address
	v1-family 16 v1 bad address
	v1-zero 22 v1 bad address
	v1-port 39 v1 bad port
	v1-port-zero 41 v1 bad port
	v2-version 13 v2 bad version
	v2-command 13 v2 bad command
	v2-family 14 v2 bad family or protocol
	v2-short 16 v2 address block too short
	v2-tlv 31 v2 TLV truncated
	v2-tlv-head 16 v2 TLV truncated
	v2-ssl-short 34 v2 SSL TLV too short
	v2-ssl-sub 46 v2 SSL sub-TLV truncated
	v2-unique-id 31 v2 unique id too long
	v2-crc-length 31 v2 CRC32C TLV not 4 bytes
	v2-crc 35 v2 CRC32C mismatch
	v2-repeated 43 v2 repeated TLV
	EOF
	# and proxysend knows no other kind
	run bash -c "'$SEND' --list-bad | wc -l"
	assert_output 26
}

# haproxy_capture PROXY-V2-OPTIONS SERVER-KEYWORD: one TLS connection
# through a real haproxy (SNI sni.example, a client certificate with the
# CN client.example that haproxy verifies) to a backend that saves what
# haproxy sends it in $T/got.
haproxy_capture() {
	command -v haproxy >/dev/null || skip "no haproxy (apt-get install haproxy)"
	command -v openssl >/dev/null || skip "no openssl"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=server.example -keyout "$T/s.key" -out "$T/s.crt" \
	    2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=client.example -keyout "$T/c.key" -out "$T/c.crt" \
	    2>/dev/null
	cat "$T/s.crt" "$T/s.key" >"$T/s.pem"
	cat "$T/c.crt" "$T/c.key" >"$T/c.pem"
	"$SEND" --capture "$T/got" --timeout 10 >"$T/bport" 3>&- &
	CAPTURE_PID=$!
	wait_until 5 test -s "$T/bport"
	fport=$(python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$T/haproxy.cfg" <<-EOF
	defaults
		mode tcp
		timeout connect 2s
		timeout client 5s
		timeout server 5s
	frontend fe
		bind 127.0.0.1:$fport ssl crt $T/s.pem ca-file $T/c.crt verify required
		unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
		default_backend be
	backend be
		server s1 127.0.0.1:$(cat "$T/bport") $2 $1
	EOF
	haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 3>&- &
	HAPROXY_PID=$!
	wait_until 5 bash -c "ss -Hltn 'sport = :$fport' | grep -q ."
	echo hello | timeout 10 socat - "OPENSSL:127.0.0.1:$fport,cert=$T/c.pem,verify=0,snihost=sni.example"
	wait_until 5 bash -c "! kill -0 $CAPTURE_PID 2>/dev/null"
	kill "$HAPROXY_PID"
	wait "$HAPROXY_PID" || true
	HAPROXY_PID=
}

# helpers.bash's teardown, and the haproxy and backend a test started
eval "helpers_$(declare -f teardown)"
teardown() {
	[ -z "${HAPROXY_PID:-}" ] || kill "$HAPROXY_PID" 2>/dev/null || true
	[ -z "${CAPTURE_PID:-}" ] || kill "$CAPTURE_PID" 2>/dev/null || true
	helpers_teardown
}

@test "a real haproxy's send-proxy-v2 with its SSL, CN, unique id, authority and CRC32C TLVs is read as haproxy meant it" {
	haproxy_capture "proxy-v2-options ssl,cert-cn,ssl-cipher,unique-id,authority,crc32c" send-proxy-v2
	run "$CHECK" <"$T/got"
	assert_success
	assert_line "version=2"
	assert_line "local=0"
	assert_line "src=127.0.0.1"
	assert_line "dst=127.0.0.1"
	assert_line "dport=$fport"
	assert_line "authority=sni.example"
	assert_line --regexp '^unique_id=7F000001:[0-9A-F]+_7F000001:'
	assert_line "ssl=1"
	assert_line --regexp '^ssl_version=TLSv1\.[23]$'
	assert_line "ssl_cn=client.example"
	assert_line "ssl_verified=1"
	assert_line "rest=6"
	# the CRC32C TLV (type 3, 4 bytes) was there, and checked
	# (a walk of the top-level TLVs, not a search that may match across them)
	python3 - "$T/got" <<-'PY'
	import struct, sys
	d = open(sys.argv[1], "rb").read()
	n = 16 + struct.unpack("!H", d[14:16])[0]
	off = 16 + {0x11: 12, 0x21: 36}.get(d[13], 0)
	while off + 3 <= n:
	    t, l = d[off], struct.unpack("!H", d[off + 1:off + 3])[0]
	    if t == 3 and l == 4:
	        sys.exit(0)
	    off += 3 + l
	sys.exit("no CRC32C TLV")
	PY
}

@test "a real haproxy's send-proxy v1 line is read" {
	haproxy_capture "" send-proxy
	run "$CHECK" <"$T/got"
	assert_success
	assert_line "version=1"
	assert_line "src=127.0.0.1"
	assert_line "dport=$fport"
	assert_line "rest=6"
}

@test "proxysend delivers header and payload intact, split or not, and prints the answer" {
	for split in "" "--split 1,13,16" "--split-every"; do
		"$SEND" --capture "$T/got" --reply 'ok\n' >"$T/bport" 3>&- &
		CAPTURE_PID=$!
		wait_until 5 test -s "$T/bport"
		run "$SEND" $split --pause 0.01 --authority x.example --crc \
		    --payload 'data\n' "$(cat "$T/bport")"
		assert_success
		assert_output "ok"
		wait "$CAPTURE_PID"
		CAPTURE_PID=
		cmp "$T/got" <("$SEND" --stdout --authority x.example --crc \
		    --payload 'data\n')
		rm -f "$T/bport"
	done
}
