#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: xdpdns against the caches people run, side by side in one run, in the lab of
# tools/node_lab.sh: the node runs one cache at a time as a caching forwarder to the upstream
# host (nsd with a generated zone), and is asked from three places: a client through the NIC,
# the node's own processes over lo (the service address on lo, as a host's resolv.conf would),
# and a pod on a routed veth (Calico's layout). Two generators: kxdpgun (AF_XDP) through the
# NIC for fixed rates and the loss-bounded ceiling, which dnsperf cannot reach against the XDP
# path; dnsperf for saturation with flow control, Zipf, latency, and the lo and pod paths.
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
trap 'node_down' EXIT
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
sort -u "$LAB_TMP/zipf.q" | grep '^nx' >"$LAB_TMP/zipf-warm.q" || true # its names not in hits.q

# ---- the caches, each a caching forwarder to the upstream on the cache host's address ----
start_cache() { # start_cache NAME: runs it in the background; CACHE_PID is the process to watch
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	case $1 in
	xdpdns | xdpdns-user)
		local attach=(--attach lo --attach 'xr*')
		[ "$1" = xdpdns-user ] && attach=()
		lab_daemon "$dir/log" --health-query "bench.example. SOA" --max-ttl 86400 \
			--listen "$LAB_CACHE4" --listen "$NODE_SVC4" "${attach[@]}" >/dev/null
		CACHE_PID=$LAB_DAEMON_PID
		[ "$1" = xdpdns-user ] && ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
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
# native XDP on the NIC, generic XDP on lo, TC on the routed pod's host veth. By id, not by
# name: other runs on this machine load programs of the same name.
path_prog() {
	case $1 in
	nic) ip -n "$NODE" -o link show "$LAB_IF_CACHE" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' ;;
	local) ip -n "$NODE" -o link show lo | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' ;;
	pod) tc -n "$NODE" filter show dev "xr1-$$" ingress 2>/dev/null |
		sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -1 ;;
	esac
}
prog_stats() { # prog_stats ID...: "run_time_ns run_cnt", summed, from the kernel's statistics
	local id
	for id in "$@"; do bpftool -j prog show id "$id" 2>/dev/null || true; done |
		jq -rs '(map(.run_time_ns // 0) | add) as $t | (map(.run_cnt // 0) | add) as $c |
			"\($t // 0) \($c // 0)"'
}

# dnsperf at saturation (flow control: at most 1000 queries outstanding) over SET from PATH
# (nic: the client through the NIC; local: the node itself, over lo; pod: the routed pod):
# prints "qps lost% machine_us/q process_us/q machine-less-generator-user_us/q prog_ns/q own_us/q
# prog_runs/q". The generator shares the machine: the fifth figure takes out its user time, and
# only that. Its system time stays in: on a veth the receiver's softirq work, XDP included, runs
# in the sender's context and is charged to it; taking it out would take out xdpdns. prog_ns:
# the kernel's run time of the cache's program on that path per answer (0 for the others);
# own: the cache's own work per answer, its process CPU plus prog_ns.
saturate() {
	local set=$1 path=${2:-nic} mark p0 busy p1 gen ids s0 s1 gencmd target=$NODE_SVC4
	case $path in
	nic) gencmd=(lab_client) target=$LAB_CACHE4 ;;
	local) gencmd=(node) ;;
	pod) gencmd=(in_ns "$POD") ;;
	esac
	read -ra ids <<<"$(path_prog "$path")"
	s0=$(prog_stats "${ids[@]}")
	mark=$(busy_mark)
	p0=$(proc_cpu "$CACHE_PID")
	TIMEFORMAT='%U %S'
	{ time "${gencmd[@]}" dnsperf -s "$target" -d "$LAB_TMP/$set.q" -l "$SAT_SEC" -c 4 -T 2 \
		-q 1000 -t 1 >"$LAB_TMP/dnsperf.out" 2>&1; } 2>"$LAB_TMP/dnsperf.time"
	busy=$(busy_since "$mark")
	p1=$(proc_cpu "$CACHE_PID")
	s1=$(prog_stats "${ids[@]}")
	gen=$(awk '{ print $1 }' "$LAB_TMP/dnsperf.time")
	awk -v c="$busy" -v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" -v g="$gen" \
		-v s0="$s0" -v s1="$s1" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		END { if (!done) done = 1
		      split(s0, a, " "); split(s1, b, " ")
		      ns = (b[1] - a[1]) / done
		      printf "%.0f %.2f %.2f %.2f %.2f %.0f %.3f %.2f\n", qps, 100 * lost / (done + lost),
			     c * 1e6 / done, p * 1e6 / done, (c - g) * 1e6 / done, ns,
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

