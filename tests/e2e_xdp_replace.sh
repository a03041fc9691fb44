#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Upgrade drill, in the lab (tools/lab.sh): under a steady load of queries for cached names from
# the client namespace, the daemon is restarted several times, the old one stopping with --keep
# and the new one loading its own XDP program and swapping it for the attached one. Every query
# must be answered, with the right address, by the XDP program: no instant without one, and the
# cache kept across every swap. Then pins of another layout version are not reused.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

NAMES=10    # cached names, hot0..hot9.upgrade.example -> 192.0.2.100..109
CHUNKS=80   # the load: CHUNKS runs of dig in batch mode, CHUNK queries each, a pause between
CHUNK=25
PAUSE=0.1   # about 15 s in all: long enough for SWAPS restarts, 2000 queries at most
SWAPS=3

zone=$LAB_TMP/upgrade.zone
{
	cat <<'ZONE'
$ORIGIN upgrade.example.
$TTL 300
@       IN SOA  ns.upgrade.example. hostmaster.upgrade.example. 1 7200 900 1209600 120
@       IN NS   ns.upgrade.example.
ns      IN A    192.0.2.53
ZONE
	for i in $(seq 0 $((NAMES - 1))); do echo "hot$i IN A 192.0.2.$((100 + i))"; done
} >"$zone"

lab_up || exit 1
lab_upstream upgrade.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }
daemon_args=(--keep --health-query "upgrade.example. SOA")
lab_daemon "$LAB_TMP/d0.log" "${daemon_args[@]}" || { echo "0 passed, 1 failed"; exit 1; }

# every name cached: a miss resolved upstream, then the kernel answers it, over IPv4 and IPv6
# (the client's first IPv6 query waits for neighbour discovery: not in the timed load)
for i in $(seq 0 $((NAMES - 1))); do
	lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" "hot$i.upgrade.example" A >/dev/null
done
hits=$(lab_counter hit_fresh)
lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" hot0.upgrade.example A >/dev/null
lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE6" hot0.upgrade.example A >/dev/null
check "names cached in the kernel" test "$(lab_counter hit_fresh)" -eq $((hits + 2))

# the load: dig in batch mode, one line a query, over IPv4 and IPv6; per query a status line
# (when answered) and the answer
for c in $(seq 1 $CHUNKS); do
	for q in $(seq 1 $CHUNK); do
		server=$LAB_CACHE4
		[ $((q % 2)) -eq 0 ] && server=$LAB_CACHE6
		echo "@$server hot$(((c * CHUNK + q) % NAMES)).upgrade.example A"
	done >"$LAB_TMP/chunk$c"
done
lab_ctl stats >"$LAB_TMP/stats0"
hits0=$(lab_counter hit_fresh)
miss0=$(lab_counter miss)
(
	for c in $(seq 1 $CHUNKS); do
		ip netns exec "$LAB_CLIENT" timeout 30 dig +tries=1 +time=1 +noall +comments +answer \
			-f "$LAB_TMP/chunk$c" 2>&1
		sleep $PAUSE
	done >"$LAB_TMP/load.out"
) &
load=$!

# the swaps, while the load runs; the kernel counts hits through each one
rose=0
for s in $(seq 1 $SWAPS); do
	sleep 1.5
	before=$(lab_counter hit_fresh)
	kill "$LAB_DAEMON_PID"
	wait "$LAB_DAEMON_PID" 2>/dev/null
	sleep 0.5
	between=$(lab_counter hit_fresh) # no daemon at all
	lab_daemon "$LAB_TMP/d$s.log" "${daemon_args[@]}" || break
	after=$(lab_counter hit_fresh)
	[ "$before" -lt "$between" ] && [ "$between" -lt "$after" ] && rose=$((rose + 1))
	echo "swap $s: kernel hits $before before, $between with no daemon, $after after"

	grep -h "replaced the XDP program" "$LAB_TMP/d$s.log"
	check "swap $s: replaced, cache kept" grep -qE \
		"replaced the XDP program on $LAB_IF_CACHE \(id [0-9]+ -> id [0-9]+\), cache kept \([1-9][0-9]* entries\)" \
		"$LAB_TMP/d$s.log"
done
check "the load ran through every swap" kill -0 "$load"
wait "$load"

# tally: a status line per reply; an answer line per right address
sent=$((CHUNKS * CHUNK))
replies=$(grep -c "status: " "$LAB_TMP/load.out")
right=$(awk '$4 == "A" && match($1, /^hot[0-9]+\./) {
	i = substr($1, 4, RLENGTH - 4); if ($5 == "192.0.2." (100 + i)) n++ } END { print n + 0 }' \
	"$LAB_TMP/load.out")
