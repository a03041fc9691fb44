#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make deb`'s package on this machine: lintian finds no error or warning; dpkg -i installs the
# files it should, creates the user, and the unit passes systemd-analyze verify; the daemon runs
# from the installed files the way the unit runs it (its ExecStart for an interface of a lab,
# bounded to its CapabilityBoundingSet, NoNewPrivileges, its state directory, NOTIFY_SOCKET):
# ready, a miss then a kernel hit, the snapshot at stop, the program kept; dpkg -r takes the
# kept program off and keeps the conffile and the snapshots; dpkg --purge removes them, leaving
# the paths as they were before, but the system user (Debian's practice). One run at a time on a
# host (a lock): the package database is the host's. Refuses to run where xdpdns is installed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/lab.sh"
. "$top/tests/check.sh"

version=$(cat "$top/VERSION")
deb=$top/.output/xdpdns_${version}_$(dpkg --print-architecture).deb
unit=/lib/systemd/system/xdpdns@.service

exec 9>/run/lock/xdpdns-e2e-deb.lock
flock -w 600 9 || { echo "FAIL another e2e_deb.sh holds /run/lock/xdpdns-e2e-deb.lock"; exit 1; }
for p in /etc/xdpdns /var/lib/xdpdns; do
	if dpkg-query -W xdpdns >/dev/null 2>&1 || [ -e "$p" ]; then
		echo "FAIL xdpdns is installed here, or $p exists: this test installs and purges it"
		exit 1
	fi
done
had_user=$(getent passwd xdpdns >/dev/null && echo yes)

cleanup() {
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	if dpkg-query -W xdpdns >/dev/null 2>&1; then
		nsenter --net="/run/netns/$LAB_CACHE" dpkg --purge xdpdns >/dev/null 2>&1 ||
			dpkg --purge xdpdns >/dev/null 2>&1
	fi
	[ -n "$had_user" ] || userdel xdpdns 2>/dev/null
	lab_down
}
trap cleanup EXIT

t0=$(date +%s%N)
make -C "$top" deb >"$LAB_TMP/deb.log" 2>&1
rc=$?
check "make deb ($((($(date +%s%N) - t0) / 1000000)) ms)" test "$rc" -eq 0 -a -f "$deb"
[ "$rc" -eq 0 ] || { cat "$LAB_TMP/deb.log"; check_done; exit; }

# lintian as a user (it warns about root); the package where that user can read it
lint=$(mktemp -d)
chmod 755 "$lint"
install -m 644 "$deb" "$lint/"
t0=$(date +%s%N)
runuser -u nobody -- env HOME="$lint" lintian --fail-on error,warning "$lint/${deb##*/}" \
	>"$LAB_TMP/lintian.out" 2>&1
rc=$?
rm -rf "$lint"
sed 's/^/    /' "$LAB_TMP/lintian.out"
check "lintian: no error, no warning ($((($(date +%s%N) - t0) / 1000000)) ms)" test "$rc" -eq 0

# the paths the package touches, as they are before: after the purge they must be so again
paths=$(dpkg-deb -c "$deb" | awk '{ sub(/^\./, "", $6); print $6 }' | sed 's|/$||' | grep . |
	sort -u; echo /var/lib/xdpdns)
state_of() { for p in $paths; do [ -e "$p" ] && echo "$p"; done; }
before=$(state_of)

# install
dpkg -i "$deb" >"$LAB_TMP/install.log" 2>&1
rc=$?
check "dpkg -i" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { cat "$LAB_TMP/install.log"; check_done; exit; }
expected="/etc/xdpdns/xdpdns.conf
/lib/systemd/system/xdpdns@.service
/usr/lib/sysusers.d/xdpdns.conf
/usr/libexec/xdpdns/xdpdns-linkloss
/usr/sbin/xdpdnsctl
/usr/sbin/xdpdnsd
/usr/share/doc/xdpdns/README.md
/usr/share/doc/xdpdns/changelog.gz
/usr/share/doc/xdpdns/copyright
/usr/share/doc/xdpdns/docs/benchmarks.md
/usr/share/doc/xdpdns/docs/design.md
/usr/share/doc/xdpdns/docs/operating.md
/usr/share/doc/xdpdns/docs/outages.md
/usr/share/doc/xdpdns/docs/security.md
/usr/share/doc/xdpdns/docs/testing.md
/usr/share/doc/xdpdns/xdpdns.conf.example
/usr/share/man/man5/xdpdns.conf.5.gz
/usr/share/man/man8/xdpdnsctl.8.gz
/usr/share/man/man8/xdpdnsd.8.gz"
check "dpkg -L: the files, and no others" test \
	"$(dpkg -L xdpdns | while read -r f; do [ -f "$f" ] && echo "$f"; done | LC_ALL=C sort)" = "$expected"
check "dpkg: version $version, /etc/xdpdns/xdpdns.conf a conffile" test \
	"$(dpkg-query -W -f '${Version} ${Conffiles}' xdpdns | awk '{ print $1, $2 }')" = \
	"$version /etc/xdpdns/xdpdns.conf"
check "xdpdnsd --version, xdpdnsctl --version: $version" test \
	"$(/usr/sbin/xdpdnsd --version; /usr/sbin/xdpdnsctl --version)" = \
	"$(printf 'xdpdnsd %s\nxdpdnsctl %s' "$version" "$version")"
