#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end, in the lab (tools/lab.sh): DNSSEC through the cache. Two zones signed here with
# ldns-signzone (sec.example with NSEC, n3.example with NSEC3), served by nsd.
#  1. A validating unbound in the client's namespace, with the zones' trust anchors, forwards
#     to xdpdns, which forwards to nsd: positive, CNAME (within a zone and across the two),
#     wildcard, NXDOMAIN and NODATA answers validate as secure (AD) on misses and again, the
#     validator's cache flushed, on kernel hits; a tampered signature fails (SERVFAIL).
#  2. xdpdns in front of a validating unbound: a client that asks with AD or DO gets AD, one
#     that asks with neither does not, from the daemon and from the kernel; CD passes through.
#  3. BADVERS and NOTIMP keep RD and the question.
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

UNBOUND_PIDS=()
cleanup() {
	local pid
	for pid in "${UNBOUND_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	lab_down
}
trap cleanup EXIT

# Debian's AppArmor profile for unbound confines /usr/sbin/unbound to /etc/unbound: where it is
# enforced, run a copy (the profile attaches by path) so that it reads the lab's files
UNBOUND=/usr/sbin/unbound
if grep -qs '^unbound (enforce)' /sys/kernel/security/apparmor/profiles; then
	cp /usr/sbin/unbound "$LAB_TMP/unbound"
	UNBOUND=$LAB_TMP/unbound
fi

# sign ORIGIN [ldns-signzone options]: signs $LAB_TMP/ORIGIN.zone with a new key (ECDSA P-256,
# one key signing everything), valid from yesterday; the trust anchor is ORIGIN.anchor
sign() {
	local origin=$1 key
	shift
	key=$(cd "$LAB_TMP" && ldns-keygen -a ECDSAP256SHA256 -k "$origin") || return 1
	cp "$LAB_TMP/$key.key" "$LAB_TMP/$origin.anchor"
	(cd "$LAB_TMP" && ldns-signzone "$@" -i "$(date -u -d yesterday +%Y%m%d%H%M%S)" \
		-f "$origin.signed" "$origin.zone" "$key")
}

cat >"$LAB_TMP/sec.example.zone" <<'ZONE'
$ORIGIN sec.example.
$TTL 300
@       IN SOA  ns.sec.example. hostmaster.sec.example. 1 7200 900 1209600 120
@       IN NS   ns
ns      IN A    192.0.2.1
www     IN A    192.0.2.80
alias   IN CNAME www
*.wild  IN A    192.0.2.81
far     IN CNAME www.n3.example.
bad     IN A    192.0.2.82
ZONE
cat >"$LAB_TMP/n3.example.zone" <<'ZONE'
$ORIGIN n3.example.
$TTL 300
@       IN SOA  ns.n3.example. hostmaster.n3.example. 1 7200 900 1209600 120
@       IN NS   ns
ns      IN A    192.0.2.1
www     IN A    192.0.2.90
alias   IN CNAME www
*.wild  IN A    192.0.2.91
ZONE
sign sec.example >/dev/null && sign n3.example -n -t 0 >/dev/null ||
	{ echo "0 passed, 1 failed"; exit 1; }
# the tampered signature: one character of bad.sec.example's RRSIG over A changed
awk '$1 == "bad.sec.example." && $4 == "RRSIG" && $5 == "A" {
	$NF = (substr($NF, 1, 1) == "A" ? "B" : "A") substr($NF, 2) } { print }' \
	"$LAB_TMP/sec.example.signed" >"$LAB_TMP/sec.example.tampered"

