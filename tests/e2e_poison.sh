#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Hostile input, end to end, in namespaces made here (tools/lab.sh):
#  1. malformed queries get FORMERR, NOTIMP or BADVERS, and the daemon answers the next query;
#  2. a poisoning drill: an off-path attacker on the upstream's host floods the cache with
#     forged answers (source spoofed to the upstream's address and port 53, random IDs, random
#     ports of the ephemeral range, some to the service port) while the daemon resolves names
#     that the upstream (ldns-testns) answers after 2 s. No forged answer may be served or
#     cached, by the daemon or the kernel;
#  3. upstream answers scrubbed (unrelated records), passed on but not cached (TTL 0, NXDOMAIN
#     without SOA), malformed (SERVFAIL, the daemon stays up).
# POISON_FORGED (default 300000) and POISON_SECONDS (default 9) bound the flood.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

# ldns-testns -f forks its instances, and lab_down ends the first process only: the others,
# by their parent's PID, first
testns_pid=
stop_testns() {
	local kids
	[ -n "$testns_pid" ] || return 0
	kids=$(pgrep -P "$testns_pid")
	[ -z "$kids" ] || kill $kids 2>/dev/null
	return 0
}
trap 'stop_testns; lab_down' EXIT

HOSTILE=$(cd "$(dirname "$0")" && pwd)/hostile.py
FORGED_ADDR=198.51.100.66
NAMES=8

entry() { # entry NAME SLEEP ADDR: an ldns-testns answer (the question copied, case and all)
	cat <<-EOF
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id copy_query sleep=$2
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	$1 IN A
	SECTION ANSWER
	$1 300 IN A $3
	ENTRY_END
	EOF
}
ROUNDS=3
name() { echo "r$1-p$2.poison.test"; } # name ROUND I
addr() { echo "192.0.2.$((100 + $1 * 10 + $2))"; }
{
	entry ok.poison.test. 0 192.0.2.80
	entry burst.poison.test. 2 192.0.2.83
	for r in $(seq $ROUNDS); do
		for i in $(seq $NAMES); do
			entry "$(name "$r" "$i")." 2 "$(addr "$r" "$i")"
			name "$r" "$i" >>"$LAB_TMP/names"
		done
	done
	# 3. answers to scrub or not to cache
	cat <<-EOF
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	mixed.poison.test. IN A
	SECTION ANSWER
	mixed.poison.test. 300 IN A 192.0.2.81
	bank.poison.test. 300 IN A $FORGED_ADDR
	SECTION AUTHORITY
	evil.test. 300 IN NS ns.evil.test.
	SECTION ADDITIONAL
	ns.evil.test. 300 IN A $FORGED_ADDR
	ENTRY_END
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	zero.poison.test. IN A
	SECTION ANSWER
	zero.poison.test. 0 IN A 192.0.2.82
	ENTRY_END
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id
	REPLY QR RD RA NXDOMAIN
	SECTION QUESTION
	nosoa.poison.test. IN A
	ENTRY_END
	ENTRY_BEGIN
	MATCH opcode qtype qname
	ADJUST copy_id
	REPLY QR RD RA NOERROR
	SECTION QUESTION
	garbage.poison.test. IN A
	HEX_ANSWER_BEGIN
	00 00 81 80 00 01 00 05 00 00 00 00
	07 67 61 72 62 61 67 65 06 70 6f 69 73 6f 6e 04 74 65 73 74 00 00 01 00 01
	c0 0c 00 01 00 01 00 00 01 2c 00 04 c6 33
	HEX_ANSWER_END
	ENTRY_END
	EOF
} >"$LAB_TMP/testns.data"

dig4() { lab_client dig +time=6 +tries=1 @"$LAB_CACHE4" "$@"; }
ask() { lab_client python3 "$HOSTILE" ask "$LAB_CACHE4" "$1"; }

lab_up || exit 1
# one process per name in flight: each sleeps through its answer
lab_bg "$LAB_UP_NS" ldns-testns -f $NAMES -p 53 "$LAB_TMP/testns.data" >"$LAB_TMP/testns.log" 2>&1
lab_wait_bound "$LAB_UP_NS" 53 || exit 1
testns_pid=${LAB_PIDS[-1]}
# a timeout above the upstream's 2 s, one attempt (a malformed answer fails in 3 s); rare probes,
# no prefetch
lab_daemon "$LAB_TMP/d.log" --timeout 3 --attempts 1 --health-query "ok.poison.test. A" \
	--health-interval 60 --prefetch 0 || { echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 30); do dig4 +short ok.poison.test A | grep -q 192.0.2.80 && break; sleep 0.1; done

# 1. malformed queries (uncached names: they reach the daemon whatever the XDP program does)
m0=$(lab_counter malformed)
check "garbage: FORMERR" test "$(ask garbage)" = 1
check "no question: FORMERR" test "$(ask noquestion)" = 1
check "opcode UPDATE: NOTIMP" test "$(ask update)" = 4
check "EDNS version 1: BADVERS" test "$(ask badvers)" = 16
check "two OPT records: FORMERR" test "$(ask twoopt)" = 1
check "counted as malformed" test $(($(lab_counter malformed) - m0)) -eq 5
check "the daemon answers the next query" test "$(ask ok)" = 0
check "daemon still running" kill -0 "$LAB_DAEMON_PID"

