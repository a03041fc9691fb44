#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: xdpdns against the caches people run, side by side in one run, in the lab of
# tools/lab.sh: the client namespace generates load (dnsperf), the cache host runs one cache
# at a time as a caching forwarder to the upstream host (nsd with a generated zone).
#
# Usage: bench_caches.sh [--quick] [--repeat N] [--caches "NAME..."]
# Writes bench/results/caches-<date>.md and .png, and prints the table.
set -euo pipefail
. "$(dirname "$0")/lab.sh"

NAMES=100000       # names in the zone
ROUNDS=3           # measurements per cache; medians and spread reported
SAT_SEC=6          # saturation run
LAT_SEC=5          # fixed-load latency run
LAT_QPS=5000       # a load every cache sustains here
CACHES="xdpdns xdpdns-user unbound dnsdist kresd pdns-recursor dnsmasq"

while [ $# -gt 0 ]; do
	case $1 in
	--quick) NAMES=5000 ROUNDS=1 SAT_SEC=2 LAT_SEC=1 ;;
	--repeat) ROUNDS=$2; shift ;;
	--caches) CACHES=$2; shift ;;
	*) echo "usage: $0 [--quick] [--repeat N] [--caches \"NAME...\"]" >&2; exit 2 ;;
	esac
	shift
done

results=$(cd "$(dirname "$0")/.." && pwd)/bench/results
mkdir -p "$results"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
trap 'lab_down' EXIT
trap 'exit 130' INT TERM

# ---- zone and query sets ----
zone=$LAB_TMP/bench.zone
{
	printf '$ORIGIN bench.example.\n$TTL 86400\n'
	printf '@ IN SOA ns.bench.example. hostmaster.bench.example. 1 7200 900 1209600 3600\n'
	printf '@ IN NS ns.bench.example.\nns IN A 192.0.2.1\n'
	awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
} >"$zone"
awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d.bench.example A\n", i }' >"$LAB_TMP/hits.q"
# Zipf, s = 1, over NAMES ranks plus 20% more that do not exist (misses, cached negatively)
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

# ---- the caches, each a caching forwarder to the upstream on the cache host's address ----
start_cache() { # start_cache NAME: runs it in the background; CACHE_PID is the process to watch
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	case $1 in
	xdpdns | xdpdns-user)
		lab_daemon "$dir/log" --health-query "bench.example. SOA" --max-ttl 86400 >/dev/null
		CACHE_PID=$LAB_DAEMON_PID
		[ "$1" = xdpdns-user ] && ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
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
	dnsdist) # its packet cache in front of the upstream
		cat >"$dir/dnsdist.conf" <<-EOF
		setLocal("$LAB_CACHE4:53", { reusePort = true })
		addLocal("$LAB_CACHE4:53", { reusePort = true })
		setACL({ "0.0.0.0/0", "::/0" })
		setSecurityPollSuffix("") -- no security polling: nothing leaves the lab
		newServer({ address = "$LAB_UPSTREAM4:53", checkName = "bench.example." })
		pc = newPacketCache($((NAMES * 3)), { maxTTL = 86400, minTTL = 0 })
		getPool(""):setCache(pc)
		EOF
		lab_bg "$LAB_CACHE" dnsdist --supervised --disable-syslog -C "$dir/dnsdist.conf" \
			>"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	kresd) # Knot Resolver, forwarding everything
		cat >"$dir/kresd.conf" <<-EOF
		net.listen('$LAB_CACHE4', 53, { kind = 'dns' })
		cache.size = 512 * MB
		policy.add(policy.all(policy.FORWARD('$LAB_UPSTREAM4')))
		trust_anchors.remove('.')
		EOF
		lab_bg "$LAB_CACHE" kresd -n -c "$dir/kresd.conf" "$dir" >"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	pdns-recursor)
		: >"$dir/recursor.conf"
		# no security polling: nothing leaves the lab
		lab_bg "$LAB_CACHE" pdns_recursor --config-dir="$dir" --socket-dir="$dir" --daemon=no \
			--security-poll-suffix= \
			--local-address="$LAB_CACHE4" --allow-from=0.0.0.0/0 --threads=2 \
			--forward-zones-recurse=.="$LAB_UPSTREAM4" --dnssec=off \
			--max-cache-entries=$((NAMES * 4)) --disable-syslog --write-pid=no >"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	dnsmasq)
		lab_bg "$LAB_CACHE" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
			--server="$LAB_UPSTREAM4" --listen-address="$LAB_CACHE4" --bind-interfaces \
			--cache-size=$((NAMES * 2)) --user=root --pid-file="$dir/pid" --log-facility=- \
			>"$dir/log" 2>&1
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
	echo "bench: $1 does not answer:" >&2
	cat "$dir/log" >&2
	return 1
}

