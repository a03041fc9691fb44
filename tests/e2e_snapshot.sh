#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end, in namespaces made here (tools/lab.sh): the cache outlives its pins. A daemon fills
# its cache through nsd and is stopped; the pins are removed, as a reboot would; with nsd gone
# too, a new daemon restores the snapshot, and the same names are kernel hits and in the
# daemon's own cache. Then kill -9 and a restart: the adopted kernel cache is copied into the
# daemon's, which answers an expired name stale while the upstream is down. xdpdnsctl snapshot
# save/load moves a cache by hand, and refuses a damaged file.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

cat >"$LAB_TMP/snap.zone" <<'ZONE'
$ORIGIN snap.example.
$TTL 300
@       IN SOA  ns.snap.example. hostmaster.snap.example. 1 7200 900 1209600 120
@       IN NS   ns.snap.example.
www     IN A    192.0.2.80
www     IN AAAA 2001:db8::80
mail    IN A    192.0.2.25
short 2 IN A    192.0.2.85
ZONE

dig4() { lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "$@"; }
answer() { dig4 +short "$@" | head -1; }
ttl_of() { dig4 +noall +answer "$@" | awk 'NR == 1 { print $2 }'; }
wait_for() { # wait_for FILE PATTERN: up to 5 s
	for _ in $(seq 50); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	return 1
}
stop_daemon() {
	kill "$LAB_DAEMON_PID"
	wait "$LAB_DAEMON_PID" 2>/dev/null
}

lab_up || exit 1
lab_upstream snap.example "$LAB_TMP/snap.zone" || { echo "0 passed, 1 failed"; exit 1; }
# fast probes (down within a second of nsd stopping); no prefetch: no upstream query but ours
daemon_args=(--health-query "snap.example. SOA" --health-interval 300ms --health-failures 2
	--prefetch 0)

# 1. a first start: no snapshot yet; five answers cached; saved every second, and at stop
lab_daemon "$LAB_TMP/d1.log" "${daemon_args[@]}" --snapshot-interval 1 ||
	{ echo "0 passed, 1 failed"; exit 1; }
check "first start: no snapshot to restore" grep -q "no snapshot in $LAB_SNAPSHOT" "$LAB_TMP/d1.log"
check "www A" test "$(answer www.snap.example A)" = 192.0.2.80
check "www AAAA" test "$(answer www.snap.example AAAA)" = 2001:db8::80
check "mail A" test "$(answer mail.snap.example A)" = 192.0.2.25
check "short A" test "$(answer short.snap.example A)" = 192.0.2.85
check "NXDOMAIN" sh -c "ip netns exec $LAB_CLIENT dig +time=2 +tries=1 @$LAB_CACHE4 \
	nothere.snap.example | grep -q NXDOMAIN"
for _ in $(seq 30); do [ -s "$LAB_SNAPSHOT" ] && break; sleep 0.1; done
check "saved every snapshot-interval" test -s "$LAB_SNAPSHOT"
stop_daemon
check "saved at stop" grep -q "saved 5 entries to $LAB_SNAPSHOT" "$LAB_TMP/d1.log"
check "no temporary file left" test "$(ls "$LAB_TMP" | grep -c 'xdpdns.snapshot.')" -eq 0

# 2. a reboot loses the pins; the upstream is gone too, so only the snapshot can answer
rm -rf "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE"
kill "$LAB_NSD_PID"
wait "$LAB_NSD_PID" 2>/dev/null
sleep 2 # the entries age meanwhile
lab_daemon "$LAB_TMP/d2.log" "${daemon_args[@]}" || true
check "fresh maps" sh -c "! grep -q 'kept from the last run' $LAB_TMP/d2.log"
check "snapshot restored" grep -q "restored 5 entries from $LAB_SNAPSHOT" "$LAB_TMP/d2.log"
check "and copied into the daemon's cache" \
	grep -q "the daemon's cache starts with the kernel's 5 entries" "$LAB_TMP/d2.log"
