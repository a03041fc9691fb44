#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end with the daemon's UDP threads (udp.h), in namespaces made here (tools/lab.sh), the
# XDP program detached so that the daemon answers everything: with --threads 2, many clients
# from their own source ports (spread by SO_REUSEPORT over both threads' sockets) ask one
# uncached name of a slow upstream (ldns-testns) at once: one upstream query answers them all,
# whichever thread each landed on, and the counters of both threads add up; then hits of a
# cached name from both threads. LAB_DAEMON_BIN=.output/san/xdpdnsd runs the sanitizer's build.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

N=40 # clients at once: below the waiter cap (SERVER_WAITERS_MAX 64)

entry() { # entry NAME SLEEP ADDR: an ldns-testns answer
	cat <<-EOF
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id sleep=$2
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	$1 IN A
	SECTION ANSWER
	$1 300 IN A $3
	ENTRY_END
	EOF
}
{
	entry fast.test. 0 192.0.2.90
	entry slow.test. 2 192.0.2.91
	cat <<-EOF
	ENTRY_BEGIN
	MATCH opcode qtype
	ADJUST copy_id copy_query
	REPLY QR RD RA NXDOMAIN
	SECTION QUESTION
	nx.test. IN A
	SECTION AUTHORITY
	test. 60 IN SOA ns.test. hostmaster.test. 1 7200 900 1209600 60
	ENTRY_END
	EOF
} >"$LAB_TMP/testns.data" # any other name: NXDOMAIN

dig4() { lab_client dig +time=5 +tries=1 @"$LAB_CACHE4" "$@"; }
# many: N digs at once, each its own process and source port; prints how many got ADDR
many() {
	local name=$1 addr=$2 i pids=()
	for i in $(seq "$N"); do
		dig4 +short "$name" A >"$LAB_TMP/$name.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: the lab's daemon and upstream run in the background too
	cat "$LAB_TMP/$name".* | grep -cx "$addr"
}

lab_up || exit 1
lab_bg "$LAB_UP_NS" ldns-testns -p 53 "$LAB_TMP/testns.data" >"$LAB_TMP/testns.log" 2>&1
# rare probes, no prefetch: they would add upstream queries
lab_daemon "$LAB_TMP/d.log" --threads 2 --timeout 5 --health-query "fast.test. A" \
	--health-interval 60 --prefetch 0 || { echo "0 passed, 1 failed"; exit 1; }
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off # the daemon answers all
for _ in $(seq 30); do dig4 +short fast.test A | grep -q 192.0.2.90 && break; sleep 0.1; done
check "two threads answer UDP" grep -q "2 threads answer UDP" "$LAB_TMP/d.log"
check "the daemon runs them ($(ls /proc/"$LAB_DAEMON_PID"/task | wc -l) tasks)" \
	test "$(ls /proc/"$LAB_DAEMON_PID"/task | wc -l)" -ge 2

# 1. N clients ask the same uncached name at once: one upstream query answers all
q0=$(lab_upstream_sum queries)
c0=$(lab_counter coalesced) m0=$(lab_counter misses) u0=$(lab_counter queries_udp)
got=$(many slow.test 192.0.2.91)
check "all $N answered right ($got)" test "$got" -eq "$N"
up=$(($(lab_upstream_sum queries) - q0))
check "one upstream query for the $N ($up)" test "$up" -eq 1
check "counted: $N queries ($(($(lab_counter queries_udp) - u0)))" \
	test $(($(lab_counter queries_udp) - u0)) -eq "$N"
check "counted: $N misses, $((N - 1)) waited on the first" \
	test $(($(lab_counter misses) - m0)) -eq "$N" -a $(($(lab_counter coalesced) - c0)) -eq $((N - 1))

# 2. hits from both threads' sockets, counted once each
h0=$(lab_counter answered_from_daemon_cache) u0=$(lab_counter queries_udp)
got=$(many slow.test 192.0.2.91)
check "all $N hits answered right ($got)" test "$got" -eq "$N"
check "counted: $N from the daemon's cache" \
	test $(($(lab_counter answered_from_daemon_cache) - h0)) -eq "$N"
check "counted: $N queries" test $(($(lab_counter queries_udp) - u0)) -eq "$N"
check "no query dropped between threads" test "$(lab_counter udp_handoff_dropped)" -eq 0

# 3. hits on both threads while the resolution thread writes the cache (new negative answers):
# what the sanitizers' builds must see at once. 2 s of dnsperf, 1 in 4 queries a new name.
for i in $(seq 300); do echo "slow.test A"; echo "fast.test A"; echo "fast.test A"; echo "nx$i.test A"; done >"$LAB_TMP/mixed.q"
r0=$(lab_counter resolved)
lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/mixed.q" -l 2 -Q 3000 -c 8 >"$LAB_TMP/dnsperf.out" 2>&1
done_q=$(awk '/Queries completed:/ { print $3 }' "$LAB_TMP/dnsperf.out")
check "mixed load answered (${done_q:-0} queries)" test "${done_q:-0}" -gt 1000
check "300 new names resolved and cached meanwhile ($(($(lab_counter resolved) - r0)))" \
	test $(($(lab_counter resolved) - r0)) -ge 300
check "no query dropped between threads" test "$(lab_counter udp_handoff_dropped)" -eq 0

# 4. a SIGHUP leaves the threads serving
kill -HUP "$LAB_DAEMON_PID"
sleep 0.5
got=$(many slow.test 192.0.2.91)
check "after SIGHUP: all $N answered ($got)" test "$got" -eq "$N"
check "daemon alive" kill -0 "$LAB_DAEMON_PID"

check_done
