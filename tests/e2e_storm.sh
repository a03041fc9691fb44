#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fault drills, in namespaces made here (tools/lab.sh): two upstreams (nsd on 192.0.2.1 and
# 192.0.2.2), a steady load of queries for cached names from the client namespace, and one
# fault at a time: upstreams stopped, flapping, 20% packet loss, answering SERVFAIL, answering
# slower than the timeout, a positive name turning NXDOMAIN or empty (the October 2025 outage's
# own failure), a flood of misses, the daemon killed (kill -9) and restarted. Every drill
# prints answered / unanswered / wrong for the cached names; pass is 0 unanswered, 0 wrong,
# and the upstream query rate within the budget.
#
# STORM_ROUNDS=N repeats the drills (make soak).
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"
. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

UP_A=$LAB_UPSTREAM4
UP_B=192.0.2.2
HOT=10 # cached names under load, TTL 2: they expire during every drill

zone() { # zone [without NAME] [empty NAME]: the test zone, NAME removed or left without A
	printf '$ORIGIN storm.example.\n$TTL 2\n'
	printf '@ 3600 IN SOA ns hostmaster 1 7200 900 1209600 300\n@ 3600 IN NS ns\nns 3600 IN A %s\n' "$UP_A"
	for i in $(seq "$HOT"); do printf 'hot%d IN A 10.9.0.%d\n' "$i" "$i"; done
	[ "${1:-}" = without ] && [ "$2" = keep ] || printf 'keep 3 IN A 10.9.1.1\n'
	if [ "${1:-}" = empty ] && [ "$2" = keep2 ]; then
		printf 'keep2 3 IN TXT "the A record was published empty"\n'
	else
		printf 'keep2 3 IN A 10.9.1.2\n'
	fi
}

declare -A NSD_PID # by address
upstream_start() { # upstream_start ADDR [zone args...]
	local addr=$1
	shift
	zone "$@" >"$LAB_TMP/zone-$addr"
	lab_upstream storm.example "$LAB_TMP/zone-$addr" "$addr" || return 1
	NSD_PID[$addr]=$LAB_NSD_PID
}
upstream_stop() { # upstream_stop ADDR
	kill "${NSD_PID[$1]}" 2>/dev/null && wait "${NSD_PID[$1]}" 2>/dev/null
	return 0
}

# The steady load: every cached name in turn, as a stub resolver asks (1 s timeout, 2 tries),
# for SECONDS; counts into $LAB_TMP/load.{ok,lost,wrong}.
load_start() {
	: >"$LAB_TMP/load.ok"
	: >"$LAB_TMP/load.lost"
	: >"$LAB_TMP/load.wrong"
	LOAD_Q0=$(lab_upstream_sum queries)
	LOAD_T0=$(date +%s%N)
	(
		end=$((SECONDS + $1))
		while [ $SECONDS -lt $end ]; do
			for i in $(seq "$HOT"); do
				# the rcode and the answer: +short would print nothing for a SERVFAIL too
				t=$(date +%T.%N)
				r=$(lab_client dig +noall +comments +answer +time=1 +tries=2 \
					@"$LAB_CACHE4" hot$i.storm.example A 2>&1)
				rcode=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$r")
				a=$(awk '$4 == "A" { print $5 }' <<<"$r")
				case $rcode:$a in
				"NOERROR:10.9.0.$i") echo >>"$LAB_TMP/load.ok" ;;
				:*) echo "hot$i asked at $t: ${r//$'\n'/ }" >>"$LAB_TMP/load.lost" ;;
				*) echo "hot$i at $(date +%T.%N): $rcode ${a//$'\n'/ }" >>"$LAB_TMP/load.wrong" ;;
				esac
			done
		done
	) &
	LOAD_PID=$!
}
load_check() { # load_check DRILL: waits for the load, prints and checks its counts
	wait "$LOAD_PID"
	local ok lost wrong
	ok=$(wc -l <"$LAB_TMP/load.ok")
	lost=$(wc -l <"$LAB_TMP/load.lost")
	wrong=$(wc -l <"$LAB_TMP/load.wrong")
	echo "     $1: answered $ok, unanswered $lost, wrong $wrong"
	[ "$wrong" = 0 ] || head -3 "$LAB_TMP/load.wrong"
	if [ "$lost" != 0 ]; then # what dig saw, and what the daemon said about then
		head -3 "$LAB_TMP/load.lost"
		tail -8 "$DLOG" | sed 's/^/     daemon: /'
	fi
	check "$1: every cached name answered, rightly" test "$lost" = 0 -a "$wrong" = 0 -a "$ok" -gt 0
	# and the upstreams asked within the budget: a second's worth of burst, plus the probes
	# (two upstreams every 0.5 s, unbudgeted); a restarted daemon counts from zero again
	local sent=$(($(lab_upstream_sum queries) - LOAD_Q0)) ms=$((($(date +%s%N) - LOAD_T0) / 1000000))
	[ "$sent" -ge 0 ] || sent=$(lab_upstream_sum queries)
	local limit=$((BUDGET * ms / 1000 + BUDGET + 4 * ms / 1000 + 4))
	check "$1: $sent upstream queries in $ms ms, within the budget ($limit)" test "$sent" -le "$limit"
}

