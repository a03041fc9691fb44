#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end, in namespaces made here (tools/lab.sh): xdpdnsd on a veth (native XDP), nsd as
# its upstream on the same segment, and real clients (dig, kdig, drill, the C library through
# getent) over IPv4 and IPv6. Misses are resolved upstream and the repeats answered by the kernel; the cache
# outlives a kill -9 of the daemon and a restart replaces the program, keeping it; xdpdnsctl
# steers it.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

zone=$LAB_TMP/e2e.zone
{
	cat <<'ZONE'
$ORIGIN e2e.example.
$TTL 300
@       IN SOA  ns.e2e.example. hostmaster.e2e.example. 1 7200 900 1209600 120
@       IN NS   ns.e2e.example.
ns      IN A    192.0.2.53
www     IN A    192.0.2.80
www     IN AAAA 2001:db8::80
many    IN A    192.0.2.81
many    IN A    192.0.2.82
many    IN A    192.0.2.83
many    IN A    192.0.2.84
txt     IN TXT  "a record long enough that the answer is bigger than the question and its OPT"
short 2 IN A    192.0.2.85
hot 4   IN A    192.0.2.86
ZONE
	for i in $(seq 1 40); do echo "big IN A 198.51.100.$i"; done # > 512 bytes: TC, then TCP
} >"$zone"

lab_up || exit 1
lab_upstream e2e.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }
# The README's defaults first, health checks included: the default probe, ". NS", is refused by
# nsd (authoritative only), and a refusal is life. Later, after the restart, probes 300 ms apart
# (down after 2 failures) keep the outage drill short.
printf 'max-negative-ttl 30\n' >"$LAB_TMP/xdpdns.conf"
daemon_args=(--config "$LAB_TMP/xdpdns.conf" --health-interval 300ms --health-failures 2)
lab_daemon "$LAB_TMP/d1.log" --config "$LAB_TMP/xdpdns.conf" || { echo "0 passed, 1 failed"; exit 1; }

dig4() { lab_client dig +time=2 +tries=1 @"$LAB_CACHE4" "$@"; }
answers() { dig4 +short "$@" | grep -cE '^[0-9a-f.:]+$'; } # addresses in the answer
ttl_of() { dig4 +noall +answer "$@" | awk 'NR == 1 { print $2 }'; }

# 1. a miss goes upstream; the repeat is answered by the kernel, case kept, TTL counting down
miss0=$(lab_counter miss)
dig4 WwW.E2E.Example A >"$LAB_TMP/a" 2>&1
check "miss answered" grep -qE "^WwW.E2E.Example\.\s+300\s+IN\s+A\s+192.0.2.80" "$LAB_TMP/a"
check "miss passed by the kernel" test "$(lab_counter miss)" -eq $((miss0 + 1))
check "upstream replies crossed the XDP interface and passed" test "$(lab_counter pass_not_service)" -gt 0
hits0=$(lab_counter hit_fresh)
dig4 wWw.e2e.EXAMPLE A >"$LAB_TMP/b" 2>&1
check "repeat answered by the kernel" test "$(lab_counter hit_fresh)" -eq $((hits0 + 1))
check "question case kept" grep -q "^;wWw.e2e.EXAMPLE.\s" "$LAB_TMP/b"
check "a cache's flags: RA, no AA" grep -q "flags: qr rd ra;" "$LAB_TMP/b"
sleep 2
check "TTL counts down" test "$(ttl_of www.e2e.example A)" -lt 300

