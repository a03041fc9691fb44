#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: shield mode in the lab (tools/lab.sh). A burst from the client at a low
# ratelimit-qps gets some answers and the rest dropped; in truncate mode the rest get TC=1 and
# dig's retry over TCP gets the answer; the counters move. cache-only's miss budget: a burst of
# distinct misses gets a few forwarded and the rest REFUSED. Bounded: 30 queries per burst.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

cat >"$LAB_TMP/shield.zone" <<'ZONE'
$ORIGIN shield.test.
$TTL 300
@       IN SOA  ns.shield.test. hostmaster.shield.test. 1 7200 900 1209600 120
@       IN NS   ns.shield.test.
ns      IN A    192.0.2.1
www     IN A    192.0.2.80
*.miss  IN A    192.0.2.81
ZONE

lab_up || exit 1
lab_upstream shield.test "$LAB_TMP/shield.zone" || { echo "0 passed, 1 failed"; exit 1; }

# burst N ARGS...: N digs at once from the client (one try each, 2 s at most), their answers
# in $LAB_TMP/burst.*; prints how many got the answer 192.0.2.80. Run in $(...): its wait is
# for the digs alone there.
burst() {
	local n=$1 i
	shift
	rm -f "$LAB_TMP"/burst.*
	for i in $(seq "$n"); do
		lab_client dig +time=2 +tries=1 +short "$@" @"$LAB_CACHE4" www.shield.test \
			>"$LAB_TMP/burst.$i" 2>&1 &
	done
	wait
	cat "$LAB_TMP"/burst.* | grep -cx 192.0.2.80
}
# restart ARGS...: the daemon anew with these options
restart() {
	kill "$LAB_DAEMON_PID" 2>/dev/null && wait "$LAB_DAEMON_PID" 2>/dev/null
	lab_daemon "$LAB_TMP/d.log" --health-query "shield.test. SOA" "$@"
}
ok() { test "$@"; }

# 1. drop mode: 5 a second, burst 5. The answer is cached first, then the bucket refills.
lab_daemon "$LAB_TMP/d.log" --health-query "shield.test. SOA" --ratelimit-qps 5 \
	--ratelimit-burst 5 || { echo "0 passed, 1 failed"; exit 1; }
check "limiter on, logged" grep -q "shield: at most 5 queries/s per source" "$LAB_TMP/d.log"
lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" www.shield.test >/dev/null
sleep 1.5
hits0=$(lab_counter hit_fresh)
got=$(burst 30)
echo "   drop mode: $got of 30 answered"
check "a burst of 30: some answered" ok "$got" -ge 3
check "... and not all (at most burst + rate x 2 s)" ok "$got" -le 15
check "... the rest counted dropped" ok "$(lab_counter ratelimit_dropped)" -ge $((30 - got))
check "... the answered ones from the kernel" ok "$(lab_counter hit_fresh)" -ge $((hits0 + 1))
check "... passed counted" ok "$(lab_counter ratelimit_passed)" -ge "$got"

# 2. truncate mode: the rest get TC=1, and dig retries over TCP (not limited)
restart --ratelimit-qps 5 --ratelimit-burst 5 --ratelimit-action truncate ||
	{ echo "$passed passed, $((failed + 1)) failed"; exit 1; }
sleep 1.5
got=$(burst 30)
echo "   truncate mode: $got of 30 answered"
check "a burst of 30: every one answered (over TCP when truncated)" ok "$got" -eq 30
check "... truncated counted" ok "$(lab_counter ratelimit_truncated)" -ge 1
check "... the daemon answered over TCP" ok "$(lab_counter queries_tcp)" -ge 1
check "over the limit, dig +ignore sees TC" sh -c \
	"for i in \$(seq 10); do ip netns exec $LAB_CLIENT dig +time=1 +tries=1 +ignore @$LAB_CACHE4 www.shield.test; done | grep -q 'flags: qr tc'"

# 3. cache-only: 2 misses a second go upstream, the rest of a burst of distinct misses REFUSED
restart --cache-only --cache-only-miss-qps 2 ||
	{ echo "$passed passed, $((failed + 1)) failed"; exit 1; }
rm -f "$LAB_TMP"/miss.*
digs=()
for i in $(seq 20); do
	lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "n$i.miss.shield.test" >"$LAB_TMP/miss.$i" 2>&1 &
	digs+=($!)
done
wait "${digs[@]}" # not the daemon's and nsd's processes
fwd=$(cat "$LAB_TMP"/miss.* | grep -c "status: NOERROR")
refused=$(cat "$LAB_TMP"/miss.* | grep -c "status: REFUSED")
echo "   cache-only: $fwd of 20 distinct misses resolved, $refused refused"
check "cache-only: a few misses resolved" ok "$fwd" -ge 1 -a "$fwd" -le 4
check "... the rest REFUSED" ok "$refused" -eq $((20 - fwd))
check "... counted forwarded" ok "$(lab_counter cache_only_forwarded)" -eq "$fwd"
check "... counted refused" ok "$(lab_counter cache_only_refused)" -eq "$refused"
check "... a cached name is still answered" sh -c \
	"ip netns exec $LAB_CLIENT dig +time=2 +tries=1 +short @$LAB_CACHE4 www.shield.test | grep -qx 192.0.2.80"

check_done