noerror=$(grep -c "status: NOERROR" "$LAB_TMP/load.out")
unanswered=$((sent - replies))
wrong=$((replies - right))
echo "queries $sent: answered $right, unanswered $unanswered, wrong $wrong ($((replies - noerror)) not NOERROR)"
hits=$(($(lab_counter hit_fresh) - hits0))
echo "kernel: $hits hits during the load; hits rising before, between and after $rose of $SWAPS swaps"
if [ "$unanswered" -ne 0 ] || [ "$hits" -ne "$right" ]; then # what dig saw, what the kernel did
	awk '/status: / { n++ } /^;; communications error/ { print "after reply " n ": " $0 }' \
		"$LAB_TMP/load.out" | head
	lab_ctl stats | diff "$LAB_TMP/stats0" - | grep "^>"
fi
check "no query unanswered" test "$unanswered" -eq 0
check "no wrong answer" test "$wrong" -eq 0
check "every answer from the XDP program" test "$hits" -eq "$right" -a "$(lab_counter miss)" -eq "$miss0"
check "hits went on across every swap" test "$rose" -eq "$SWAPS"
check "program ids all different" test "$(grep -ho "id [0-9]*)" "$LAB_TMP"/d[1-9].log | sort -u | wc -l)" -eq "$SWAPS"
check "nothing dropped" test "$(lab_counter drop_internal)" -eq 0

# an upgrade across a change of layout: pins of another layout version (here 0, as maps from
# before the version existed) are not reused; the program is still replaced, with new maps,
# which the snapshot fills
cfg=/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/xdpdns_config
size=$(bpftool map show pinned "$cfg" | sed -n 's/.*value \([0-9]*\)B.*/\1/p')
bpftool map update pinned "$cfg" key hex 00 00 00 00 value hex $(printf '00 %.0s' $(seq "${size:-40}"))
kill "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
lab_daemon "$LAB_TMP/layout.log" "${daemon_args[@]}" || true
check "another layout: the pins are not reused" grep -q \
	"is of another layout version: every map starts anew, the cache empty" "$LAB_TMP/layout.log"
check "another layout: replaced, with an empty cache" grep -q \
	"replaced the XDP program on $LAB_IF_CACHE (id [0-9]* -> id [0-9]*), with an empty cache" \
	"$LAB_TMP/layout.log"
# the old daemon saved its snapshot at the stop: the new maps are filled from it
check "another layout: the new maps filled from the snapshot" grep -q \
	"restored [1-9][0-9]* entries from $LAB_SNAPSHOT" "$LAB_TMP/layout.log"
check "another layout: a kernel hit at once" \
	test "$(lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" hot1.upgrade.example A)" = \
	192.0.2.101 -a "$(lab_counter miss)" -eq 0 -a "$(lab_counter hit_fresh)" -eq 1

# an upgrade that fails after the swap (here: the service port taken by another process) leaves
# the new program attached, with the cache: hits go on with no daemon
kill "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
lab_bg "$LAB_CACHE" /usr/bin/python3 -c "import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$LAB_CACHE4', 53)); time.sleep(30)"
squatter=${LAB_PIDS[-1]}
sleep 0.5
hits0=$(lab_counter hit_fresh)
lab_bg "$LAB_CACHE" timeout 20 "$LAB_OUT/xdpdnsd" --iface "$LAB_IF_CACHE" \
	--upstream "$LAB_UPSTREAM" --snapshot-file "$LAB_SNAPSHOT" "${daemon_args[@]}" \
	>"$LAB_TMP/failed.log" 2>&1
wait "${LAB_PIDS[-1]}" 2>/dev/null
kill "$squatter" 2>/dev/null
check "a failed upgrade: swapped, then refused the port, leaving the program" sh -c \
	"grep -q 'replaced the XDP program' $LAB_TMP/failed.log && grep -q 'leaving the program on' $LAB_TMP/failed.log"
check "... and leaves the program, answering from the cache" \
	test "$(lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" hot1.upgrade.example A)" = \
	192.0.2.101 -a "$(lab_counter hit_fresh)" -gt "$hits0"

# an upgrade that adds an XDP attach point (lo, generic XDP by choice: its default is TC) before
# the NIC (lo's ifindex is 1):
# lo's attach pins the new program, and the NIC's old one must still be found through the pin
# as the last run left it, without CAP_SYS_ADMIN (taking it by id) to fall back on
# (the failed upgrade above left its program on the NIC, pinned)
# (lab_bg: its PID is the daemon's own, which lab_down stops; a function put in the background
# would leave the daemon running after the test)
lab_bg "$LAB_CACHE" capsh --drop=cap_sys_admin -- -c "exec $LAB_OUT/xdpdnsd --iface $LAB_IF_CACHE \
	--upstream $LAB_UPSTREAM --snapshot-file $LAB_SNAPSHOT --keep \
	--health-query 'upgrade.example. SOA' --attach lo:xdp-skb >$LAB_TMP/addlo2.log 2>&1"
for _ in $(seq 50); do grep -q serving "$LAB_TMP/addlo2.log" && break; sleep 0.1; done
check "a new attach point before the NIC: the NIC's program replaced through the old pin" grep -q \
	"replaced the XDP program on $LAB_IF_CACHE (id [0-9]* -> id [0-9]*), cache kept" \
	"$LAB_TMP/addlo2.log"
check "... and lo served too" grep -q "attached to lo (generic mode)" "$LAB_TMP/addlo2.log"

check_done