bpf_stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
trap 'echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled; lab_down' EXIT
node_up 0 1
lab_upstream bench.example "$zone" "$NODE_UPSTREAM4"
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
# the same in generic XDP on the node's lo and on the pod's host veth, with dnsperf as against
# the caches: its ceiling on those paths
CACHE_PID=$$ # saturate() reads a process's CPU: this shell's, never used
for path in local pod; do
	dev=lo
	[ "$path" = pod ] && dev=xr1-$$
	ip -n "$NODE" link set dev "$dev" xdpgeneric obj "$LAB_OUT/bench_reflect.bpf.o" sec xdp
	for r in $(seq "$ROUNDS"); do saturate hits "$path" >>"$LAB_TMP/reflect.$path"; done
	ip -n "$NODE" link set dev "$dev" xdpgeneric off
done
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
		saturate hits local >>"$LAB_TMP/$CACHE.local"
		saturate hits pod >>"$LAB_TMP/$CACHE.pod"
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
	local path best bq bm bo q m o qs ms os ceil lim ns nss hook what
	echo "Targets (issue 11), against the best userspace cache of this run; medians, spread over $ROUNDS rounds:"
	echo
	for path in local pod; do
		what="host-local clients (lo)"
		[ "$path" = pod ] && what="routed-veth pod"
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
				echo "; generator's ceiling on this path $ceil qps")"
		printf -- "- %s, <= 1/2 the machine CPU per answer of the best (%s, %s µs): %s µs, %s\n" "$what" \
			"$bmn" "$bm" "$m" "$(verdict "$m" "$(awk -v b="$bm" 'BEGIN { print b / 2 }')" "$ms" 1)"
		printf -- "- %s, <= 1/3 the own CPU per answer of the best (%s, %s µs): %s µs, %s\n" "$what" \
			"$bon" "$bo" "$o" "$(verdict "$o" "$(awk -v b="$bo" 'BEGIN { print b / 3 }')" "$os" 1)"
	done
	for path in nic local pod; do
		case $path in
		nic) hook="native XDP on the NIC (kxdpgun, $BASE_QPS qps)" f=$LAB_TMP/xdpdns.xdpns k=1 ;;
		local) hook="generic XDP on lo (dnsperf, saturation)" f=$LAB_TMP/xdpdns.local k=6 ;;
		pod) hook="TC on a pod's veth (dnsperf, saturation)" f=$LAB_TMP/xdpdns.pod k=6 ;;
		esac
		[ -s "$f" ] || continue
		ns=$(num "$f" "$k") nss=$(spread "$f" "$k")
		printf -- "- kernel program <= 250 ns per answered packet, %s, %s names: %s ns (%s), %s\n" "$hook" \
			"$NAMES" "$ns" "$(col "$f" "$k")" "$(verdict "$ns" 250 "$nss" 1)"
	done
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
		echo "xdpdns's XDP program on the NIC in the $BASE_QPS qps runs: $(median_spread <"$LAB_TMP/xdpdns.xdpns") ns per packet (kernel BPF statistics; one run per answer)." && echo
	for path in local pod; do
		if [ "$path" = local ]; then
			echo "The node's own clients: dnsperf on the node, asking $NODE_SVC4 on lo (xdpdns: generic XDP on lo)."
		else
			echo "A pod on a routed veth: dnsperf in the pod, asking $NODE_SVC4 (xdpdns: TC on the pod's host veth)."
		fi
		echo "Saturation (at most 1000 outstanding), hits. The generator against a reflector in generic"
		echo "XDP on the same device: $(col "$LAB_TMP/reflect.$path" 1) qps, its ceiling on this path."
		echo "Machine: all CPUs per answer, generator included. Own: the cache's process CPU per answer;"
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
		printf "%s %s %s %s %s\n" "$c" "$(num "$LAB_TMP/$c.kx" 1)" "$(num "$LAB_TMP/$c.local" 1)" \
			"$(num "$LAB_TMP/$c.pod" 1)" "$(num "$LAB_TMP/$c.local" 7)"
	done | awk '{ for (i = 2; i <= NF; i++) if ($i == "") $i = 0; print }' >"$LAB_TMP/plot.dat"
	gnuplot <<-EOF
	set terminal png size 1200,800
	set output "$results/caches-$stamp.png"
	set multiplot layout 2,2
	set style fill solid
	set boxwidth 0.6
	set yrange [0:*]
	set xtics rotate by -30
	set title "NIC: hits qps with loss <= 0.1% (kxdpgun)"
	plot "$LAB_TMP/plot.dat" using 0:2:xtic(1) with boxes notitle
	set title "host-local clients over lo: hits qps (dnsperf, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:3:xtic(1) with boxes notitle
	set title "routed pod: hits qps (dnsperf, saturation)"
	plot "$LAB_TMP/plot.dat" using 0:4:xtic(1) with boxes notitle
	set title "host-local: own CPU µs per answer (process; xdpdns: + BPF run time)"
	plot "$LAB_TMP/plot.dat" using 0:5:xtic(1) with boxes notitle
	unset multiplot
	EOF
	echo "bench: wrote $md and ${md%.md}.png" >&2
fi
