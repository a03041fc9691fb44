# SPDX-License-Identifier: GPL-2.0
# Sourced, not run: a two-namespace lab for the demo and the end-to-end tests.
#   client netns  xdc-PID  192.0.2.7   2001:db8::7   (XDP_PASS, so XDP_TX replies arrive)
#   cache netns   xds-PID  192.0.2.53  2001:db8::53
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
	rm -rf "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE"
	ip netns del "$LAB_CLIENT" 2>/dev/null || true
	ip netns del "$LAB_CACHE" 2>/dev/null || true
	return 0
}

lab_client() {
	ip netns exec "$LAB_CLIENT" "$@"
}

# lab_demo ZONE LOG [ARGS...]: serves ZONE from the XDP program on the cache side, logging to
# LOG; returns once it answers.
lab_demo() {
	local i zone=$1 log=$2
	shift 2
	lab_cache_bg "$LAB_OUT/xdpdns_demo" --iface "$LAB_IF_CACHE" --listen "$LAB_CACHE4" \
		--listen "$LAB_CACHE6" --zone "$zone" --seconds 600 "$@" >"$log" 2>&1
	LAB_DEMO_PID=${LAB_PIDS[-1]}
	for i in $(seq 50); do
		grep -q answering "$log" && return 0
		kill -0 "$LAB_DEMO_PID" 2>/dev/null || break
		sleep 0.2
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
