#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: xdpdns against the caches people run, side by side in one run, in the lab of
# tools/lab.sh: the client namespace generates load, the cache host runs one cache at a time
# as a caching forwarder to the upstream host (nsd with a generated zone). Two generators:
# kxdpgun (AF_XDP) for fixed rates and the loss-bounded ceiling, which dnsperf cannot reach
# against the XDP path; dnsperf for saturation with flow control, Zipf and latency.
#
# Usage: bench_caches.sh [--quick] [--repeat N] [--caches "NAME..."]
# Writes bench/results/caches-<date>.md and .png, and prints the table.
set -euo pipefail
. "$(dirname "$0")/lab.sh"

NAMES=100000       # names in the zone
ROUNDS=3           # measurements per cache; medians and spread reported
SAT_SEC=2          # dnsperf saturation run
LAT_SEC=3          # dnsperf fixed-load latency run
LAT_QPS=5000       # a load every cache sustains here, for latency
BASE_QPS=50000     # kxdpgun's fixed rate for CPU per answer: every cache sustains it here
KX_SEC=2           # one kxdpgun step of the search for the highest rate with loss <= 0.1%
KX_TOP=10          # the search's highest step: BASE_QPS * 2^(KX_TOP/2) = 1.6M qps
KX_STRIDE=2        # steps of 2^(KX_STRIDE/2); then one step between the last good and first bad
KX_REFINE=1        # 0: no step between
CACHES="xdpdns xdpdns-user unbound dnsdist kresd pdns-recursor dnsmasq"

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 NAMES=5000 ROUNDS=1 SAT_SEC=1 LAT_SEC=1 KX_SEC=1 KX_STRIDE=4 KX_REFINE=0 ;;
	--repeat) ROUNDS=$2; shift ;;
	--caches) CACHES=$2; shift ;;
	*) echo "usage: $0 [--quick] [--repeat N] [--caches \"NAME...\"]" >&2; exit 2 ;;
	esac
	shift
done

results=$(cd "$(dirname "$0")/.." && pwd)/bench/results
[ -n "${QUICK:-}" ] && results=$results/quick # a smoke run: not kept in git
mkdir -p "$results"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
trap 'lab_down' EXIT
trap 'exit 130' INT TERM
. "$(dirname "$0")/bench_lib.sh"
bench_sets


# kxdpgun at a fixed rate over the hits set: prints "offered_qps sent answered busy_cpu_s"
# (busy: the whole machine, over the whole call, kxdpgun's start and end included)
kx() {
	local qps=$1 secs=$2 mark out
	mark=$(busy_mark)
	out=$(lab_kxdpgun -t "$secs" -Q "$qps" -i "$LAB_TMP/hits.q" "$LAB_CACHE4" 2>&1) || {
		echo "bench: kxdpgun failed: $out" >&2
		return 1
	}
	echo "$qps $(awk '/^total queries:/ { s = $3 } /^total replies:/ { r = $3 }
		END { print s + 0, r + 0 }' <<<"$out") $(busy_since "$mark")"
}
kx_rate() { # the search's step K: BASE_QPS * 2^(K/2)
	awk -v k="$1" -v b="$BASE_QPS" 'BEGIN { printf "%.0f\n", b * 2 ^ (k / 2) }'
}

