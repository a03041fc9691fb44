#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: xdpdnsd's fallback-file in the lab (tools/lab.sh). A bad file stops the start
# before anything is attached; a good one is loaded and counted; SIGHUP reads it again, and a
# bad one then is refused with its line while the daemon goes on. Answers from it are drilled
# in e2e_storm.sh (every upstream down).
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

conf=$LAB_TMP/xdpdns.conf
fb=$LAB_TMP/fallback.zone
log=$LAB_TMP/d.log
printf 'fallback-file %s\n' "$fb" >"$conf"
# logged LINE: the daemon's log has LINE within 2 s
logged() {
	for _ in $(seq 20); do grep -qF "$1" "$log" && return 0; sleep 0.1; done
	return 1
}

cat >"$LAB_TMP/fb-upstream.zone" <<'ZONE'
$ORIGIN fb.test.
$TTL 300
@       IN SOA  ns.fb.test. hostmaster.fb.test. 1 7200 900 1209600 120
@       IN NS   ns.fb.test.
ns      IN A    192.0.2.1
ZONE

lab_up || exit 1
lab_upstream fb.test "$LAB_TMP/fb-upstream.zone" || { echo "0 passed, 1 failed"; exit 1; }

# 1. a bad file: no start, nothing attached
printf 'www.fb.test. 300 IN A 192.0.2.80\nwww.fb.test. 300 IN A 192.0.2\n' >"$fb"
check "bad file: the daemon does not start" sh -c \
	"! nsenter --net=/run/netns/$LAB_CACHE timeout 10 $LAB_OUT/xdpdnsd --iface $LAB_IF_CACHE --upstream $LAB_UPSTREAM --config $conf >$LAB_TMP/bad.log 2>&1"
check "... saying where" grep -q "$fb:2: Syntax error" "$LAB_TMP/bad.log"
check "... before attaching" sh -c "! ip -n $LAB_CACHE link show $LAB_IF_CACHE | grep -q prog/xdp"

# 2. a good file is loaded
printf '# pinned\nwww.fb.test. 300 IN A 192.0.2.80\nwww.fb.test. 300 IN A 192.0.2.81\n' >"$fb"
lab_daemon "$log" --config "$conf" --health-query "fb.test. SOA" ||
	{ echo "$passed passed, $((failed + 1)) failed"; exit 1; }
check "loaded at start" logged "fallback-file $fb: 2 records in 1 RRsets"

# 3. SIGHUP: a bad file is refused with its line, and the daemon goes on
printf 'www.fb.test. 300 IN A 192.0.2.80\n\nwww.fb.test. 300 CH A 192.0.2.82\n' >"$fb"
kill -HUP "$LAB_DAEMON_PID"
check "SIGHUP, bad file: refused with its line" \
	logged "SIGHUP: config not reloaded: $fb:3: class is not IN"
check "... and the daemon serves" sh -c \
	"ip netns exec $LAB_CLIENT dig +time=2 +tries=1 +short @$LAB_CACHE4 ns.fb.test | grep -qx 192.0.2.1"

# 4. SIGHUP: the file is read again
printf 'www.fb.test. IN A 192.0.2.80\nwww.fb.test. IN AAAA 2001:db8::80\nx.fb.test. TXT "x"\n' >"$fb"
kill -HUP "$LAB_DAEMON_PID"
check "SIGHUP, good file: read again" logged "fallback-file $fb: 3 records in 3 RRsets"
check "... and the config reloaded" logged "SIGHUP: config reloaded"

check_done
