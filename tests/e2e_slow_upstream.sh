#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end with a slow upstream (ldns-testns, answering one name after 3 s), in namespaces made
# here (tools/lab.sh): identical questions in flight make one upstream query, and a client with
# an expired answer in the cache gets it stale after 1.8 s while the upstream takes its time
# (RFC 8767 client response timer).
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

entry() { # entry NAME SLEEP ADDR: an ldns-testns answer
	cat <<-EOF
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id sleep=$2
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	$1 IN A
	SECTION ANSWER
	$1 2 IN A $3
	ENTRY_END
	EOF
}
{ entry fast.test. 0 192.0.2.90; entry slow.test. 3 192.0.2.91; } >"$LAB_TMP/testns.data"

dig4() { lab_client dig +time=6 +tries=1 @"$LAB_CACHE4" "$@"; }

lab_up || exit 1
lab_bg "$LAB_UP_NS" ldns-testns -p 53 "$LAB_TMP/testns.data" >"$LAB_TMP/testns.log" 2>&1
lab_wait_bound "$LAB_UP_NS" 53 || exit 1
# a timeout above the upstream's 3 s; rare probes, no prefetch: they would add upstream queries
lab_daemon "$LAB_TMP/d.log" --timeout 5 --health-query "fast.test. A" --health-interval 60 \
	--prefetch 0 || { echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 30); do dig4 +short fast.test A | grep -q 192.0.2.90 && break; sleep 0.1; done
check "fast name answered" sh -c "ip netns exec $LAB_CLIENT dig +short @$LAB_CACHE4 fast.test | grep -q 192.0.2.90"

# 1. five clients ask the same uncached name at once: one upstream query answers all
q0=$(lab_upstream_sum queries)
c0=$(lab_counter coalesced)
pids=()
for i in 1 2 3 4 5; do
	dig4 +short slow.test A >"$LAB_TMP/slow$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}" # not a bare wait: the lab's daemon and upstream run in the background too
ok=0
for i in 1 2 3 4 5; do grep -q 192.0.2.91 "$LAB_TMP/slow$i" && ok=$((ok + 1)); done
check "all five answered" test "$ok" -eq 5
check "one upstream query for the five ($(($(lab_upstream_sum queries) - q0)))" test $(($(lab_upstream_sum queries) - q0)) -eq 1
check "four waited on the first" test $(($(lab_counter coalesced) - c0)) -eq 4

# 2. expired, upstream slow: the answer comes stale (TTL 30) after 1.8 s, not after 3 s
sleep 3
s0=$(lab_counter stale_answers)
t0=$(date +%s%N)
ttl=$(dig4 +noall +answer slow.test A | awk '{print $2}')
ms=$((($(date +%s%N) - t0) / 1000000))
check "stale answer, TTL 30 (got $ttl)" test "${ttl:-0}" = 30
check "after the 1.8 s client response timer ($ms ms)" test "$ms" -ge 1700 -a "$ms" -lt 2900
check "counted as stale" test $(($(lab_counter stale_answers) - s0)) -eq 1

# 3. the resolution went on: once it is in, the answer is fresh again, from the kernel
sleep 2
h0=$(lab_counter hit_fresh)
ttl=$(dig4 +noall +answer slow.test A | awk '{print $2}')
check "fresh again (TTL $ttl)" test "${ttl:-99}" -le 2
check "from the kernel" test "$(lab_counter hit_fresh)" -eq $((h0 + 1))

check_done
