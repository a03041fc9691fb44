#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Which capabilities xdpdnsd needs, shown by taking each away (capsh bounds a root process to a
# set, as systemd's CapabilityBoundingSet and a container's securityContext do); upgrades
# without CAP_SYS_ADMIN through the pinned program, and a pin that is not the program attached
# never used; and the `user` option: a daemon that drops to nobody after start-up still
# resolves misses, fills the kernel cache, rebinds port 53 on SIGHUP and saves its snapshot. In
# namespaces made here (tools/lab.sh).
set -uo pipefail
. "$(dirname "$0")/../tools/lab.sh"

. "$(dirname "$0")/check.sh"

trap 'lab_down' EXIT

zone=$LAB_TMP/priv.zone
cat >"$zone" <<'ZONE'
$ORIGIN priv.example.
$TTL 300
@       IN SOA  ns.priv.example. hostmaster.priv.example. 1 7200 900 1209600 120
@       IN NS   ns.priv.example.
ns      IN A    192.0.2.53
www     IN A    192.0.2.80
mail    IN A    192.0.2.25
ZONE
lab_up || exit 1
lab_upstream priv.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }

# What the daemon needs at start-up, an upgrade included (docs/operating.md "Privileges"); the drop to
# `user` needs three more. CAP_SYS_ADMIN only to replace a program that is not pinned.
NEED=cap_bpf,cap_perfmon,cap_net_admin,cap_net_bind_service
DROP_TO_USER=cap_setuid,cap_setgid,cap_chown
ALL=$(capsh --print | sed -n 's/^Bounding set =//p' | tr -d ' ')

without() { # without LIST CAP...: LIST less the CAPs
	local list=$1
	shift
	echo "$list" | tr , '\n' | grep -vxF -f <(printf '%s\n' "$@") | paste -sd,
}

# daemon_with CAPS LOG [ARGS...]: xdpdnsd as root bounded to CAPS (LAB_DAEMON_PID); returns 0
# once it serves, 1 when it exits first
daemon_with() {
	local caps=$1 log=$2
	shift 2
	lab_bg "$LAB_CACHE" capsh --drop="$(without "$ALL" $(echo "$caps" | tr , ' '))" -- -c \
		'exec "$0" "$@"' "$LAB_OUT/xdpdnsd" --iface "$LAB_IF_CACHE" --upstream "$LAB_UPSTREAM" \
		--health-query "priv.example. SOA" --snapshot-file "" "$@" >"$log" 2>&1
	LAB_DAEMON_PID=${LAB_PIDS[-1]}
	for _ in $(seq 50); do
		grep -q "serving" "$log" && return 0
		kill -0 "$LAB_DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_daemon() {
	kill "$LAB_DAEMON_PID" 2>/dev/null
	wait "$LAB_DAEMON_PID" 2>/dev/null
}

xdp_off() {
	ip -n "$LAB_CACHE" link set dev "$LAB_IF_CACHE" xdp off
}

