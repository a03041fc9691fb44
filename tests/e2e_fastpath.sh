#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: the XDP program on a real veth (native mode) answers real clients (dig, kdig,
# drill) from its cache, over IPv4 and IPv6; misses and other traffic pass to the stack.
# Runs in its own namespaces (tools/lab.sh) and removes them however it exits.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

tmp=$(mktemp -d)
trap 'lab_down; rm -rf "$tmp"' EXIT
passed=0 failed=0

check() { # check NAME COMMAND...: one assertion
	if "${@:2}"; then
		passed=$((passed + 1))
		echo "ok   $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1"
	fi
}

cat >"$tmp/zone" <<'ZONE'
$ORIGIN e2e.example.
$TTL 300
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
many    IN A     192.0.2.81
many    IN A     192.0.2.82
many    IN A     192.0.2.83
many    IN A     192.0.2.84
txt     IN TXT   "a record long enough that the answer is bigger than the question and its OPT"
ZONE

lab_up || exit 1
lab_demo "$tmp/zone" "$tmp/log" || { echo "0 passed, 1 failed"; exit 1; }

dig4() { lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "$@"; }

# 1. IPv4 with dig: answer, question case kept, counted as a kernel hit
hits0=$(lab_counter "$tmp/log" hit_fresh)
dig4 WwW.E2E.Example A >"$tmp/a" 2>&1
check "dig IPv4 answer" grep -q "status: NOERROR" "$tmp/a"
check "dig IPv4 address" grep -qE "^WwW.E2E.Example\.\s+[0-9]+\s+IN\s+A\s+192.0.2.80" "$tmp/a"
check "question case kept" grep -q "^;WwW.E2E.Example.\s" "$tmp/a"
check "answered by the kernel" test "$(lab_counter "$tmp/log" hit_fresh)" -eq $((hits0 + 1))

# 2. IPv6 with kdig (no cookie), an answer that grows the frame
lab_client kdig +time=2 +retry=0 @"$LAB_CACHE6" many.e2e.example A >"$tmp/b" 2>&1
check "kdig IPv6 four addresses" test "$(grep -cE "IN\s+A\s+192.0.2.8[1-4]" "$tmp/b")" -eq 4
lab_client kdig +time=2 +retry=0 @"$LAB_CACHE6" txt.e2e.example TXT >"$tmp/c" 2>&1
check "kdig IPv6 TXT" grep -q "long enough" "$tmp/c"

# 3. drill (ldns), without EDNS
lab_client drill -Q @"$LAB_CACHE4" www.e2e.example AAAA >"$tmp/d" 2>&1
check "drill AAAA" grep -q "2001:db8::80" "$tmp/d"

# 4. TTLs count down
ttl1=$(dig4 +noall +answer www.e2e.example A | awk '{print $2}')
sleep 2
ttl2=$(dig4 +noall +answer www.e2e.example A | awk '{print $2}')
check "TTL counts down ($ttl1 -> $ttl2)" test "${ttl2:-999}" -lt "${ttl1:-0}"

# 5. a miss passes to the stack (no daemon yet: the port is closed there)
miss0=$(lab_counter "$tmp/log" miss)
dig4 nothere.e2e.example A >"$tmp/e" 2>&1
check "miss passed to the stack" test "$(lab_counter "$tmp/log" miss)" -eq $((miss0 + 1))
check "miss not answered by the kernel" grep -q "connection refused\|no servers" "$tmp/e"

# 6. other traffic still flows: ping the cache host through the XDP program
check "ping through the program" lab_client ping -q -c 1 -W 2 "$LAB_CACHE4" >/dev/null
check "nothing dropped" test "$(lab_counter "$tmp/log" drop_internal)" -eq 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
