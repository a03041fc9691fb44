#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A Kubernetes node in namespaces, one xdpdnsd for all of it (README "A Kubernetes node"):
#   node netns      lo: 169.254.20.10, fd00:53::10 (the service), the host's own clients
#                       (generic XDP; the others TC, the NIC native XDP: the defaults)
#                   xnb-PID: a bridge (cni0), 10.88.0.1/24, fd00:88::1/64, four pods on it
#                   xrN-PID: four routed pods (Calico's layout: /32 and /128 routes to a host
#                            veth without an address, the pod's gateway 169.254.1.1 / fe80::1
#                            a static neighbour), attach point 'xr*'
#                   xds-PID: the NIC, 192.0.2.53 2001:db8::53, to a client (xdc-PID)
#                   xdn-PID: to the upstream, nsd on 198.51.100.1
# Every cached name asked from every place, IPv4 and IPv6, is answered by the kernel (the
# per-attach-point counters say so; the daemon sees none of it) and matches the upstream's
# answer (ID, flags, TTL aside). Then, under a steady load, pods are made and deleted every
# 200 ms, and the daemon is restarted with keep: nothing unanswered, nothing wrong, every path
# still answered by the kernel. The daemon runs the README's node config.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"
. "$(dirname "$0")/../tools/node_lab.sh"
. "$(dirname "$0")/check.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
INSTANCE=node-$$
BR=$NODE_BR
SVC4=$NODE_SVC4
SVC6=$NODE_SVC6

ask() { in_ns "$1" python3 "$HERE/node_dns.py" ask "$2" "$3" 1 2>>"$LAB_TMP/wrong.log"; }

cleanup() {
	touch "$LAB_TMP/stop"
	node_down
}
trap cleanup EXIT

node_up 4 4 || { echo "node lab: not up"; echo "0 passed, 1 failed"; exit 1; }

zone=$LAB_TMP/node.zone
{
	printf '$ORIGIN node.example.\n$TTL 3600\n'
	printf '@ IN SOA ns.node.example. h.node.example. 1 7200 900 1209600 3600\n@ IN NS ns\n'
	printf 'ns IN A 198.51.100.1\n'
	for i in 1 2 3 4 5 6 7 8; do printf 'n%d IN A 192.0.2.%d\n' "$i" $((100 + i)); done
	for i in 1 2 3 4; do printf 'n%d IN AAAA 2001:db8::%d\n' "$i" $((100 + i)); done
	printf 'multi IN A 192.0.2.201\nmulti IN A 192.0.2.202\nmulti IN A 192.0.2.203\n'
} >"$zone"
{
	for i in 1 2 3 4 5 6 7 8; do echo "n$i.node.example A"; done
	for i in 1 2 3 4; do echo "n$i.node.example AAAA"; done
	echo "multi.node.example A"
} >"$LAB_TMP/names"
lab_upstream node.example "$zone" 198.51.100.1 || { echo "0 passed, 1 failed"; exit 1; }
node python3 "$HERE/node_dns.py" ref 198.51.100.1 "$LAB_TMP/names" "$LAB_TMP/ref" ||
	{ echo "0 passed, 1 failed"; exit 1; }
nq=$(wc -l <"$LAB_TMP/names")

# The README's config for a node, as it says it: the NIC, the host's own clients on lo, the
# bridge, the routed CNI's pattern, the service addresses, the upstream, keep. The lab adds an
# instance, a snapshot file of its own, and a health probe its authoritative upstream answers.
cat >"$LAB_TMP/xdpdns.conf" <<EOF
iface $LAB_IF_CACHE
attach lo
attach $BR
attach xr*
listen $SVC4
listen $SVC6
listen $LAB_CACHE4
listen $LAB_CACHE6
upstream 198.51.100.1
keep yes
instance $INSTANCE
snapshot-file $LAB_TMP/node.snapshot
health-query node.example. SOA
EOF

start_daemon() {
	local log=$1
	: >"$log" # before the loop below reads it
	# nsenter execs the daemon: $! is the daemon itself
	nsenter --net="/run/netns/$NODE" "$LAB_OUT/xdpdnsd" --config "$LAB_TMP/xdpdns.conf" \
		>"$log" 2>&1 &
	DAEMON=$!
	for _ in $(seq 100); do
		grep -q "serving" "$log" && return 0
		kill -0 "$DAEMON" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}
