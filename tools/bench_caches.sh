#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: xdpdns against the caches people run, side by side in one run, in the lab of
# tools/node_lab.sh: the node runs one cache at a time as a caching forwarder to the upstream
# host (nsd with a generated zone), and is asked from three places: a client through the NIC,
# the node's own processes over lo (the service address on lo, as a host's resolv.conf would),
# and a pod on a routed veth (Calico's layout). Three generators: kxdpgun (AF_XDP) through the
# NIC for fixed rates and the loss-bounded ceiling, which dnsperf cannot reach against the XDP
# path; dnsperf for saturation with flow control, Zipf, latency, and the lo and pod paths; and
# on those two paths tools/dnsblast too, which batches its system calls: against a reflector
# dnsperf's ceiling there is barely 2x the best userspace cache, so with dnsperf alone the
# node paths measure dnsperf.
#
# Usage: bench_caches.sh [--quick] [--repeat N] [--caches "NAME..."]
# Writes bench/results/caches-<date>.md and .png, and prints the table.
set -euo pipefail
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/node_lab.sh"
LAB_UPSTREAM=$NODE_UPSTREAM4:53 # lab_daemon's
POD=xdpdns-rp1-$$               # the routed pod the pod path is asked from

NAMES=100000       # names in the zone
ROUNDS=3           # measurements per cache; medians and spread reported
SAT_SEC=3          # dnsperf saturation run (the steady part: its middle second)
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
	--quick) QUICK=1 NAMES=5000 ROUNDS=1 SAT_SEC=3 LAT_SEC=1 KX_SEC=1 KX_STRIDE=4 KX_REFINE=0 ;;
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
trap 'node_down' EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/bench_lib.sh"
bench_sets

bpf_stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
trap 'echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled; node_down' EXIT
node_up 0 1
lab_upstream bench.example "$zone" "$NODE_UPSTREAM4"
echo "bench: $NAMES names, $ROUNDS rounds; kxdpgun from $BASE_QPS qps, ${KX_SEC}s steps;" \
	"dnsperf ${SAT_SEC}s at saturation, ${LAT_SEC}s at $LAT_QPS qps" >&2

# ---- the baseline: the generator against the reflector (tools/bench_reflect.bpf.c) ----
echo "bench: the generator against a reflector" >&2
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdpdrv obj "$LAB_OUT/bench_reflect.bpf.o" sec xdp
read -ra reflect_id <<<"$(path_prog nic)"
reflect_s0=$(prog_stats "${reflect_id[@]}")
for r in $(seq "$ROUNDS"); do
	kx "$BASE_QPS" "$KX_SEC" >>"$LAB_TMP/reflect.base"
	kx 4000000 "$KX_SEC" >>"$LAB_TMP/reflect.top"
done
# the reflector's own run time per packet: what the statistics (two clock reads a run) and a
# first touch of the frame cost any program there
reflect_nic_ns=$(awk -v a="$reflect_s0" -v b="$(prog_stats "${reflect_id[@]}")" 'BEGIN {
	split(a, x, " "); split(b, y, " "); c = y[2] - x[2]; printf "%.0f", c ? (y[1] - x[1]) / c : 0 }')
ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
# the same from TC on the node's lo (egress) and on the pod's host veth (ingress), the hooks
# xdpdns answers from there, with dnsperf as against the caches: its ceiling on those paths
# (a generic-XDP reflector was slower than xdpdns on TC: no ceiling)
CACHE_PID=$$ # saturate() reads a process's CPU: this shell's, never used
REFLECT_PREF=49152 # its filter's priority, taken off by it alone
for path in local pod; do
	dev=lo dir=egress
	[ "$path" = pod ] && dev=xr1-$$ dir=ingress
	tc -n "$NODE" qdisc add dev "$dev" clsact 2>/dev/null || true
	tc -n "$NODE" filter add dev "$dev" "$dir" pref "$REFLECT_PREF" bpf direct-action \
		obj "$LAB_OUT/bench_reflect.bpf.o" sec tc
	for r in $(seq "$ROUNDS"); do
		saturate hits "$path" >>"$LAB_TMP/reflect.$path"
		saturate hits "$path" dnsblast >>"$LAB_TMP/reflect.${path}b"
	done
	tc -n "$NODE" filter del dev "$dev" "$dir" pref "$REFLECT_PREF"
done
reflect_busy=$(num "$LAB_TMP/reflect.base" 4)
gen_ceiling=$(awk -v d="$KX_SEC" '{ print $2 / d }' "$LAB_TMP/reflect.top" | median_spread)

