# SPDX-License-Identifier: GPL-2.0
# Sourced, not run, after tools/lab.sh and tools/node_lab.sh, by the benchmarks that compare
# caches side by side on the simulated node (bench_caches.sh, bench_daemon.sh): the zone and
# query sets, each cache started as a caching forwarder to the node's upstream, and the
# measurements of dnsperf's and kxdpgun's runs. Each caller sets NAMES, SAT_SEC, LAT_SEC,
# LAT_QPS (and for kxdpgun BASE_QPS, KX_*) and POD first.

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
	zipf_names $((NAMES * 12 / 10)) "$NAMES" $((NAMES * 2)) 42 >"$LAB_TMP/zipf.q"
	sort -u "$LAB_TMP/zipf.q" | grep '^nx' >"$LAB_TMP/zipf-warm.q" || true # its names not in hits.q
}

# zipf_names RANKS EXIST QUERIES SEED: QUERIES names drawn Zipf (s = 1) over RANKS ranks, rank r
# as hR.bench.example up to EXIST, as nxR.bench.example (a name that does not exist) beyond
zipf_names() {
	awk -v ranks="$1" -v n="$2" -v m="$3" -v seed="$4" 'BEGIN {
		srand(seed); total = 0
		for (i = 1; i <= ranks; i++) { total += 1 / i; cdf[i] = total }
		for (q = 0; q < m; q++) {
			u = rand() * total; lo = 1; hi = ranks
			while (lo < hi) { mid = int((lo + hi) / 2); if (cdf[mid] < u) lo = mid + 1; else hi = mid }
			if (lo <= n) printf "h%d.bench.example A\n", lo
			else printf "nx%d.bench.example A\n", lo
		}
	}'
}

# ---- the caches, each a caching forwarder to the upstream on the cache host's address ----
start_cache() { # start_cache NAME: runs it in the background; CACHE_PID is the process to watch
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	case $1 in
	xdpdns | xdpdns-user | xdpdns-t*)
		# xdpdns: the kernel on every path; xdpdns-user: the daemon alone (XDP detached), its
		# default threads; xdpdns-tN: the same with --threads N
		local attach=(--attach lo --attach 'xr*') threads=()
		# empty, as every other cache starts: not on the snapshot the last xdpdns of the run
		# saved at its stop (a daemon just started on a snapshot had a p99 of milliseconds
		# for some seconds: tools/restore_tail_rig.sh)
		rm -f "$LAB_SNAPSHOT"
		[ "$1" != xdpdns ] && attach=()
		case $1 in xdpdns-t*) threads=(--threads "${1#xdpdns-t}") ;; esac
		lab_daemon "$dir/log" --health-query "bench.example. SOA" --max-ttl 86400 \
			--listen "$LAB_CACHE4" --listen "$NODE_SVC4" "${attach[@]}" "${threads[@]}" >/dev/null
		CACHE_PID=$LAB_DAEMON_PID
		[ "$1" != xdpdns ] && ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
		;;
	unbound)
		cat >"$dir/unbound.conf" <<-EOF
		server:
			interface: $LAB_CACHE4
			interface: $NODE_SVC4
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
			forward-addr: $NODE_UPSTREAM4@53
		EOF
		lab_bg "$LAB_CACHE" unbound -d -c "$dir/unbound.conf" >"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	dnsdist) # its packet cache in front of the upstream
		cat >"$dir/dnsdist.conf" <<-EOF
		setLocal("$LAB_CACHE4:53", { reusePort = true })
		addLocal("$LAB_CACHE4:53", { reusePort = true })
		addLocal("$NODE_SVC4:53", { reusePort = true })
		setACL({ "0.0.0.0/0", "::/0" })
		setSecurityPollSuffix("") -- no security polling: nothing leaves the lab
		newServer({ address = "$NODE_UPSTREAM4:53", checkName = "bench.example." })
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
		net.listen('$NODE_SVC4', 53, { kind = 'dns' })
		cache.size = 512 * MB
		policy.add(policy.all(policy.FORWARD('$NODE_UPSTREAM4')))
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
			--local-address="$LAB_CACHE4,$NODE_SVC4" --allow-from=0.0.0.0/0 --threads=2 \
			--forward-zones-recurse=.="$NODE_UPSTREAM4" --dnssec=off \
			--max-cache-entries=$((NAMES * 4)) --disable-syslog --write-pid=no >"$dir/log" 2>&1
		CACHE_PID=${LAB_PIDS[-1]}
		;;
	dnsmasq)
		lab_bg "$LAB_CACHE" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
			--server="$NODE_UPSTREAM4" --listen-address="$LAB_CACHE4,$NODE_SVC4" --bind-interfaces \
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
map_kb() { # kernel memory of this cache's maps (its pins), from the kernel's accounting
	local f
	for f in /sys/fs/bpf/xdpdns/"$LAB_IF_CACHE"/xdpdns_*; do
		bpftool -j map show pinned "$f" 2>/dev/null || true
	done | jq -s 'map(.bytes_memlock // 0) | add // 0 | . / 1024 | floor'
}

