#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end, in the lab (tools/lab.sh): what an operator watches. xdpdnsd's Prometheus
# endpoint scraped with curl during traffic (counters move; the page parses with Debian's
# python3-prometheus-client; 404 elsewhere; IPv6; a SIGHUP to metrics-listen off closes it),
# xdpdnsctl top in a pseudo-terminal, and a daemon logging JSON lines that all parse.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

# Debian's python3 (a python3 earlier in PATH may lack Debian's modules)
PY=/usr/bin/python3
conf=$LAB_TMP/xdpdns.conf
log=$LAB_TMP/d.log
zone=$LAB_TMP/m.zone
cat >"$zone" <<'ZONE'
$ORIGIN m.example.
$TTL 300
@       IN SOA  ns.m.example. hostmaster.m.example. 1 7200 900 1209600 120
@       IN NS   ns.m.example.
ns      IN A    192.0.2.53
www     IN A    192.0.2.80
ZONE

# logged PATTERN: the daemon's log has PATTERN within 3 s
logged() {
	for _ in $(seq 30); do grep -q "$1" "$log" && return 0; sleep 0.1; done
	return 1
}
# scrape [URL]: the page, from inside the cache's namespace, where the daemon listens
scrape() {
	lab_cache curl -sS --max-time 3 "${1:-http://127.0.0.1:9153/metrics}"
}
# value FILE SAMPLE: the value of one sample ('name{labels}' exactly as on the page)
value() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' "$1"
}
# rose NAME SAMPLE: the sample is larger in the second scrape than in the first
rose() {
	local a b
	a=$(value "$LAB_TMP/m1" "$1") b=$(value "$LAB_TMP/m2" "$1")
	echo "    $1: $a -> $b"
	[ "$a" != missing ] && [ "$b" != missing ] && $PY -c "import sys; sys.exit(not $b > $a)"
}
# parses FILE: valid exposition format, every family with HELP and TYPE, counters named _total
parses() {
	$PY - "$1" <<'PYEOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
families = list(text_string_to_metric_families(text))
helps = {l.split()[2] for l in text.splitlines() if l.startswith("# HELP ")}
types = {l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")}
assert families, "no metrics"
for f in families:
    # the parser drops _total from a counter's family name
    name = f.name + "_total" if f.type == "counter" else f.name
    assert name in helps and name in types, "no HELP or TYPE for " + name
    assert f.name.startswith("xdpdns_"), f.name
    assert f.samples, "no samples in " + f.name
print(len(families), "families,", sum(len(f.samples) for f in families), "samples")
PYEOF
}

lab_up || exit 1
lab_upstream m.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }
printf 'metrics-listen 127.0.0.1:9153\nlog-format json\n' >"$conf"
lab_daemon "$log" --config "$conf" --health-query "m.example. SOA" --health-interval 300ms ||
	{ echo "0 passed, 1 failed"; exit 1; }
check "metrics endpoint logged" logged "metrics on http://127.0.0.1:9153/metrics"

# 1. a scrape, traffic (a miss, then kernel hits), another scrape: the counters moved
scrape >"$LAB_TMP/m1"
check "scrape 1: valid exposition format" parses "$LAB_TMP/m1"
for _ in $(seq 5); do
	lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" www.m.example A >/dev/null
done
lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" nothere.m.example A >/dev/null
sleep 0.5 # a health probe or two more
scrape >"$LAB_TMP/m2"
check "scrape 2: valid exposition format" parses "$LAB_TMP/m2"
check "kernel hits rose" rose 'xdpdns_kernel_packets_total{reason="hit_fresh",action="tx"}'
check "kernel misses rose" rose 'xdpdns_kernel_packets_total{reason="miss",action="pass"}'
check "daemon queries rose" rose 'xdpdns_queries_total{transport="udp"}'
check "daemon misses rose" rose 'xdpdns_misses_total'
check "upstream queries rose" rose 'xdpdns_upstream_queries_total{upstream="192.0.2.1:53"}'
check "upstream latency histogram count rose" \
	rose 'xdpdns_upstream_response_seconds_count{upstream="192.0.2.1:53"}'
check "upstream latency +Inf bucket = count" test \
	"$(value "$LAB_TMP/m2" 'xdpdns_upstream_response_seconds_bucket{upstream="192.0.2.1:53",le="+Inf"}')" = \
	"$(value "$LAB_TMP/m2" 'xdpdns_upstream_response_seconds_count{upstream="192.0.2.1:53"}')"
check "upstream up" test "$(value "$LAB_TMP/m2" 'xdpdns_upstream_up{upstream="192.0.2.1:53"}')" = 1
check "kernel cache entries and bytes" test \
	"$(value "$LAB_TMP/m2" 'xdpdns_kernel_cache_bytes{class="S"}')" = \
	"$(($(value "$LAB_TMP/m2" 'xdpdns_kernel_cache_entries{class="S"}') * 256))"
check "daemon cache entries" test "$(value "$LAB_TMP/m2" xdpdns_daemon_cache_entries)" -ge 2