# The node paths' results, per generator: local and pod for dnsperf's, localb and podb for
# dnsblast's
node_gen() { case $1 in *b) echo dnsblast ;; *) echo dnsperf ;; esac; }

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
		for p in local pod localb podb; do
			saturate hits "${p%b}" "$(node_gen "$p")" >>"$LAB_TMP/$CACHE.$p"
		done
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
spread() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print hi - lo + 0 }'; }
# The NIC's CPU per answer less the reflector's: a difference no larger than the spread of the
# rounds (the cache's and the reflector's) is noise, and printed so, never as a figure below it.
less_reflector() {
	local n
	n=$(awk -v a="$(spread "$LAB_TMP/$1.base" 1)" -v b="$(spread "$LAB_TMP/reflect.base" 4)" \
		-v q="$BASE_QPS" -v d="$KX_SEC" 'BEGIN { b = b * 1e6 / (q * d); print (a > b ? a : b) }')
	awk -v m="$(num "$LAB_TMP/$1.base" 2)" -v n="$n" -v r="$ROUNDS" 'BEGIN {
		if (m > n && m > 0) printf "%.2f", m
		else if (r > 1) printf "within noise (±%.2f)", n
		else printf "within noise (1 round)" }'
}
# verdict VALUE LIMIT SPREAD LOWER: met / not met against LIMIT (LOWER 1: VALUE must be at most
# it), or within noise where the rounds' spread reaches across it
verdict() {
	awk -v v="$1" -v l="$2" -v s="$3" -v lower="$4" 'BEGIN {
		if ((v - l) * (v - l) <= s * s && s > 0) print "within noise"
		else if (lower ? v <= l : v >= l) print "met"
		else print "not met" }'
}
# The issue's targets (11), against the best userspace cache of this run, per node path.
targets() {
	local path best bq bm bo q m o qs ms os ceil lim ns nss hook what floor
	echo "Targets (issue 11), against the best userspace cache of this run; medians, spread over $ROUNDS rounds:"
	echo
	for path in local localb pod podb; do
		what="host-local clients (lo), $(node_gen "$path")"
		[ "${path%b}" = pod ] && what="routed-veth pod, $(node_gen "$path")"
		bq=0 bm=0 bo=0 best=
		for c in $CACHES; do
			[ "${c#xdpdns}" = "$c" ] || continue
			[ -s "$LAB_TMP/$c.$path" ] || continue
			q=$(num "$LAB_TMP/$c.$path" 1)
			if awk -v a="$q" -v b="$bq" 'BEGIN { exit !(a > b) }'; then bq=$q best=$c; fi
			m=$(num "$LAB_TMP/$c.$path" 3) o=$(num "$LAB_TMP/$c.$path" 7)
			if [ "$bm" = 0 ] || awk -v a="$m" -v b="$bm" 'BEGIN { exit !(a < b) }'; then bm=$m bmn=$c; fi
			if [ "$bo" = 0 ] || awk -v a="$o" -v b="$bo" 'BEGIN { exit !(a < b) }'; then bo=$o bon=$c; fi
		done
		[ -n "$best" ] || continue
		q=$(num "$LAB_TMP/xdpdns.$path" 1) qs=$(spread "$LAB_TMP/xdpdns.$path" 1)
		m=$(num "$LAB_TMP/xdpdns.$path" 3) ms=$(spread "$LAB_TMP/xdpdns.$path" 3)
		o=$(num "$LAB_TMP/xdpdns.$path" 7) os=$(spread "$LAB_TMP/xdpdns.$path" 7)
		ceil=$(num "$LAB_TMP/reflect.$path" 1)
		lim=$(awk -v q="$q" -v c="$ceil" 'BEGIN { print (c > 0 && q >= 0.9 * c) }')
		printf -- "- %s, >= 2x the qps of the best (%s, %s): %s qps, %.2fx, %s%s\n" "$what" "$best" "$bq" \
			"$q" "$(awk -v a="$q" -v b="$bq" 'BEGIN { print a / b }')" \
			"$(verdict "$q" "$(awk -v b="$bq" 'BEGIN { print 2 * b }')" "$qs" 0)" \
			"$([ "$lim" = 1 ] && echo "; the generator is the limit: it reaches $ceil qps against a reflector on this path" ||
				echo "; generator's ceiling on this path $ceil qps")$(awk -v c="$ceil" -v b="$bq" -v q="$q" 'BEGIN {
				if (c > 0 && c < 2 * b && q < c) print "; out of reach here: that ceiling is below 2x the best" }')"
		floor=$(num "$LAB_TMP/reflect.$path" 3)
		printf -- "- %s, <= 1/2 the machine CPU per answer of the best (%s, %s µs): %s µs, %s%s\n" "$what" \
			"$bmn" "$bm" "$m" "$(verdict "$m" "$(awk -v b="$bm" 'BEGIN { print b / 2 }')" "$ms" 1)" \
			"$(awk -v b="$bm" -v f="$floor" -v m="$m" 'BEGIN { if (f > b / 2 && m >= f) printf "; out of reach here: the generator against a reflector on this path already takes %s µs an answer (both CPUs busy), more than half the best'"'"'s", f }')"
		printf -- "- %s, <= 1/3 the own CPU per answer of the best (%s, %s µs): %s µs, %s\n" "$what" \
			"$bon" "$bo" "$o" "$(verdict "$o" "$(awk -v b="$bo" 'BEGIN { print b / 3 }')" "$os" 1)"
	done
	for path in nic local localb pod podb; do
		case $path in
		nic) hook="native XDP on the NIC (kxdpgun, $BASE_QPS qps)" f=$LAB_TMP/xdpdns.xdpns k=1 ;;
		local*) hook="TC egress on lo ($(node_gen "$path"), saturation)" f=$LAB_TMP/xdpdns.$path k=6 ;;
		pod*) hook="TC on a pod's veth ($(node_gen "$path"), saturation)" f=$LAB_TMP/xdpdns.$path k=6 ;;
		esac
		[ -s "$f" ] || continue
		ns=$(num "$f" "$k") nss=$(spread "$f" "$k")
		printf -- "- kernel program <= 250 ns per answered packet, %s, %s names: %s ns (%s), %s\n" "$hook" \
			"$NAMES" "$ns" "$(col "$f" "$k")" "$(verdict "$ns" 250 "$nss" 1)"
	done
	# the floor under those: an answer from an entry out of the CPU's caches waits for at
	# least one load from memory, the hash map for two in a row (the bucket, then the element)
	printf -- "- under them, this machine's memory (tools/mem_latency): %s; %s names of 256-byte entries are %s MiB\n" \
		"$("$LAB_OUT/mem_latency" 64)" "$NAMES" "$((NAMES * 256 >> 20))"
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
	echo "Cost and latency (through the NIC). Machine CPU (busy time of all CPUs, exact: from idle"
	echo "time; counts the XDP path in softirq) per answered query: at $BASE_QPS qps from kxdpgun,"
	echo "whole and less the same run against the reflector (the generator's and the veth's share;"
	echo "a difference inside the rounds' spread is printed as within noise); at dnsperf saturation,"
	echo "whole and less dnsperf's user time. Process: the cache's own CPU at saturation."
	echo "Latency: dnsperf at $LAT_QPS qps, hits."
	echo
	echo "| cache | µs/q @$BASE_QPS | less reflector | µs/q saturated | less dnsperf user | process µs/q | p50 µs | p99 µs | p99.9 µs |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in $CACHES; do
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$c" \
			"$(col "$LAB_TMP/$c.base" 1)" "$(less_reflector "$c")" \
			"$(col "$LAB_TMP/$c.hits" 3)" "$(col "$LAB_TMP/$c.hits" 5)" \
			"$(col "$LAB_TMP/$c.hits" 4)" "$(col "$LAB_TMP/$c.lat" 1)" \
			"$(col "$LAB_TMP/$c.lat" 2)" "$(col "$LAB_TMP/$c.lat" 3)"
	done
	echo
	[ -s "$LAB_TMP/xdpdns.xdpns" ] &&
		echo "xdpdns's XDP program on the NIC in the $BASE_QPS qps runs: $(median_spread <"$LAB_TMP/xdpdns.xdpns") ns per packet (kernel BPF statistics; one run per answer); the reflector's, on the same path: $reflect_nic_ns ns (the statistics' two clock reads and a first touch of the frame, which any program pays)." && echo
	for path in local localb pod podb; do
		gen=$(node_gen "$path")
		[ "$gen" = dnsblast ] && gen="dnsblast (tools/dnsblast: dnsperf's flags; sendmmsg and recvmmsg)"
		case $path in
		local*) echo "The node's own clients: $gen on the node, asking $NODE_SVC4 on lo (xdpdns: TC egress on lo)." ;;
		pod*) echo "A pod on a routed veth: $gen in the pod, asking $NODE_SVC4 (xdpdns: TC on the pod's host veth)." ;;
		esac
		echo "Saturation (at most 1000 outstanding), hits. The generator against a reflector on the"
		echo "same hook (TC, as xdpdns there): $(col "$LAB_TMP/reflect.$path" 1) qps, its ceiling on this path, at"
		echo "$(col "$LAB_TMP/reflect.$path" 3) µs of machine CPU per answer: the floor of that column here;"
		echo "the reflector's own run time, $(col "$LAB_TMP/reflect.$path" 6) ns per answer ($(col "$LAB_TMP/reflect.$path" 8) runs): the floor of the program column."
		echo "Machine: all CPUs per answer over the steady part of the run, generator included. Own: the cache's process CPU per answer;"
		echo "for xdpdns its daemon's plus its program's run time on this path per answer (kernel"
		echo "statistics; on lo the program also sees each reply go by: runs per answer given)."
		echo
		echo "| cache | qps | lost % | machine µs/q | own µs/q | program ns/answer | program runs/answer |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for c in $CACHES; do
			printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$c" "$(col "$LAB_TMP/$c.$path" 1)" \
				"$(col "$LAB_TMP/$c.$path" 2)" "$(col "$LAB_TMP/$c.$path" 3)" \
				"$(col "$LAB_TMP/$c.$path" 7)" "$(col "$LAB_TMP/$c.$path" 6)" \
				"$(col "$LAB_TMP/$c.$path" 8)"
		done
		echo
	done
	if [ -s "$LAB_TMP/xdpdns.kx" ]; then
		echo "xdpdns against each through the NIC, from this run (kxdpgun qps; machine CPU per answer at $BASE_QPS qps):"
		echo
		for c in $CACHES; do
			[ "$c" = xdpdns ] && continue
			awk -v c="$c" -v q1="$(num "$LAB_TMP/xdpdns.kx" 1)" -v q2="$(num "$LAB_TMP/$c.kx" 1)" \
				-v u1="$(num "$LAB_TMP/xdpdns.base" 1)" -v u2="$(num "$LAB_TMP/$c.base" 1)" \
				-v l1="$(num "$LAB_TMP/xdpdns.lat" 2)" -v l2="$(num "$LAB_TMP/$c.lat" 1)" \
				-v m1="$(cat "$LAB_TMP/xdpdns.mem")" -v m2="$(cat "$LAB_TMP/$c.mem")" '
				function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
				BEGIN { printf "- %s: %s its qps; %s its CPU per answer; p99 %s µs vs its p50 %s µs; %s its memory\n",
					c, ratio(q1, q2), ratio(u1, u2), l1, l2, ratio(m1, m2) }'
		done
		echo
		targets
	fi
} >"$md"
cat "$md"