# unbound_up NETNS NAME ADDR LINES: a validating unbound in NETNS listening on ADDR (control on
# ADDR:8953), with both trust anchors and the config LINES under server:, in the foreground
# (UNBOUND_PIDS); returns once it answers. Aggressive NSEC off: every query is asked.
unbound_up() {
	local ns=$1 conf=$LAB_TMP/$2.conf
	cat >"$conf" <<-EOF
	server:
		interface: $3
		access-control: 192.0.2.0/24 allow
		do-daemonize: no
		username: ""
		chroot: ""
		directory: "$LAB_TMP"
		pidfile: ""
		use-syslog: no
		logfile: "$LAB_TMP/$2.log"
		do-ip6: no
		module-config: "validator iterator"
		trust-anchor-file: "$LAB_TMP/sec.example.anchor"
		trust-anchor-file: "$LAB_TMP/n3.example.anchor"
		aggressive-nsec: no
		val-log-level: 2
	$4
	remote-control:
		control-enable: yes
		control-interface: $3
		control-use-cert: no
	EOF
	nsenter --net="/run/netns/$ns" "$UNBOUND" -d -c "$conf" &
	UNBOUND_PIDS+=($!)
	for _ in $(seq 50); do
		nsenter --net="/run/netns/$ns" dig +time=1 +tries=1 @"$3" sec.example SOA |
			grep -q "status: NOERROR" && return 0
		sleep 0.1
	done
	cat "$LAB_TMP/$2.log" >&2
	return 1
}

# secure NAME TYPE STATUS [ANSWER]: the validator answers with STATUS and AD (and ANSWER, an
# address in the answer section)
secure() {
	local out
	out=$(lab_client dig +time=3 +tries=1 @127.0.0.1 "$1" "$2")
	grep -q "status: $3," <<<"$out" && grep -qE "^;; flags:[a-z ]* ad[ ;]" <<<"$out" &&
		{ [ -z "${4:-}" ] || grep -qE "IN\s+A\s+$4$" <<<"$out"; }
}

# the answers a validator must find secure: name, type, status, address
CASES=(
	"www.sec.example A NOERROR 192.0.2.80"        # positive
	"alias.sec.example A NOERROR 192.0.2.80"      # CNAME
	"x.wild.sec.example A NOERROR 192.0.2.81"     # wildcard (NSEC)
	"nothere.sec.example A NXDOMAIN"
	"www.sec.example AAAA NOERROR"                # NODATA
	"far.sec.example A NOERROR 192.0.2.90"        # CNAME into the other zone
	"www.n3.example A NOERROR 192.0.2.90"
	"alias.n3.example A NOERROR 192.0.2.90"
	"x.wild.n3.example A NOERROR 192.0.2.91"      # wildcard (NSEC3)
	"nothere.n3.example A NXDOMAIN"
	"www.n3.example AAAA NOERROR"
)

# round WHAT: every case validates; the tampered one does not
round() {
	local c name type
	for c in "${CASES[@]}"; do
		read -r name type _ <<<"$c"
		# shellcheck disable=SC2086
		check "$1: $name $type validates" secure $c
	done
	check "$1: tampered signature: SERVFAIL" sh -c "ip netns exec $LAB_CLIENT dig +time=3 \
		+tries=1 @127.0.0.1 bad.sec.example A | grep -q 'status: SERVFAIL'"
}

lab_up || exit 1
# minimal responses, as unbound's default: a positive answer carries no NS in authority, so the
# denial records of a wildcard's proof stand there alone
LAB_NSD_SERVER=$'\tminimal-responses: yes'
lab_upstream sec.example "$LAB_TMP/sec.example.tampered" "" n3.example "$LAB_TMP/n3.example.signed" ||
	{ echo "0 passed, 1 failed"; exit 1; }
daemon_args=(--health-query "sec.example. SOA")
lab_daemon "$LAB_TMP/d1.log" "${daemon_args[@]}" || { echo "0 passed, 1 failed"; exit 1; }

# 1. validator -> xdpdns -> nsd. The validator is in the client's namespace: its queries enter
# the cache host through the XDP interface, so that the kernel can answer them, through a
# relay that pads them to 500 bytes (tests/pad_relay.py says why: a veth's frames leave the
# kernel no room for a signed answer to a small query; a NIC's are whole pages).
lab_bg "$LAB_CLIENT" /usr/bin/python3 "$(dirname "$0")/pad_relay.py" 5300 "$LAB_CACHE4" 500
unbound_up "$LAB_CLIENT" validator 127.0.0.1 "	do-not-query-localhost: no
	trust-anchor-signaling: no
