#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deb: mkdeb.sh DIR DEB. DIR/root holds a staged `make install` (PREFIX=/usr); this makes it
# a Debian binary package with dpkg-dev's own tools, doing what debhelper would for this one
# package: binaries stripped, man pages and changelog compressed, the copyright, conffiles (all of
# /etc), md5sums, Depends from dpkg-shlibdeps, the control file from dpkg-gencontrol (version
# from the changelog, installed size), the maintainer scripts; dpkg-deb builds it, owned by root.
set -euo pipefail
dir=$1
deb=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$dir/root
doc=$root/usr/share/doc/xdpdns

# dpkg-shlibdeps and dpkg-gencontrol read debian/control and debian/changelog in their cwd
mkdir -p "$dir/debian"
cp "$here/control" "$here/changelog" "$dir/debian/"
# the files' times: the changelog's (reproducible builds)
epoch=$(dpkg-parsechangelog -l "$here/changelog" -STimestamp)

strip --remove-section=.comment --remove-section=.note "$root"/usr/sbin/* \
	"$root"/usr/libexec/xdpdns/*
find "$root/usr/share/man" -type f -exec gzip -9n {} +
install -m 644 "$here/copyright" "$doc/copyright"
gzip -9n <"$here/changelog" >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"

mkdir -p "$root/DEBIAN"
install -m 755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
(cd "$root" && find etc -type f -printf '/%p\n' | sort) >"$root/DEBIAN/conffiles"
(cd "$dir" && dpkg-shlibdeps -Tdebian/substvars root/usr/sbin/* root/usr/libexec/xdpdns/*)
(cd "$dir" && dpkg-gencontrol -pxdpdns -Proot -Tdebian/substvars)
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

find "$root" -depth -exec touch --no-dereference --date="@$epoch" {} +
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
