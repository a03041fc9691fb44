#!/usr/bin/env bash
# Development rig (not make bench): where the daemon's p99 tail at 5,000 qps comes from. The
# daemon alone (XDP detached, --threads THREADS) over NAMES cached names in the lab of
# tools/lab.sh; three 3-s dnsperf runs at 5,000 qps over the hits, each answer slower than 1 ms
# printed with its place in the run (~seconds from its start). Bounded: 45,000 queries.
# Usage: daemon_tail_rig.sh ; env: NAMES (20000), THREADS (2), EXTRA (more daemon options)
# First finding (2026-12-04): stalls of 1-3 ms every ~510 ms over 20,000 names (docs/benchmarks.md).
set -euo pipefail
. "$(dirname "$0")/lab.sh"
NAMES=${NAMES:-20000}
THREADS=${THREADS:-2}
trap 'lab_down' EXIT
. "$(dirname "$0")/bench_lib.sh"
bench_sets # the zone of NAMES names ($zone) and hits.q, as make bench has them
lab_up
lab_upstream bench.example "$zone"
lab_daemon "$LAB_TMP/d.log" --health-query "bench.example. SOA" --max-ttl 86400 --threads "$THREADS" ${EXTRA:-} >/dev/null
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
for r in 1 2 3; do
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -l 3 -Q 5000 -v 2>/dev/null |
		awk '$1 == ">" && $2 == "NOERROR" { n++; l = $NF * 1e6; if (l > 1000) printf "slow #%d at ~%.3fs: %.0f us\n", n, n / 5000, l; all[n] = l }
		     END { printf "round: %d answers\n", n }' | tail -15
done