answer_of() { lab_client dig +short +time=2 +tries=1 @"$LAB_CACHE4" "$@" 2>/dev/null; }
status_of() { lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "$@" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
both_up() { # waits (up to 15 s: probes of a down server back off) until both are marked up
	for _ in $(seq 150); do
		[ "$(lab_ctl health | grep -c ' up ')" = 2 ] && return 0
		sleep 0.1
	done
	return 1
}
DLOG=$LAB_TMP/d.log # the running daemon's log
wait_log() { # wait_log PATTERN SECONDS
	for _ in $(seq $(($2 * 10))); do grep -q "$1" "$DLOG" && return 0; sleep 0.1; done
	return 1
}
wait_log_count() { # wait_log_count PATTERN N SECONDS: until PATTERN is in N lines
	for _ in $(seq $(($3 * 10))); do
		[ "$(grep -c "$1" "$DLOG")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

lab_up || exit 1
ip -n "$LAB_UP_NS" addr add "$UP_B/24" dev "$LAB_IF_UP"
upstream_start "$UP_A" && upstream_start "$UP_B" || { echo "0 passed, 1 failed"; exit 1; }
BUDGET=100
printf 'pinned.storm.example. 60 IN A 10.9.2.1\n' >"$LAB_TMP/fallback.zone"
# The load's clients wait 1 s a try: the cache's client response timer (stale-answer-timeout)
# below that, as RFC 8767's 1.8 s is below a stub's 5 s. At an outage's onset, before health has
# seen it, an expired name's resolution takes timeout x servers (1 s here): with the default
# timer its stale answer came just as the client gave up, and again for the client's retry.
DAEMON_ARGS=(--upstream "$UP_B" --timeout 0.5 --attempts 1 --stale-answer-timeout 0.4
	--fallback-file "$LAB_TMP/fallback.zone"
	--health-query "storm.example. SOA" --health-interval 0.5 --health-failures 2
	--guard-window 8 --negative-recheck 2 --upstream-qps $BUDGET --recovery-rate 50)
lab_daemon "$DLOG" "${DAEMON_ARGS[@]}" || { echo "0 passed, 1 failed"; exit 1; }
for i in $(seq "$HOT"); do answer_of hot$i.storm.example A >/dev/null; done
answer_of keep.storm.example A >/dev/null
answer_of keep2.storm.example A >/dev/null

for round in $(seq "${STORM_ROUNDS:-1}"); do
	[ "${STORM_ROUNDS:-1}" -gt 1 ] && echo "     round $round"

	# 1. every upstream stopped: cached names answer (stale once expired), and when they are
	# back the used entries are refreshed at the recovery rate, not all at once. Reloads
	# (SIGHUP) meanwhile change none of that: the kernel keeps serving stale, and the recovery
	# still starts when the upstreams are back
	load_start 6
	sleep 0.5
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"
	sleep 2
	check "all down: the fallback record answers a name never cached" \
		test "$(answer_of pinned.storm.example A)" = 10.9.2.1
	check "fallback answer counted" test "$(lab_counter fallback_answers)" -gt 0
	reloads=$(grep -c "config reloaded" "$DLOG")
	for _ in 1 2 3 4 5; do
		kill -HUP "$LAB_DAEMON_PID"
		sleep 0.3
	done
	check "all down: reloaded 5 times" wait_log_count "config reloaded" $((reloads + 5)) 3
	check "all down: the kernel still serves stale after the reloads" \
		sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q 'all down'"
	upstream_start "$UP_A" && upstream_start "$UP_B"
	load_check "upstreams stopped, reloads meanwhile"
	check "recovery after the outage, logged" wait_log "recovery done" 5

	# 2. flapping every 1.5 s
	load_start 7
	for _ in 1 2; do
		upstream_stop "$UP_A"
		upstream_stop "$UP_B"
		sleep 1.5
		upstream_start "$UP_A" && upstream_start "$UP_B"
		sleep 1.5
	done
	load_check "upstreams flapping"

	# 2b. 20% of the packets on the upstream link lost, both ways (tools/linkloss.bpf.c)
	load_start 4
	lab_link_loss 20 >/dev/null
	sleep 4
	lab_link_loss off >/dev/null
	load_check "20% loss on the upstream link"
	sleep 1 # probes see the upstreams whole again

	# 3. both answering SERVFAIL to everything (ldns-testns)
	printf 'ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query\nREPLY QR RA SERVFAIL\nENTRY_END\n' \
		>"$LAB_TMP/servfail.data"
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"
	lab_bg "$LAB_UP_NS" ldns-testns -p 53 "$LAB_TMP/servfail.data"
	servfail_pid=${LAB_PIDS[-1]}
	lab_wait_bound "$LAB_UP_NS" 53
	load_start 4
	load_check "upstreams answering SERVFAIL"
	kill "$servfail_pid"
	wait "$servfail_pid" 2>/dev/null
	upstream_start "$UP_A" && upstream_start "$UP_B"
	both_up # so that the slow drill starts from upstreams that answer
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"

	# 3b. both answering, but only after 1 s: slower than the timeout (0.5 s), every answer
	# late (ldns-testns answers one query at a time, so they queue up behind each other)
	{
		for i in $(seq "$HOT"); do
			printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id sleep=1\n'
			printf 'REPLY QR AA RA NOERROR\nSECTION QUESTION\nhot%d.storm.example. IN A\n' "$i"
			printf 'SECTION ANSWER\nhot%d.storm.example. 2 IN A 10.9.0.%d\nENTRY_END\n' "$i" "$i"
		done
		printf 'ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query sleep=1\n'
		printf 'REPLY QR AA RA NOERROR\nENTRY_END\n'
	} >"$LAB_TMP/slow.data"
	lab_bg "$LAB_UP_NS" ldns-testns -p 53 "$LAB_TMP/slow.data"
	slow_pid=${LAB_PIDS[-1]}
	lab_wait_bound "$LAB_UP_NS" 53
	timeouts0=$(lab_upstream_sum timeouts)
	load_start 4
	load_check "upstreams slower than the timeout"
	timeouts=$(lab_upstream_sum timeouts)
	check "slow upstreams: their answers timed out ($((timeouts - timeouts0)))" test "$timeouts" -gt "$timeouts0"
	kill "$slow_pid"
	wait "$slow_pid" 2>/dev/null
	upstream_start "$UP_A" && upstream_start "$UP_B"
	both_up # the guard's drill needs the first upstream asked first

	# 4. the outage's own failure: keep turns NXDOMAIN at the first upstream only. The guard
	# serves the last good answer and asks the second, which still has it: guard lifted.
	guards=$(lab_counter guard_names)
	upstream_stop "$UP_A"
	upstream_start "$UP_A" without keep
	both_up # the restart may have marked it down: the guard needs it asked first
	sleep 3.5 # keep expires (TTL 3): the next query resolves it
	load_start 3
	check "turned NXDOMAIN at one upstream: last good answer" test "$(answer_of keep.storm.example A)" = 10.9.1.1
	check "guard logged" wait_log "keep.storm.example. A turned NXDOMAIN" 2
	check "guard counted" test "$(lab_counter guard_names)" -gt "$guards"
	check "the other upstream still has it: guard lifted" wait_log "keep.storm.example. A is positive again" 5
	load_check "one upstream NXDOMAIN"

	# 5. now both say NXDOMAIN for keep and empty (NODATA) for keep2: confirmed by the second
	# upstream, and cached for negative-recheck (2 s) only, not the zone's 300 s capped at
	# max-negative-ttl (30): when the record is back, it is seen within seconds
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"
	upstream_start "$UP_A" without keep
	upstream_start "$UP_B" without keep
	both_up # confirmation needs the second upstream up
	sleep 3.5
	check "both NXDOMAIN: last good answer first" test "$(answer_of keep.storm.example A)" = 10.9.1.1
	check "then confirmed by the second upstream" wait_log "keep.storm.example. A is negative, confirmed" 5
	for _ in $(seq 30); do [ "$(status_of keep.storm.example A)" = NXDOMAIN ] && break; sleep 0.2; done
	neg_ttl=$(lab_client dig +noall +authority +time=2 @"$LAB_CACHE4" keep.storm.example A | awk '{ print $2; exit }')
	check "NXDOMAIN served, with a healing TTL ($neg_ttl <= 2)" test "${neg_ttl:-99}" -le 2
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"
	upstream_start "$UP_A" empty keep2
	upstream_start "$UP_B" empty keep2
	both_up
	sleep 3.5
	check "empty answer at both: last good answer first" test "$(answer_of keep2.storm.example A)" = 10.9.1.2
	check "empty answer guarded" wait_log "keep2.storm.example. A turned empty" 2
	# the fix: records back at both; keep answers again within seconds
	upstream_stop "$UP_A"
	upstream_stop "$UP_B"
	upstream_start "$UP_A"
	upstream_start "$UP_B"
	t0=$SECONDS
	for _ in $(seq 40); do [ "$(answer_of keep.storm.example A)" = 10.9.1.1 ] && break; sleep 0.25; done
	check "record fixed: seen again within seconds ($((SECONDS - t0)) s)" test "$(answer_of keep.storm.example A)" = 10.9.1.1 -a $((SECONDS - t0)) -le 4

	# 6. a flood of misses (names that do not exist, 1000 qps for 2 s): the upstreams get at
	# most the budget, the cached names keep answering
	awk 'BEGIN { for (i = 0; i < 4000; i++) printf "flood%d-%d.storm.example A\n", i, '"$round"' }' >"$LAB_TMP/flood.q"
	q0=$(lab_upstream_sum queries)
	t0=$(date +%s%N)
	load_start 3
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/flood.q" -n 1 -Q 1000 -l 2 -t 1 >"$LAB_TMP/flood.out" 2>&1
	sent=$(($(lab_upstream_sum queries) - q0))
	secs=$((($(date +%s%N) - t0) / 1000000))
	load_check "flood of misses"
	limit=$((BUDGET * secs / 1000 + BUDGET + 20)) # a second's burst, and the probes
	echo "     flood: $(awk '/Queries completed/ { print $3 }' "$LAB_TMP/flood.out") misses answered, $sent upstream queries in $secs ms (budget $BUDGET/s)"
	check "upstream queries within the budget ($sent <= $limit)" test "$sent" -le "$limit"
	check "over-budget misses counted" test "$(lab_counter over_budget)" -gt 0

	# 7. the daemon killed (kill -9) under the load and started again: the kernel answers
	# meanwhile, expired names too (served stale while no daemon listens)
	stale0=$(lab_counter hit_stale)
	load_start 5
	sleep 1
	kill -9 "$LAB_DAEMON_PID"
	wait "$LAB_DAEMON_PID" 2>/dev/null
	sleep 2.5 # every name expires (TTL 2) while nothing listens
	DLOG=$LAB_TMP/d-restart$round.log
	lab_daemon "$DLOG" "${DAEMON_ARGS[@]}" || echo "     the daemon did not start again"
	load_check "daemon killed and restarted"
	check "restarted with the kernel's cache" grep -q "cache kept" "$DLOG"
	check "expired names served stale by the kernel meanwhile" test "$(lab_counter hit_stale)" -gt "$stale0"
done

check_done
