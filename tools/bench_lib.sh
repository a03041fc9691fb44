# SPDX-License-Identifier: GPL-2.0
# Sourced, not run, after tools/lab.sh, by the benchmarks that compare caches side by side in
# the lab (bench_caches.sh, bench_daemon.sh): the zone and query sets, each cache started as a
# caching forwarder to the lab's upstream, and the measurements of dnsperf's runs. Each caller
# sets NAMES, SAT_SEC, LAT_SEC and LAT_QPS first.

# ---- zone and query sets ----
# bench_sets: the zone of NAMES names ($zone) and the query sets in LAB_TMP: hits.q (every
# name once), zipf.q (Zipf, s = 1, over NAMES ranks plus 20% more that do not exist: misses,
# cached negatively) and zipf-warm.q (its names not in hits.q)
bench_sets() {
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
	sort -u "$LAB_TMP/zipf.q" | grep '^nx' >"$LAB_TMP/zipf-warm.q" || true # its names not in hits.q
}

# ---- the caches, each a caching forwarder to the upstream on the cache host's address ----
start_cache() { # start_cache NAME: runs it in the background; CACHE_PID is the process to watch
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	case $1 in
	xdpdns | xdpdns-user | xdpdns-t*)
		# xdpdns-user: the daemon alone (XDP detached), its default threads; xdpdns-tN: the
		# same with --threads N
		local threads=()
		case $1 in xdpdns-t*) threads=(--threads "${1#xdpdns-t}") ;; esac
		lab_daemon "$dir/log" --health-query "bench.example. SOA" --max-ttl 86400 \
			"${threads[@]}" >/dev/null
		CACHE_PID=$LAB_DAEMON_PID
		[ "$1" != xdpdns ] && ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
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
# Machine CPU from idle time, not from the busy counters: those are sampled at the tick
# (no IRQ time accounting here), and a generator sending on a timer can run between ticks
# and show almost nothing. Idle time is measured exactly (NO_HZ idle entry and exit).
busy_mark() { # prints "wall_ns idle_jiffies"
	awk -v t="$(date +%s%N)" '/^cpu / { print t, $5 + $6 }' /proc/stat
}
busy_since() { # busy_since MARK: CPU-seconds the whole machine was busy since MARK
	local now
	now=$(busy_mark)
	awk -v a="$1" -v b="$now" -v n="$(nproc)" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		printf "%.4f\n", n * (y[1] - x[1]) / 1e9 - (y[2] - x[2]) / hz }'
}
proc_cpu() { # CPU-seconds of one process: user + system
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
map_kb() { # kernel memory of the xdpdns maps, from the kernel's accounting
	bpftool -j map show 2>/dev/null | tr '{' '\n' | grep '"name":"xdpdns_' |
		sed -n 's/.*"bytes_memlock":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print int(s / 1024) }'
}

# dnsperf at saturation (flow control: at most 1000 queries outstanding): prints
# "qps lost% machine_us/q process_us/q machine-less-generator-user_us/q". The generator shares
# the machine: the last figure takes out its user time, and only that. Its system time stays
# in: on a veth the receiver's softirq work, XDP included, runs in the sender's context and is
# charged to it; taking it out would take out xdpdns.
saturate() {
	local set=$1 mark p0 busy p1 gen
	mark=$(busy_mark)
	p0=$(proc_cpu "$CACHE_PID")
	TIMEFORMAT='%U %S'
	{ time lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/$set.q" -l "$SAT_SEC" -c 4 -T 2 \
		-q 1000 -t 1 >"$LAB_TMP/dnsperf.out" 2>&1; } 2>"$LAB_TMP/dnsperf.time"
	busy=$(busy_since "$mark")
	p1=$(proc_cpu "$CACHE_PID")
	gen=$(awk '{ print $1 }' "$LAB_TMP/dnsperf.time")
	awk -v c="$busy" -v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" -v g="$gen" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		END { if (!done) done = 1
		      printf "%.0f %.2f %.2f %.2f %.2f\n", qps, 100 * lost / (done + lost),
			     c * 1e6 / done, p * 1e6 / done, (c - g) * 1e6 / done }' "$LAB_TMP/dnsperf.out"
}

# fixed load: prints "p50 p99 p99.9" in microseconds
latency() {
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -l "$LAT_SEC" -Q "$LAT_QPS" -v 2>/dev/null |
		awk '$1 == ">" && $2 == "NOERROR" { print $NF * 1e6 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		      printf "%.0f %.0f %.0f\n", v[int(NR * .5) + 1], v[int(NR * .99) + 1], v[int(NR * .999) + 1] }'
}

median_spread() { # reads numbers, prints "median (min-max)"
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
col() { awk -v k="$2" '{ print $k }' "$1" | median_spread; }
num() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

