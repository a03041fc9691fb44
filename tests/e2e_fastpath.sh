#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: the XDP program on a real veth (native mode, through libxdp) answers real clients
# (dig, kdig, drill) from its cache over IPv4 and IPv6; misses and other traffic pass; the
# cache outlives a kill -9 of its loader, is re-adopted on restart, and xdpdnsctl steers it.
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
short 1 IN A     192.0.2.85
ZONE

lab_up || exit 1
lab_demo "$tmp/zone" "$tmp/log" || { echo "0 passed, 1 failed"; exit 1; }

dig4() { lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "$@"; }
answers() { dig4 +short "$@" | grep -cE '^[0-9a-f.:]+$'; } # addresses in the answer

# 1. IPv4 with dig: answer, question case kept, counted as a kernel hit
hits0=$(lab_counter hit_fresh)
dig4 WwW.E2E.Example A >"$tmp/a" 2>&1
check "dig IPv4 answer" grep -q "status: NOERROR" "$tmp/a"
check "dig IPv4 address" grep -qE "^WwW.E2E.Example\.\s+[0-9]+\s+IN\s+A\s+192.0.2.80" "$tmp/a"
check "question case kept" grep -q "^;WwW.E2E.Example.\s" "$tmp/a"
check "answered by the kernel" test "$(lab_counter hit_fresh)" -eq $((hits0 + 1))

# 2. IPv6 with kdig (no cookie), answers that grow the frame
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
miss0=$(lab_counter miss)
dig4 nothere.e2e.example A >"$tmp/e" 2>&1
check "miss passed to the stack" test "$(lab_counter miss)" -eq $((miss0 + 1))
check "miss not answered by the kernel" grep -q "connection refused\|no servers" "$tmp/e"

# 6. other traffic still flows: ping the cache host through the program
check "ping through the program" lab_client ping -q -c 1 -W 2 "$LAB_CACHE4" >/dev/null

# 7. expired: passed while upstreams are up, served stale (TTL 30) once they are forced down
check "expired entry passes" test "$(answers short.e2e.example A)" -eq 0
lab_ctl health down >/dev/null
check "stale while upstreams down" test "$(dig4 +noall +answer short.e2e.example A | awk '{print $2}')" = 30
lab_ctl health up >/dev/null

# 8. kill -9 the loader: the kernel keeps answering, from the same cache
{ kill -9 "$LAB_DEMO_PID" && wait "$LAB_DEMO_PID"; } 2>/dev/null
hits1=$(lab_counter hit_fresh)
check "answers with the loader dead" test "$(answers www.e2e.example A)" -eq 1
check "counted while the loader is dead" test "$(lab_counter hit_fresh)" -eq $((hits1 + 1))

# 9. restart: it adopts the attached program and its maps (the counters go on from where they
# were; the demo stores its zone again, so the entries themselves are new)
hits2=$(lab_counter hit_fresh)
lab_demo "$tmp/zone" "$tmp/log2" || true
check "restart adopts the program" grep -q "adopted the program" "$tmp/log2"
check "maps kept across the restart" test "$(lab_counter hit_fresh)" -ge "$hits2" -a "$hits2" -ge 5

# 10. flush one name: it misses, the others still hit
check "flush one name" lab_ctl flush www.e2e.example
check "flushed name misses" test "$(answers www.e2e.example A)" -eq 0
check "other names still hit" test "$(answers many.e2e.example A)" -eq 4

# 11. a clean stop takes the program off the interface
kill "$LAB_DEMO_PID"
wait "$LAB_DEMO_PID" 2>/dev/null
check "detached on SIGTERM" sh -c "! ip -n $LAB_CACHE link show $LAB_IF_CACHE | grep -q prog/xdp"
check "nothing dropped" test "$(lab_counter drop_internal)" -eq 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