# The program ids of the cache's attach point on a path (none when nothing of ours is there):
# native XDP on the NIC, TC egress on lo (or generic XDP, if asked), TC on the routed pod's host veth. By id, not by
# name: other runs on this machine load programs of the same name.
path_prog() {
	case $1 in
	nic) xdp_id "$LAB_IF_CACHE" ;;
	local) xdp_id lo; tc_id lo egress; tc_id lo ingress ;;
	pod) xdp_id "xr1-$$"; tc_id "xr1-$$" ingress ;;
	esac
}
xdp_id() { ip -n "$NODE" -o link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
tc_id() { tc -n "$NODE" filter show dev "$1" "$2" 2>/dev/null | sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -1; }
prog_stats() { # prog_stats ID...: "run_time_ns run_cnt", summed, from the kernel's statistics
	local id
	for id in "$@"; do bpftool -j prog show id "$id" 2>/dev/null || true; done |
		jq -rs '(map(.run_time_ns // 0) | add) as $t | (map(.run_cnt // 0) | add) as $c |
			"\($t // 0) \($c // 0)"'
}

# sock_generator NAME: the command of a load generator over sockets, dnsperf or dnsblast
# (tools/dnsblast.c: dnsperf's flags and output, its system calls batched)
sock_generator() {
	if [ "${1:-dnsperf}" = dnsblast ]; then echo "$LAB_OUT/dnsblast"; else echo dnsperf; fi
}

# saturate SET [PATH] [GENERATOR]: dnsperf (or tools/dnsblast: GENERATOR dnsblast, the same
# flags and output with batched system calls) at saturation (flow control: at most 1000
# queries outstanding) over SET from PATH
# (nic: the client through the NIC; local: the node itself, over lo; pod: the routed pod):
# prints "qps lost% machine_us/q process_us/q machine-less-generator-user_us/q prog_ns/q own_us/q
# prog_runs/q". machine: the whole machine's busy CPU per answer over the steady part of the
# run (from its second second to the last but one, the answers in it from dnsperf's per-second
# counts): dnsperf's start and end (its threads, its query file, its wait for the last
# answers) cost the same CPU whatever the cache, and counted in they made every figure larger,
# beyond what two CPUs can give (2 CPU-seconds a second). The generator shares the machine:
# the fifth figure takes out its user time (its whole run's, pro rata), and only that. Its
# system time stays in: on a veth the receiver's softirq work, XDP included, runs in the
# sender's context and is charged to it; taking it out would take out xdpdns. prog_ns: the
# kernel's run time of the cache's program on that path per answer (0 for the others); own:
# the cache's own work per answer, its process CPU plus prog_ns (whole run).
saturate() {
	local set=$1 path=${2:-nic} p0 p1 gen ids s0 s1 gencmd target=$NODE_SVC4 w0 w1 gpid
	local generator
	generator=$(sock_generator "${3:-dnsperf}")
	case $path in
	nic) gencmd=(lab_client) target=$LAB_CACHE4 ;;
	local) gencmd=(node) ;;
	pod) gencmd=(in_ns "$POD") ;;
	esac
	read -ra ids <<<"$(path_prog "$path")"
	s0=$(prog_stats "${ids[@]}")
	p0=$(proc_cpu "$CACHE_PID")
	TIMEFORMAT='%U %S'
	{ time "${gencmd[@]}" "$generator" -s "$target" -d "$LAB_TMP/$set.q" -l "$SAT_SEC" -c 4 -T 2 \
		-q 1000 -t 1 -S 1 >"$LAB_TMP/dnsperf.out" 2>&1; } 2>"$LAB_TMP/dnsperf.time" &
	gpid=$!
	sleep 1.2
	w0=$(busy_mark)
	sleep "$(awk -v l="$SAT_SEC" 'BEGIN { print (l >= 3 ? l - 2.4 : 0.1) }')"
	w1=$(busy_mark)
	wait "$gpid"
	p1=$(proc_cpu "$CACHE_PID")
	s1=$(prog_stats "${ids[@]}")
	gen=$(awk '{ print $1 }' "$LAB_TMP/dnsperf.time")
	awk -v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" -v g="$gen" -v len="$SAT_SEC" \
		-v s0="$s0" -v s1="$s1" -v w0="$w0" -v w1="$w1" -v n="$(nproc)" -v hz="$(getconf CLK_TCK)" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		/^[0-9]+\.[0-9]+: [0-9.]+$/ { k++; t[k] = $1 + 0; r[k] = $2 + 0 } # a second'"'"'s answers
		END { if (!done) done = 1
		      split(s0, a, " "); split(s1, b, " ")
		      ns = (b[1] - a[1]) / done
		      # the window [x, y], and the answers in it: each count spread over its second
		      split(w0, u, " "); split(w1, v, " "); x = u[1] / 1e9; y = v[1] / 1e9
		      busy = n * (y - x) - (v[2] - u[2]) / hz; got = 0
		      for (i = 1; i <= k; i++) {
			      lo = t[i] - 1 > x ? t[i] - 1 : x; hi = t[i] < y ? t[i] : y
			      if (hi > lo) got += r[i] * (hi - lo)
		      }
		      if (len < 3 || k < 2 || x < t[1] - 1 || y > t[k] || got <= 0) { print "bench: no steady window in the run" > "/dev/stderr"; got = 1; busy = 0 }
		      gw = g * (y - x) / len
		      printf "%.0f %.2f %.2f %.2f %.2f %.0f %.3f %.2f\n", qps, 100 * lost / (done + lost),
			     busy * 1e6 / got, p * 1e6 / done, (busy - gw) * 1e6 / got, ns,
			     p * 1e6 / done + ns / 1000, (b[2] - a[2]) / done }' "$LAB_TMP/dnsperf.out"
}

