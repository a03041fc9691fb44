#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Development rig (not make bench): the kernel program's run time per packet in real traffic,
# per hook, on the simulated node, with a cache of NAMES names.
# Usage: kpath_rig.sh [ROUNDS] ; env: NAMES (100000), VARIANTS ("name=xdpdnsd..."), RATE (kxdpgun qps),
# SECS (per run), PATHS ("nic lo pod podkx"), NQ (query names, default NAMES), LO_HOOK (lo's),
# DIST (uniform, or zipf: s = 1 over the NQ names, as real traffic is skewed), GEN (lo's and the
# pod's generator: dnsperf, or dnsblast)
set -euo pipefail
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/node_lab.sh"
ROUNDS=${1:-3}
NAMES=${NAMES:-100000}
NQ=${NQ:-$NAMES}
RATE=${RATE:-200000}
SECS=${SECS:-3}
PATHS=${PATHS:-nic lo pod}
INSTANCE=kp-$$
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
DAEMON=
trap 'echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled; node_down' EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled

node_up 0 1
. "$(dirname "$0")/bench_lib.sh"
bench_sets # the zone of NAMES names ($zone) and hits.q, as make bench has them
if [ "${DIST:-uniform}" = zipf ]; then # Zipf, s = 1, over NQ ranks: real traffic's skew
	zipf_names "$NQ" "$NQ" 200000 7 >"$LAB_TMP/q"
else
	awk -v n="$NQ" 'BEGIN { srand(7); for (i = 1; i <= 200000; i++) printf "h%d.bench.example A\n", 1 + int(rand() * n) }' >"$LAB_TMP/q"
fi
lab_upstream bench.example "$zone" "$NODE_UPSTREAM4" >/dev/null
start_daemon() { # start_daemon BIN: stops the running one (keep: the cache stays), starts BIN
	if [ -n "$DAEMON" ]; then kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; fi
	nsenter --net="/run/netns/$NODE" "$1" --iface "$LAB_IF_CACHE" --attach "lo${LO_HOOK:+:$LO_HOOK}" --attach 'xr*' --listen "$NODE_SVC4" \
		--listen "$LAB_CACHE4" --upstream "$NODE_UPSTREAM4" --instance "$INSTANCE" --keep \
		--snapshot-file "$LAB_TMP/snap" --health-query "bench.example. SOA" --max-ttl 86400 \
		--upstream-qps 0 ${DAEMON_ARGS:-} >"$LAB_TMP/d.log" 2>&1 &
	DAEMON=$!
	LAB_PIDS+=($!)
	for _ in $(seq 100); do grep -q serving "$LAB_TMP/d.log" && break; sleep 0.1; done
	grep -q serving "$LAB_TMP/d.log" || { cat "$LAB_TMP/d.log"; exit 1; }
}
start_daemon "$LAB_OUT/xdpdnsd"
node dnsperf -s "$NODE_SVC4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
ctl() { node "$LAB_OUT/xdpdnsctl" --instance "$INSTANCE" "$@"; }
echo "entries: $(ctl dump | wc -l)"

pstat() { bpftool -j prog show id "$1" | tr ',{' '\n\n' | awk -F: '/"run_time_ns"/ { t = $2 } /"run_cnt"/ { c = $2 } END { print t + 0, c + 0 }'; }
hits() { ctl stats | awk -v p="$1" '$1 == "attach" && $2 == p { for (i = 3; i <= NF; i++) if ($i ~ /^answered=/) print substr($i, 10) }'; }

sockgen=("$(sock_generator "${GEN:-dnsperf}")")
measure() { # measure PATH -> "path qps ns/run runs/answer ns/answer"
	local path=$1 id point s0 s1 h0 h1 qps
	case $path in
	nic) id=$(xdp_id "$LAB_IF_CACHE") point=$LAB_IF_CACHE ;;
	lo) id=$(xdp_id lo) point=lo
	    [ -n "$id" ] || id=$(tc_id lo egress) ;; # TC egress, lo's default
	pod | podkx) id=$(tc_id "xr1-$$" ingress) point='xr*' ;;
	esac
	s0=$(pstat "$id") h0=$(hits "$point")
	[ -n "${PERF:-}" ] && { perf record -a -o "$PERF.$path" -- sleep "$SECS" >/dev/null 2>&1 & }
	case $path in
	nic) qps=$(lab_kxdpgun -t "$SECS" -Q "$RATE" -i "$LAB_TMP/q" "$LAB_CACHE4" 2>&1 |
		awk -v d="$SECS" '/^total replies:/ { print int($3 / d) }') ;;
	lo) qps=$(node "${sockgen[@]}" -s "$NODE_SVC4" -d "$LAB_TMP/q" -l "$SECS" -c 4 -T 2 -q 1000 -t 1 2>&1 |
		awk '/Queries per second:/ { print int($4) }') ;;
	pod) qps=$(in_ns "xdpdns-rp1-$$" "${sockgen[@]}" -s "$NODE_SVC4" -d "$LAB_TMP/q" -l "$SECS" -c 4 -T 2 -q 1000 -t 1 2>&1 |
		awk '/Queries per second:/ { print int($4) }') ;;
	podkx) qps=$(in_ns "xdpdns-rp1-$$" kxdpgun -I eth0 -t "$SECS" -Q "$RATE" -i "$LAB_TMP/q" "$NODE_SVC4" 2>&1 |
		awk -v d="$SECS" '/^total replies:/ { print int($3 / d) }') ;;
	esac
	wait
	s1=$(pstat "$id") h1=$(hits "$point")
	awk -v p="$path" -v q="$qps" -v a="$s0" -v b="$s1" -v h="$((h1 - h0))" 'BEGIN {
		split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; c = y[2] - x[2]
		printf "%s %d %.0f %.2f %.0f\n", p, q, t / (c ? c : 1), c / (h ? h : 1), t / (h ? h : 1) }'
}
VARIANTS=${VARIANTS:-base=$LAB_OUT/xdpdnsd}
for r in $(seq "$ROUNDS"); do
	for v in $VARIANTS; do
		start_daemon "${v#*=}"
		for p in $PATHS; do echo "${v%%=*} $(measure "$p")"; done
	done
done | tee "$LAB_TMP/out"
echo "median per variant and path: variant path qps ns/run runs/answer ns/answer"
for v in $VARIANTS; do
	for p in $PATHS; do
		grep "^${v%%=*} $p " "$LAB_TMP/out" | sort -k4 -g | awk '{ v[NR] = $0; lo = (NR == 1 ? $4 : lo); hi = $4 } END { print v[int((NR + 1) / 2)], "(ns/run " lo "-" hi ")" }'
	done
done
echo "under them, this machine's memory: $("$LAB_OUT/mem_latency" 64)"