uid=$(getent passwd xdpdns | cut -d: -f3)
check "the system user xdpdns (uid $uid, from the sysusers.d entry)" test "${uid:-1000}" -lt 1000
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$unit" "xdpdns@$LAB_IF_CACHE.service" 2>&1)
rc=$?
check "systemd-analyze verify the installed unit" test "$rc" -eq 0 -a -z "$out"
[ -z "$out" ] || echo "$out" | sed 's/^/    /'

# the daemon as the unit runs it, on the lab's cache interface, the upstream in the conffile
zone=$LAB_TMP/deb.zone
printf '$ORIGIN deb.example.\n$TTL 300\n@ IN SOA ns hostmaster 1 7200 900 1209600 120\n@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n' >"$zone"
lab_up || exit 1
lab_upstream deb.example "$zone" || { echo "0 passed, 1 failed"; exit 1; }
# lo too: a removal must take every attach point's program off, not only the unit's NIC
printf 'upstream %s\nhealth-query deb.example. SOA\nattach lo\n' "$LAB_UPSTREAM4" >>/etc/xdpdns/xdpdns.conf
read -ra exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$LAB_IF_CACHE/g; s/\$XDPDNS_OPTS//")"
keep=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z ' 'a-z\n')
drop=$(capsh --print | sed -n 's/^Bounding set =//p' | tr -d ' ' | tr , '\n' | grep -vxF "$keep" | paste -sd,)
mkdir -p -m 0700 /run/xdpdns /var/lib/xdpdns # RuntimeDirectory=, StateDirectory=
# NOTIFY_SOCKET: the daemon is the user xdpdns when it stops
chmod 755 "$LAB_TMP"
python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "a", buffering=1)
while True: out.write(s.recv(4096).decode() + "\n")' "$LAB_TMP/notify.sock" "$LAB_TMP/notify.out" &
for _ in $(seq 20); do [ -S "$LAB_TMP/notify.sock" ] && break; sleep 0.1; done
echo "ExecStart: ${exec_start[*]}"
NOTIFY_SOCKET=$LAB_TMP/notify.sock nsenter --net="/run/netns/$LAB_CACHE" setpriv --no-new-privs \
	capsh --drop="$drop" -- -c 'exec "$0" "$@"' "${exec_start[@]}" >"$LAB_TMP/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 50); do grep -q READY=1 "$LAB_TMP/notify.out" 2>/dev/null && break; sleep 0.1; done
check "the installed daemon, started as the unit: READY=1" grep -q READY=1 "$LAB_TMP/notify.out"
grep -E "error|warning|running as" "$LAB_TMP/daemon.log" | sed 's/^/    /'
miss0=$(lab_counter miss)
check "a miss resolved upstream" test "$(lab_client dig +time=2 +tries=1 +short @"$LAB_CACHE4" \
	www.deb.example A)" = 192.0.2.80 -a "$(lab_counter miss)" -eq $((miss0 + 1))
hits0=$(lab_counter hit_fresh)
check "its repeat answered by the kernel" test "$(lab_client dig +time=2 +tries=1 +short \
	@"$LAB_CACHE4" www.deb.example A)" = 192.0.2.80 -a "$(lab_counter hit_fresh)" -eq $((hits0 + 1))
kill "$daemon" # systemctl stop
wait "$daemon"
rc=$?
daemon=
check "stopped (SIGTERM): exit 0, STOPPING=1" test "$rc" -eq 0 -a \
	"$(grep -c STOPPING=1 "$LAB_TMP/notify.out")" -eq 1
check "the snapshot in the state directory, the user's" test \
	"$(stat -c %U "/var/lib/xdpdns/$LAB_IF_CACHE.snapshot" 2>/dev/null)" = xdpdns
check "the program left attached (--keep=yes), on lo too" sh -c \
	"ip -n $LAB_CACHE -o link show $LAB_IF_CACHE | grep -q prog/xdp && tc -n $LAB_CACHE filter show dev lo egress | grep -q xdpdns_tc_serve"

# remove, on the host the interface is in: the kept program goes, the conffile and state stay
nsenter --net="/run/netns/$LAB_CACHE" dpkg -r xdpdns >"$LAB_TMP/remove.log" 2>&1
check "dpkg -r" test $? -eq 0
check "... the kept programs taken off $LAB_IF_CACHE and lo, with the pins" test -z \
	"$(ip -n "$LAB_CACHE" -o link show "$LAB_IF_CACHE" | grep prog/xdp)" -a \
	! -e "/sys/fs/bpf/xdpdns/$LAB_IF_CACHE" -a \
	-z "$(tc -n "$LAB_CACHE" filter show dev lo egress | grep xdpdns_tc_serve)"
check "... the binaries gone, the conffile (edited) and the snapshot kept" test \
	! -e /usr/sbin/xdpdnsd -a -f "/var/lib/xdpdns/$LAB_IF_CACHE.snapshot" -a \
	"$(dpkg-query -W -f '${Status}' xdpdns)" = "deinstall ok config-files" -a \
	"$(grep -c "^upstream $LAB_UPSTREAM4" /etc/xdpdns/xdpdns.conf)" -eq 1

# purge: all of it, but the user
dpkg --purge xdpdns >"$LAB_TMP/purge.log" 2>&1
check "dpkg --purge" test $? -eq 0
check "... nothing left: dpkg forgot it, the paths as before the install" test \
	"$(state_of)" = "$before" -a -z "$(dpkg-query -W xdpdns 2>/dev/null)"
[ "$(state_of)" = "$before" ] || diff <(echo "$before") <(state_of) | sed 's/^/    /'
check "... but the system user (Debian leaves it: files of it may remain)" sh -c "getent passwd xdpdns >/dev/null"
check_done