PIN=/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/xdpdns_prog
attached_id() { ip -n "$LAB_CACHE" -o link show "$LAB_IF_CACHE" | sed -n 's|.*prog/xdp id \([0-9]*\).*|\1|p'; }
pinned_id() { bpftool prog show pinned "$1" 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p'; }

dig4() { lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" "$@"; }

# 1. each capability taken away in turn from a first attach (no xdpdns program there): fails,
# with the reason in the log. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON, so it is not
# there either. The daemon, bounded to the four, serves, pins its program, and takes it off at
# exit (by its fd) with the pin.
daemon_with "$NEED" "$LAB_TMP/first.log"
check "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_BIND_SERVICE: a first attach serves" \
	test "$(dig4 www.priv.example A)" = 192.0.2.80
check "a first attach: the program pinned at xdpdns_prog" \
	test -n "$(attached_id)" -a "$(pinned_id "$PIN")" = "$(attached_id)"
stop_daemon
check "stopped without keep: detached, the pin removed" \
	test -z "$(attached_id)" -a ! -e "$PIN" -a ! -e "${PIN}_next"
xdp_off
for cap in cap_bpf cap_perfmon cap_net_admin cap_net_bind_service; do
	daemon_with "$(without "$NEED" "$cap")" "$LAB_TMP/no-$cap.log"
	rc=$?
	stop_daemon
	xdp_off
	check "without ${cap^^}: refused" test "$rc" -ne 0
	sed -n 's/^xdpdnsd: \(error\|warning\): /    /p' "$LAB_TMP/no-$cap.log" | sort -u | head -3
done
check "without CAP_BPF: the load is not permitted" grep -q "Operation not permitted" "$LAB_TMP/no-cap_bpf.log"
check "without CAP_PERFMON: the verifier refuses the program" grep -q "Permission denied" \
	"$LAB_TMP/no-cap_perfmon.log"
check "without CAP_NET_ADMIN: the load is not permitted (XDP and TC programs need it)" grep -q \
	"can't load the xdpdns programs: Operation not permitted" "$LAB_TMP/no-cap_net_admin.log"
check "without CAP_NET_BIND_SERVICE: port 53 refused" grep -q \
	"can't listen on $LAB_CACHE4 port 53/udp: Permission denied" "$LAB_TMP/no-cap_net_bind_service.log"
check "a failed start leaves no program pinned" test ! -e "$PIN" -a ! -e "${PIN}_next"

# hit_is NAME ADDR: the answer is ADDR, from the kernel (a hit, no miss)
hit_is() {
	local hits0 miss0
	hits0=$(lab_counter hit_fresh)
	miss0=$(lab_counter miss)
	test "$(dig4 "$1" A)" = "$2" -a "$(lab_counter hit_fresh)" -eq $((hits0 + 1)) \
		-a "$(lab_counter miss)" -eq "$miss0"
}

# 2. an upgrade (a program left attached by --keep) with the same four: the old daemon pinned
# its program, the new one replaces it through the pin's fd (no BPF_PROG_GET_FD_BY_ID, which
# takes CAP_SYS_ADMIN), the cache kept, hits answered all along.
daemon_with "$NEED" "$LAB_TMP/keep.log" --keep
dig4 www.priv.example A >/dev/null # a miss, then cached in the kernel
check "kept program: a kernel hit" hit_is www.priv.example 192.0.2.80
stop_daemon
old=$(attached_id)
check "kept program: attached and pinned at exit" test -n "$old" -a "$(pinned_id "$PIN")" = "$old"
check "no daemon: the kept program answers" hit_is www.priv.example 192.0.2.80
daemon_with "$NEED" "$LAB_TMP/upgrade.log" --keep
check "upgrade without CAP_SYS_ADMIN: the program replaced, cache kept" grep -qE \
	"replaced the XDP program on $LAB_IF_CACHE \(id $old -> id [0-9]+\), cache kept \([1-9][0-9]* entries\)" \
	"$LAB_TMP/upgrade.log"
new=$(attached_id)
check "upgrade without CAP_SYS_ADMIN: a new program, pinned in the old one's place" \
	test -n "$new" -a "$new" != "$old" -a "$(pinned_id "$PIN")" = "$new" -a ! -e "${PIN}_next"
check "upgrade without CAP_SYS_ADMIN: hits go on" hit_is www.priv.example 192.0.2.80
stop_daemon

# a stop between the swap and the rename of the pin (the program attached pinned under the
# temporary name, the other name a program no longer attached): the next start takes the
# temporary pin and settles it
bpftool prog pin pinned "$PIN" "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/stale" # an xdpdns program
daemon_with "$NEED" "$LAB_TMP/crash.log" --keep
stop_daemon
mv "$PIN" "${PIN}_next"
mv "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/stale" "$PIN"
old=$(attached_id)
daemon_with "$NEED" "$LAB_TMP/after-crash.log" --keep
check "stopped before the pin's rename: replaced through the temporary pin, cache kept" grep -qE \
	"replaced the XDP program on $LAB_IF_CACHE \(id $old -> id [0-9]+\), cache kept" \
	"$LAB_TMP/after-crash.log"
check "stopped before the pin's rename: the pins settled" \
	test "$(pinned_id "$PIN")" = "$(attached_id)" -a ! -e "${PIN}_next"
stop_daemon

# 3. a stale pin: an xdpdns program that is not the one attached (here the one replaced last,
# pinned again and put back). Never used; without CAP_SYS_ADMIN the start fails, saying why,
# and the program attached answers on; with it, the daemon falls back to the attached
# program's id, as for a program from a daemon that did not pin its own.
bpftool prog pin pinned "$PIN" "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/stale"
daemon_with "$NEED" "$LAB_TMP/replace-again.log" --keep
stop_daemon
attached=$(attached_id)
mv "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE/stale" "$PIN"
stale=$(pinned_id "$PIN")
check "stale pin: an xdpdns program, not the one attached" \
	test -n "$stale" -a -n "$attached" -a "$stale" != "$attached"
daemon_with "$NEED" "$LAB_TMP/stale.log" --keep
rc=$?
stop_daemon
sed -n 's/^xdpdnsd: \(error\|warning\): /    /p' "$LAB_TMP/stale.log"
check "stale pin, without CAP_SYS_ADMIN: refused" test "$rc" -ne 0
check "stale pin: not used" grep -q \
	"the program pinned at $PIN (id $stale) is not the one attached to $LAB_IF_CACHE (id $attached): not used" \
	"$LAB_TMP/stale.log"
check "stale pin, without CAP_SYS_ADMIN: the reason given" grep -q \
	"can't replace the XDP program on $LAB_IF_CACHE (id $attached): .* needs CAP_SYS_ADMIN" \
	"$LAB_TMP/stale.log"
check "stale pin, without CAP_SYS_ADMIN: the attached program stays and answers" \
	test "$(attached_id)" = "$attached" -a "$(pinned_id "$PIN")" = "$stale"
check "stale pin, without CAP_SYS_ADMIN: hits go on" hit_is www.priv.example 192.0.2.80
daemon_with "$NEED,cap_sys_admin" "$LAB_TMP/by-id.log" --keep
check "stale pin, with CAP_SYS_ADMIN: replaced by id, cache kept" grep -q \
	"replaced the XDP program on $LAB_IF_CACHE (id $attached -> id [0-9]*), cache kept" \
	"$LAB_TMP/by-id.log"
check "stale pin, with CAP_SYS_ADMIN: the new program pinned over it" \
	test "$(pinned_id "$PIN")" = "$(attached_id)" -a "$(attached_id)" != "$attached"
check "stale pin, with CAP_SYS_ADMIN: hits go on" hit_is www.priv.example 192.0.2.80
stop_daemon

# 4. user: started as root with the systemd unit's bounding set, then nobody; it replaces the
# program the last daemon kept
lab_cache timeout 5 "$LAB_OUT/xdpdnsd" --iface "$LAB_IF_CACHE" --user nobody \
	>"$LAB_TMP/nokeep.log" 2>&1
status=$?
check "user without keep: refused ($status)" test "$status" -ne 0 -a "$status" -ne 124
check "... saying why" grep -q "user: needs keep yes" "$LAB_TMP/nokeep.log"
mkdir -p "$LAB_TMP/state"
chown nobody: "$LAB_TMP/state"
chmod 755 "$LAB_TMP"
# `user nobody` in the file (the same option as --user nobody), so that a SIGHUP can try another
printf 'listen %s\nuser nobody\n' "$LAB_CACHE4" >"$LAB_TMP/priv.conf"
chmod 644 "$LAB_TMP/priv.conf"
daemon_with "$NEED,$DROP_TO_USER" "$LAB_TMP/user.log" --config "$LAB_TMP/priv.conf" --keep \
	--snapshot-file "$LAB_TMP/state/cache.snapshot" --snapshot-interval 0
pid=$LAB_DAEMON_PID
grep "running as user" "$LAB_TMP/user.log" | sed 's/^/    /'
check "user nobody, the unit's bounding set: an upgrade, cache kept" grep -q \
	"replaced the XDP program on $LAB_IF_CACHE (id [0-9]* -> id [0-9]*), cache kept" "$LAB_TMP/user.log"
check "user nobody: uid in /proc/PID/status" grep -qE "^Uid:\s+65534\s+65534\s+65534\s+65534" \
	"/proc/$pid/status"
check "user nobody: gid in /proc/PID/status" grep -qE "^Gid:\s+65534\s+65534\s+65534\s+65534" \
	"/proc/$pid/status"
grep -E "^Cap(Prm|Eff|Bnd|Amb)" "/proc/$pid/status" | sed 's/^/    /'
check "user nobody: CapEff is CAP_NET_BIND_SERVICE alone" grep -qE "^CapEff:\s+0+400$" "/proc/$pid/status"
check "user nobody: CapPrm is CAP_NET_BIND_SERVICE alone" grep -qE "^CapPrm:\s+0+400$" "/proc/$pid/status"
check "user nobody: ps shows the user" test "$(ps -o user= -p "$pid")" = nobody
miss0=$(lab_counter miss)
fills0=$(lab_ctl stats | awk '$1 == "kernel_fills" { print $2 }')
check "user nobody: a miss resolved" test "$(dig4 mail.priv.example A)" = 192.0.2.25
check "user nobody: passed by the kernel" test "$(lab_counter miss)" -eq $((miss0 + 1))
check "user nobody: the kernel cache filled" test \
	"$(lab_ctl stats | awk '$1 == "kernel_fills" { print $2 }')" -gt "$fills0"
hits0=$(lab_counter hit_fresh)
check "user nobody: the repeat answered by the kernel" test "$(dig4 mail.priv.example A)" = \
	192.0.2.25 -a "$(lab_counter hit_fresh)" -eq $((hits0 + 1))
# SIGHUP with a new listen address: port 53 bound again as nobody
printf 'listen %s\nlisten %s\nuser nobody\n' "$LAB_CACHE4" "$LAB_CACHE6" >"$LAB_TMP/priv.conf"
kill -HUP "$pid"
for _ in $(seq 30); do grep -q "SIGHUP: config reloaded" "$LAB_TMP/user.log" && break; sleep 0.1; done
check "user nobody: SIGHUP binds port 53 on a new address" test "$(lab_client dig +time=2 +tries=1 \
	+short @"$LAB_CACHE6" www.priv.example A)" = 192.0.2.80
printf 'listen %s\nuser root\n' "$LAB_CACHE4" >"$LAB_TMP/priv.conf"
kill -HUP "$pid"
for _ in $(seq 30); do grep -q "user changes only with a restart" "$LAB_TMP/user.log" && break; sleep 0.1; done
check "user nobody: SIGHUP can't change the user" grep -q "user changes only with a restart" \
	"$LAB_TMP/user.log"
stop_daemon
check "user nobody: snapshot saved at stop" grep -qE "saved [1-9][0-9]* entries to $LAB_TMP/state" \
	"$LAB_TMP/user.log"
check "user nobody: the snapshot is nobody's" test "$(stat -c %U "$LAB_TMP/state/cache.snapshot")" = nobody
check "user nobody: kept attached at exit" sh -c "ip -n $LAB_CACHE link show $LAB_IF_CACHE | grep -q prog/xdp"
check "no errors as nobody" sh -c "! grep -q 'error:' $LAB_TMP/user.log"

check_done