forward-zone:
	name: \".\"
	forward-addr: 127.0.0.1@5300" || { echo "0 passed, 1 failed"; exit 1; }
round "misses"
lab_client unbound-control -c "$LAB_TMP/validator.conf" reload >/dev/null # its cache, emptied
miss0=$(lab_counter miss) hits0=$(lab_counter hit_fresh) noroom0=$(lab_counter pass_no_tailroom)
round "kernel hits"
check "kernel hits: every answer of the round from the kernel ($(($(lab_counter hit_fresh) - hits0)))" \
	test "$(lab_counter miss)" -eq "$miss0" -a "$(lab_counter pass_no_tailroom)" -eq "$noroom0" \
	-a "$(lab_counter hit_fresh)" -gt $((hits0 + ${#CASES[@]}))

# 2. client -> xdpdns -> validating unbound -> nsd: AD and CD as docs/security.md says
ip -n "$LAB_UP_NS" addr add 192.0.2.2/24 dev "$LAB_IF_UP"
unbound_up "$LAB_UP_NS" resolver 192.0.2.2 "stub-zone:
	name: \"sec.example\"
	stub-addr: $LAB_UPSTREAM4
stub-zone:
	name: \"n3.example\"
	stub-addr: $LAB_UPSTREAM4" || { echo "0 passed, 1 failed"; exit 1; }
{ kill "$LAB_DAEMON_PID" && wait "$LAB_DAEMON_PID"; } 2>/dev/null
lab_ctl flush >/dev/null
rm -f "$LAB_SNAPSHOT"
LAB_UPSTREAM=192.0.2.2:53
lab_daemon "$LAB_TMP/d2.log" "${daemon_args[@]}" || { echo "0 passed, 1 failed"; exit 1; }

# flags ARGS...: the header flags of dig's answer from the cache, the query padded (as above)
flags() {
	lab_client dig +time=3 +tries=1 +padding=468 @"$LAB_CACHE4" "$@" |
		sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'
}
has() { grep -qw "$2" <<<"$1"; }
lacks() { ! has "$@"; }
for from in daemon kernel; do
	hits0=$(lab_counter hit_fresh)
	f=$(flags +noadflag www.sec.example A)
	check "$from: neither AD nor DO: no AD ($f)" lacks "$f" ad
	f=$(flags +adflag alias.sec.example A)
	check "$from: AD without DO: AD ($f)" has "$f" ad
	f=$(flags +noadflag +dnssec x.wild.sec.example A)
	check "$from: DO: AD ($f)" has "$f" ad
	f=$(flags +cd bad.sec.example A)
	check "$from: CD: copied, and the unvalidated answer passed ($f)" has "$f" cd
	check "$from: CD: the record" sh -c "ip netns exec $LAB_CLIENT dig +short +cd \
		+padding=468 @$LAB_CACHE4 bad.sec.example A | grep -qx 192.0.2.82"
	[ "$from" = kernel ] &&
		check "kernel: answered by the kernel" test "$(lab_counter hit_fresh)" -ge $((hits0 + 5))
done
check "without CD: SERVFAIL from the validating upstream" sh -c "ip netns exec $LAB_CLIENT dig \
	+time=3 +tries=1 @$LAB_CACHE4 bad.sec.example A | grep -q 'status: SERVFAIL'"

# 3. refusals keep RD and the question (RFC 1035 4.1.1, RFC 6891 7); the kernel passes them on
out=$(lab_client dig +time=3 +tries=1 +edns=1 +noednsnegotiation @"$LAB_CACHE4" WwW.sec.example A)
check "EDNS version 1: BADVERS" grep -q "status: BADVERS" <<<"$out"
check "... with RD and the question" grep -qzE "flags: qr rd ra;.*;WwW.sec.example.\s+IN\s+A" <<<"$out"
out=$(lab_client dig +time=3 +tries=1 +opcode=notify @"$LAB_CACHE4" sec.example SOA)
check "NOTIFY: NOTIMP" grep -q "status: NOTIMP" <<<"$out"
check "... with RD and the question" grep -qzE "flags: qr rd ra;.*;sec.example.\s+IN\s+SOA" <<<"$out"

check_done