# 2. other clients and transports: kdig over IPv6, drill without EDNS, the C library resolver
lab_client kdig +time=2 +retry=0 @"$LAB_CACHE6" many.e2e.example A >"$LAB_TMP/c" 2>&1
check "kdig IPv6: four addresses" test "$(grep -cE "IN\s+A\s+192.0.2.8[1-4]" "$LAB_TMP/c")" -eq 4
lab_client kdig +time=2 +retry=0 @"$LAB_CACHE6" txt.e2e.example TXT >"$LAB_TMP/c" 2>&1
check "kdig IPv6 TXT" grep -q "long enough" "$LAB_TMP/c"
lab_client drill -Q @"$LAB_CACHE4" www.e2e.example AAAA >"$LAB_TMP/d" 2>&1
check "drill AAAA" grep -q "2001:db8::80" "$LAB_TMP/d"
lab_client getent ahosts www.e2e.example >"$LAB_TMP/h" 2>&1
check "getent ahosts (libc): IPv4" grep -q "^192.0.2.80 " "$LAB_TMP/h"
check "getent ahosts (libc): IPv6" grep -q "^2001:db8::80 " "$LAB_TMP/h"

# 3. negative answers are cached no longer than max-negative-ttl (30), from the SOA's 120
dig4 nothere.e2e.example A >"$LAB_TMP/e" 2>&1
check "NXDOMAIN" grep -q "status: NXDOMAIN" "$LAB_TMP/e"
neg=$(dig4 +noall +authority nothere.e2e.example A | awk '{print $2}')
check "negative TTL capped ($neg <= 30)" test "${neg:-99}" -le 30

# 4. truncation: without EDNS the answer is over 512 bytes; dig retries over TCP and succeeds
dig4 +noedns +ignore big.e2e.example A >"$LAB_TMP/f" 2>&1
check "UDP answer truncated" grep -q "flags: qr tc\|flags:.* tc" "$LAB_TMP/f"
check "TCP retry gets all 40" test "$(dig4 +noedns +short big.e2e.example A | grep -c 198.51.100)" -eq 40

# 5. expired: passed by the kernel and refreshed by the daemon; stale while health is down
check "short-lived name" test "$(answers short.e2e.example A)" -eq 1
sleep 3
exp0=$(lab_counter pass_expired)
check "expired entry refreshed" test "$(answers short.e2e.example A)" -eq 1
check "expired entry passed by the kernel" test "$(lab_counter pass_expired)" -eq $((exp0 + 1))
sleep 3
lab_ctl health down >/dev/null
check "stale (TTL 30) while health is down" test "$(ttl_of short.e2e.example A)" = 30
lab_ctl health up >/dev/null

# 5b. prefetch: a name hit all along is refreshed before it expires: one miss, no expiry
miss2=$(lab_counter miss)
exp2=$(lab_counter pass_expired)
ok=0
for _ in $(seq 12); do # 6 s over a TTL of 4
	ok=$((ok + $(answers hot.e2e.example A)))
	sleep 0.5
done
check "hot name answered every time" test "$ok" -eq 12
check "hot name missed once only" test "$(lab_counter miss)" -eq $((miss2 + 1))
check "hot name never expired" test "$(lab_counter pass_expired)" -eq "$exp2"

# 5c. the default probe against an authoritative-only upstream: refused every 2 s (3 refusals
# in a row took it down within seconds, unless a real answer came between). 7 s without a
# client, so only probes reach it: it is up, was never down, and uncached names resolve.
sleep 7
check "default probe, refused: never marked down" sh -c "! grep -q 'is down' $LAB_TMP/d1.log"
check "default probe, refused: the upstream stays up" sh -c \
	"$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q '^$LAB_UPSTREAM up'"
check "default probe, refused: an uncached name resolves" test "$(answers ns.e2e.example A)" -eq 1
check "default probe, refused: counted as about the name" sh -c \
	"$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q ' name_failures=[1-9]'"

# 6. kill -9 the daemon under a steady load of queries for cached names: none goes unanswered
answers many.e2e.example A >/dev/null # cached again after the expiry steps above
(
	unanswered=0
	for i in $(seq 40); do # bounded: 40 queries, about 3 s
		name=www
		[ $((i % 2)) -eq 0 ] && name=many
		[ "$(answers $name.e2e.example A)" -ge 1 ] || unanswered=$((unanswered + 1))
		sleep 0.05
	done
	echo "$unanswered" >"$LAB_TMP/unanswered"
) &
load=$!
sleep 0.5
{ kill -9 "$LAB_DAEMON_PID" && wait "$LAB_DAEMON_PID"; } 2>/dev/null
hits1=$(lab_counter hit_fresh)
wait "$load"
check "kill -9 under load: no query unanswered" test "$(cat "$LAB_TMP/unanswered")" -eq 0
check "answered by the kernel meanwhile" test "$(lab_counter hit_fresh)" -gt "$hits1"

