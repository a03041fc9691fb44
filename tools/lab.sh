# SPDX-License-Identifier: GPL-2.0
# Sourced, not run: a three-namespace lab for the demo and the end-to-end tests, one segment:
#   client netns    br0 192.0.2.7  2001:db8::7, bridging xdc-PID and xdn-PID
#   cache netns     xds-PID  192.0.2.53  2001:db8::53  (peer xdc-PID)  xdpdnsd, XDP
#   upstream netns  xdu-PID  192.0.2.1   2001:db8::1   (peer xdn-PID)  nsd
# The cache's upstream traffic crosses the XDP interface like its clients' (its replies must
# pass untouched). xdc-PID runs XDP_PASS: a veth hands XDP_TX frames to its peer only then.
# Names carry the caller's PID so runs never collide: bpffs is one for all network namespaces,
# and the cache's pins go by interface name. lab_down removes everything (namespaces, pins,
# processes); the caller's EXIT trap must call it.

LAB_OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.output
LAB_CLIENT=xdpdns-client-$$
LAB_CACHE=xdpdns-cache-$$
LAB_UP_NS=xdpdns-upstream-$$
LAB_CACHE4=192.0.2.53
LAB_CACHE6=2001:db8::53
LAB_IF_CLIENT=xdc-$$
LAB_IF_CACHE=xds-$$
LAB_IF_UP_PEER=xdn-$$
LAB_IF_UP=xdu-$$
LAB_PIDS=()
LAB_TMP=$(mktemp -d)
LAB_UPSTREAM4=192.0.2.1
LAB_UPSTREAM=$LAB_UPSTREAM4:53

lab_up() {
	local ns
	for ns in "$LAB_CLIENT" "$LAB_CACHE" "$LAB_UP_NS"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add "$LAB_IF_CLIENT" netns "$LAB_CLIENT" type veth \
		peer name "$LAB_IF_CACHE" netns "$LAB_CACHE"
	ip link add "$LAB_IF_UP_PEER" netns "$LAB_CLIENT" type veth \
		peer name "$LAB_IF_UP" netns "$LAB_UP_NS"
	ip -n "$LAB_CLIENT" link add br0 type bridge
	ip -n "$LAB_CLIENT" link set "$LAB_IF_CLIENT" master br0
	ip -n "$LAB_CLIENT" link set "$LAB_IF_UP_PEER" master br0
	ip -n "$LAB_CLIENT" addr add 192.0.2.7/24 dev br0
	ip -n "$LAB_CLIENT" addr add 2001:db8::7/64 dev br0 nodad
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE4/24" dev "$LAB_IF_CACHE"
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE6/64" dev "$LAB_IF_CACHE" nodad
	ip -n "$LAB_UP_NS" addr add "$LAB_UPSTREAM4/24" dev "$LAB_IF_UP"
	ip -n "$LAB_UP_NS" addr add 2001:db8::1/64 dev "$LAB_IF_UP" nodad
	ip -n "$LAB_CLIENT" link set br0 up
	ip -n "$LAB_CLIENT" link set "$LAB_IF_CLIENT" up
	ip -n "$LAB_CLIENT" link set "$LAB_IF_UP_PEER" up
	ip -n "$LAB_CACHE" link set "$LAB_IF_CACHE" up
	ip -n "$LAB_UP_NS" link set "$LAB_IF_UP" up
	ip -n "$LAB_CLIENT" link set dev "$LAB_IF_CLIENT" xdpdrv obj "$LAB_OUT/pass.bpf.o" sec xdp
	# the client's C library resolver asks the cache (ip netns exec mounts this on /etc)
	mkdir -p "/etc/netns/$LAB_CLIENT"
	printf 'nameserver %s\nnameserver %s\noptions timeout:2 attempts:1\n' \
		"$LAB_CACHE4" "$LAB_CACHE6" >"/etc/netns/$LAB_CLIENT/resolv.conf"
	# what fails above goes on silently: the lab is up when the client reaches both hosts
	lab_client ping -c1 -W2 "$LAB_CACHE4" >/dev/null &&
		lab_client ping -c1 -W2 "$LAB_UPSTREAM4" >/dev/null
}

