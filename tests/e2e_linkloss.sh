#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: xdpdns-linkloss on the lab's upstream link (tools/lab.sh), nsd on the upstream
# host, dig from the cache host straight to it (no daemon: the link alone is under test). 100%
# loss of port 53 times the query out, dropping the queries, the answers, or both; 0% and off
# answer; other traffic (ping) crosses; the tool refuses another XDP program and bad arguments.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

# the two ends lab_link_loss sets, one at a time
up_end() { nsenter --net="/run/netns/$LAB_UP_NS" "$LAB_OUT/xdpdns-linkloss" "$LAB_IF_UP" "$@"; }
peer_end() {
	nsenter --net="/run/netns/$LAB_CLIENT" "$LAB_OUT/xdpdns-linkloss" "$LAB_IF_UP_PEER" "$@"
}
# answers: dig from the cache host to the upstream gets the address, on one 1-second try
answers() {
	lab_cache dig +time=1 +tries=1 +short @"$LAB_UPSTREAM4" www.loss.test A 2>/dev/null |
		grep -qx 192.0.2.80
}
times_out() { ! answers; }
# dropped END: that end's "dropped" counter, now
dropped() { "$1" | awk '$1 == "dropped" { print $2 }'; }
quiet() { "$@" >/dev/null; }
# fails LOG CMD...: CMD fails, and what it says goes to LOG
fails() {
	local log=$1
	shift
	! "$@" >"$log" 2>&1
}

cat >"$LAB_TMP/loss.zone" <<'ZONE'
$ORIGIN loss.test.
$TTL 300
@       IN SOA  ns.loss.test. hostmaster.loss.test. 1 7200 900 1209600 120
@       IN NS   ns.loss.test.
ns      IN A    192.0.2.1
www     IN A    192.0.2.80
ZONE

lab_up || exit 1
lab_upstream loss.test "$LAB_TMP/loss.zone" || { echo "0 passed, 1 failed"; exit 1; }

check "no loss: answers" answers

# both ends, port 53 only
check "lab_link_loss 100 --port 53" quiet lab_link_loss 100 --port 53
check "100% loss: times out" times_out
check "queries dropped at the upstream ($(dropped up_end))" test "$(dropped up_end)" -ge 1
check "the upstream end says so" grep -qx "$LAB_IF_UP: 100% loss of UDP/TCP port 53 (native)" \
	<(up_end)
check "and so does the peer end" grep -qx "$LAB_IF_UP_PEER: 100% loss of UDP/TCP port 53 (native)" \
	<(peer_end)
check "ping crosses (not port 53)" quiet lab_cache ping -c 1 -W 2 -q "$LAB_UPSTREAM4"
check "lab_link_loss 0" quiet lab_link_loss 0 --port 53
check "0% loss: answers" answers
check "lab_link_loss off" quiet lab_link_loss off
check "off: answers" answers
check "off leaves no pins" test ! -e "/sys/fs/bpf/xdpdns-linkloss/$LAB_IF_UP"

# each direction alone: the query reaches nsd and its answer is lost, or the query is lost
check "answers alone: peer end 100" quiet peer_end 100 --port 53
check "answers lost: times out" times_out
check "answers dropped at the peer ($(dropped peer_end))" test "$(dropped peer_end)" -ge 1
check "nothing on the upstream end" grep -qx "$LAB_IF_UP: off" <(up_end)
peer_end off >"$LAB_TMP/off.out"
check "peer end off, with its counts" grep -q '^dropped [1-9]' "$LAB_TMP/off.out"
check "queries alone: upstream end 100" quiet up_end 100 --port 53
check "queries lost: times out" times_out
check "replaced in skb mode, 0%" quiet up_end 0 --port 53 --mode skb
check "skb mode, 0%: answers" answers
check "upstream end off" quiet up_end off
check "answers again" answers

# refusals: another program, no such interface, a bad percentage
other_iface() {
	nsenter --net="/run/netns/$LAB_CLIENT" "$LAB_OUT/xdpdns-linkloss" "$LAB_IF_CLIENT" 50
}
check "refuses the client's veth" fails "$LAB_TMP/refused" other_iface
check "... naming the program there" grep -q "runs XDP program 'xdpdns_xdp_pass'" \
	"$LAB_TMP/refused"
check "... and leaves it there" grep -q "name xdpdns_xdp_pass" \
	<(ip -n "$LAB_CLIENT" link show "$LAB_IF_CLIENT")
check "unknown interface refused" fails "$LAB_TMP/unknown" \
	nsenter --net="/run/netns/$LAB_UP_NS" "$LAB_OUT/xdpdns-linkloss" nosuch0 10
check "... saying so" grep -q "unknown interface 'nosuch0'" "$LAB_TMP/unknown"
check "101% refused" fails "$LAB_TMP/percent" up_end 101
check "... saying so" grep -q "'101' is not a percentage from 0 to 100" "$LAB_TMP/percent"
check "nothing attached after the refusals" sh -c \
	"! ip -n $LAB_UP_NS link show $LAB_IF_UP | grep -q prog/xdp"

check_done
