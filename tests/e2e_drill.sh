#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# xdpdnsctl drill, the operator's way to rehearse an outage on a live cache, in namespaces made
# here (tools/lab.sh) with nsd upstream: each fault (stop, slow, servfail, loss, flap, empty,
# nxdomain) started by hand has its effect on the daemon, shows in `xdpdnsctl drill` and the
# log, and ends by itself or by `drill off`; bad input is refused and changes nothing.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"
. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

UP=$LAB_UPSTREAM4
ZONE=drill.example
health_of() { lab_ctl health | awk -v a="$UP:53" '$1 == a { print $2 }'; }
status_of() { lab_client dig +time=3 +tries=1 @"$LAB_CACHE4" "$@" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
answer_of() { lab_client dig +short +time=3 +tries=1 @"$LAB_CACHE4" "$@" 2>/dev/null; }
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
is_down() { [ "$(health_of)" = down ]; }
is_up() { [ "$(health_of)" = up ]; }
logged() { grep -q "$1" "$LAB_TMP/d.log"; }

lab_up || exit 1
{
	printf '$ORIGIN %s.\n$TTL 300\n' "$ZONE"
	printf '@ IN SOA ns hostmaster 1 7200 900 1209600 300\n@ IN NS ns\nns IN A %s\n' "$UP"
	printf 'www 2 IN A 10.8.0.1\napi 2 IN A 10.8.0.2\n'
	for i in $(seq 20); do printf 'n%d IN A 10.8.1.%d\n' "$i" "$i"; done
} >"$LAB_TMP/zone"
lab_upstream "$ZONE" "$LAB_TMP/zone" || { echo "0 passed, 1 failed"; exit 1; }
lab_daemon "$LAB_TMP/d.log" --timeout 0.5 --attempts 1 --health-query "$ZONE. SOA" \
	--health-interval 0.5 --health-failures 2 --prefetch 0 ||
	{ echo "0 passed, 1 failed"; exit 1; }
check "cached names" test "$(answer_of www.$ZONE A)" = 10.8.0.1 -a "$(answer_of api.$ZONE A)" = 10.8.0.2
check "no drill at first" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE drill | grep -q '^$UP:53 drill: none$'"

# bad input: refused with the reason, exit 2, nothing started
for bad in "all crash" "10.9.9.9 stop" "all slow" "all loss 101" "all stop for 0" "all stop 5"; do
	out=$(lab_ctl drill $bad 2>&1)
	check "refused: drill $bad ($out)" test $? -eq 2 -a -n "$out"
done
check "... and nothing started" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE drill | grep -q 'drill: none'"

# stop: no query reaches the upstream; it is marked down, a cached name answers, an uncached
# one gets SERVFAIL; it ends by itself and the upstream is up again
lab_ctl drill all stop for 3 >/dev/null
check "stop: shown with its time left" sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE drill | grep -q 'drill: stop, [0-9]* s left'"
check "stop: logged" logged "drill on upstream $UP:53: stop"
check "stop: the upstream is marked down" wait_for 3 is_down
check "stop: a cached name answers" test "$(answer_of www.$ZONE A)" = 10.8.0.1
check "stop: an uncached name gets SERVFAIL" test "$(status_of n1.$ZONE A)" = SERVFAIL
check "stop: over by itself" wait_for 4 logged "drill on upstream $UP:53 over: its time is up"
check "stop: the upstream is up again" wait_for 5 is_up

# servfail: every answer turned into SERVFAIL
lab_ctl drill all servfail for 5 >/dev/null
check "servfail: an uncached name gets SERVFAIL" test "$(status_of n2.$ZONE A)" = SERVFAIL
lab_ctl drill off >/dev/null
check "off: logged" logged "drill on upstream $UP:53 ended by hand"
check "off: the name resolves" wait_for 5 sh -c "[ \"\$(ip netns exec $LAB_CLIENT dig +short +time=2 +tries=1 @$LAB_CACHE4 n2.$ZONE A)\" = 10.8.1.2 ]"

# slow: answers held back 1 s, past the 0.5 s timeout: they time out
t0=$(lab_upstream_sum timeouts)
lab_ctl drill all slow 1000 for 5 >/dev/null
check "slow: the client's query failed (SERVFAIL)" test "$(status_of n3.$ZONE A)" = SERVFAIL
check "slow: the answer timed out ($(($(lab_upstream_sum timeouts) - t0)))" test "$(lab_upstream_sum timeouts)" -gt "$t0"
lab_ctl drill off >/dev/null
# slow under the timeout: answered, late
wait_for 5 is_up
lab_ctl drill all slow 200 for 5 >/dev/null
t0=$(date +%s%N)
check "slow 200: answered" test "$(answer_of n4.$ZONE A)" = 10.8.1.4
ms=$((($(date +%s%N) - t0) / 1000000))
check "slow 200: after 200 ms at least ($ms ms)" test "$ms" -ge 200
lab_ctl drill off >/dev/null

# loss 100: every query lost, like stop
t0=$(lab_upstream_sum timeouts)
lab_ctl drill all loss 100 for 5 >/dev/null
check "loss 100: the client's query failed (SERVFAIL)" test "$(status_of n5.$ZONE A)" = SERVFAIL
check "loss 100: timed out" test "$(lab_upstream_sum timeouts)" -gt "$t0"
lab_ctl drill off >/dev/null

# flap 4: stopped 4 s, answering 4 s, stopped again, ending by itself; from an upstream up
# again after the loss drill (its probes backed off while it was down: seconds, not 0.5)
check "up again before the flap" wait_for 60 is_up
lab_ctl drill all flap 4 for 12 >/dev/null
# sampled, not read from the log: its upstream events are rate-limited
states=""
end=$(($(date +%s%N) + 12500000000))
while [ "$(date +%s%N)" -lt "$end" ]; do
	states+="$(health_of) "
	sleep 0.1
done
changes=$(awk '{ for (i = 2; i <= NF; i++) if ($i != $(i - 1)) n++; print n + 0 }' <<<"$states")
# down, then up again; a second down is not certain within its 12 s. Nor is the up within the
# drill: probes of a down upstream back off (each failed one doubles the interval, up to 10 s
# with --health-interval 0.5), and a probe 4-8 s away may pass over a whole 4-s answering
# period (CI saw it once: down for all 12 s). So: up during the drill, or at the latest one
# backed-off probe after it ends.
up_again=during
grep -q 'up.*down.*up' <<<"$states" || { wait_for 11 is_up && up_again=after; } || up_again=no
[ "$up_again" = during ] || echo "flap: the states sampled: $states"
check "flap: down during the drill ($changes changes)" grep -q 'up.*down' <<<"$states"
check "flap: ... and up again, $up_again the drill" test "$up_again" != no

check "flap: over by itself" wait_for 2 sh -c "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE drill | grep -q 'drill: none'"

# empty: the outage's own failure on one name. The last good answer is served (the guard), the
# other names are untouched
wait_for 5 is_up
g0=$(lab_counter guard_names)
lab_ctl drill all empty api.$ZONE for 20 >/dev/null
sleep 2.2 # api expires (TTL 2)
check "empty: the last good answer" test "$(answer_of api.$ZONE A)" = 10.8.0.2
check "empty: the guard engaged" wait_for 3 logged "api.$ZONE. A turned empty"
check "empty: counted" test "$(lab_counter guard_names)" -gt "$g0"
check "empty: other names untouched" test "$(answer_of n6.$ZONE A)" = 10.8.1.6
lab_ctl drill off >/dev/null

# nxdomain: the same, as NXDOMAIN
lab_ctl drill all nxdomain www.$ZONE for 20 >/dev/null
sleep 2.2
check "nxdomain: the last good answer" test "$(answer_of www.$ZONE A)" = 10.8.0.1
check "nxdomain: the guard engaged" wait_for 3 logged "www.$ZONE. A turned NXDOMAIN"
lab_ctl drill off >/dev/null

check "the daemon lived through it all" kill -0 "$LAB_DAEMON_PID"

# no-guard-zone: inside it (the zone's own subdomain, any case), a negative is served at once
kill "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
lab_daemon "$LAB_TMP/d2.log" --timeout 0.5 --attempts 1 --health-query "$ZONE. SOA" \
	--health-interval 0.5 --health-failures 2 --prefetch 0 --no-guard-zone API.$ZONE ||
	{ echo "     the daemon did not start again"; }
answer_of api.$ZONE A >/dev/null
answer_of www.$ZONE A >/dev/null
lab_ctl drill all nxdomain api.$ZONE for 20 >/dev/null
sleep 2.2 # api expires (TTL 2)
check "no-guard-zone: NXDOMAIN at once" test "$(status_of api.$ZONE A)" = NXDOMAIN
lab_ctl drill all nxdomain www.$ZONE for 20 >/dev/null # www expired meanwhile too
check "... outside it, the guard as before" test "$(answer_of www.$ZONE A)" = 10.8.0.1
lab_ctl drill off >/dev/null
check_done