ctl() { node "$LAB_OUT/xdpdnsctl" --instance "$INSTANCE" "$@"; }
# attach_field POINT FIELD: a field of the attach point's line in `xdpdnsctl stats`
attach_field() { ctl stats | awk -v p="$1" -v f="$2=" '$1 == "attach" && $2 == p {
	for (i = 3; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }'; }
daemon_queries() { ctl stats | awk '$1 == "queries_udp" { print $2 }'; }
POINTS=(lo "$BR" "xr*" "$LAB_IF_CACHE")

start_daemon "$LAB_TMP/d1.log" || { echo "0 passed, 1 failed"; exit 1; }
check "attached: the NIC (native XDP), lo (TC egress), the bridge and four routed pods (TC)" \
	test "$(attach_field "$LAB_IF_CACHE" hook)/$(attach_field lo hook)/$(attach_field "$BR" hook)/$(attach_field "xr*" hook)/$(attach_field "xr*" interfaces)" = "xdp/tc-egress/tc/tc/4"

# 1. every cached name from every place, IPv4 and IPv6: answered by the kernel, right
out=$(ask "$NODE" "$SVC4" "$LAB_TMP/ref") # the misses fill the cache
check "filled through the daemon from the host: $out" test "$out" = "answered $nq unanswered 0 wrong 0"
sleep 0.2

# every_place TAG: each place asks every name once per family; checks each answer
every_place() {
	local tag=$1 place ns server out i
	declare -gA before
	for p in "${POINTS[@]}"; do before[$p]=$(attach_field "$p" answered); done
	q0=$(daemon_queries)
	for place in host bp1 bp2 bp3 bp4 rp1 rp2 rp3 rp4 nic; do
		case $place in
		host) ns=$NODE ;;
		bp*) ns=xdpdns-bp${place#bp}-$$ ;;
		rp*) ns=xdpdns-rp${place#rp}-$$ ;;
		nic) ns=$LAB_CLIENT ;;
		esac
		for server in $([ $place = nic ] && echo "$LAB_CACHE4 $LAB_CACHE6" || echo "$SVC4 $SVC6"); do
			out=$(ask "$ns" "$server" "$LAB_TMP/ref")
			[ "$out" = "answered $nq unanswered 0 wrong 0" ] ||
				echo "  $tag: $place asking $server: $out"
			[ "$out" = "answered $nq unanswered 0 wrong 0" ] || return 1
		done
	done
}
check "every name from every place (host on lo, 4 bridge pods, 4 routed pods, the NIC's client), IPv4 and IPv6: right" \
	every_place first
check "... none reached the daemon" test "$(daemon_queries)" -eq "$q0"
check "... each attach point answered its own in the kernel: lo $((2 * nq)), bridge $((8 * nq)), routed $((8 * nq)), NIC $((2 * nq))" \
	test "$(($(attach_field lo answered) - ${before[lo]}))/$(($(attach_field "$BR" answered) - ${before[$BR]}))/$(($(attach_field "xr*" answered) - ${before[xr*]}))/$(($(attach_field "$LAB_IF_CACHE" answered) - ${before[$LAB_IF_CACHE]}))" = \
	"$((2 * nq))/$((8 * nq))/$((8 * nq))/$((2 * nq))"

# bursts as make bench sends them (tools/dnsblast: sendmmsg, 200 outstanding) from the host
# and a routed pod: all answered by the kernel, and dnsblast counts what the kernel answered
# blast NS POINT: prints "completed lost noerror kernel-answered daemon-queries"
blast() {
	local a0 q0 out
	a0=$(attach_field "$2" answered) q0=$(daemon_queries)
	out=$(in_ns "$1" "$LAB_OUT/dnsblast" -s "$SVC4" -d "$LAB_TMP/names" -n 20000 -l 10 -q 200 -t 1)
	awk '/Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 } /Response codes:/ { n = $4 }
		END { printf "%d %d %d ", c, l, n }' <<<"$out"
	echo "$(($(attach_field "$2" answered) - a0)) $(($(daemon_queries) - q0))"
}
out=$(blast "$NODE" lo)
check "a burst of 20000 from the host (dnsblast): all answered on lo, in the kernel: $out" \
	test "$out" = "20000 0 20000 20000 0"
out=$(blast "xdpdns-rp1-$$" "xr*")
check "a burst of 20000 from a routed pod (dnsblast): all answered on its veth, in the kernel: $out" \
	test "$out" = "20000 0 20000 20000 0"