# 2. HTTP: other paths 404, other methods 405, a header flood 431, HEAD has no body
code() { lab_cache curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$@"; }
check "404 on /" test "$(code http://127.0.0.1:9153/)" = 404
check "404 on /metricsx" test "$(code http://127.0.0.1:9153/metricsx)" = 404
check "200 with a query string" test "$(code 'http://127.0.0.1:9153/metrics?x=1')" = 200
check "405 on POST" test "$(code -X POST -d x http://127.0.0.1:9153/metrics)" = 405
check "431 on a request over the bound" test \
	"$(code -H "X-Pad: $(head -c 3000 /dev/zero | tr '\0' a)" http://127.0.0.1:9153/metrics)" = 431
lab_cache curl -sS -0 --max-time 3 http://127.0.0.1:9153/metrics >"$LAB_TMP/m10"
check "HTTP/1.0" grep -q '^xdpdns_queries_total' "$LAB_TMP/m10"
# connections beyond the bound are closed at once; the ones within are still served
check "at most 4 connections at once" lab_cache $PY - <<'PYEOF'
import socket
held = [socket.create_connection(("127.0.0.1", 9153), timeout=3) for _ in range(4)]
extra = socket.create_connection(("127.0.0.1", 9153), timeout=3)
assert extra.recv(100) == b"", "a fifth connection was kept"
held[0].sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
assert held[0].recv(100).startswith(b"HTTP/1.1 200 OK")
PYEOF

# 3. xdpdnsctl top in a pseudo-terminal: two frames, with the fields an operator reads
script -qc "$LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE top -n 2 --interval 0.5" /dev/null \
	>"$LAB_TMP/top" 2>&1
check "top: redraws (clears the screen twice)" test "$(grep -o $'\e\[2J' "$LAB_TMP/top" | wc -l)" -eq 2
# the last frame's rows, label by label and in order: a renamed, dropped or added row fails
awk -v RS=$'\e\\[2J' 'END { printf "%s", $0 }' "$LAB_TMP/top" | tr -d '\r' >"$LAB_TMP/frame"
sed -nE 's/^  (.*[^ ]) +[0-9]+\.[0-9] +[0-9]+$/\1/p' "$LAB_TMP/frame" >"$LAB_TMP/labels"
cat >"$LAB_TMP/labels.want" <<'LABELS'
kernel answers (hits)
  of which stale
kernel misses
kernel expired
kernel other passes
kernel drops
daemon answers (queries)
  from daemon cache
  daemon misses
  stale
  guard (last good)
  fallback-file
  SERVFAIL
prefetches
LABELS
check "top: the rows, exactly" diff "$LAB_TMP/labels.want" "$LAB_TMP/labels"
check "top: columns" grep -qxE ' +per second +total' "$LAB_TMP/frame"
check "top: the kernel's share" grep -qxE '  answered by the kernel +[0-9]+\.[0-9]%' "$LAB_TMP/frame"
check "top: the upstreams' columns" grep -qxE \
	'  upstream +health +fails +queries/s +answers/s +namefail/s +timeouts/s +bogus/s' \
	"$LAB_TMP/frame"
check "top: upstream up, with rates" grep -qxE \
	"  192\.0\.2\.1:53 +up +[0-9]+( +[0-9]+\.[0-9]){5}" "$LAB_TMP/frame"
check "top: bad interval refused" sh -c "! $LAB_OUT/xdpdnsctl --iface $LAB_IF_CACHE top --interval 0 2>/dev/null"

# 4. events: an upstream forced down and back, logged as events with their fields
lab_ctl health 192.0.2.1:53 down >/dev/null
check "upstream down: an event" logged '"event":"upstream_down","upstream":"192.0.2.1:53"'
scrape >"$LAB_TMP/m3"
check "metrics: upstream down" test "$(value "$LAB_TMP/m3" 'xdpdns_upstream_up{upstream="192.0.2.1:53"}')" = 0
lab_ctl health 192.0.2.1:53 auto >/dev/null
check "upstream up: an event" logged '"event":"upstream_up"'
# flapping: a second down and up within 10 s are suppressed, and counted on the next line
lab_ctl health 192.0.2.1:53 down >/dev/null
lab_ctl health 192.0.2.1:53 auto >/dev/null
check "flapping: suppressed" test "$(grep -c '"event":"upstream_down"' "$log")" -eq 1
sleep 10
lab_ctl health 192.0.2.1:53 down >/dev/null
check "10 s later: logged, with the count" \
	logged '"event":"upstream_down","upstream":"192.0.2.1:53","suppressed":1}'
lab_ctl health 192.0.2.1:53 auto >/dev/null

# 5. SIGHUP: metrics move to IPv6, then off
printf 'metrics-listen [::1]:9154\nlog-format json\n' >"$conf"
kill -HUP "$LAB_DAEMON_PID"
check "SIGHUP: IPv6 endpoint logged" logged 'metrics on http://\[::1\]:9154/metrics'
scrape 'http://[::1]:9154/metrics' >"$LAB_TMP/m6"
check "IPv6 scrape" grep -q '^xdpdns_queries_total' "$LAB_TMP/m6"
check "old address closed" sh -c "! nsenter --net=/run/netns/$LAB_CACHE curl -s --max-time 3 \
	http://127.0.0.1:9153/metrics >/dev/null"
printf 'metrics-listen off\nlog-format json\n' >"$conf"
kill -HUP "$LAB_DAEMON_PID"
check "SIGHUP: metrics-listen off logged" logged "metrics-listen off"
check "metrics-listen off: closed" sh -c "! nsenter --net=/run/netns/$LAB_CACHE curl -s \
	--max-time 3 'http://[::1]:9154/metrics' >/dev/null"
check "... and DNS still served" sh -c "ip netns exec $LAB_CLIENT dig +time=2 +tries=1 +short \
	@$LAB_CACHE4 www.m.example A | grep -qx 192.0.2.80"

# 6. the log: every line a JSON object with ts, level and msg
check "log: some lines" test "$(wc -l <"$log")" -ge 5
check "log: every line parses as JSON with ts, level, msg" $PY -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"ts", "level", "msg"} <= o.keys(), line
' "$log"

check_done