# 7. restart: it loads its own program in place of the one left attached, keeping the cache;
# misses work again (IPv4 only this time: the kernel must stop answering on the IPv6 address)
lab_daemon "$LAB_TMP/d2.log" "${daemon_args[@]}" --listen "$LAB_CACHE4" || true
check "restart replaces the program, cache kept" grep -qE \
	"replaced the XDP program on $LAB_IF_CACHE \(id [0-9]+ -> id [0-9]+\), cache kept \([1-9][0-9]* entries\)" \
	"$LAB_TMP/d2.log"
check "an address no longer listed is no longer served" test "$(lab_client kdig +short +time=1 \
	+retry=0 @"$LAB_CACHE6" many.e2e.example A 2>/dev/null | grep -c 192.0.2.8)" -eq 0
hits2=$(lab_counter hit_fresh)
check "cache kept across the restart" test "$(answers www.e2e.example A)" -eq 1 -a \
	"$(lab_counter hit_fresh)" -eq $((hits2 + 1))
check "misses resolved again" test "$(answers ns.e2e.example A)" -eq 1

# 8. flush one name: the daemon resolves it again, the others stay kernel hits
check "flush one name" lab_ctl flush www.e2e.example
miss1=$(lab_counter miss)
check "flushed name resolved again" test "$(answers www.e2e.example A)" -eq 1 -a \
	"$(lab_counter miss)" -eq $((miss1 + 1))

# 9. outage: stop the upstream. Once the probes mark it down, cached names keep answering
# (expired ones stale, TTL 30, from the kernel) and uncached ones get SERVFAIL at once; when
# it is back, fresh answers return.
answers short.e2e.example A >/dev/null # cached, expiring in 2 s
kill "$LAB_NSD_PID"
wait "$LAB_NSD_PID" 2>/dev/null
for _ in $(seq 30); do lab_ctl health | grep -q "all down" && break; sleep 0.1; done
check "probes mark the upstream down" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q 'all down'"
check "daemon logs it" grep -q "every upstream is down" "$LAB_TMP/d2.log"
check "cached name answers" test "$(answers many.e2e.example A)" -eq 4
sleep 2
stale0=$(lab_counter hit_stale)
check "expired name served stale, TTL 30" test "$(ttl_of short.e2e.example A)" = 30
check "stale answer came from the kernel" test "$(lab_counter hit_stale)" -eq $((stale0 + 1))
t0=$(date +%s%N)
dig4 gone.e2e.example A >"$LAB_TMP/g" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
check "uncached name: SERVFAIL" grep -q "status: SERVFAIL" "$LAB_TMP/g"
check "promptly ($ms ms)" test "$ms" -lt 500
lab_upstream e2e.example "$zone" >/dev/null || true
for _ in $(seq 30); do lab_ctl health | grep -q "upstreams: up" && break; sleep 0.1; done
check "upstream back: marked up" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q 'upstreams: up'"
# the name used during the outage is refreshed by the recovery, not by a rush of misses
for _ in $(seq 30); do grep -q "recovery done" "$LAB_TMP/d2.log" && break; sleep 0.1; done
check "recovery refreshed the stale names" grep -q "refreshing [1-9][0-9]* stale entries" "$LAB_TMP/d2.log"
check "recovery ends, the kernel flag with it" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -qx 'upstreams: up'"
fresh=$(ttl_of short.e2e.example A)
check "fresh answers return (TTL $fresh)" test "${fresh:-99}" -le 2