# The highest rate kxdpgun offers with <= 0.1% of the queries unanswered: from BASE_QPS up
# in steps of 2^(KX_STRIDE/2), then one step between the last good and the first bad rate.
# A step where kxdpgun sent under 97% of the rate asked is the generator's limit: the search
# ends there. Prints "answered_qps limited" (limited: 1 if the figure is the generator's).
# Every step is appended to $LAB_TMP/$CACHE.steps; the first, at BASE_QPS, also gives the CPU
# per answer, whole and less the reflector's at the same rate, to $LAB_TMP/$CACHE.base.
kx_search() {
	local k=0 good=-99 bad=99 step offered sent answered _ ok limited=0 best=0 best_limited=0
	while :; do
		[ "$k" = 0 ] && xdp_run_mark=$(xdp_run_stats)
		step=$(kx "$(kx_rate $k)" "$KX_SEC") || return 1
		[ "$k" = 0 ] && xdp_run_since "$xdp_run_mark" >>"$LAB_TMP/$CACHE.xdpns"
		read -r offered sent answered _ <<<"$step"
		echo "$step" >>"$LAB_TMP/$CACHE.steps"
		[ "$k" = 0 ] && awk -v rb="$reflect_busy" '{
			printf "%.2f %.2f\n", $4 * 1e6 / $3, ($4 - rb) * 1e6 / $3 }' <<<"$step" >>"$LAB_TMP/$CACHE.base"
		ok=$(awk -v s="$sent" -v a="$answered" 'BEGIN { print (s > 0 && s - a <= s * 0.001) }')
		limited=$(awk -v o="$offered" -v d="$KX_SEC" -v s="$sent" 'BEGIN { print (s < o * d * 0.97) }')
		if [ "$ok" = 1 ]; then
			good=$k
			if [ "$answered" -gt "$best" ]; then
				best=$answered best_limited=$limited
			fi
		else
			bad=$k
		fi
		# kxdpgun could not send more: a pass is the ceiling; a loss may still have a pass below
		[ "$limited" = 1 ] && [ "$ok" = 1 ] && break
		if [ "$bad" = 99 ] && [ "$limited" = 0 ] && [ $((k + KX_STRIDE)) -le "$KX_TOP" ]; then
			k=$((k + KX_STRIDE))
		elif [ "$good" = -99 ] && [ "$k" -gt -4 ]; then
			k=$((k - KX_STRIDE)) # even the base rate loses: look below it
		elif [ "$KX_REFINE" = 1 ] && [ $((bad - good)) -gt 1 ] && [ "$bad" != 99 ] &&
			[ "$good" != -99 ] &&
			[ $(((good + bad) / 2)) != "$k" ]; then
			k=$(((good + bad) / 2))
		else
			break
		fi
	done
	awk -v a="$best" -v d="$KX_SEC" -v l="$best_limited" 'BEGIN { printf "%.0f %d\n", a / d, l }'
}

# The xdpdns XDP program's own run time, from the kernel's BPF statistics (on for the whole
# benchmark: every program pays the same two clock reads for it). Prints "ns count".
xdp_run_stats() {
	{ bpftool -j prog show name xdpdns_xdp_serve 2>/dev/null || true; } | tr ',{' '\n\n' |
		awk -F: '/"run_time_ns"/ { t += $2 } /"run_cnt"/ { c += $2 } END { print t + 0, c + 0 }'
}
xdp_run_since() { # xdp_run_since MARK: ns per run since MARK, or nothing if it did not run
	local now
	now=$(xdp_run_stats)
	awk -v a="$1" -v b="$now" 'BEGIN { split(a, x, " "); split(b, y, " ")
		if (y[2] > x[2]) printf "%.0f\n", (y[1] - x[1]) / (y[2] - x[2]) }'
}

bpf_stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
trap 'echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled; lab_down' EXIT
lab_up
lab_upstream bench.example "$zone"
echo "bench: $NAMES names, $ROUNDS rounds; kxdpgun from $BASE_QPS qps, ${KX_SEC}s steps;" \
	"dnsperf ${SAT_SEC}s at saturation, ${LAT_SEC}s at $LAT_QPS qps" >&2

# ---- the baseline: the generator against the reflector (tools/bench_reflect.bpf.c) ----
echo "bench: the generator against a reflector" >&2
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdpdrv obj "$LAB_OUT/bench_reflect.bpf.o" sec xdp
for r in $(seq "$ROUNDS"); do
	kx "$BASE_QPS" "$KX_SEC" >>"$LAB_TMP/reflect.base"
	kx 4000000 "$KX_SEC" >>"$LAB_TMP/reflect.top"
done
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
reflect_busy=$(num "$LAB_TMP/reflect.base" 4)
gen_ceiling=$(awk -v d="$KX_SEC" '{ print $2 / d }' "$LAB_TMP/reflect.top" | median_spread)

