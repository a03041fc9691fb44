#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, after bench_caches.sh: the daemon's own query path (issue 12's targets) against
# the userspace caches, side by side in one run, on the node of tools/node_lab.sh. xdpdns with its XDP
# program detached, so that the daemon answers every query, at --threads 1 and 2; unbound, kresd
# and dnsdist as bench_caches.sh runs them (tools/bench_lib.sh); each a caching forwarder to nsd.
# dnsperf from the client through the NIC: the hits set and the Zipf set with misses at saturation,
# with the cache process's CPU per answer; hits at a fixed LAT_QPS for p50 and p99. The caches
# take turns within each round, so that a noisy minute hurts them all alike; medians of ROUNDS
# with their spread. Then each target against the best peer: met, not met, or within noise
# (the two spreads overlap: the rounds can't tell them apart). Not a test: it prints figures.
#
# Usage: bench_daemon.sh [--quick] [--rounds N] [--names N] [--caches "NAME..."]
#        (xdpdns-tN: --threads N; xdpdns-user: the daemon's default threads)
set -euo pipefail
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/node_lab.sh"
LAB_UPSTREAM=$NODE_UPSTREAM4:53 # lab_daemon's
POD=xdpdns-rp1-$$               # bench_lib.sh's pod path (not asked here)

NAMES=20000
ROUNDS=5
SAT_SEC=3
LAT_SEC=3
LAT_QPS=5000
CACHES="xdpdns-t1 xdpdns-t2 unbound kresd dnsdist"

while [ $# -gt 0 ]; do
	case $1 in
	--quick) NAMES=5000 ROUNDS=3 SAT_SEC=3 LAT_SEC=2 ;; # about 3 minutes
	--rounds) ROUNDS=$2; shift ;;
	--names) NAMES=$2; shift ;;
	--caches) CACHES=$2; shift ;;
	*) echo "usage: $0 [--quick] [--rounds N] [--names N] [--caches \"NAME...\"]" >&2; exit 2 ;;
	esac
	shift
done
trap 'node_down' EXIT
trap 'exit 130' INT TERM
. "$(dirname "$0")/bench_lib.sh"

bench_sets
node_up 0 1
lab_upstream bench.example "$zone" "$NODE_UPSTREAM4"
echo "bench_daemon: $NAMES names, $ROUNDS rounds, dnsperf ${SAT_SEC}s at saturation," \
	"${LAT_SEC}s at $LAT_QPS qps; $(nproc) CPUs, $(uptime | sed 's/.*load/load/')" >&2
SECONDS=0
for r in $(seq "$ROUNDS"); do
	for CACHE in $CACHES; do
		echo "bench_daemon: round $r: $CACHE" >&2
		start_cache "$CACHE"
		lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
		lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/zipf-warm.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
		saturate hits >>"$LAB_TMP/$CACHE.hits" # qps lost% machine_us process_us ...
		saturate zipf >>"$LAB_TMP/$CACHE.zipf"
		latency >>"$LAB_TMP/$CACHE.lat"        # p50 p99 p99.9
		stop_cache
	done
done
echo "bench_daemon: took ${SECONDS}s" >&2
stalls=$("$LAB_OUT/cpu_stalls" 2) # the caches stopped: the machine's own

# range FILE COLUMN: "min max"
range() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a, b }'; }

echo
echo "### The daemon's query path against the userspace caches ($(date -u +%Y-%m-%dT%H%MZ))"
echo
echo "$(nproc) CPUs, Linux $(uname -r); xdpdns with XDP detached; zone of $NAMES names on nsd;"
echo "median (min-max) of $ROUNDS rounds, the caches in turn within each. dnsperf at saturation"
echo "(${SAT_SEC}s, at most 1000 queries outstanding); process µs: the cache's own CPU per answer"
echo "there; latency: dnsperf at $LAT_QPS qps over the hits (${LAT_SEC}s)."
echo "The machine's own stalls (cpu_stalls: a thread on each CPU reading the clock for 2 s, no"
echo "cache running): $stalls. At $LAT_QPS qps a stall of 2 ms delays about 10 answers; 1% of"
echo "a ${LAT_SEC}-s run is $((LAT_QPS * LAT_SEC / 100)): where the stalls delay about that many, the p99 column measures them."
echo
echo "| cache | hits qps | process µs/answer | Zipf qps (with misses) | process µs/answer | p50 µs | p99 µs @$LAT_QPS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for c in $CACHES; do
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$c" \
		"$(col "$LAB_TMP/$c.hits" 1)" "$(col "$LAB_TMP/$c.hits" 4)" \
		"$(col "$LAB_TMP/$c.zipf" 1)" "$(col "$LAB_TMP/$c.zipf" 4)" \
		"$(col "$LAB_TMP/$c.lat" 1)" "$(col "$LAB_TMP/$c.lat" 2)"
done

# The targets: each xdpdns line against the best peer of this run on that figure.
# target NAME FILE COLUMN HIGHER: one line (HIGHER 1: more is better)
target() {
	local name=$1 file=$2 k=$3 higher=$4 peer best="" bestv="" v
	for peer in $CACHES; do
		[ "${peer#xdpdns}" = "$peer" ] || continue
		v=$(num "$LAB_TMP/$peer.$file" "$k")
		if [ -z "$bestv" ] || awk -v a="$v" -v b="$bestv" -v h="$higher" 'BEGIN { exit !(h ? a > b : a < b) }'; then
			best=$peer bestv=$v
		fi
	done
	[ -n "$best" ] || return 0
	awk -v what="$name" -v c="$CACHE" -v p="$best" -v h="$higher" \
		-v x="$(num "$LAB_TMP/$CACHE.$file" "$k")" -v xr="$(range "$LAB_TMP/$CACHE.$file" "$k")" \
		-v b="$bestv" -v br="$(range "$LAB_TMP/$best.$file" "$k")" -v rounds="$ROUNDS" 'BEGIN {
		split(xr, X, " "); split(br, B, " ")
		better = h ? x >= b : x <= b
		overlap = X[1] <= B[2] && B[1] <= X[2]
		if (rounds > 1 && overlap) v = better ? "within noise (ahead)" : "within noise (behind)"
		else v = better ? "met" : "not met"
		printf "  - %s: %s (%s vs %s %s, spreads %s-%s and %s-%s)\n", what, v, x, p, b, X[1], X[2], B[1], B[2]
	}'
}
echo
echo "Targets (issue 12), each against the best peer of this run on that figure; \"within noise\":"
echo "the two spreads overlap, the rounds can't tell them apart:"
echo
for CACHE in $CACHES; do
	[ "${CACHE#xdpdns}" != "$CACHE" ] || continue
	echo "- $CACHE:"
	target "hits qps, at least" hits 1 1
	target "Zipf qps, at least" zipf 1 1
	target "process µs per answer (hits), at most" hits 4 0
	target "process µs per answer (Zipf), at most" zipf 4 0
	target "p99 at $LAT_QPS qps, at most" lat 2 0
done