stop_cache() {
	kill "$CACHE_PID" 2>/dev/null || true
	wait "$CACHE_PID" 2>/dev/null || true
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off 2>/dev/null || true
	rm -rf /sys/fs/bpf/xdpdns/"$LAB_IF_CACHE"
}

# ---- measurements ----
cpu_busy() { # jiffies the whole machine spent busy: user nice system irq softirq
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
proc_cpu() { # jiffies of one process: user + system
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
map_kb() { # kernel memory of the xdpdns maps, from the kernel's accounting
	bpftool -j map show 2>/dev/null | tr '{' '\n' | grep '"name":"xdpdns_' |
		sed -n 's/.*"bytes_memlock":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print int(s / 1024) }'
}

# dnsperf at saturation: prints "qps lost% machine_us/q process_us/q machine-minus-generator_us/q".
# The generator shares the machine: the last figure takes out its user time (bash's time), and
# only that. Its system time stays in: on a veth, the receiver's softirq work, XDP included,
# often runs in the sender's context and is charged to it; taking it out would take out xdpdns.
saturate() {
	local set=$1 out c0 p0 c1 p1 hz gen
	hz=$(getconf CLK_TCK)
	c0=$(cpu_busy)
	p0=$(proc_cpu "$CACHE_PID")
	TIMEFORMAT='%U %S'
	{ time lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/$set.q" -l "$SAT_SEC" -c 4 -T 2 \
		-q 1000 >"$LAB_TMP/dnsperf.out" 2>&1; } 2>"$LAB_TMP/dnsperf.time"
	c1=$(cpu_busy)
	p1=$(proc_cpu "$CACHE_PID")
	gen=$(awk '{ print $1 }' "$LAB_TMP/dnsperf.time")
	awk -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v hz="$hz" -v g="$gen" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		END { if (!done) done = 1
		      printf "%.0f %.2f %.2f %.2f %.2f\n", qps, 100 * lost / (done + lost),
			     c * 1e6 / hz / done, p * 1e6 / hz / done, (c / hz - g) * 1e6 / done }' \
		"$LAB_TMP/dnsperf.out"
}

# fixed load: prints "p50 p99 p99.9" in microseconds
latency() {
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -l "$LAT_SEC" -Q "$LAT_QPS" -v 2>/dev/null |
		awk '$1 == ">" && $2 == "NOERROR" { print $NF * 1e6 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		      printf "%.0f %.0f %.0f\n", v[int(NR * .5) + 1], v[int(NR * .99) + 1], v[int(NR * .999) + 1] }'
}

median_spread() { # reads numbers, prints "median (min-max)"
	sort -g | awk '{ v[NR] = $1 } END { printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

lab_up
lab_upstream bench.example "$zone"
echo "bench: $NAMES names, $ROUNDS rounds of ${SAT_SEC}s at saturation and ${LAT_SEC}s at $LAT_QPS qps" >&2

for cache in $CACHES; do
	echo "bench: $cache" >&2
	start_cache "$cache"
	# warm: every name once, at a rate every cache takes
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/zipf.q" -n 1 -Q 20000 -q 500 >/dev/null 2>&1
	for r in $(seq "$ROUNDS"); do
		echo "$(saturate hits)" >>"$LAB_TMP/$cache.hits"
		echo "$(saturate zipf)" >>"$LAB_TMP/$cache.zipf"
		echo "$(latency)" >>"$LAB_TMP/$cache.lat"
	done
	mem=$(rss_kb "$CACHE_PID")
	case $cache in xdpdns*)
		echo "bench: $cache: daemon RSS $((mem / 1024)) MB, kernel maps $(($(map_kb) / 1024)) MB" >&2
		mem=$((mem + $(map_kb)))
		;;
	esac
	echo "$mem" >"$LAB_TMP/$cache.mem"
	stop_cache
done

# ---- report ----
col() { awk -v k="$2" '{ print $k }' "$1" | median_spread; }
num() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
md=$results/caches-$stamp.md
{
	echo "### Caches side by side ($stamp)"
	echo
	echo "$(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)."
	echo "Zone of $NAMES names on nsd; load from dnsperf in another namespace over veth;"
	echo "median (min-max) of $ROUNDS rounds. CPU is per answered query at saturation: the whole"
	echo "machine's (user+system+irq+softirq: counts the XDP path), the same less the generator's user"
	echo "time (it shares the machine; its system time, where veth charges the receiver's softirq and"
	echo "so part of the XDP path, stays in), and the cache process's. Latency at $LAT_QPS qps."
	echo
	echo "| cache | hits: qps | lost % | machine µs/q | less generator user µs/q | process µs/q | Zipf: qps | p50 µs | p99 µs | p99.9 µs | memory MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for cache in $CACHES; do
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$cache" \
			"$(col "$LAB_TMP/$cache.hits" 1)" "$(col "$LAB_TMP/$cache.hits" 2)" \
			"$(col "$LAB_TMP/$cache.hits" 3)" "$(col "$LAB_TMP/$cache.hits" 5)" \
			"$(col "$LAB_TMP/$cache.hits" 4)" \
			"$(col "$LAB_TMP/$cache.zipf" 1)" "$(col "$LAB_TMP/$cache.lat" 1)" \
			"$(col "$LAB_TMP/$cache.lat" 2)" "$(col "$LAB_TMP/$cache.lat" 3)" \
			"$(($(cat "$LAB_TMP/$cache.mem") / 1024))"
	done
	echo
	if [ -s "$LAB_TMP/xdpdns.hits" ]; then
		echo "xdpdns against each, from this run:"
		echo
		for cache in $CACHES; do
			[ "$cache" = xdpdns ] && continue
			awk -v c="$cache" -v q1="$(num "$LAB_TMP/xdpdns.hits" 1)" -v q2="$(num "$LAB_TMP/$cache.hits" 1)" \
				-v u1="$(num "$LAB_TMP/xdpdns.hits" 5)" -v u2="$(num "$LAB_TMP/$cache.hits" 5)" \
				-v l1="$(num "$LAB_TMP/xdpdns.lat" 2)" -v l2="$(num "$LAB_TMP/$cache.lat" 1)" \
				'BEGIN { printf "- %s: xdpdns answers %.2fx its hit qps, with %.2fx its CPU per query (less the generator'"'"'s user time); xdpdns p99 %s µs vs its p50 %s µs\n", c, q1 / q2, u1 / u2, l1, l2 }'
		done
		echo
	fi
	echo "Targets (issue 4): >= 5x the qps and <= 1/5 the machine CPU per hit of the best userspace"
	echo "cache. dnsperf from one namespace on this machine is the generator: where xdpdns answers"
	echo "everything dnsperf sends, its qps is the generator's ceiling, not the cache's."
} >"$md"
cat "$md"

if command -v gnuplot >/dev/null; then
	for cache in $CACHES; do
		echo "$cache $(num "$LAB_TMP/$cache.hits" 1) $(num "$LAB_TMP/$cache.hits" 5)"
	done >"$LAB_TMP/plot.dat"
	gnuplot <<-EOF
	set terminal png size 900,420
	set output "$results/caches-$stamp.png"
	set multiplot layout 1,2
	set style fill solid
	set boxwidth 0.6
	set title "hits: answered queries per second"
	set yrange [0:*]
	set xtics rotate by -30
	plot "$LAB_TMP/plot.dat" using 0:2:xtic(1) with boxes notitle
	set title "hits: CPU µs per query (see the table)"
	plot "$LAB_TMP/plot.dat" using 0:3:xtic(1) with boxes notitle
	unset multiplot
	EOF
	echo "bench: wrote $md and ${md%.md}.png" >&2
fi