# 10. SIGHUP reloads the config and keeps the cache; a broken config is refused
printf 'max-negative-ttl 5\n' >"$LAB_TMP/xdpdns.conf"
kill -HUP "$LAB_DAEMON_PID"
for _ in $(seq 20); do grep -q "config reloaded" "$LAB_TMP/d2.log" && break; sleep 0.1; done
check "SIGHUP: reloaded" grep -q "config reloaded" "$LAB_TMP/d2.log"
neg=$(dig4 +noall +authority reloaded-nothere.e2e.example A | awk '{print $2}')
check "new max-negative-ttl applies ($neg <= 5)" test "${neg:-99}" -le 5
hits3=$(lab_counter hit_fresh)
check "cache kept across the reload" test "$(answers many.e2e.example A)" -eq 4 -a \
	"$(lab_counter hit_fresh)" -eq $((hits3 + 1))
printf 'max-negative-ttl 5\nport 0\n' >"$LAB_TMP/xdpdns.conf"
kill -HUP "$LAB_DAEMON_PID"
for _ in $(seq 20); do grep -q "config not reloaded" "$LAB_TMP/d2.log" && break; sleep 0.1; done
check "broken config refused with file and line" \
	grep -q "config not reloaded: $LAB_TMP/xdpdns.conf:2: port: 0 is out of range" "$LAB_TMP/d2.log"
check "still serving after a refused reload" test "$(answers ns.e2e.example A)" -eq 1

# 11. xdpdnsctl asks the daemon too: its counters, each upstream, and a forced-down drill
lab_ctl stats >"$LAB_TMP/stats"
check "stats: daemon counters" grep -qE "^resolved [1-9]" "$LAB_TMP/stats"
check "stats: kernel counters" grep -qE "^hit_fresh +[1-9]" "$LAB_TMP/stats"
check "health: the upstream, up" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q '^$LAB_UPSTREAM up'"
lab_ctl health 192.0.2.99 down >/dev/null 2>&1
check "a drill on an address that is no upstream: refused, exit 2" test $? -eq 2
lab_ctl health "$LAB_UPSTREAM" down >/dev/null
check "forced down: the kernel serves stale" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q 'all down'"
check "forced down: uncached names SERVFAIL" sh -c "ip netns exec $LAB_CLIENT dig +time=2 +tries=1 @$LAB_CACHE4 forced.e2e.example | grep -q SERVFAIL"
lab_ctl health "$LAB_UPSTREAM" auto >/dev/null
for _ in $(seq 30); do lab_ctl health | grep -q "upstreams: up" && break; sleep 0.1; done
check "back to auto: up after a probe" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE health | grep -q 'upstreams: up'"

# 12. SIGTERM: a clean stop takes the program off the interface
kill "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
check "detached on SIGTERM" sh -c "! ip -n $LAB_CACHE link show $LAB_IF_CACHE | grep -q prog/xdp"
check "nothing dropped" test "$(lab_counter drop_internal)" -eq 0

# 13. an interface without native XDP (a bridge): generic mode with a warning, and a fresh cache
# (the failed native attempt must not leave maps that pass for a kept cache)
ip -n "$LAB_CACHE" link add "xdf-$$" type bridge
ip -n "$LAB_CACHE" addr add 198.18.0.1/32 dev "xdf-$$"
ip -n "$LAB_CACHE" link set "xdf-$$" up
timeout -s TERM 3 nsenter --net="/run/netns/$LAB_CACHE" "$LAB_OUT/xdpdnsd" --iface "xdf-$$" \
	--upstream "$LAB_UPSTREAM" --health-query "e2e.example. SOA" --snapshot-file "" \
	>"$LAB_TMP/fb.log" 2>&1
check "no native XDP: falls back with a warning" grep -q "warning: falling back to generic" "$LAB_TMP/fb.log"
check "attached in generic mode" grep -q "attached to xdf-$$ (generic mode)" "$LAB_TMP/fb.log"
check "with a fresh cache" sh -c "! grep -q 'kept from the last run' $LAB_TMP/fb.log"

check_done
