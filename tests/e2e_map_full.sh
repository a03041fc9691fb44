#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Full cache drill, in the lab (tools/lab.sh): xdpdnsd with a tiny kernel cache (cache-entries
# 64: 64 small entries) is asked for far more distinct names than fit, while a hot set is asked
# all along. Every query must be answered; the hot names must stay in the kernel (least recently
# used entries are evicted, not they); the evictions are counted and no fill is skipped.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

CAPACITY=64 # cache-entries: class S holds this many; every answer here is class S
HOT=8       # hot0..hot7.full.example -> 192.0.2.100..107
COLD=400    # cold0..cold399.full.example -> 198.51.100.0..199 (i % 200)
CHUNK=20    # cold names per round of the load, each round followed by the hot set

zone=$LAB_TMP/full.zone
{
	cat <<'ZONE'
$ORIGIN full.example.
$TTL 300
@       IN SOA  ns.full.example. hostmaster.full.example. 1 7200 900 1209600 120
@       IN NS   ns.full.example.
ns      IN A    192.0.2.53
ZONE
	for i in $(seq 0 $((HOT - 1))); do echo "hot$i IN A 192.0.2.$((100 + i))"; done
	for i in $(seq 0 $((COLD - 1))); do echo "cold$i IN A 198.51.100.$((i % 200))"; done
} >"$zone"

lab_up || exit 1
lab_upstream full.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }
daemon_args=(--cache-entries $CAPACITY --health-query "full.example. SOA")
lab_daemon "$LAB_TMP/d1.log" "${daemon_args[@]}" || { echo "0 passed, 1 failed"; exit 1; }

# dig in batch mode over a file of "NAME A" lines: a status line per reply, then the answer
ask() {
	lab_client timeout 60 dig @"$LAB_CACHE4" +tries=1 +time=2 +noall +comments +answer -f "$1" 2>&1
}
hot_set() { for i in $(seq 0 $((HOT - 1))); do echo "hot$i.full.example A"; done; }

hot_set >"$LAB_TMP/hot"
ask "$LAB_TMP/hot" >/dev/null # misses: resolved, stored in the kernel
ask "$LAB_TMP/hot" >/dev/null # hits: the kernel records them
sleep 2 # by stored time the hot names are now the oldest: only their last hits keep them

# the load: CHUNK new names, then the hot set, until every cold name was asked once
for c in $(seq 0 $((COLD / CHUNK - 1))); do
	for i in $(seq $((c * CHUNK)) $((c * CHUNK + CHUNK - 1))); do echo "cold$i.full.example A"; done
	hot_set
done >"$LAB_TMP/load"
hits0=$(lab_counter hit_fresh)
t0=$(date +%s)
ask "$LAB_TMP/load" >"$LAB_TMP/load.out"
load_sec=$(($(date +%s) - t0))

sent=$(wc -l <"$LAB_TMP/load")
replies=$(grep -c "status: NOERROR" "$LAB_TMP/load.out")
right=$(awk '$4 == "A" && match($1, /^(hot|cold)[0-9]+\./) {
	hot = substr($1, 1, 3) == "hot"; i = substr($1, hot ? 4 : 5) + 0
	want = hot ? "192.0.2." (100 + i) : "198.51.100." (i % 200)
	if ($5 == want) n++ } END { print n + 0 }' "$LAB_TMP/load.out")
lab_ctl stats >"$LAB_TMP/stats"
evicted=$(awk '$1 == "kernel_evictions" { print $2 }' "$LAB_TMP/stats")
skipped=$(awk '$1 == "kernel_fill_skipped" { print $2 }' "$LAB_TMP/stats")
hot_hits=$(($(lab_counter hit_fresh) - hits0))
echo "queries $sent ($COLD names once, the $HOT hot ones $((COLD / CHUNK)) times): $replies answered," \
	"$right right; kernel hits $hot_hits; evictions $evicted, fills skipped $skipped"
check "every query answered" test "$replies" -eq "$sent"
check "every answer right" test "$right" -eq "$sent"
check "hot names answered by the kernel all along" test "$hot_hits" -eq $((HOT * COLD / CHUNK))
check "evictions counted" test "${evicted:-0}" -ge $((COLD + HOT - CAPACITY))
check "no fill skipped" test "${skipped:-1}" -eq 0
# hundreds of evictions: logged as an event, at most once per 10 s (and once more at a
# window's edge)
full_lines=$(grep -c "kernel cache class S full: evicting" "$LAB_TMP/d1.log")
check "a full map logged, rate-limited ($full_lines lines in $load_sec s)" \
	test "$full_lines" -ge 1 -a "$full_lines" -le $((load_sec / 10 + 2))
entries=$(lab_ctl dump | grep -c "\.full\.example\.")
check "the kernel holds at most its capacity ($entries)" test "$entries" -le $CAPACITY

# the hot set once more: all kernel hits, no miss
hits1=$(lab_counter hit_fresh)
miss1=$(lab_counter miss)
ask "$LAB_TMP/hot" >/dev/null
check "hot names still in the kernel" test "$(lab_counter hit_fresh)" -eq $((hits1 + HOT)) -a \
	"$(lab_counter miss)" -eq "$miss1"

# a new capacity takes effect at a restart, each class starting empty
kill "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
lab_daemon "$LAB_TMP/d2.log" --cache-entries $((2 * CAPACITY)) --health-query "full.example. SOA" ||
	true
check "new capacity: the old map dropped" grep -q "xdpdns_cache_s is of another size: it starts empty" \
	"$LAB_TMP/d2.log"
check "new capacity: still answering" test "$(ask "$LAB_TMP/hot" | grep -c "status: NOERROR")" -eq $HOT

check_done
