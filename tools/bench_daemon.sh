#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The daemon's own query path against unbound, side by side in one run (issue 12's targets):
# xdpdns with its XDP program detached, so that the daemon answers every query, at 1 and 2
# threads, and unbound as tools/bench_caches.sh runs it (2 threads, SO_REUSEPORT), each a
# caching forwarder to nsd in the lab of tools/lab.sh. dnsperf from the client namespace: the
# hits set and the Zipf set with misses (as bench_caches.sh makes them) at saturation, with the
# cache process's CPU per answer; hits at a fixed 5,000 qps for p50 and p99. Medians of ROUNDS.
# Not a test: it prints figures, and what the targets say of them.
#
# Usage: bench_daemon.sh [--names N] [--rounds N] [--caches "xdpdns-t1 xdpdns-t2 unbound"]
#        (xdpdns-tN: --threads N; plain xdpdns: the daemon's defaults; xdpdns-base: the daemon
#        at $BASE_DAEMON, another build to compare with, with its defaults)
set -euo pipefail
. "$(dirname "$0")/lab.sh"

NAMES=20000
ROUNDS=3
SAT_SEC=3
LAT_SEC=3
LAT_QPS=5000
CACHES="xdpdns-t1 xdpdns-t2 unbound"

while [ $# -gt 0 ]; do
	case $1 in
	--names) NAMES=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--caches) CACHES=$2; shift ;;
	*) echo "usage: $0 [--names N] [--rounds N] [--caches \"NAME...\"]" >&2; exit 2 ;;
	esac
	shift
done
trap 'lab_down' EXIT
trap 'exit 130' INT TERM

zone=$LAB_TMP/bench.zone
{
	printf '$ORIGIN bench.example.\n$TTL 86400\n'
	printf '@ IN SOA ns.bench.example. hostmaster.bench.example. 1 7200 900 1209600 3600\n'
	printf '@ IN NS ns.bench.example.\nns IN A 192.0.2.1\n'
	awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
} >"$zone"
awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d.bench.example A\n", i }' >"$LAB_TMP/hits.q"
awk -v n="$NAMES" -v m=$((NAMES * 2)) 'BEGIN {
	srand(42); ranks = int(n * 1.2); total = 0
	for (i = 1; i <= ranks; i++) { total += 1 / i; cdf[i] = total }
	for (q = 0; q < m; q++) {
		u = rand() * total; lo = 1; hi = ranks
		while (lo < hi) { mid = int((lo + hi) / 2); if (cdf[mid] < u) lo = mid + 1; else hi = mid }
		if (lo <= n) printf "h%d.bench.example A\n", lo
		else printf "nx%d.bench.example A\n", lo
	}
}' >"$LAB_TMP/zipf.q"
sort -u "$LAB_TMP/zipf.q" | grep '^nx' >"$LAB_TMP/zipf-warm.q" || true

start_cache() {
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	case $1 in
	xdpdns*)
		local threads=() LAB_DAEMON_BIN=$LAB_DAEMON_BIN
		case $1 in
		xdpdns-t*) threads=(--threads "${1#xdpdns-t}") ;;
		xdpdns-base) LAB_DAEMON_BIN=${BASE_DAEMON:?BASE_DAEMON: the daemon to compare with} ;;
		esac
		lab_daemon "$dir/log" --health-query "bench.example. SOA" --max-ttl 86400 \
			"${threads[@]}" >/dev/null
		CACHE_PID=$LAB_DAEMON_PID
		ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off # the daemon answers all
		;;
	unbound)
		cat >"$dir/unbound.conf" <<-EOF
		server:
			interface: $LAB_CACHE4
			port: 53
			access-control: 0.0.0.0/0 allow
			num-threads: 2
			so-reuseport: yes
			msg-cache-size: 256m
			rrset-cache-size: 512m
			msg-cache-slabs: 2
			rrset-cache-slabs: 2
			prefetch: yes
			module-config: "iterator"
			do-daemonize: no
			chroot: ""
			username: ""
			directory: "$dir"
			pidfile: "$dir/unbound.pid"
			use-syslog: no
			verbosity: 0
		forward-zone:
			name: "."
			forward-addr: $LAB_UPSTREAM4@53
		EOF
		lab_bg "$LAB_CACHE" unbound -d -c "$dir/unbound.conf" >"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	*)
		echo "bench: unknown cache $1" >&2
		return 1
		;;
	esac
	for _ in $(seq 50); do
		lab_client dig +time=1 +tries=1 +short @"$LAB_CACHE4" ns.bench.example A | grep -q . && return 0
		sleep 0.2
	done
	echo "bench: $1 does not answer" >&2
	cat "$dir/log" >&2
	return 1
}

stop_cache() {
	kill "$CACHE_PID" 2>/dev/null || true
	wait "$CACHE_PID" 2>/dev/null || true
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off 2>/dev/null || true
	rm -rf /sys/fs/bpf/xdpdns/"$LAB_IF_CACHE"
}