# xdpdnsctl with no option: this cache when it is the only one, else (other tests run on this
# machine) an error naming each, this one among them
out=$(node "$LAB_OUT/xdpdnsctl" stats 2>&1)
check "xdpdnsctl without options: finds the cache, or names it among several" \
	bash -c 'grep -q "^attach xr\* hook=tc" <<<"$1" || grep -q "caches run here (.*$2.*): say which with --instance" <<<"$1"' _ "$out" "$INSTANCE"

# steady load: the host, a bridge pod and a routed pod both families, the NIC's client
# start_load SECONDS: at most that long (stop_load ends it sooner)
LOADS=()
start_load() {
	rm -f "$LAB_TMP/stop" "$LAB_TMP"/load-*.out
	local n=0 spec
	LOADS=()
	for spec in "$NODE $SVC4" "xdpdns-bp1-$$ $SVC4" "xdpdns-bp2-$$ $SVC6" \
		"xdpdns-rp1-$$ $SVC4" "xdpdns-rp2-$$ $SVC6" "$LAB_CLIENT $LAB_CACHE4"; do
		read -r ns server <<<"$spec"
		in_ns "$ns" python3 "$HERE/node_dns.py" load "$server" "$LAB_TMP/ref" "$1" \
			"$LAB_TMP/stop" >"$LAB_TMP/load-$n.out" 2>>"$LAB_TMP/wrong.log" &
		LOADS+=($!)
		n=$((n + 1))
	done
}
# the loads' totals: answered unanswered wrong
stop_load() {
	touch "$LAB_TMP/stop"
	wait "${LOADS[@]}" 2>/dev/null
	cat "$LAB_TMP"/load-*.out | awk '{ a += $2; u += $4; w += $6 } END { print a + 0, u + 0, w + 0 }'
}

# 2. pods made and deleted every 200 ms (or as fast as this machine makes them) under the
# load, 15 times, four routed and two bridge pods of the churn alive at most; each new routed
# pod asks one name as soon as its network is up
head -1 "$LAB_TMP/names" >"$LAB_TMP/one"
node python3 "$HERE/node_dns.py" ref 198.51.100.1 "$LAB_TMP/one" "$LAB_TMP/ref1"
start_load 30
churn_t0=$(date +%s%N)
CHURN_ASKS=()
for k in $(seq 10 24); do
	t0=$(date +%s%N)
	routed_pod "$k"
	# asked while the next pods come; the pod lives two rounds more, 2 s timeout
	ask "xdpdns-rp$k-$$" "$SVC4" "$LAB_TMP/ref1" >"$LAB_TMP/churn-$k.out" &
	CHURN_ASKS+=($!)
	[ "$k" -ge 14 ] && delete_pod "xdpdns-rp$((k - 4))-$$"
	if [ $((k % 2)) = 0 ]; then
		bridge_pod "$k"
		[ "$k" -ge 14 ] && delete_pod "xdpdns-bp$((k - 4))-$$"
	fi
	t=$(( (200000000 - ($(date +%s%N) - t0)) / 1000000 ))
	[ "$t" -gt 0 ] && sleep "0.$(printf %03d "$t")"
done
wait "${CHURN_ASKS[@]}"
churn_ok=$(cat "$LAB_TMP"/churn-*.out | grep -c "^answered 1 unanswered 0 wrong 0$")
churn_bad=$((15 - churn_ok))
read -r answered unanswered wrong < <(stop_load)
echo "churn: 15 routed and 8 bridge pods made, as many deleted, in $((($(date +%s%N) - churn_t0) / 1000000)) ms; new pods answered $churn_ok, not $churn_bad"
echo "load: answered $answered, unanswered $unanswered, wrong $wrong"
check "churn: every new pod answered, right" test "$churn_bad" -eq 0
check "churn: the load lost nothing" test "$unanswered" -eq 0 -a "$answered" -gt 0
check "churn: the load got nothing wrong" test "$wrong" -eq 0
sleep 0.5
check "churn: the pattern follows the pods (4 stable + 4 alive: $(attach_field "xr*" interfaces))" \
	test "$(attach_field "xr*" interfaces)" -eq 8
check "churn: the daemon logged no error" bash -c "! grep -E 'error|warning' '$LAB_TMP/d1.log'"

# 3. the daemon restarted with keep, under the load
start_load 20
sleep 0.5
kill "$DAEMON"
wait "$DAEMON" 2>/dev/null
sleep 0.5 # no daemon: the kernel answers
start_daemon "$LAB_TMP/d2.log"
check "restart: the new daemon took over every attach point, cache kept" \
	grep -qE "replaced the programs of the last run on [0-9]+ interfaces" "$LAB_TMP/d2.log"
