#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README and docs/ as a newcomer follows them: every xdpdnsd, xdpdnsctl, xdpdns-linkloss
# and ip command in their sh code blocks, and every config file they show, runs as written,
# and every relative link in them leads to a file.
#
# The commands run on a host made for them: a network namespace with the interfaces the texts
# name (eth0, eth1, the bridge cni0) and, behind eth0, the upstreams they name (10.96.0.10,
# 192.0.2.1, 10.0.0.10: ldns-testns); in a mount namespace of the test's own, with its own
# /sys/fs/bpf, /run, /var/lib and /tmp, so that a command without --instance finds its cache as
# on a real host, and nothing of the host's is touched. Only `sudo ` and a prompt (`old# `) are
# dropped, and the binaries are this build's. Each daemon command must start and answer a
# question through its listen address twice (the second time from the cache); the xdpdnsctl
# and xdpdns-linkloss commands run in the order written, against the daemon of the first
# command that names their upstream 10.96.0.10, and must succeed (top: print a frame).
# Commands that install, package or need the network (make, apt, systemctl, podman, tee to
# /etc) are covered by e2e_install, e2e_deb and e2e_image, or are the user's own.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.output

if [ -z "${DOCS_PRIVATE_MOUNTS:-}" ]; then
	exec unshare -m --propagation private env DOCS_PRIVATE_MOUNTS=1 "$0" "$@"
fi
. "$top/tests/check.sh"

HOST=docs-h$$
UP=docs-u$$
# the host's /run, /var/lib and /tmp hidden, nothing made on them (e2e_deb checks that no
# /var/lib/xdpdns is left on the host)
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /run
mkdir -p /run/netns /run/xdpdns /run/docs-top
mount --rbind "$top" /run/docs-top # the tree may be under /tmp (a clone), hidden next
top=/run/docs-top
out=$top/.output
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /tmp
mkdir -p /var/lib/xdpdns
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	ip netns del "$HOST" 2>/dev/null
	ip netns del "$UP" 2>/dev/null
}
trap cleanup EXIT

in_host() { nsenter --net="/run/netns/$HOST" "$@"; }

# ---- the texts' commands, config files and links ----
docs=("$top/README.md" "$top"/docs/*.md)
# extract FILE: the lines of its sh code blocks (continuations joined, comments and prompts
# dropped) as "sh<TAB>LINE", and its unlabelled blocks as "conf<TAB>N<TAB>LINE"
extract() {
	awk '
	/^```/ {
		if (!inb) { inb = 1; kind = ($0 == "```sh") ? "sh" : ($0 == "```") ? "conf" : "other"; n++ }
		else inb = 0
		next
	}
	inb && kind == "sh" {
		line = $0
		sub(/^[a-z]+# /, "", line)               # a prompt: old# new#
		if (cont != "") { line = cont " " line; cont = "" }
		if (line ~ /\\$/) { sub(/\\$/, "", line); cont = line; next }
		sub(/[ \t]+#.*$/, "", line)
		if (line != "") print "sh\t" line
	}
	inb && kind == "conf" { print "conf\t" n "\t" $0 }
	' "$1"
}
: >"$work/sh"
: >"$work/conf"
for f in "${docs[@]}"; do
	extract "$f" | awk -F'\t' -v f="${f#$top/}" '$1 == "sh" { print f "\t" $2 }' >>"$work/sh"
	extract "$f" | awk -F'\t' -v f="${f#$top/}" '$1 == "conf" { print f "#" $2 "\t" $3 }' >>"$work/conf"
done

check "the texts read: ${#docs[@]} files, $(wc -l <"$work/sh") command lines" \
	test "${#docs[@]}" -ge 7 -a "$(wc -l <"$work/sh")" -ge 30
# a block is a config file when every line is an option of the daemon's (or a comment)
options=$("$out/xdpdnsd" --help 2>&1 | sed -n 's/^  --\([a-z0-9-]*\).*/\1/p' | sort -u)
is_option() { grep -qx -- "$1" <<<"$options"; }

links_ok=1
for f in "${docs[@]}"; do
	dir=$(dirname "$f")
	while read -r target; do
		target=${target%%#*}
		[ -n "$target" ] || continue
		if [ ! -e "$dir/$target" ]; then
			echo "  ${f#$top/}: a link to $target leads nowhere"
			links_ok=0
		fi
	done < <(grep -o '\]([^)]*)' "$f" | sed 's/^](//; s/)$//' | grep -v '^[a-z]*:' | grep -v '^#')
done
check "every relative link in README.md and docs/ leads to a file" test "$links_ok" = 1

# ---- the host the texts describe ----
ip netns add "$HOST"
ip netns add "$UP"
ip -n "$HOST" link set lo up
ip -n "$UP" link set lo up
ip link add eth0 netns "$HOST" type veth peer name u0 netns "$UP"
ip link add eth1 netns "$HOST" type veth peer name u1 netns "$UP"
ip -n "$HOST" link add cni0 type bridge
for l in eth0 eth1 cni0; do ip -n "$HOST" link set "$l" up; done
for l in u0 u1; do ip -n "$UP" link set "$l" up; done
ip -n "$HOST" addr add 10.0.0.53/24 dev eth0
ip -n "$HOST" addr add 192.0.2.53/24 dev eth0
ip -n "$HOST" addr add 10.96.0.53/16 dev eth0
ip -n "$UP" addr add 10.0.0.10/24 dev u0
ip -n "$UP" addr add 192.0.2.1/24 dev u0
ip -n "$UP" addr add 10.96.0.10/16 dev u0
cat >"$work/testns.data" <<'EOF'
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA RA NOERROR
SECTION QUESTION
www.docs.test. IN A
SECTION ANSWER
www.docs.test. 300 IN A 192.0.2.80
ENTRY_END
ENTRY_BEGIN
MATCH opcode
ADJUST copy_id copy_query
REPLY QR AA RA NOERROR
ENTRY_END
EOF
nsenter --net="/run/netns/$UP" ldns-testns -p 53 "$work/testns.data" >"$work/testns.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	ip netns exec "$UP" ss -Hlnu 'sport = :53' | grep -q . && break
	sleep 0.1
done

# run_cmd LINE: one command line of the texts, in the host; its binary is this build's
binary() {
	case $1 in
	xdpdnsd | .output/xdpdnsd) echo "$out/xdpdnsd" ;;
	xdpdnsctl | .output/xdpdnsctl) echo "$out/xdpdnsctl" ;;
	.output/xdpdns-linkloss) echo "$out/xdpdns-linkloss" ;;
	ip) echo ip ;;
	esac
}

