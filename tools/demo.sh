#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: a two-namespace lab (tools/lab.sh) in which the XDP fast path answers dig from its
# cache. Everything it makes is removed on exit, also on failure or Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/lab.sh"

tmp=$(mktemp -d)
trap 'lab_down; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "make run: needs root (namespaces, XDP)" >&2
	exit 1
fi

cat >"$tmp/demo.zone" <<'ZONE'
$ORIGIN demo.example.
$TTL 300
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
api     IN A     192.0.2.81
api     IN A     192.0.2.82
alias   IN CNAME www.demo.example.
ZONE

lab_up
lab_demo "$tmp/demo.zone" "$tmp/demo.log"
cat "$tmp/demo.log"

ask() {
	echo
	echo "\$ dig $*"
	lab_client dig +time=2 +tries=1 +nocmd +nostats "$@" || true
}
ask @192.0.2.53 WwW.Demo.Example A
ask @2001:db8::53 www.demo.example AAAA
sleep 1
ask @192.0.2.53 api.demo.example A

echo
echo "\$ xdpdnsctl --iface $LAB_IF_CACHE stats   (counters that moved)"
lab_ctl stats | awk '$2 != 0'
echo
echo "\$ xdpdnsctl --iface $LAB_IF_CACHE dump"
"$LAB_OUT/xdpdnsctl" --iface "$LAB_IF_CACHE" dump
echo
echo "The answers above came from the XDP program (hit_fresh), with the question's case kept"
echo "and TTLs counting down. Misses need the daemon (xdpdnsd), which is not built yet."

if [ -t 0 ]; then
	echo
	echo "Try it yourself:"
	echo "  ip netns exec $LAB_CLIENT dig @192.0.2.53 alias.demo.example"
	echo "  $LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE stats"
	read -r -p "Press Enter to stop the demo and remove the lab. " _
fi