# ---- the caches ----
for CACHE in $CACHES; do
	echo "bench: $CACHE" >&2
	SECONDS=0
	start_cache "$CACHE"
	# warm: every name once, at a rate every cache takes
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/zipf-warm.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	for r in $(seq "$ROUNDS"); do
		kx_search >>"$LAB_TMP/$CACHE.kx"
		saturate hits >>"$LAB_TMP/$CACHE.hits"
		saturate zipf >>"$LAB_TMP/$CACHE.zipf"
		latency >>"$LAB_TMP/$CACHE.lat"
	done
	mem=$(rss_kb "$CACHE_PID")
	case $CACHE in xdpdns*)
		echo "bench: $CACHE: daemon RSS $((mem / 1024)) MB, kernel maps $(($(map_kb) / 1024)) MB" >&2
		mem=$((mem + $(map_kb)))
		;;
	esac
	echo "$mem" >"$LAB_TMP/$CACHE.mem"
	stop_cache
	echo "bench: $CACHE took ${SECONDS}s" >&2
done

# ---- report ----
md=$results/caches-$stamp.md
kx_col() { # the search's figure, marked where it is the generator's ceiling
	awk '{ print $1 }' "$1" | median_spread
	grep -q ' 1$' "$1" && printf ' (generator-limited)'
	return 0
}
{
	echo "### Caches side by side ($stamp)"
	echo
	echo "$(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)."
	echo "Zone of $NAMES names on nsd; load from another namespace over veth; median (min-max) of"
	echo "$ROUNDS rounds. The generator shares the machine's $(nproc) CPUs with the cache."
	echo
	echo "Throughput. kxdpgun: the highest rate, from $BASE_QPS qps up in steps of 2^($KX_STRIDE/2),"
	echo "with <= 0.1% of the hits queries unanswered (${KX_SEC}s per step); kxdpgun's own ceiling"
	echo "against a reflector that answers in XDP: $gen_ceiling qps. dnsperf: saturation with at"
	echo "most 1000 queries outstanding, hits and Zipf (s = 1; 1/6 of the ranks do not exist)."
	echo
	echo "| cache | kxdpgun hits qps, loss <= 0.1% | dnsperf hits qps | lost % | dnsperf Zipf qps | lost % | memory MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in $CACHES; do
		printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$c" "$(kx_col "$LAB_TMP/$c.kx")" \
			"$(col "$LAB_TMP/$c.hits" 1)" "$(col "$LAB_TMP/$c.hits" 2)" \
			"$(col "$LAB_TMP/$c.zipf" 1)" "$(col "$LAB_TMP/$c.zipf" 2)" \
			"$(($(cat "$LAB_TMP/$c.mem") / 1024))"
	done
	echo
	echo "Cost and latency. Machine CPU (busy time of all CPUs, exact: from idle time; counts the"
	echo "XDP path in softirq) per answered query: at $BASE_QPS qps from kxdpgun, whole and less"
	echo "the same run against the reflector (the generator's and the veth's share); at dnsperf"
	echo "saturation, whole and less dnsperf's user time. Process: the cache's own CPU at"
	echo "saturation. Latency: dnsperf at $LAT_QPS qps, hits."
	echo
	echo "| cache | µs/q @$BASE_QPS | less reflector | µs/q saturated | less dnsperf user | process µs/q | p50 µs | p99 µs | p99.9 µs |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in $CACHES; do
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$c" \
			"$(col "$LAB_TMP/$c.base" 1)" "$(col "$LAB_TMP/$c.base" 2)" \
			"$(col "$LAB_TMP/$c.hits" 3)" "$(col "$LAB_TMP/$c.hits" 5)" \
			"$(col "$LAB_TMP/$c.hits" 4)" "$(col "$LAB_TMP/$c.lat" 1)" \
			"$(col "$LAB_TMP/$c.lat" 2)" "$(col "$LAB_TMP/$c.lat" 3)"
	done
	echo
	if [ -s "$LAB_TMP/xdpdns.kx" ]; then
		[ -s "$LAB_TMP/xdpdns.xdpns" ] &&
			echo "xdpdns's XDP program in the $BASE_QPS qps runs: $(median_spread <"$LAB_TMP/xdpdns.xdpns") ns per packet (kernel BPF statistics)." && echo
		echo "xdpdns against each, from this run (kxdpgun qps; CPU per answer less the reflector):"
		echo
		for c in $CACHES; do
			[ "$c" = xdpdns ] && continue
			awk -v c="$c" -v q1="$(num "$LAB_TMP/xdpdns.kx" 1)" -v q2="$(num "$LAB_TMP/$c.kx" 1)" \
				-v u1="$(num "$LAB_TMP/xdpdns.base" 2)" -v u2="$(num "$LAB_TMP/$c.base" 2)" \
				-v l1="$(num "$LAB_TMP/xdpdns.lat" 2)" -v l2="$(num "$LAB_TMP/$c.lat" 1)" \
				-v m1="$(cat "$LAB_TMP/xdpdns.mem")" -v m2="$(cat "$LAB_TMP/$c.mem")" '
				function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
				BEGIN { printf "- %s: %s its qps; %s its CPU per answer; p99 %s µs vs its p50 %s µs; %s its memory\n",
					c, ratio(q1, q2), ratio(u1, u2), l1, l2, ratio(m1, m2) }'
		done
		echo
		# the targets, against the best userspace cache of this run
		for c in $CACHES; do
			[ "${c#xdpdns}" = "$c" ] || continue
			echo "$c $(num "$LAB_TMP/$c.kx" 1) $(num "$LAB_TMP/$c.base" 2) $(num "$LAB_TMP/$c.lat" 1)"
		done >"$LAB_TMP/others"
		if [ -s "$LAB_TMP/others" ]; then
			awk -v q="$(num "$LAB_TMP/xdpdns.kx" 1)" -v lim="$(grep -c ' 1$' "$LAB_TMP/xdpdns.kx")" \
				-v u="$(num "$LAB_TMP/xdpdns.base" 2)" -v p99="$(num "$LAB_TMP/xdpdns.lat" 2)" \
				-v m="$(cat "$LAB_TMP/xdpdns.mem")" -v mu="$(cat "$LAB_TMP/unbound.mem" 2>/dev/null)" '
				function better(a, b, lowest) { return lowest ? a < b : a > b }
				function verdict(x) { return x ? "met" : "not met" }
				{ n[NR] = $1; qps[NR] = $2; cpu[NR] = $3; p50[NR] = $4 }
				END {
					bq = bu = bl = 1
					for (i = 2; i <= NR; i++) {
						if (better(qps[i], qps[bq], 0)) bq = i
						if (better(cpu[i], cpu[bu], 1)) bu = i
						if (better(p50[i], p50[bl], 1)) bl = i
					}
					print "Targets (issue 4), against the best userspace cache of this run:"
					print ""
					printf "- >= 5x the qps of the best (%s, %s): %.2fx, %s%s\n", n[bq], qps[bq],
						q / qps[bq], verdict(q >= 5 * qps[bq]),
						lim ? "; xdpdns answered all kxdpgun could send: the figure is the generator'"'"'s" : ""
					printf "- <= 1/5 the machine CPU per answer of the best (%s, %s µs): %s µs, %s\n",
						n[bu], cpu[bu], u, verdict(u * 5 <= cpu[bu])
					printf "- p99 below the best p50 (%s, %s µs): %s µs, %s\n", n[bl], p50[bl], p99,
						verdict(p99 < p50[bl])
					if (mu) printf "- memory no more than unbound (%d MB): %d MB, %s\n", mu / 1024, m / 1024,
						verdict(m <= mu)
				}' "$LAB_TMP/others"
		fi
	fi
} >"$md"
cat "$md"

if command -v gnuplot >/dev/null; then
	for c in $CACHES; do
		echo "$c $(num "$LAB_TMP/$c.kx" 1) $(num "$LAB_TMP/$c.base" 2)"
	done >"$LAB_TMP/plot.dat"
	gnuplot <<-EOF
	set terminal png size 900,420
	set output "$results/caches-$stamp.png"
	set multiplot layout 1,2
	set style fill solid
	set boxwidth 0.6
	set title "hits: qps with loss <= 0.1% (kxdpgun)"
	set yrange [0:*]
	set xtics rotate by -30
	plot "$LAB_TMP/plot.dat" using 0:2:xtic(1) with boxes notitle
	set title "machine CPU µs per answer at $BASE_QPS qps, less the reflector"
	plot "$LAB_TMP/plot.dat" using 0:3:xtic(1) with boxes notitle
	unset multiplot
	EOF
	echo "bench: wrote $md and ${md%.md}.png" >&2
fi
