#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end, in the lab (tools/lab.sh): the daemon's TCP service under attack, run as the
# AddressSanitizer and UBSan build (.output/san/xdpdnsd), behind a fake upstream that answers
# some names slowly (tests/tcp_clients.py, which also plays every client). Thousands of
# connections reset mid-query (answered at once, or while their query waits upstream),
# pipelined queries, half-sent messages and a slowloris, clients that never read, more
# connections than the limits allow, and accept() out of descriptors. Then: the daemon still
# answers over TCP and UDP, `xdpdnsctl stats` counts what was refused and closed, it exits
# cleanly, and the sanitizers reported nothing (leaks included).
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

CLIENTS="python3 $(cd "$(dirname "$0")" && pwd)/tcp_clients.py"
LAB_DAEMON_BIN=$LAB_OUT/san/xdpdnsd
# a report aborts the daemon and lands in san.PID, which must never exist
export ASAN_OPTIONS="abort_on_error=1:log_path=$LAB_TMP/san"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LAB_TMP/san"
log=$LAB_TMP/d.log

# delta NAME: how much the daemon's counter NAME grew since mark
declare -A marks
mark() { local n; for n in "$@"; do marks[$n]=$(lab_counter "$n"); done; }
delta() { echo $(($(lab_counter "$1") - ${marks[$1]})); }
alive() { kill -0 "$LAB_DAEMON_PID" 2>/dev/null; }
dig_tcp() { lab_client dig +tcp +time=3 +tries=1 +short "$@" fast.test A | grep -q 192.0.2.99; }

lab_up || exit 1
for a in 192.0.2.8 192.0.2.9 192.0.2.10; do # more clients, for the limits
	ip -n "$LAB_CLIENT" addr add "$a/24" dev br0
done
lab_bg "$LAB_UP_NS" $CLIENTS upstream "$LAB_UPSTREAM4" 0.5
lab_wait_bound "$LAB_UP_NS" 53 tcp || exit 1
# limits small enough to reach (tcp-io-timeout keeps its default, 2 s); timeout above the
# upstream's delay; no prefetch
lab_daemon "$log" --timeout 2 --health-query "fast.test. A" --prefetch 0 \
	--tcp-connections 48 --tcp-connections-per-source 16 --tcp-idle-timeout 3 \
	--tcp-pipeline 8 || { echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 30); do dig_tcp @"$LAB_CACHE4" && break; sleep 0.1; done
check "TCP answered" dig_tcp @"$LAB_CACHE4"
check "big.test TXT cached" sh -c "ip netns exec $LAB_CLIENT dig +tcp +short @$LAB_CACHE4 big.test TXT | grep -q xxx"
# the upstream's answer is 65535 bytes: with the client's OPT it is too long for TCP's length
# prefix, and goes out empty with TC=1 (not with a length cut to 16 bits)
check "an answer too long for TCP: TC=1" sh -c "ip netns exec $LAB_CLIENT dig +tcp +ignore +time=3 +tries=1 @$LAB_CACHE4 max.test TXT | grep -q 'flags: qr tc'"

# 1. resets mid-query: a NOTIFY, a cached name, 64 NOTIFYs at once, a name the upstream is
# slow to answer; four clients at once, over IPv4 and IPv6
pids=()
for k in notify:$LAB_CACHE4 cached:$LAB_CACHE6 burst:$LAB_CACHE6 slow:$LAB_CACHE4; do
	lab_client $CLIENTS reset "${k#*:}" "${k%%:*}" 1000 >"$LAB_TMP/reset-${k%%:*}" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
cat "$LAB_TMP"/reset-*
check "4000 connections reset mid-query: the daemon lives" sh -c "[ $rc = 0 ] && kill -0 $LAB_DAEMON_PID"
check "... and answers TCP" dig_tcp @"$LAB_CACHE4"

# 2. 40 queries in one write, 8 in flight at most: every answer comes, with its ID; also from
# a client that shuts its side right after asking (then the daemon closes after the last)
lab_client $CLIENTS pipeline "$LAB_CACHE6" 40 halfclose &
p=$!
check "pipelined queries all answered" lab_client $CLIENTS pipeline "$LAB_CACHE4" 40 open
check "... after the client's FIN too" wait "$p"

# 3. half-sent messages and a slowloris (a byte a second): closed after tcp-io-timeout (2 s)
mark tcp_closed_slow_read
pids=()
for m in lenbyte:4 half:4 drip:2; do
	lab_client $CLIENTS partial "$LAB_CACHE4" "${m%%:*}" "${m#*:}" 6 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
check "half-sent messages closed" test "$rc" = 0
check "... counted as slow reads ($(delta tcp_closed_slow_read))" \
	test "$(delta tcp_closed_slow_read)" -eq 10

# 4. clients that never read: one asking again and again (reset after tcp-io-timeout without
# progress), one whose answers (8 of 50 KB) pile up beyond the cap (reset at once)
mark tcp_closed_unread
lab_client $CLIENTS slowread "$LAB_CACHE4" small 8 &
p=$!
check "a client that never reads is reset" lab_client $CLIENTS slowread "$LAB_CACHE4" huge 8
check "... and another" wait "$p"
check "... counted ($(delta tcp_closed_unread))" test "$(delta tcp_closed_unread)" -eq 2