check "restart: ... the XDP program swapped" grep -q "replaced the XDP program on $LAB_IF_CACHE" "$LAB_TMP/d2.log"
# the NIC's old program must be found through the pin as it was (e2e_xdp_replace.sh: without
# CAP_SYS_ADMIN, when lo is a new attach point)
check "restart: ... through the old pin, none refused" \
	bash -c "! grep -q 'not used' '$LAB_TMP/d2.log'"
sleep 0.5
read -r answered unanswered wrong < <(stop_load)
echo "restart: answered $answered, unanswered $unanswered, wrong $wrong"
check "restart: the load lost nothing" test "$unanswered" -eq 0 -a "$answered" -gt 0
check "restart: the load got nothing wrong" test "$wrong" -eq 0
check "restart: every path answered by the kernel, right" every_place after
check "restart: ... none reached the daemon" test "$(daemon_queries)" -eq "$q0"

# 4. a stop without keep takes the program off everything, pattern interfaces included
programs_left() { # XDP programs and TC filters of ours, one line each
	for i in $(ip -n "$NODE" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		ip -n "$NODE" -o link show dev "$i" | grep "prog/xdp"
		tc -n "$NODE" filter show dev "$i" ingress 2>/dev/null | grep "xdpdns_tc_serve"
		tc -n "$NODE" filter show dev "$i" egress 2>/dev/null | grep "xdpdns_tc_serve"
	done | wc -l
}
stop_without_keep() {
	sed -i 's/^keep yes$/keep no/' "$LAB_TMP/xdpdns.conf"
	kill -HUP "$DAEMON" # keep is read again on SIGHUP
	sleep 0.3
	kill "$DAEMON"
	wait "$DAEMON" 2>/dev/null
}
stop_without_keep
check "stop without keep: no program left on any interface" test "$(programs_left)" -eq 0

# 5. an upgrade from a daemon that put generic XDP on lo (the default up to 0.2.0): the new
# one puts TC egress there and takes the old program off, the answers go on
sed -i 's/^keep no$/keep yes/; s/^attach lo$/attach lo:xdp-skb/' "$LAB_TMP/xdpdns.conf"
start_daemon "$LAB_TMP/d3.log" && kill "$DAEMON" && wait "$DAEMON" 2>/dev/null
sed -i 's/^attach lo:xdp-skb$/attach lo/' "$LAB_TMP/xdpdns.conf"
check "upgrade: lo had the old daemon's generic XDP" bash -c "ip -n '$NODE' -o link show lo | grep -q prog/xdp"
start_daemon "$LAB_TMP/d4.log"
check "upgrade: ... the new daemon took it off, TC egress there now" \
	bash -c "grep -q 'took the XDP program of the last run off lo: tc-egress' '$LAB_TMP/d4.log' && ! ip -n '$NODE' -o link show lo | grep -q prog/xdp && test \"\$(tc -n '$NODE' filter show dev lo egress | grep -c xdpdns_tc_serve)\" = 1"
ask "$NODE" "$SVC4" "$LAB_TMP/ref" >/dev/null # the misses fill the cache
sleep 0.2
lo0=$(attach_field lo answered)
out=$(ask "$NODE" "$SVC4" "$LAB_TMP/ref")
check "upgrade: ... the host's own clients answered, right: $out" test "$out" = "answered $nq unanswered 0 wrong 0"
check "upgrade: ... by the kernel on lo ($(($(attach_field lo answered) - lo0)) of $nq)" \
	test "$(($(attach_field lo answered) - lo0))" -eq "$nq"

# 6. xdpdnsctl detach: what a stop with keep left, taken off without a daemon
check "detach: refused while a daemon serves the cache" bash -c "! ctl detach 2>/dev/null"
kill "$DAEMON" # keep yes
wait "$DAEMON" 2>/dev/null
left=$(programs_left)
out=$(ctl detach)
check "detach: the kept programs ($left) taken off every interface: $(tail -1 <<<"$out")" \
	test "$left" -ge 7 -a "$(programs_left)" -eq 0 -a "$(tail -1 <<<"$out")" = "$left programs taken off"

[ -s "$LAB_TMP/wrong.log" ] && head -5 "$LAB_TMP/wrong.log"
check_done