# 2. the drill: the flood starts, then in each round a new set of names is asked at once (each
# resolution is open for 2 s, the window a forgery must hit)
lab_bg "$LAB_UP_NS" python3 "$HOSTILE" forge "$LAB_UPSTREAM4" "$LAB_CACHE4" "$LAB_TMP/names" \
	"$FORGED_ADDR" "${POISON_FORGED:-300000}" "${POISON_SECONDS:-9}" >"$LAB_TMP/forge.log" 2>&1
forger=${LAB_PIDS[-1]}
sleep 1
for r in $(seq $ROUNDS); do
	pids=()
	for i in $(seq $NAMES); do
		dig4 +short "$(name "$r" "$i")" A >"$LAB_TMP/a.$r.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
done
resolved_under_fire=$(lab_counter resolved)
wait "$forger"
forged=$(awk '/^forged/ { print $2 }' "$LAB_TMP/forge.log")
check "forged answers sent ($(cat "$LAB_TMP/forge.log"))" test "${forged:-0}" -gt 10000

# every name again: the kernel's answer, then (its kernel entry flushed) the daemon's cache's
h0=$(lab_counter hit_fresh)
d0=$(lab_counter answered_from_daemon_cache)
for r in $(seq $ROUNDS); do
	for i in $(seq $NAMES); do
		dig4 +short "$(name "$r" "$i")" A >"$LAB_TMP/k.$r.$i" 2>&1
		lab_ctl flush "$(name "$r" "$i")" >/dev/null
		dig4 +short "$(name "$r" "$i")" A >"$LAB_TMP/d.$r.$i" 2>&1
	done
done
kernel_hits=$(($(lab_counter hit_fresh) - h0))
daemon_hits=$(($(lab_counter answered_from_daemon_cache) - d0))
n=$((ROUNDS * NAMES))
accepted=$(cat "$LAB_TMP"/[akd].[0-9]* | grep -c "$FORGED_ADDR")
genuine=0
for r in $(seq $ROUNDS); do
	for i in $(seq $NAMES); do
		for f in a k d; do
			grep -qx "$(addr "$r" "$i")" "$LAB_TMP/$f.$r.$i" && genuine=$((genuine + 1))
		done
	done
done
echo "forged sent ${forged:-0}, forged accepted $accepted, genuine answers $genuine of $((n * 3))"
check "every name resolved under fire ($resolved_under_fire)" test "$resolved_under_fire" -ge $((n + 1))
check "no forged answer served" test "$accepted" -eq 0
check "genuine answers for every name, every time" test "$genuine" -eq $((n * 3))
check "the kernel's answers ($kernel_hits of $n)" test "$kernel_hits" -eq $n
check "the daemon cache's answers ($daemon_hits of $n)" test "$daemon_hits" -eq $n

# 3. scrubbed: only the answer to the question; not cached: TTL 0, NXDOMAIN without SOA;
# malformed (five records announced, one cut short): SERVFAIL after the attempt's timeout
s0=$(lab_counter scrubbed_records)
n0=$(lab_counter not_cached)
dig4 mixed.poison.test A >"$LAB_TMP/mixed" 2>&1
check "scrubbed: the answer kept" grep -q "^mixed.poison.test..*192.0.2.81" "$LAB_TMP/mixed"
check "scrubbed: nothing else" sh -c "! grep -q -e $FORGED_ADDR -e evil.test $LAB_TMP/mixed"
check "scrubbed: 3 records dropped" test $(($(lab_counter scrubbed_records) - s0)) -eq 3
check "TTL 0 passed on" test "$(dig4 +short zero.poison.test A)" = 192.0.2.82
m0=$(lab_counter miss)
dig4 +short zero.poison.test A >/dev/null
check "TTL 0 not cached: asked again" test "$(lab_counter miss)" -eq $((m0 + 1))
check "NXDOMAIN without SOA passed on" sh -c "ip netns exec $LAB_CLIENT dig +time=6 +tries=1 @$LAB_CACHE4 nosoa.poison.test A | grep -q NXDOMAIN"
check "both not cached" test $(($(lab_counter not_cached) - n0)) -ge 3
r0=$(lab_counter resolved)
dig4 nosoa.poison.test A >/dev/null
check "NXDOMAIN without SOA not cached: resolved again" test "$(lab_counter resolved)" -eq $((r0 + 1))
u0=$(lab_counter upstream_unparsable)
check "malformed upstream answer: SERVFAIL" sh -c "ip netns exec $LAB_CLIENT dig +time=8 +tries=1 @$LAB_CACHE4 garbage.poison.test A | grep -q SERVFAIL"
check "counted as unparsable" test "$(lab_counter upstream_unparsable)" -gt "$u0"
check "the daemon answers the next query" test "$(ask ok)" = 0

# 4. 70 identical questions at once for a slow name: one upstream query, 64 wait for it, the
# rest get SERVFAIL at once (nothing stale to give): a flood of identical misses can't open
# more queries for a forger to hit
q0=$(lab_upstream_sum queries)
w0=$(lab_counter waiters_over_cap)
got=$(lab_client python3 "$HOSTILE" burst "$LAB_CACHE4" burst.poison.test 70)
check "burst: 64 answered, 6 SERVFAIL ($got)" test "$got" = "none:0 0:64 2:6"
check "burst: 6 over the cap" test $(($(lab_counter waiters_over_cap) - w0)) -eq 6
check "burst: one upstream query" test $(($(lab_upstream_sum queries) - q0)) -eq 1

lab_ctl stats | grep -E '^(upstream_|scrubbed|not_cached|outdated|waiters)' | sed 's/^/  /'
check "daemon still running" kill -0 "$LAB_DAEMON_PID"

check_done