# lab_cache CMD...: runs CMD in the cache's network namespace. Not `ip netns exec`: that mounts
# a fresh /sys without bpffs, and pins made there would be seen by no one else.
lab_cache() {
	nsenter --net="/run/netns/$LAB_CACHE" "$@"
}

# lab_bg NETNS CMD...: CMD in the background in NETNS; nsenter execs CMD, so $! is CMD itself
# (lab_down kills it)
lab_bg() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@" &
	LAB_PIDS+=($!)
}

# lab_wait_bound NETNS PORT [udp|tcp]: returns once something in NETNS listens on PORT (5 s at
# most): a server started with lab_bg binds a moment later, and a daemon asking it before then
# gets "port unreachable", a failure it remembers (servfail-ttl)
lab_wait_bound() {
	local ns=$1 port=$2 proto=${3:-udp} flag=-u
	[ "$proto" = tcp ] && flag=-t
	for _ in $(seq 50); do
		ip netns exec "$ns" ss -Hln $flag "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on $proto port $port in $ns" >&2
	return 1
}

lab_down() {
	local pid ns
	# the caller's background loads first (a load loop would go on against removed namespaces)
	kill $(jobs -p) 2>/dev/null
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	# whatever else still runs in the lab's namespaces outlived its test (a daemon started by
	# a function put in the background, say): said, and stopped
	for ns in "$LAB_CLIENT" "$LAB_CACHE" "$LAB_UP_NS"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			echo "lab_down: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)(pid $pid) outlived its test" >&2
			kill "$pid" 2>/dev/null
		done
	done
	# a program left attached (kill -9, --keep): take it off (xdpdns attaches alone, without
	# libxdp's dispatcher: no dispatcher pins to remove, which went by an ifindex that other
	# namespaces' interfaces share)
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off 2>/dev/null || true
	# every interface of the lab ends in -PID: so do its pins (the maps and the program,
	# xdpdns_prog) and control sockets
	rm -rf /sys/fs/bpf/xdpdns/*-"$$" /sys/fs/bpf/xdpdns-linkloss/*-"$$" /run/xdpdns/*-"$$".sock \
		"/etc/netns/$LAB_CLIENT" "$LAB_TMP"
	ip netns del "$LAB_CLIENT" 2>/dev/null || true
	ip netns del "$LAB_CACHE" 2>/dev/null || true
	ip netns del "$LAB_UP_NS" 2>/dev/null || true
	return 0
}

lab_client() {
	ip netns exec "$LAB_CLIENT" "$@"
}

# lab_upstream ORIGIN ZONEFILE [ADDR [ORIGIN ZONEFILE]...]: nsd serving the zone (and the
# further zones given after ADDR) on the upstream host (at ADDR, default LAB_UPSTREAM4, which
# must be on the upstream's interface), in the foreground of its own process (LAB_NSD_PID,
# killed by lab_down); returns once it answers. LAB_NSD_SERVER: more lines for its server:
# section (a tab before each). Response rate limiting is off: Debian's nsd limits answers to
# 200 a second a /24 (NXDOMAINs of a zone share one bucket) and drops the rest, which no
# recursive upstream or cluster DNS does to its clients: the caches' misses timed out and the
# daemon, rightly, saw its upstream go down under the bench's Zipf load.
lab_upstream() {
	local addr=${3:-$LAB_UPSTREAM4} origin=$1 dir
	dir=$LAB_TMP/nsd-$addr
	mkdir -p "$dir"
	cat >"$dir/nsd.conf" <<-EOF
	server:
		ip-address: $addr@53
		username: ""
		chroot: ""
		zonesdir: "$dir"
		pidfile: "$dir/nsd.pid"
		xfrdfile: "$dir/xfrd.state"
		zonelistfile: "$dir/zone.list"
		logfile: "$dir/nsd.log"
		server-count: 1
		do-ip6: no
		rrl-ratelimit: 0
		rrl-whitelist-ratelimit: 0
	${LAB_NSD_SERVER:-}
	remote-control:
		control-enable: no
	EOF
	set -- "$1" "$2" "${@:4}"
	while [ $# -ge 2 ]; do
		cp "$2" "$dir/$1.zone"
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s.zone"\n' "$1" "$1" >>"$dir/nsd.conf"
		shift 2
	done
	lab_bg "$LAB_UP_NS" nsd -d -c "$dir/nsd.conf"
	LAB_NSD_PID=${LAB_PIDS[-1]}
	for _ in $(seq 50); do
		nsenter --net="/run/netns/$LAB_UP_NS" dig +time=1 +tries=1 +short \
			@"$addr" "$origin" SOA | grep -q . && return 0
		sleep 0.1
	done
	cat "$dir/nsd.log" >&2
	return 1
}

# lab_daemon LOG [ARGS...]: xdpdnsd on the cache host, upstream nsd, logging to LOG; returns
# once it serves. Its PID is LAB_DAEMON_PID. Its snapshot is LAB_SNAPSHOT, in the lab's
# directory (not the host's /var/lib/xdpdns): ARGS may say otherwise. LAB_DAEMON_BIN runs
# another build of it (the sanitizer's, .output/san/xdpdnsd).
LAB_SNAPSHOT=$LAB_TMP/xdpdns.snapshot
LAB_DAEMON_BIN=${LAB_DAEMON_BIN:-$LAB_OUT/xdpdnsd}
lab_daemon() {
	local log=$1
	shift
	lab_bg "$LAB_CACHE" "$LAB_DAEMON_BIN" --iface "$LAB_IF_CACHE" --upstream "$LAB_UPSTREAM" \
		--snapshot-file "$LAB_SNAPSHOT" "$@" >"$log" 2>&1
	LAB_DAEMON_PID=${LAB_PIDS[-1]}
	for _ in $(seq 50); do
		grep -q "serving" "$log" && return 0
		kill -0 "$LAB_DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}

# lab_ctl ARGS...: xdpdnsctl for the lab's cache
lab_ctl() {
	"$LAB_OUT/xdpdnsctl" --iface "$LAB_IF_CACHE" "$@"
}

# lab_upstream_sum FIELD: a counter of `xdpdnsctl health` (queries, answers, timeouts, bogus)
# summed over the upstreams, now
lab_upstream_sum() {
	lab_ctl health | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

# lab_counter NAME: a counter of the lab's cache, now: the kernel's or the daemon's, by the
# name `xdpdnsctl stats` gives it
lab_counter() {
	lab_ctl stats | awk -v n="$1" '$1 == n { print $2 }'
}

# lab_kxdpgun ARGS...: kxdpgun (AF_XDP) from the client end of the cache's veth, from the
# client's address. It attaches its own XDP program there for the replies; the pass program
# goes back on when it ends, or XDP_TX answers would vanish for every other client.
lab_kxdpgun() {
	local rc=0
	ip -n "$LAB_CLIENT" link set dev "$LAB_IF_CLIENT" xdp off
	lab_client kxdpgun -I "$LAB_IF_CLIENT" -l 192.0.2.7 "$@" || rc=$?
	ip -n "$LAB_CLIENT" link set dev "$LAB_IF_CLIENT" xdpdrv obj "$LAB_OUT/pass.bpf.o" sec xdp
	return $rc
}

# lab_link_loss PERCENT [--port N] | off: packet loss on the upstream's link, both ways, with
# xdpdns-linkloss; never on the cache's interface, where xdpdns runs. Queries are dropped as
# they reach the upstream host (ingress of LAB_IF_UP), answers as they reach the client's
# bridge from it (ingress of LAB_IF_UP_PEER: XDP runs on a bridge port before the bridge sees
# the frame). `off` prints each end's counts. nsenter keeps the pins in the shared bpffs.
lab_link_loss() {
	nsenter --net="/run/netns/$LAB_UP_NS" "$LAB_OUT/xdpdns-linkloss" "$LAB_IF_UP" "$@" &&
		nsenter --net="/run/netns/$LAB_CLIENT" "$LAB_OUT/xdpdns-linkloss" \
			"$LAB_IF_UP_PEER" "$@"
}