proc_cpu() { # CPU-seconds of a process and its threads: user + system
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# dnsperf at saturation (at most 1000 queries outstanding): "qps lost% process_us/q"
saturate() {
	local p0 p1
	p0=$(proc_cpu "$CACHE_PID")
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/$1.q" -l "$SAT_SEC" -c 4 -T 2 -q 1000 -t 1 \
		>"$LAB_TMP/dnsperf.out" 2>&1
	p1=$(proc_cpu "$CACHE_PID")
	awk -v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		END { if (!done) done = 1
		      printf "%.0f %.2f %.2f\n", qps, 100 * lost / (done + lost), p * 1e6 / done }' \
		"$LAB_TMP/dnsperf.out"
}

# fixed load over the hits: "p50 p99" in microseconds
latency() {
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -l "$LAT_SEC" -Q "$LAT_QPS" -v 2>/dev/null |
		awk '$1 == ">" && $2 == "NOERROR" { print $NF * 1e6 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "- -"; exit }
		      printf "%.0f %.0f\n", v[int(NR * .5) + 1], v[int(NR * .99) + 1] }'
}

med() { # med FILE COLUMN: the median
	awk -v k="$2" '{ print $k }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit } print v[int((NR + 1) / 2)] }'
}
spread() { # spread FILE COLUMN: "min-max"
	awk -v k="$2" '{ print $k }' "$1" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }'
}

lab_up
lab_upstream bench.example "$zone"
echo "bench_daemon: $NAMES names, $ROUNDS rounds, dnsperf ${SAT_SEC}s at saturation," \
	"${LAT_SEC}s at $LAT_QPS qps; $(nproc) CPUs, $(uptime | sed 's/.*load/load/')" >&2
for r in $(seq "$ROUNDS"); do
	# caches in turn within each round: a noisy minute hurts them all alike
	for CACHE in $CACHES; do
		echo "bench_daemon: round $r: $CACHE" >&2
		start_cache "$CACHE"
		lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
		lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/zipf-warm.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
		saturate hits >>"$LAB_TMP/$CACHE.hits"
		saturate zipf >>"$LAB_TMP/$CACHE.zipf"
		latency >>"$LAB_TMP/$CACHE.lat"
		stop_cache
	done
done

echo
echo "| cache | hits qps | process µs/answer | Zipf qps | process µs/answer | p50 µs | p99 µs @$LAT_QPS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for CACHE in $CACHES; do
	printf '| %s | %s (%s) | %s | %s (%s) | %s | %s | %s |\n' "$CACHE" \
		"$(med "$LAB_TMP/$CACHE.hits" 1)" "$(spread "$LAB_TMP/$CACHE.hits" 1)" \
		"$(med "$LAB_TMP/$CACHE.hits" 3)" \
		"$(med "$LAB_TMP/$CACHE.zipf" 1)" "$(spread "$LAB_TMP/$CACHE.zipf" 1)" \
		"$(med "$LAB_TMP/$CACHE.zipf" 3)" \
		"$(med "$LAB_TMP/$CACHE.lat" 1)" "$(med "$LAB_TMP/$CACHE.lat" 2)"
done
if [[ " $CACHES " == *" unbound "* ]]; then
	echo
	echo "Targets against unbound (at least its qps, at most its CPU per answer, p99 no higher):"
	for CACHE in $CACHES; do
		[ "$CACHE" = unbound ] && continue
		awk -v c="$CACHE" \
			-v hq="$(med "$LAB_TMP/$CACHE.hits" 1)" -v uhq="$(med "$LAB_TMP/unbound.hits" 1)" \
			-v hc="$(med "$LAB_TMP/$CACHE.hits" 3)" -v uhc="$(med "$LAB_TMP/unbound.hits" 3)" \
			-v zq="$(med "$LAB_TMP/$CACHE.zipf" 1)" -v uzq="$(med "$LAB_TMP/unbound.zipf" 1)" \
			-v zc="$(med "$LAB_TMP/$CACHE.zipf" 3)" -v uzc="$(med "$LAB_TMP/unbound.zipf" 3)" \
			-v p="$(med "$LAB_TMP/$CACHE.lat" 2)" -v up="$(med "$LAB_TMP/unbound.lat" 2)" '
			function v(ok) { return ok ? "met" : "NOT met" }
			BEGIN {
				printf "- %s: hits qps %s (%s vs %s), CPU/answer %s (%s vs %s); ", c,
					v(hq >= uhq), hq, uhq, v(hc <= uhc), hc, uhc
				printf "Zipf qps %s (%s vs %s), CPU/answer %s (%s vs %s); p99 %s (%s vs %s)\n",
					v(zq >= uzq), zq, uzq, v(zc <= uzc), zc, uzc, v(p <= up), p, up
			}'
	done
fi
