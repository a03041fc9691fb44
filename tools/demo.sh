#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: a two-namespace lab in which the XDP fast path answers dig from its cache.
# client netns (192.0.2.7, 2001:db8::7) --veth-- cache netns (192.0.2.53, 2001:db8::53)
# Everything it makes is removed on exit, also on failure or Ctrl-C.
set -euo pipefail

out=$(cd "$(dirname "$0")/.." && pwd)/.output
client=xdpdns-client-$$
cache=xdpdns-cache-$$
tmp=$(mktemp -d)
demo_pid=

cleanup() {
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
	ip netns del "$client" 2>/dev/null || true
	ip netns del "$cache" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "make run: needs root (namespaces, XDP)" >&2
	exit 1
fi

ip netns add "$client"
ip netns add "$cache"
ip link add xd-client netns "$client" type veth peer name xd-cache netns "$cache"
ip -n "$client" addr add 192.0.2.7/24 dev xd-client
ip -n "$client" addr add 2001:db8::7/64 dev xd-client nodad
ip -n "$cache" addr add 192.0.2.53/24 dev xd-cache
ip -n "$cache" addr add 2001:db8::53/64 dev xd-cache nodad
for ns in "$client" "$cache"; do ip -n "$ns" link set lo up; done
ip -n "$client" link set xd-client up
ip -n "$cache" link set xd-cache up
# a veth hands XDP_TX frames to its peer only if the peer runs XDP too
ip -n "$client" link set dev xd-client xdpdrv obj "$out/pass.bpf.o" sec xdp

cat >"$tmp/demo.zone" <<'ZONE'
$ORIGIN demo.example.
$TTL 300
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
api     IN A     192.0.2.81
api     IN A     192.0.2.82
alias   IN CNAME www.demo.example.
ZONE

ip netns exec "$cache" "$out/xdpdns_demo" --iface xd-cache --listen 192.0.2.53 \
	--listen 2001:db8::53 --zone "$tmp/demo.zone" --seconds 900 >"$tmp/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 50); do
	grep -q answering "$tmp/demo.log" && break
	kill -0 "$demo_pid" 2>/dev/null || { cat "$tmp/demo.log" >&2; exit 1; }
	sleep 0.2
done
cat "$tmp/demo.log"

ask() {
	echo
	echo "\$ dig $*"
	ip netns exec "$client" dig +time=2 +tries=1 +nocmd +nostats "$@" || true
}
ask @192.0.2.53 WwW.Demo.Example A
ask @2001:db8::53 www.demo.example AAAA
sleep 1
ask @192.0.2.53 api.demo.example A

echo
kill -USR1 "$demo_pid"
sleep 0.5
sed -n '/kernel counters/,$p' "$tmp/demo.log"
echo
echo "The answers above came from the XDP program (hit_fresh), with the question's case kept"
echo "and TTLs counting down. Misses need the daemon (xdpdnsd), which is not built yet."

if [ -t 0 ]; then
	echo
	echo "Try it yourself:  ip netns exec $client dig @192.0.2.53 alias.demo.example"
	read -r -p "Press Enter to stop the demo and remove the lab. " _
fi
