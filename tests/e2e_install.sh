#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make install` into a temporary DESTDIR: the file list, binaries that run and say the version
# of VERSION, man pages without a lint warning that list every option of the daemon's table, a
# unit systemd accepts, and an existing config left alone.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/check.sh"

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

make -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=/usr" test "$rc" -eq 0
[ "$rc" -eq 0 ] || cat "$dest.log"
rm -f "$dest.log"

expected="etc/xdpdns/xdpdns.conf
usr/lib/systemd/system/xdpdns@.service
usr/lib/sysusers.d/xdpdns.conf
usr/libexec/xdpdns/xdpdns-linkloss
usr/sbin/xdpdnsctl
usr/sbin/xdpdnsd
usr/share/doc/xdpdns/README.md
usr/share/doc/xdpdns/docs/benchmarks.md
usr/share/doc/xdpdns/docs/design.md
usr/share/doc/xdpdns/docs/operating.md
usr/share/doc/xdpdns/docs/outages.md
usr/share/doc/xdpdns/docs/security.md
usr/share/doc/xdpdns/docs/testing.md
usr/share/doc/xdpdns/xdpdns.conf.example
usr/share/man/man5/xdpdns.conf.5
usr/share/man/man8/xdpdnsctl.8
usr/share/man/man8/xdpdnsd.8"
check "the installed files, and no others" test "$(cd "$dest" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)" = "$expected"

check "xdpdnsd --help runs" sh -c "'$dest/usr/sbin/xdpdnsd' --help >/dev/null"
check "xdpdnsctl --help runs" sh -c "'$dest/usr/sbin/xdpdnsctl' --help >/dev/null"
# the version, from VERSION alone: both binaries and every page's footer
version=$(cat "$top/VERSION")
check "xdpdnsd --version: $version" test "$("$dest/usr/sbin/xdpdnsd" --version)" = "xdpdnsd $version"
check "xdpdnsctl --version: $version" test "$("$dest/usr/sbin/xdpdnsctl" --version)" = "xdpdnsctl $version"
check "xdpdns-linkloss runs" sh -c "'$dest/usr/libexec/xdpdns/xdpdns-linkloss' --help 2>&1 | grep -qi usage"

for page in man5/xdpdns.conf.5 man8/xdpdnsd.8 man8/xdpdnsctl.8; do
	f=$dest/usr/share/man/$page
	check "$page: mandoc -Tlint says nothing" test -z "$(mandoc -Tlint -W warning "$f" 2>&1)"
	check "$page: groff -ww says nothing" test -z "$(groff -man -Tutf8 -ww -z "$f" 2>&1)"
	check "$page: man -l renders it" sh -c "MANWIDTH=100 man -l '$f' 2>/dev/null | grep -q NAME"
	check "$page: says xdpdns $version" sh -c "MANWIDTH=100 man -l '$f' 2>/dev/null | tail -1 | grep -q '^xdpdns $version '"
done

# every option of the table (xdpdnsd --help) in both pages, and every xdpdnsctl command
MANWIDTH=200 man -l "$dest/usr/share/man/man5/xdpdns.conf.5" 2>/dev/null >"$dest/conf.txt"
MANWIDTH=200 man -l "$dest/usr/share/man/man8/xdpdnsd.8" 2>/dev/null >"$dest/d.txt"
MANWIDTH=200 man -l "$dest/usr/share/man/man8/xdpdnsctl.8" 2>/dev/null >"$dest/ctl.txt"
missing=
for opt in $("$dest/usr/sbin/xdpdnsd" --help | sed -n 's/^  --\([a-z-]*\) .*/\1/p'); do
	[ "$opt" = config ] || [ "$opt" = help ] || [ "$opt" = version ] || grep -qE "^ {7}$opt( |$)" "$dest/conf.txt" || missing+=" conf:$opt"
	grep -qE "^ {7}--$opt( |$)" "$dest/d.txt" || missing+=" flag:$opt"
done
check "every option in xdpdns.conf(5) and xdpdnsd(8)${missing:+ (missing:$missing)}" test -z "$missing"
missing=
for cmd in $("$dest/usr/sbin/xdpdnsctl" --help | sed -n 's/^  \([a-z]*\) .*/\1/p' | sort -u); do
	grep -qE "^ {7}$cmd( |$)" "$dest/ctl.txt" || missing+=" $cmd"
done
check "every xdpdnsctl command in xdpdnsctl(8)${missing:+ (missing:$missing)}" test -z "$missing"

# the unit, pointed at the staged daemon; systemd-analyze prints what it dislikes (exit 0 on
# unknown keys): silence is the pass
mkdir -p "$dest/unit"
sed "s|/usr/sbin/xdpdnsd|$dest/usr/sbin/xdpdnsd|" "$dest/usr/lib/systemd/system/xdpdns@.service" \
	>"$dest/unit/xdpdns@.service"
out=$(cd "$dest/unit" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	"$dest/unit/xdpdns@eth0.service" 2>&1)
rc=$?
check "systemd-analyze verify xdpdns@eth0.service" test "$rc" -eq 0 -a -z "$out"
[ -z "$out" ] || echo "$out" | sed 's/^/    /'
check "unit: Type=notify, keep, user" grep -q "^Type=notify" "$dest/unit/xdpdns@.service"
check "unit: runs with --keep=yes --user" grep -qE "^ExecStart=.* --keep=yes --user xdpdns" \
	"$dest/unit/xdpdns@.service"
# the capabilities tests/e2e_privileges.sh proves (NEED and DROP_TO_USER there): no CAP_SYS_ADMIN
check "unit: CapabilityBoundingSet is the proved set, without CAP_SYS_ADMIN" test \
	"$(sed -n 's/^CapabilityBoundingSet=//p' "$dest/unit/xdpdns@.service" | tr ' ' '\n' | sort | paste -sd ' ')" = \
	"CAP_BPF CAP_CHOWN CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_PERFMON CAP_SETGID CAP_SETUID"

# an operator's config survives a second install
echo "iface mine0" >"$dest/etc/xdpdns/xdpdns.conf"
make -C "$top" install DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
check "an existing config is not overwritten" test "$(cat "$dest/etc/xdpdns/xdpdns.conf")" = "iface mine0"
check_done