hits0=$(lab_counter hit_fresh)
miss0=$(lab_counter miss)
check "www A: from the snapshot" test "$(answer www.snap.example A)" = 192.0.2.80
check "www AAAA: from the snapshot" test "$(answer www.snap.example AAAA)" = 2001:db8::80
check "mail A: from the snapshot" test "$(answer mail.snap.example A)" = 192.0.2.25
ttl=$(ttl_of www.snap.example A)
check "aged across the restart (TTL $ttl)" test "${ttl:-300}" -le 298
check "all kernel hits" test "$(lab_counter hit_fresh)" -eq $((hits0 + 4))
check "no miss" test "$(lab_counter miss)" -eq "$miss0"
check "nothing resolved upstream" test "$(lab_counter resolved)" -eq 0
fd0=$(lab_counter answered_from_daemon_cache)
check "TCP (the daemon): from its cache" sh -c "ip netns exec $LAB_CLIENT dig +tcp +short \
	+time=2 +tries=1 @$LAB_CACHE4 mail.snap.example A | grep -q 192.0.2.25"
check "counted by the daemon" test "$(lab_counter answered_from_daemon_cache)" -eq $((fd0 + 1))

# 3. kill -9 and restart: the pinned cache is adopted (not restored over) and copied into the
# daemon's cache, which answers the expired name stale over TCP while the upstream is down
{ kill -9 "$LAB_DAEMON_PID" && wait "$LAB_DAEMON_PID"; } 2>/dev/null
lab_daemon "$LAB_TMP/d3.log" "${daemon_args[@]}" || true
check "restart keeps the cache" grep -q "replaced the XDP program .* cache kept" "$LAB_TMP/d3.log"
check "adopted: no restore" sh -c "! grep -q 'restored' $LAB_TMP/d3.log"
check "adopted entries copied into the daemon's cache" \
	grep -q "the daemon's cache starts with the kernel's 5 entries" "$LAB_TMP/d3.log"
wait_for "$LAB_TMP/d3.log" "every upstream is down"
check "upstream marked down" grep -q "every upstream is down" "$LAB_TMP/d3.log"
stale0=$(lab_counter stale_answers)
ttl=$(lab_client dig +tcp +time=2 +tries=1 +noall +answer @"$LAB_CACHE4" short.snap.example A |
	awk '{ print $2 }')
check "expired name: stale from the daemon (TTL ${ttl:-none})" test "${ttl:-0}" = 30
check "counted as stale" test "$(lab_counter stale_answers)" -eq $((stale0 + 1))

# 4. by hand: save, flush, load back; a damaged file is refused, loading nothing
lab_ctl snapshot save "$LAB_TMP/ctl.snap" >"$LAB_TMP/save.out" 2>&1
check "xdpdnsctl snapshot save" grep -q "saved 5 entries to $LAB_TMP/ctl.snap" "$LAB_TMP/save.out"
lab_ctl flush >/dev/null
lab_ctl snapshot load "$LAB_TMP/ctl.snap" >"$LAB_TMP/load.out" 2>&1
check "xdpdnsctl snapshot load" grep -q "loaded 5 entries" "$LAB_TMP/load.out"
hits1=$(lab_counter hit_fresh)
check "loaded entries are kernel hits" test "$(answer www.snap.example A)" = 192.0.2.80 -a \
	"$(lab_counter hit_fresh)" -eq $((hits1 + 1))
cp "$LAB_TMP/ctl.snap" "$LAB_TMP/bad.snap"
printf '\xff' | dd of="$LAB_TMP/bad.snap" bs=1 seek=200 conv=notrunc status=none
lab_ctl flush >/dev/null
lab_ctl snapshot load "$LAB_TMP/bad.snap" >"$LAB_TMP/bad.out" 2>&1
check "damaged file: exit status 1" test $? -eq 1
check "damaged file: the reason" \
	grep -q "xdpdnsctl: snapshot $LAB_TMP/bad.snap: bad checksum" "$LAB_TMP/bad.out"
head -c 100 "$LAB_TMP/ctl.snap" >"$LAB_TMP/short.snap"
lab_ctl snapshot load "$LAB_TMP/short.snap" >"$LAB_TMP/short.out" 2>&1
check "truncated file refused" grep -q "truncated" "$LAB_TMP/short.out"
check "nothing loaded" test "$(lab_ctl dump | wc -l)" -eq 1 # the title line

stop_daemon
check "saved at stop again" grep -q "saved 0 entries" "$LAB_TMP/d3.log"

check_done
