#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: the demo lab (tools/lab.sh). nsd serves a demo zone as the upstream, xdpdnsd is
# attached to the cache's veth, and dig on the client side shows a miss resolved upstream and
# the repeat answered by the XDP program. Everything is removed on exit, also on Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/lab.sh"

trap 'lab_down' EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "make run: needs root (namespaces, XDP)" >&2
	exit 1
fi

cat >"$LAB_TMP/demo.zone" <<'ZONE'
$ORIGIN demo.example.
$TTL 300
@       IN SOA   ns.demo.example. hostmaster.demo.example. 1 7200 900 1209600 60
@       IN NS    ns.demo.example.
ns      IN A     192.0.2.53
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
api     IN A     192.0.2.81
api     IN A     192.0.2.82
alias   IN CNAME www.demo.example.
ZONE

lab_up
lab_upstream demo.example "$LAB_TMP/demo.zone"
lab_daemon "$LAB_TMP/xdpdnsd.log" --health-query "demo.example. SOA"
sed 's/^/  /' "$LAB_TMP/xdpdnsd.log"

ask() {
	echo
	echo "\$ dig $*"
	lab_client dig +time=2 +tries=1 +nocmd +nostats +noquestion "$@" || true
}
hits() { lab_counter hit_fresh; }

echo
echo "== a miss: the XDP program passes it, xdpdnsd resolves it through nsd and caches it"
ask @192.0.2.53 www.demo.example A
echo "kernel hits so far: $(hits)"
echo
echo "== the same question again, in other letter case: answered by the XDP program"
ask @192.0.2.53 WwW.Demo.Example A
echo "kernel hits so far: $(hits)"
ask @2001:db8::53 alias.demo.example A
ask @2001:db8::53 alias.demo.example A
echo "kernel hits so far: $(hits)"

echo
echo "\$ xdpdnsctl --iface $LAB_IF_CACHE stats   (counters that moved)"
lab_ctl stats | awk '$2 != 0'
echo
echo "\$ xdpdnsctl --iface $LAB_IF_CACHE dump"
lab_ctl dump

if [ -t 0 ]; then
	echo
	echo "Try it yourself (the lab stays up until you press Enter):"
	echo "  ip netns exec $LAB_CLIENT dig @192.0.2.53 api.demo.example"
	echo "  ip netns exec $LAB_CLIENT getent ahosts www.demo.example"
	echo "  $LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE stats"
	echo "  $LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health down   # serve expired answers stale"
	read -r -p "Press Enter to stop xdpdnsd and remove the lab. " _
fi
