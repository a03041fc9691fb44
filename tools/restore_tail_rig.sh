#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Development rig (not make bench): the daemon's p99 tail after a start on a snapshot. The daemon
# alone (XDP detached, --threads 1) over 20,000 names in the lab of tools/node_lab.sh, as
# bench_daemon.sh runs it: warmed, saturated over the hits and the Zipf set, then dnsperf at
# 5,000 qps for p50, p99 and p99.9. Each round runs it fresh (no snapshot), then again on the
# snapshot the fresh one saved at its stop. Bounded: ROUNDS x 2 daemons, each about 15 s.
# Finding (2026-12-04): fresh p99 83-287 µs, p99.9 1-3.6 ms; restored p99 1.1-4 ms, p99.9
# 27-50 ms, in every round. Cause (perf record -a of sched, net and epoll_wait events): one turn
# of the daemon's loop busy 28 ms, the prefetch scan starting ~500 prefetches whose windows had
# opened together. Fixed by pacing the scan (refresh.c on_prefetch_timer): restored p99 80-237
# µs, p99.9 0.7-1.2 ms over 3 rounds.
# This is why bench_daemon.sh's second xdpdns of a round, which restored the first's snapshot,
# had a long p99 (docs/benchmarks.md); the bench now starts every cache empty.
# Usage: restore_tail_rig.sh ; env: ROUNDS (2), SETTLE (seconds of rest before the latency
# run), LAT_FIRST=1 (a latency run before the saturation runs too), TRACE=1 (perf trace of the
# restored daemon's system calls over 3 ms, during the latency run, into
# $TMPDIR/restore_tail.trace)
set -euo pipefail
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/node_lab.sh"
LAB_UPSTREAM=$NODE_UPSTREAM4:53
POD=xdpdns-rt-$$ # bench_lib.sh's pod path (not asked here)
NAMES=20000 SAT_SEC=3 LAT_SEC=3 LAT_QPS=5000
trap 'node_down' EXIT
. "$(dirname "$0")/bench_lib.sh"
bench_sets
node_up 0 1
lab_upstream bench.example "$zone" "$NODE_UPSTREAM4"
# run TAG [ARGS...]: one daemon's bench sequence; prints "TAG: p50 p99 p99.9"
run() {
	local tag=$1 tracer=
	shift
	lab_daemon "$LAB_TMP/$tag.log" --health-query "bench.example. SOA" --max-ttl 86400 \
		--listen "$LAB_CACHE4" --listen "$NODE_SVC4" --threads 1 "$@" >/dev/null
	CACHE_PID=$LAB_DAEMON_PID CACHE=xdpdns
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/zipf-warm.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	[ -n "${LAT_FIRST:-}" ] && echo "$tag: before the saturation runs: p50 p99 p99.9 = $(latency)"
	saturate hits >/dev/null
	saturate zipf >/dev/null
	if [ -n "${TRACE:-}" ] && [ "${tag#restored}" != "$tag" ]; then
		perf trace -p "$CACHE_PID" --duration 3 -o "${TMPDIR:-/tmp}/restore_tail.trace" -- \
			sleep "$((LAT_SEC + 1))" >/dev/null 2>&1 &
		tracer=$! # waited for by its pid: a bare wait would wait for the daemon too
	fi
	sleep "${SETTLE:-0}"
	echo "$tag: p50 p99 p99.9 = $(latency)"
	[ -z "$tracer" ] || wait "$tracer"
	grep -h "restored\|daemon's cache starts" "$LAB_TMP/$tag.log" | sed 's/^/    /' || true
	stop_cache
}
for r in $(seq "${ROUNDS:-2}"); do
	rm -f "$LAB_SNAPSHOT"
	run "fresh$r"
	run "restored$r"
done
