# SPDX-License-Identifier: GPL-2.0
# Sourced, after lab.sh: a Kubernetes node in namespaces, for tests/e2e_node.sh and make bench.
#   node netns      lo: 169.254.20.10, fd00:53::10 (the service address: the host's own
#                       clients ask it there, pods are routed to it)
#                   xnb-PID: a bridge (cni0), 10.88.0.1/24, fd00:88::1/64, pods on it
#                   xrN-PID: routed pods (Calico's layout: /32 and /128 routes to a host veth
#                            without an address, the pod's gateway 169.254.1.1 / fe80::1 a
#                            static neighbour)
#                   xds-PID: the NIC, 192.0.2.53 2001:db8::53, to a client (xdc-PID)
#                   xdn-PID: to the upstream host, 198.51.100.1
# Pods are namespaces named xdpdns-bpN-PID and xdpdns-rpN-PID, listed in NODE_PODS; node_down
# removes them and then the lab (the caller's EXIT trap must call it).

NODE=$LAB_CACHE
NODE_BR=xnb-$$
NODE_SVC4=169.254.20.10
NODE_SVC6=fd00:53::10
NODE_UPSTREAM4=198.51.100.1
NODE_PODS=()

node() { nsenter --net="/run/netns/$NODE" "$@"; }
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# bridge_pod N: a pod on the bridge
bridge_pod() {
	local ns=xdpdns-bp$1-$$
	ip netns add "$ns" && NODE_PODS+=("$ns")
	ip -n "$ns" link set lo up
	ip link add "xb$1-$$" netns "$NODE" type veth peer name eth0 netns "$ns"
	ip -n "$NODE" link set "xb$1-$$" master "$NODE_BR" up
	ip -n "$ns" addr add "10.88.0.$((10 + $1))/24" dev eth0
	ip -n "$ns" addr add "fd00:88::$((10 + $1))/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via 10.88.0.1
	ip -n "$ns" -6 route add default via fd00:88::1
}

# routed_pod N: a pod on its own veth, routed (Calico): /32 and /128, a link-local gateway
routed_pod() {
	local ns=xdpdns-rp$1-$$ host=xr$1-$$ mac
	ip netns add "$ns" && NODE_PODS+=("$ns")
	ip -n "$ns" link set lo up
	ip link add "$host" netns "$NODE" type veth peer name eth0 netns "$ns"
	ip -n "$NODE" link set "$host" up
	mac=$(ip -n "$NODE" -o link show "$host" | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
	ip -n "$ns" addr add "$(routed_pod_addr "$1")/32" dev eth0
	ip -n "$ns" addr add "fd00:244::$(printf %x "$1")/128" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add 169.254.1.1 dev eth0 scope link
	ip -n "$ns" route add default via 169.254.1.1 dev eth0
	ip -n "$ns" neigh add 169.254.1.1 lladdr "$mac" dev eth0 nud permanent
	ip -n "$ns" -6 route add default via fe80::1 dev eth0
	ip -n "$ns" -6 neigh add fe80::1 lladdr "$mac" dev eth0 nud permanent
	ip -n "$NODE" route add "$(routed_pod_addr "$1")/32" dev "$host"
	ip -n "$NODE" -6 route add "fd00:244::$(printf %x "$1")/128" dev "$host"
}
routed_pod_addr() { echo "10.244.$(($1 / 250)).$(($1 % 250 + 1))"; }

delete_pod() {
	ip netns del "$1" 2>/dev/null
}

# node_up BRIDGE_PODS ROUTED_PODS: the node, its NIC and client, the upstream's link, the
# bridge with its pods and the routed pods; returns once the client and upstream answer pings
node_up() {
	local ns i
	for ns in "$NODE" "$LAB_CLIENT" "$LAB_UP_NS"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	node sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$NODE" addr add "$NODE_SVC4/32" dev lo
	ip -n "$NODE" addr add "$NODE_SVC6/128" dev lo
	# the NIC and its client (the client's end runs XDP_PASS: native XDP_TX needs it)
	ip link add "$LAB_IF_CACHE" netns "$NODE" type veth peer name "$LAB_IF_CLIENT" \
		netns "$LAB_CLIENT"
	ip -n "$NODE" addr add "$LAB_CACHE4/24" dev "$LAB_IF_CACHE"
	ip -n "$NODE" addr add "$LAB_CACHE6/64" dev "$LAB_IF_CACHE" nodad
	ip -n "$LAB_CLIENT" addr add 192.0.2.7/24 dev "$LAB_IF_CLIENT"
	ip -n "$LAB_CLIENT" addr add 2001:db8::7/64 dev "$LAB_IF_CLIENT" nodad
	ip -n "$NODE" link set "$LAB_IF_CACHE" up
	ip -n "$LAB_CLIENT" link set "$LAB_IF_CLIENT" up
	ip -n "$LAB_CLIENT" link set dev "$LAB_IF_CLIENT" xdpdrv obj "$LAB_OUT/pass.bpf.o" sec xdp
	# the upstream
	ip link add "$LAB_IF_UP_PEER" netns "$NODE" type veth peer name "$LAB_IF_UP" netns "$LAB_UP_NS"
	ip -n "$NODE" addr add 198.51.100.53/24 dev "$LAB_IF_UP_PEER"
	ip -n "$LAB_UP_NS" addr add "$NODE_UPSTREAM4/24" dev "$LAB_IF_UP"
	ip -n "$NODE" link set "$LAB_IF_UP_PEER" up
	ip -n "$LAB_UP_NS" link set "$LAB_IF_UP" up
	# the bridge and its pods, the routed pods
	ip -n "$NODE" link add "$NODE_BR" type bridge
	ip -n "$NODE" addr add 10.88.0.1/24 dev "$NODE_BR"
	ip -n "$NODE" addr add fd00:88::1/64 dev "$NODE_BR" nodad
	ip -n "$NODE" link set "$NODE_BR" up
	for i in $(seq "$1"); do bridge_pod "$i" || return 1; done
	for i in $(seq "$2"); do routed_pod "$i" || return 1; done
	in_ns "$LAB_CLIENT" ping -c1 -W2 "$LAB_CACHE4" >/dev/null &&
		node ping -c1 -W2 "$NODE_UPSTREAM4" >/dev/null
}

node_down() {
	local ns
	for ns in "${NODE_PODS[@]}"; do delete_pod "$ns"; done
	lab_down
}
