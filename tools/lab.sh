# SPDX-License-Identifier: GPL-2.0
# Sourced, not run: a two-namespace lab for the demo and the end-to-end tests.
#   client netns  xd-client 192.0.2.7   2001:db8::7   (XDP_PASS, so XDP_TX replies arrive)
#   cache netns   xd-cache  192.0.2.53  2001:db8::53
# Names carry the caller's PID so runs never collide. lab_down removes everything, and the
# caller's EXIT trap must call it.

LAB_OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.output
LAB_CLIENT=xdpdns-client-$$
LAB_CACHE=xdpdns-cache-$$
LAB_CACHE4=192.0.2.53
LAB_CACHE6=2001:db8::53
LAB_PIDS=()

lab_up() {
	ip netns add "$LAB_CLIENT"
	ip netns add "$LAB_CACHE"
	ip link add xd-client netns "$LAB_CLIENT" type veth peer name xd-cache netns "$LAB_CACHE"
	ip -n "$LAB_CLIENT" addr add 192.0.2.7/24 dev xd-client
	ip -n "$LAB_CLIENT" addr add 2001:db8::7/64 dev xd-client nodad
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE4/24" dev xd-cache
	ip -n "$LAB_CACHE" addr add "$LAB_CACHE6/64" dev xd-cache nodad
	ip -n "$LAB_CLIENT" link set lo up
	ip -n "$LAB_CACHE" link set lo up
	ip -n "$LAB_CLIENT" link set xd-client up
	ip -n "$LAB_CACHE" link set xd-cache up
	# a veth hands XDP_TX frames to its peer only if the peer runs XDP too
	ip -n "$LAB_CLIENT" link set dev xd-client xdpdrv obj "$LAB_OUT/pass.bpf.o" sec xdp
}

# lab_bg CMD...: runs CMD in the background (its PID is killed by lab_down)
lab_bg() {
	"$@" &
	LAB_PIDS+=($!)
}

lab_down() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	ip netns del "$LAB_CLIENT" 2>/dev/null || true
	ip netns del "$LAB_CACHE" 2>/dev/null || true
	return 0
}

lab_client() {
	ip netns exec "$LAB_CLIENT" "$@"
}

# lab_demo ZONE LOG: serves ZONE from the XDP program on the cache side; waits until attached.
lab_demo() {
	local i
	lab_bg ip netns exec "$LAB_CACHE" "$LAB_OUT/xdpdns_demo" --iface xd-cache \
		--listen "$LAB_CACHE4" --listen "$LAB_CACHE6" --zone "$1" --seconds 600 >"$2" 2>&1
	LAB_DEMO_PID=${LAB_PIDS[-1]}
	for i in $(seq 50); do
		grep -q answering "$2" && return 0
		kill -0 "$LAB_DEMO_PID" 2>/dev/null || break
		sleep 0.2
	done
	cat "$2" >&2
	return 1
}

# lab_counter LOG NAME: the demo's kernel counter NAME now (0 if it has not moved yet)
lab_counter() {
	local before
	before=$(grep -c "kernel counters" "$1" || true)
	kill -USR1 "$LAB_DEMO_PID"
	for _ in $(seq 50); do
		[ "$(grep -c "kernel counters" "$1" || true)" -gt "$before" ] && break
		sleep 0.05
	done
	awk -v n="$2" '/kernel counters/ { v = 0 } $1 == n { v = $2 } END { print v + 0 }' "$1"
}