# 5. the limits. 20 idle connections from one address: 16 held, 4 refused, while others are
# served; the 16 are closed after tcp-idle-timeout (3 s)
mark tcp_refused tcp_closed_idle
lab_client $CLIENTS hold "$LAB_CACHE4" 20 idle 5 192.0.2.7 >"$LAB_TMP/hold" &
p=$!
for _ in $(seq 50); do [ -s "$LAB_TMP/hold" ] && break; sleep 0.1; done
check "per source: 4 of 20 refused ($(cat "$LAB_TMP/hold"))" grep -qx "192.0.2.7 held 16 refused 4" "$LAB_TMP/hold"
check "... counted" test "$(delta tcp_refused)" -eq 4
check "... another source is served over TCP" dig_tcp @"$LAB_CACHE6"
check "... and UDP" sh -c "ip netns exec $LAB_CLIENT dig +time=2 +tries=1 +short @$LAB_CACHE4 u1.slow.test | grep -q 192.0.2.99"
wait "$p"
check "... the idle ones closed after tcp-idle-timeout" test "$(delta tcp_closed_idle)" -eq 16

# every place taken by a connection that began a message: a new one is refused, and served
# once they are cut (tcp-io-timeout)
mark tcp_refused tcp_closed_slow_read
lab_client $CLIENTS hold "$LAB_CACHE4" 16 partial 5 192.0.2.7 192.0.2.8 192.0.2.9 192.0.2.10 \
	>"$LAB_TMP/hold"
check "all taken and busy: 16 more refused ($(tail -1 "$LAB_TMP/hold"))" grep -qx "192.0.2.10 held 0 refused 16" "$LAB_TMP/hold"
check "... counted" test "$(delta tcp_refused)" -eq 16
check "... the 48 cut after tcp-io-timeout ($(delta tcp_closed_slow_read))" test "$(delta tcp_closed_slow_read)" -eq 48
check "... then a new one is served" dig_tcp @"$LAB_CACHE4" -b 192.0.2.10

# every place taken by an idle connection: each new one closes the one idle the longest
mark tcp_refused tcp_closed_idle
lab_client $CLIENTS hold "$LAB_CACHE4" 16 idle 1 192.0.2.7 192.0.2.8 192.0.2.9 192.0.2.10 \
	>"$LAB_TMP/hold"
check "all taken and idle: 16 more held ($(tail -1 "$LAB_TMP/hold"))" grep -qx "192.0.2.10 held 16 refused 0" "$LAB_TMP/hold"
check "... the 16 idle the longest closed for them" grep -qx "192.0.2.7 held 0 refused 16" "$LAB_TMP/hold"
check "... counted" test "$(delta tcp_closed_idle)" -eq 16 -a "$(delta tcp_refused)" -eq 0

# 6. accept() out of descriptors (EMFILE): the listener pauses instead of spinning, the
# daemon goes on, and the waiting connections are taken once descriptors are free
mark tcp_accept_failed
nofile=$(prlimit --pid "$LAB_DAEMON_PID" --nofile --noheadings --output SOFT,HARD | awk '{ print $1 ":" $2 }')
prlimit --pid "$LAB_DAEMON_PID" --nofile=$(($(ls /proc/"$LAB_DAEMON_PID"/fd | wc -l) + 4)):"${nofile#*:}"
lab_client $CLIENTS hold "$LAB_CACHE4" 8 idle 2 192.0.2.7 192.0.2.8 >"$LAB_TMP/hold"
prlimit --pid "$LAB_DAEMON_PID" --nofile="$nofile"
check "out of descriptors: the daemon lives" alive
n=$(delta tcp_accept_failed)
# a listener that spins fails accept() hundreds of thousands of times a second; a pause of
# 100 ms, some 20 times in the 2 s
check "... accept() paused, not spinning ($n failures in 2 s)" test "$n" -ge 1 -a "$n" -lt 200
check "... TCP answered again" dig_tcp @"$LAB_CACHE4"

# 7. afterwards: answers over TCP and UDP (a miss, through the daemon), the counters, a clean
# exit, no sanitizer report
check "TCP answered (IPv6)" dig_tcp @"$LAB_CACHE6"
check "UDP answered" sh -c "ip netns exec $LAB_CLIENT dig +time=2 +tries=1 +short @$LAB_CACHE4 u2.slow.test | grep -q 192.0.2.99"
lab_ctl stats | grep '^tcp_'
for c in tcp_refused tcp_closed_idle tcp_closed_slow_read tcp_closed_unread tcp_accept_failed; do
	check "stats: $c counted" test "$(lab_counter "$c")" -gt 0
done
# stopped with connections open (idle, half-sent, queries in flight) and others gone whose
# queries still wait upstream: all freed, nothing leaked
lab_client $CLIENTS hold "$LAB_CACHE4" 4 idle 5 192.0.2.8 >/dev/null &
lab_client $CLIENTS hold "$LAB_CACHE4" 4 partial 5 192.0.2.9 >/dev/null &
lab_client $CLIENTS pipeline "$LAB_CACHE6" 40 open >/dev/null 2>&1 &
lab_client $CLIENTS reset "$LAB_CACHE4" slow 2000 >/dev/null 2>&1 & # still going at the stop
for _ in $(seq 50); do [ "$(lab_counter tcp_connections)" -ge 8 ] && break; sleep 0.1; done
check "stopped with connections open ($(lab_counter tcp_connections))" test "$(lab_counter tcp_connections)" -ge 8
kill -TERM "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID"
rc=$?
check "the daemon exits cleanly (status $rc)" test "$rc" = 0
reports=$(cat "$LAB_TMP"/san.* 2>/dev/null)
[ -n "$reports" ] && echo "$reports" | head -60
check "no sanitizer report" test -z "$reports"
check_done