if command -v gnuplot >/dev/null; then
	# every cache gets its bar: medians, 0 where a figure is missing
	for c in $CACHES; do
		printf "%s %s %s %s %s %s %s\n" "$c" "$(num "$LAB_TMP/$c.kx" 1)" "$(num "$LAB_TMP/$c.local" 1)" \
			"$(num "$LAB_TMP/$c.pod" 1)" "$(num "$LAB_TMP/$c.local" 7)" \
			"$(num "$LAB_TMP/$c.localb" 1)" "$(num "$LAB_TMP/$c.podb" 1)"
	done | awk '{ for (i = 2; i <= NF; i++) if ($i == "") $i = 0; print }' >"$LAB_TMP/plot.dat"
	gnuplot <<-EOF
	set terminal png size 1200,1200
	set output "$results/caches-$stamp.png"
	set multiplot layout 3,2
	set style fill solid
	set boxwidth 0.6
	set yrange [0:*]
	set xtics rotate by -30
	set title "NIC: hits qps with loss <= 0.1% (kxdpgun)"
	plot "$LAB_TMP/plot.dat" using 0:2:xtic(1) with boxes notitle
	set title "host-local: own CPU µs per answer (process; xdpdns: + BPF run time)"
	plot "$LAB_TMP/plot.dat" using 0:5:xtic(1) with boxes notitle
	set title "host-local clients over lo: hits qps (dnsperf, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:3:xtic(1) with boxes notitle
	set title "host-local clients over lo: hits qps (dnsblast, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:6:xtic(1) with boxes notitle
	set title "routed pod: hits qps (dnsperf, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:4:xtic(1) with boxes notitle
	set title "routed pod: hits qps (dnsblast, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:7:xtic(1) with boxes notitle
	unset multiplot
	EOF
	echo "bench: wrote $md and ${md%.md}.png" >&2
fi