daemon=
daemon_stop() {
	[ -n "$daemon" ] || return 0
	kill "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
	daemon=
	# a kept program (keep yes) stays on its interfaces with its pins: off for the next daemon
	rm -rf /sys/fs/bpf/xdpdns/*
	for l in lo eth0 eth1 cni0; do
		in_host ip link set "$l" xdp off 2>/dev/null
		in_host tc qdisc del dev "$l" clsact 2>/dev/null
	done
}

# daemon_start NAME ARGS...: the daemon as written; returns once it serves (or has exited)
daemon_start() {
	local name=$1 log=$work/d.$RANDOM
	shift
	(cd "$work" && exec nsenter --net="/run/netns/$HOST" "$@") >"$log" 2>&1 &
	daemon=$!
	pids+=($daemon)
	for _ in $(seq 50); do
		grep -q "serving" "$log" && break
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "serving" "$log"; then
		echo "  $name: $*"
		sed 's/^/    /' "$log"
		return 1
	fi
	# what it listens on: the first --listen or `listen`, else eth0's
	listen=$(sed -n 's/.*serving \([^ ]*\) port.*/\1/p' "$log" | head -1)
	answered "$listen" && answered "$listen"
}

answered() {
	in_host dig +time=2 +tries=2 +short @"$1" www.docs.test A | grep -qx 192.0.2.80
}

ctl_daemon_line=
n=0
while IFS=$'\t' read -r file line; do
	read -r -a words <<<"$line"
	[ "${words[0]}" = sudo ] && words=("${words[@]:1}")
	bin=$(binary "${words[0]}")
	[ -n "$bin" ] || continue
	n=$((n + 1))
	case $bin in
	ip) # the host's setup (an address on lo), which two texts may both give: done once
		grep -qxF -- "${words[*]}" "$work/ip.done" 2>/dev/null && continue
		echo "${words[*]}" >>"$work/ip.done"
		check "$file: ${words[*]}" in_host ip "${words[@]:1}"
		;;
	*/xdpdnsd)
		daemon_stop
		check "$file: ${words[*]}" daemon_start "$file" "$bin" "${words[@]:1}"
		if [ -z "$ctl_daemon_line" ] && [[ " ${words[*]} " == *" --upstream 10.96.0.10 "* ]]; then
			ctl_daemon_line=$line
		fi
		;;
	*)
		printf '%s\t%s\n' "$file" "$line" >>"$work/later"
		;;
	esac
done <"$work/sh"
daemon_stop

# the config files: each block of options, as the daemon's whole config
while read -r block; do
	grep -P "^\Q$block\E\t" "$work/conf" | cut -f2- >"$work/conf.$n"
	ok=1
	while read -r name _; do
		[ -z "$name" ] || [[ $name == \#* ]] || is_option "$name" || ok=0
	done <"$work/conf.$n"
	[ "$ok" = 1 ] || continue
	daemon_stop
	check "${block%#*}: the config block ($(head -1 "$work/conf.$n")...)" \
		daemon_start "$block" "$out/xdpdnsd" --config "$work/conf.$n"
	n=$((n + 1))
done < <(cut -f1 "$work/conf" | uniq)
daemon_stop

# the control tool's commands, in order, against the first daemon that names 10.96.0.10
if check "a daemon command with the upstream the control commands name" test -n "$ctl_daemon_line"; then
	read -r -a words <<<"$ctl_daemon_line"
	[ "${words[0]}" = sudo ] && words=("${words[@]:1}")
	daemon_start ctl "$(binary "${words[0]}")" "${words[@]:1}"
	while IFS=$'\t' read -r file line; do
		read -r -a words <<<"$line"
		[ "${words[0]}" = sudo ] && words=("${words[@]:1}")
		bin=$(binary "${words[0]}")
		if [ "${words[1]:-}" = top ]; then
			(cd "$work" && timeout 3 nsenter --net="/run/netns/$HOST" "$bin" top) >"$work/top" 2>&1
			check "$file: ${words[*]} (a frame)" grep -q "kernel" "$work/top"
			continue
		fi
		if ! (cd "$work" && in_host "$bin" "${words[@]:1}") >"$work/out" 2>&1; then
			check "$file: ${words[*]}" false
			sed 's/^/    /' "$work/out"
		else
			check "$file: ${words[*]}" true
		fi
	done <"$work/later"
	daemon_stop
fi
echo "$n commands and config blocks from README.md and docs/"
check_done