# fixed load: prints "p50 p99 p99.9" in microseconds
latency() {
	lab_client dnsperf -s "$LAB_CACHE4" -d "$LAB_TMP/hits.q" -l "$LAT_SEC" -Q "$LAT_QPS" -v 2>/dev/null |
		awk '$1 == ">" && $2 == "NOERROR" { print $NF * 1e6 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		      printf "%.0f %.0f %.0f\n", v[int(NR * .5) + 1], v[int(NR * .99) + 1], v[int(NR * .999) + 1] }'
}

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

# The xdpdns XDP program's own run time on the NIC, from the kernel's BPF statistics (on for
# the whole benchmark: every program pays the same two clock reads for it). Prints "ns count".
xdp_run_stats() {
	local ids
	read -ra ids <<<"$(path_prog nic)"
	prog_stats "${ids[@]}"
}
xdp_run_since() { # xdp_run_since MARK: ns per run since MARK, or nothing if it did not run
	local now
	now=$(xdp_run_stats)
	awk -v a="$1" -v b="$now" 'BEGIN { split(a, x, " "); split(b, y, " ")
		if (y[2] > x[2]) printf "%.0f\n", (y[1] - x[1]) / (y[2] - x[2]) }'
}

median_spread() { # reads numbers, prints "median (min-max)"
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
col() { awk -v k="$2" '{ print $k }' "$1" | median_spread; }
num() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
