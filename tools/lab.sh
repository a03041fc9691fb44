# SPDX-License-Identifier: GPL-2.0
# Sourced, not run: a two-namespace lab for the demo and the end-to-end tests.
#   client netns  xdc-PID  192.0.2.7   2001:db8::7   (XDP_PASS, so XDP_TX replies arrive)
#   cache netns   xds-PID  192.0.2.53  2001:db8::53  xdpdnsd; nsd on its 127.0.0.1:5353
# Names carry the caller's PID so runs never collide: bpffs is one for all network namespaces,
# and the cache's pins go by interface name. lab_down removes everything (namespaces, pins,
# libxdp's dispatcher, processes); the caller's EXIT trap must call it.

LAB_OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.output
LAB_CLIENT=xdpdns-client-$$
LAB_CACHE=xdpdns-cache-$$
LAB_CACHE4=192.0.2.53
LAB_CACHE6=2001:db8::53
LAB_IF_CLIENT=xdc-$$
LAB_IF_CACHE=xds-$$
LAB_PIDS=()
LAB_TMP=$(mktemp -d)
LAB_UPSTREAM=127.0.0.1:5353

lab_up() {
	ip netns add "$LAB_CLIENT"
	ip netns add "$LAB_CACHE"
	ip link add "$LAB_IF_CLIENT" netns "$LAB_CLIENT" type veth \
		peer name "$LAB_IF_CACHE" netns "$LAB_CACHE"
	ip -n "$LAB_CLIENT" addr add 192.0.2.7/24 dev "$LAB_IF_CLIENT"
	ip -n "$LAB_CLIENT" addr add 2001:db8::7/64 dev "$LAB_IF_CLIENT" nodad
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE4/24" dev "$LAB_IF_CACHE"
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE6/64" dev "$LAB_IF_CACHE" nodad
	ip -n "$LAB_CLIENT" link set lo up
	ip -n "$LAB_CACHE" link set lo up
	ip -n "$LAB_CLIENT" link set "$LAB_IF_CLIENT" up
	ip -n "$LAB_CACHE" link set "$LAB_IF_CACHE" up
	# a veth hands XDP_TX frames to its peer only if the peer runs XDP too
	ip -n "$LAB_CLIENT" link set dev "$LAB_IF_CLIENT" xdpdrv obj "$LAB_OUT/pass.bpf.o" sec xdp
	# the client's C library resolver asks the cache (ip netns exec mounts this on /etc)
	mkdir -p "/etc/netns/$LAB_CLIENT"
	printf 'nameserver %s\nnameserver %s\noptions timeout:2 attempts:1\n' \
		"$LAB_CACHE4" "$LAB_CACHE6" >"/etc/netns/$LAB_CLIENT/resolv.conf"
}

# lab_cache CMD...: runs CMD in the cache's network namespace. Not `ip netns exec`: that mounts
# a fresh /sys without bpffs, and pins made there would be seen by no one else.
lab_cache() {
	nsenter --net="/run/netns/$LAB_CACHE" "$@"
}

# lab_cache_bg CMD...: lab_cache in the background; nsenter execs CMD, so $! is CMD itself
# (lab_down kills it)
lab_cache_bg() {
	nsenter --net="/run/netns/$LAB_CACHE" "$@" &
	LAB_PIDS+=($!)
}

lab_down() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	# a program left attached (kill -9, --keep): take it off, with libxdp's dispatcher pins
	# (not with xdp-loader: its global lock file outlives an interrupted run)
	local ifindex
	ifindex=$(ip -n "$LAB_CACHE" -o link show "$LAB_IF_CACHE" 2>/dev/null | cut -d: -f1)
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off 2>/dev/null || true
	[ -n "$ifindex" ] && rm -rf /sys/fs/bpf/xdp/dispatch-"$ifindex"-*
	rm -rf "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE" "/etc/netns/$LAB_CLIENT" "$LAB_TMP" \
		"/run/xdpdns/$LAB_IF_CACHE.sock"
	ip netns del "$LAB_CLIENT" 2>/dev/null || true
	ip netns del "$LAB_CACHE" 2>/dev/null || true
	return 0
}

lab_client() {
	ip netns exec "$LAB_CLIENT" "$@"
}

# lab_upstream ORIGIN ZONEFILE: nsd serving the zone on the cache's 127.0.0.1:5353, in the
# foreground of its own process (killed by lab_down); returns once it answers.
lab_upstream() {
	cp "$2" "$LAB_TMP/zone"
	cat >"$LAB_TMP/nsd.conf" <<-EOF
	server:
		ip-address: ${LAB_UPSTREAM/:/@}
		username: ""
		chroot: ""
		zonesdir: "$LAB_TMP"
		pidfile: "$LAB_TMP/nsd.pid"
		xfrdfile: "$LAB_TMP/xfrd.state"
		zonelistfile: "$LAB_TMP/zone.list"
		logfile: "$LAB_TMP/nsd.log"
		server-count: 1
		do-ip6: no
	remote-control:
		control-enable: no
	zone:
		name: "$1"
		zonefile: "zone"
	EOF
	lab_cache_bg nsd -d -c "$LAB_TMP/nsd.conf"
	LAB_NSD_PID=${LAB_PIDS[-1]}
	for _ in $(seq 50); do
		lab_cache dig +time=1 +tries=1 +short @127.0.0.1 -p 5353 "$1" SOA | grep -q . && return 0
		sleep 0.1
	done
	cat "$LAB_TMP/nsd.log" >&2
	return 1
}

# lab_daemon LOG [ARGS...]: xdpdnsd on the cache side, upstream nsd, logging to LOG; returns
# once it serves. Its PID is LAB_DAEMON_PID.
lab_daemon() {
	local log=$1
	shift
	lab_cache_bg "$LAB_OUT/xdpdnsd" --iface "$LAB_IF_CACHE" --upstream "$LAB_UPSTREAM" "$@" \
		>"$log" 2>&1
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

# lab_counter NAME: a kernel counter of the lab's cache, now
lab_counter() {
	lab_ctl stats | awk -v n="$1" '$1 == n { print $2 }'
}
