#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The root tree of the xdpdns image (make image), from the project's build and this host's Debian
# packages: rootfs.sh ROOT BINDIR, BINDIR holding xdpdnsd and xdpdnsctl; ROOT is made anew.
# It holds the two binaries (stripped), the shared libraries and the dynamic loader they link
# (ldd), libxdp's dispatcher object (libxdp loads it to attach), what `user nobody` looks up
# (passwd, group, nsswitch.conf: glibc's files module is in libc.so.6 itself), the copyright file
# of every package a file came from, and the directories the DaemonSet mounts. No shell, no
# package manager, no CA certificates: nothing in it talks TLS.
set -euo pipefail
root=$1
bindir=$2
top=$(cd "$(dirname "$0")/../.." && pwd)

rm -rf "$root"
mkdir -p "$root/usr/sbin" "$root/etc" "$root/usr/share/doc/xdpdns"
for bin in xdpdnsd xdpdnsctl; do
	install -m 755 "$bindir/$bin" "$root/usr/sbin/$bin"
	strip --remove-section=.comment --remove-section=.note "$root/usr/sbin/$bin"
done
install -m 644 "$top/deploy/debian/copyright" "$root/usr/share/doc/xdpdns/copyright"

# the libraries at the paths ldd resolved them to (the loader's own search path: no
# ld.so.cache needed), and the loader at the path the binaries name (PT_INTERP)
libs=$(ldd "$root/usr/sbin/xdpdnsd" "$root/usr/sbin/xdpdnsctl" |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && NF > 1 { print $1 }' | sort -u)
[ -n "$libs" ] || { echo "rootfs.sh: ldd found no libraries" >&2; exit 1; }
for lib in $libs; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# the Debian package of each (one query: dpkg knows /usr/lib/... or /lib/..., ldd may say either
# on a merged /usr), then libxdp's
owners=$(for lib in $libs; do printf '%s\n' "$lib" "$(realpath "$lib")" "/usr$lib"; done |
	sort -u | xargs dpkg-query -S 2>/dev/null || true) # not found: the other spellings
for lib in $libs; do
	grep -q " \(/usr\)\?/.*/$(basename "$lib")\$" <<<"$owners" ||
		{ echo "rootfs.sh: no Debian package owns $lib" >&2; exit 1; }
done
packages=$(sed 's/[:,].*//' <<<"$owners" | sort -u)

# libxdp attaches through its multi-program dispatcher when the kernel takes it, loading it from
# its package's BPF object directory (LIBXDP_OBJECT_PATH)
libxdp=$(sed -n 's/:.*\/libxdp\.so\..*//p' <<<"$owners" | head -1)
dispatcher=$(dpkg-query -L "$libxdp" | grep '/xdp-dispatcher\.o$')
mkdir -p "$root$(dirname "$dispatcher")"
cp "$dispatcher" "$root$dispatcher"

for pkg in $packages; do
	mkdir -p "$root/usr/share/doc/$pkg"
	cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
done

# root for the start, nobody (the ConfigMap's `user nobody`) after it; Debian's ids
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"

# mount points: the DaemonSet's volumes, and what the runtime mounts (nothing has to be made in
# a read-only root)
mkdir -p "$root/etc/xdpdns" "$root/var/lib/xdpdns" "$root/run/xdpdns" "$root/sys/fs/bpf" \
	"$root/proc" "$root/dev" "$root/tmp"
chmod 1777 "$root/tmp"
