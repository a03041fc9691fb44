#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The DaemonSet of deploy/kubernetes/xdpdns.yaml under a container runtime: `make image`'s image
# run by podman as the kubelet runs the pod spec (tests/pod_run.py translates every field and
# refuses those it does not know: capabilities, no-new-privileges, read-only root, user, memory
# limit, volumes, probes, grace period), with the ConfigMap's config as it is. The node is a lab
# (tools/lab.sh): the host network is the cache's network namespace, whose interface has the
# name of the ConfigMap's bridge (its first attach point that is neither lo nor a pattern); the upstream answers at the ConfigMap's address; the hostPath volumes are a
# bpffs and a state directory of the test's own. Checked: the init container puts the service
# address on (twice: a pod restart); under podman's RuntimeDefault seccomp profile the daemon
# refuses to start, saying why; with that profile allowing bpf() for CAP_BPF it attaches, drops
# to nobody, passes its probes, resolves misses through nsd and answers hits in the kernel; a
# rolling update to an image of a newer version under a steady load of cached names (the old
# pod stops, saving its snapshot and leaving the program; the new one takes the program and
# the cache over): no query unanswered, every answer from the kernel, the cache kept. Skipped,
# saying so, when podman or runc is not installed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/check.sh"

manifest=$top/deploy/kubernetes/xdpdns.yaml
version=$(cat "$top/VERSION")
image=localhost/xdpdns # deploy/Makefile's IMAGE
newer=$version.1

check "the manifest's containers run $image:$version" test \
	"$(sed -n 's/^ *image: *//p' "$manifest" | sort -u)" = "$image:$version"
for tool in podman runc; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP the image under podman: $tool is not installed (tools/deps.sh installs it)"
		check_done
		exit
	fi
done

. "$top/tools/lab.sh"
run=$LAB_TMP/podman   # the runtime's own state: storage, config, locks; nothing of the host's
bpffs=$LAB_TMP/bpffs  # hostPath /sys/fs/bpf: a bpffs instance of the test's own
state=$LAB_TMP/state  # hostPath /var/lib/xdpdns
config=$LAB_TMP/config
mkdir -p "$run" "$bpffs" "$state" "$config"
had_cache_dir=$([ -e /var/lib/containers ] && echo yes)

cleanup() {
	podman rm --force --time 0 --all >/dev/null 2>&1
	# what podman may have left mounted under its root (shm)
	grep -o " $run/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
	umount "$bpffs" 2>/dev/null
	# podman build keeps a blob cache there whatever its storage: only if we made it
	[ -n "$had_cache_dir" ] || rm -rf /var/lib/containers
	lab_down
}
trap cleanup EXIT

# podman for this machine (FIELD-NOTES "Containers"): runc (crun refuses the hybrid cgroups),
# no default rlimits (root lacks CAP_SYS_RESOURCE), no systemd; every path the test's own
cat >"$run/containers.conf" <<EOF
[containers]
default_ulimits = []
[network]
network_config_dir = "$run/cni"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$run/tmp"
EOF
# vfs: plain copies of a 9 MB image, no overlay mounts (nor overlay-on-overlay in a CI container)
cat >"$run/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$run/storage"
runroot = "$run/runroot"
EOF
export CONTAINERS_CONF=$run/containers.conf CONTAINERS_STORAGE_CONF=$run/storage.conf

# the images: this version, as the manifest names it, and a newer one for the rolling update
t0=$(date +%s%N)
for v in "$version" "$newer"; do
	if ! make -C "$top" image VERSION="$v" >"$LAB_TMP/image-$v.log" 2>&1; then
		cat "$LAB_TMP/image-$v.log"
		check "make image VERSION=$v" false
		check_done
		exit
	fi
done
echo "two images built in $((($(date +%s%N) - t0) / 1000000)) ms; $(podman image inspect \
	--format '{{.Size}}' "$image:$version") bytes each"
check "the image says $version" test "$(podman run --rm --network none "$image:$version" --version)" = \
	"xdpdnsd $version"
check "the newer image says $newer" test "$(podman run --rm --network none \
	--entrypoint /usr/sbin/xdpdnsctl "$image:$newer" --version)" = "xdpdnsctl $newer"
podman export "$(podman create --network none "$image:$version")" | tar -t | sort >"$LAB_TMP/files"
check "no shell, no other program in the image: $(grep -c '[^/]$' "$LAB_TMP/files") files" \
	test -z "$(grep -E '(^|/)(s?bin)/.' "$LAB_TMP/files" | grep -vE '^usr/sbin/xdpdns(d|ctl)$')"

# the node: the ConfigMap's instance, bridge, listen address and upstream, as they are
"$top/tests/pod_run.py" "$manifest" configmap config "$config" || exit 1
conf=$config/xdpdns.conf
instance=$(awk '$1 == "instance" { print $2; exit }' "$conf")
LAB_IF_CACHE=$(awk '$1 == "attach" && $2 != "lo" && $2 !~ /[*?[]/ { sub(/:.*/, "", $2); print $2; exit }' "$conf")
listen=$(awk '$1 == "listen" { print $2; exit }' "$conf")
upstream=$(awk '$1 == "upstream" { sub(/:[0-9]+$/, "", $2); print $2; exit }' "$conf")
echo "ConfigMap: instance $instance, bridge $LAB_IF_CACHE, listen $listen, upstream $upstream"
lab_up || exit 1
ip -n "$LAB_UP_NS" addr add "$upstream/32" dev "$LAB_IF_UP"
ip -n "$LAB_CACHE" route add "$upstream/32" via "$LAB_UPSTREAM4"
ip -n "$LAB_CLIENT" route add "$listen/32" via "$LAB_CACHE4"

# the upstream serves the root zone: the daemon's default health query (". NS") is answered
NAMES=10
{
	printf '$ORIGIN .\n$TTL 300\n'
	printf '. IN SOA ns.image.example. hostmaster.image.example. 1 7200 900 1209600 120\n'
	printf '. IN NS ns.image.example.\nns.image.example. IN A 192.0.2.53\n'
	for i in $(seq 0 $((NAMES - 1))); do echo "hot$i.image.example. IN A 192.0.2.$((100 + i))"; done
	echo "late.image.example. IN A 192.0.2.99"
} >"$LAB_TMP/root.zone"
lab_upstream . "$LAB_TMP/root.zone" "$upstream" || { echo "0 passed, 1 failed"; exit 1; }
mount -t bpf bpf "$bpffs"

# xdpdnsctl on the host, seeing the test's bpffs at /sys/fs/bpf (lab_counter uses it)
lab_ctl() {
	unshare --mount --propagation private sh -c 'mount --bind "$0" /sys/fs/bpf && exec "$@"' \
		"$bpffs" "$LAB_OUT/xdpdnsctl" --instance "$instance" "$@"
}
entries() { lab_ctl dump | tail -n +2 | wc -l; }
# the id of xdpdns's TC program on the bridge's ingress; empty when there is none
tc_filter() {
	tc -n "$LAB_CACHE" filter show dev "$LAB_IF_CACHE" ingress 2>/dev/null |
		sed -n 's/.* xdpdns_tc_serve.* id \([0-9]*\).*/\1/p'
}
dig_svc() { lab_client dig +time=2 +tries=1 +short @"$listen" "$@"; }
metrics() { nsenter --net="/run/netns/$LAB_CACHE" curl -s --max-time 2 http://127.0.0.1:9153/metrics; }

# pod CONTAINER [IMAGE]: POD_ARGS, the podman run arguments of a container of the pod spec (with
# IMAGE for the manifest's)
netns=/run/netns/$LAB_CACHE
pod() {
	mapfile -t POD_ARGS < <("$top/tests/pod_run.py" "$manifest" run "$1" "$netns" \
		config="$config" bpffs="$bpffs" state="$state" ${2:+"--image=$2"})
	[ ${#POD_ARGS[@]} -gt 0 ]
}

# init_containers: the pod's init containers, each to its end
init_containers() {
	local kind name
	while read -r kind name; do
		[ "$kind" = initContainers ] || continue
		pod "$name" || return 1
		podman run --rm "${POD_ARGS[@]}" >>"$LAB_TMP/init.log" 2>&1 || return 1
	done < <("$top/tests/pod_run.py" "$manifest" containers)
}

# start NAME IMAGE [PODMAN-ARGS...]: the main container, with IMAGE; returns once it serves
start() {
	local name=$1 img=$2
	shift 2
	pod xdpdns "$img" || return 1
	podman run --detach --name "$name" "$@" "${POD_ARGS[@]}" >/dev/null || return 1
	for _ in $(seq 100); do
		podman logs "$name" 2>&1 | grep -q "serving" && return 0
		[ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || return 1
		sleep 0.1
	done
	return 1
}

# probes NAME: every probe of the pod spec, run in the container as the kubelet does, passes
probes() {
	local probe timeout cmd ok=0
	while IFS=$'\t' read -r -a cmd; do
		probe=${cmd[0]} timeout=${cmd[1]}
		if ! timeout "$timeout" podman exec "$1" "${cmd[@]:2}" >"$LAB_TMP/probe.out" 2>&1; then
			echo "    $probe failed: ${cmd[*]:2}"
			sed 's/^/      /' "$LAB_TMP/probe.out"
			ok=1
		fi
	done < <("$top/tests/pod_run.py" "$manifest" probes xdpdns)
	return $ok
}

# 1. the init container: the service address on the node, and again as at a pod's restart
init_containers && init_containers
rc=$?
sed 's/^/    /' "$LAB_TMP/init.log" | sort -u
check "init container: the service address $listen on the node (twice)" test "$rc" -eq 0 -a \
	"$(ip -n "$LAB_CACHE" -o addr show | grep -c " $listen/32 ")" -eq 1

# 2. podman's RuntimeDefault: bpf() only with CAP_SYS_ADMIN, which the pod does not have
default_profile=$(podman info --format '{{.Host.Security.SECCOMPProfilePath}}')
profile=$LAB_TMP/seccomp-bpf.json
gated=$(python3 - "$default_profile" "$profile" <<'EOF'
import json, sys
# the runtime's default profile, with bpf() gated by CAP_BPF as containerd's (PR 7301) and
# Docker's (PR 43987) are, rather than by CAP_SYS_ADMIN alone (containers-common's)
d = json.load(open(sys.argv[1]))
rules = [r for r in d["syscalls"] if "bpf" in r["names"]]
caps = {c for r in rules for k in ("includes", "excludes") for c in r.get(k, {}).get("caps", [])}
print(" ".join(sorted(caps)))
for r in rules:
    if r["action"] != "SCMP_ACT_ALLOW" and "CAP_SYS_ADMIN" in r.get("excludes", {}).get("caps", []):
        r["names"].remove("bpf")
d["syscalls"].append({"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF"]}})
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
)
echo "the runtime's default seccomp profile ($default_profile) gates bpf() by: $gated"
seccomp=()
if [ "$gated" = CAP_SYS_ADMIN ]; then
	start xdpdns-refused-$$ "$image:$version"
	podman wait xdpdns-refused-$$ >/dev/null 2>&1
	podman logs xdpdns-refused-$$ 2>&1 | sed 's/^/    /'
	check "RuntimeDefault (bpf() with CAP_SYS_ADMIN only): refused, saying the seccomp filter is why" \
		sh -c "podman logs xdpdns-refused-$$ 2>&1 | grep -q 'a seccomp filter refuses bpf() despite CAP_BPF'"
	check "... nothing attached" test -z "$(tc_filter)"
	podman rm xdpdns-refused-$$ >/dev/null
	seccomp=(--security-opt "seccomp=$profile")
	echo "from here on: RuntimeDefault with bpf() allowed for CAP_BPF (as containerd's and Docker's)"
fi

# 3. the pod of this version: attaches, drops to nobody, probes pass, misses then kernel hits
start xdpdns-old-$$ "$image:$version" "${seccomp[@]}"
check "the pod of $version serves" test $? -eq 0
podman logs xdpdns-old-$$ 2>&1 | grep -E "error|warning|running as|attached|serving" | sed 's/^/    /'
check "probes pass (liveness, readiness)" probes xdpdns-old-$$
pid=$(podman inspect --format '{{.State.Pid}}' xdpdns-old-$$)
# NET_ADMIN stays: pod veths matching cali* are attached as they appear
check "the daemon runs as nobody with CAP_NET_BIND_SERVICE and CAP_NET_ADMIN alone" sh -c \
	"grep -qE '^Uid:\s+65534\s' /proc/$pid/status && grep -qE '^CapEff:\s+0+1400$' /proc/$pid/status"
check "attached to $LAB_IF_CACHE (a bridge: TC)" test -n "$(tc_filter)"
check "/metrics: xdpdns_build_info{version=\"$version\"} 1" grep -qx \
	"xdpdns_build_info{version=\"$version\"} 1" <(metrics)
miss0=$(lab_counter miss)
right=0
for i in $(seq 0 $((NAMES - 1))); do
	[ "$(dig_svc "hot$i.image.example" A)" = "192.0.2.$((100 + i))" ] && right=$((right + 1))
done
check "$NAMES misses answered through the daemon and nsd" test "$right" -eq "$NAMES" -a \
	"$(lab_counter miss)" -eq $((miss0 + NAMES))
hits0=$(lab_counter hit_fresh)
right=0
for i in $(seq 0 $((NAMES - 1))); do
	[ "$(dig_svc "hot$i.image.example" A)" = "192.0.2.$((100 + i))" ] && right=$((right + 1))
done
check "their repeats answered by the kernel" test "$right" -eq "$NAMES" -a \
	"$(lab_counter hit_fresh)" -eq $((hits0 + NAMES)) -a "$(lab_counter miss)" -eq $((miss0 + NAMES))
cached=$(entries)
echo "kernel cache: $cached entries"

# 4. the rolling update under a load of cached names: the old pod stops (SIGTERM, snapshot,
# program kept), the new pod's init container runs, its daemon takes the program over
CHUNKS=40 # dig in batch mode, CHUNK queries at a time, PAUSE between: 1000 queries, ~8 s
CHUNK=25
PAUSE=0.1
for c in $(seq 1 $CHUNKS); do
	for q in $(seq 1 $CHUNK); do echo "@$listen hot$(((c * CHUNK + q) % NAMES)).image.example A"; done \
		>"$LAB_TMP/chunk$c"
done
hits0=$(lab_counter hit_fresh)
miss0=$(lab_counter miss)
(
	for c in $(seq 1 $CHUNKS); do
		ip netns exec "$LAB_CLIENT" timeout 30 dig +tries=1 +time=1 +noall +comments +answer \
			-f "$LAB_TMP/chunk$c" 2>&1
		sleep $PAUSE
	done >"$LAB_TMP/load.out"
) &
load=$!
sleep 1.5
before=$(lab_counter hit_fresh)
podman stop xdpdns-old-$$ >/dev/null
check "the old pod stopped on SIGTERM, exit 0" test \
	"$(podman inspect --format '{{.State.ExitCode}}' xdpdns-old-$$)" = 0
podman logs xdpdns-old-$$ 2>&1 | grep -E "saved|leaving" | sed 's/^/    /'
check "the old pod saved its snapshot in the hostPath, as nobody" sh -c \
	"podman logs xdpdns-old-$$ 2>&1 | grep -qE 'saved $cached entries to /var/lib/xdpdns/$instance.snapshot' &&
	test \"\$(stat -c %u $state/$instance.snapshot)\" = 65534"
old_id=$(tc_filter)
sleep 0.5
between=$(lab_counter hit_fresh)
init_containers
check "the new pod's init container" test $? -eq 0
start xdpdns-new-$$ "$image:$newer" "${seccomp[@]}"
check "the pod of $newer serves" test $? -eq 0
after=$(lab_counter hit_fresh)
echo "kernel hits: $before before the old pod stopped, $between with no pod, $after with the new one"
podman logs xdpdns-new-$$ 2>&1 | grep -E "replaced the programs|kept from the last run" | sed 's/^/    /'
new_id=$(tc_filter)
check "the new pod replaced the program (id $old_id -> $new_id), cache kept ($cached entries)" sh -c \
	"test -n '$new_id' -a '$new_id' != '$old_id' &&
	podman logs xdpdns-new-$$ 2>&1 | grep -q 'kept from the last run ($cached entries)'"
wait "$load"

sent=$((CHUNKS * CHUNK))
replies=$(grep -c "status: " "$LAB_TMP/load.out")
right=$(awk '$4 == "A" && match($1, /^hot[0-9]+\./) {
	i = substr($1, 4, RLENGTH - 4); if ($5 == "192.0.2." (100 + i)) n++ } END { print n + 0 }' \
	"$LAB_TMP/load.out")
hits=$(($(lab_counter hit_fresh) - hits0))
echo "queries $sent: answered $right, unanswered $((sent - replies)), wrong $((replies - right)); kernel hits $hits"
check "no query unanswered" test "$replies" -eq "$sent"
check "no wrong answer" test "$right" -eq "$replies"
check "every answer from the kernel, before, between and after the pods" test "$hits" -eq "$right" \
	-a "$(lab_counter miss)" -eq "$miss0" -a "$before" -lt "$between" -a "$between" -lt "$after"
check "the cache kept: $cached entries" test "$(entries)" -eq "$cached"

# 5. the new pod: its version, its probes, misses through it, hits on
check "probes pass on the new pod" probes xdpdns-new-$$
check "/metrics: xdpdns_build_info{version=\"$newer\"} 1" grep -qx \
	"xdpdns_build_info{version=\"$newer\"} 1" <(metrics)
miss0=$(lab_counter miss)
check "a new name resolved through the new pod" test "$(dig_svc late.image.example A)" = 192.0.2.99 \
	-a "$(lab_counter miss)" -eq $((miss0 + 1))
hits0=$(lab_counter hit_fresh)
check "... then answered by the kernel" test "$(dig_svc late.image.example A)" = 192.0.2.99 \
	-a "$(lab_counter hit_fresh)" -eq $((hits0 + 1))
check "no error logged by either pod" sh -c "! podman logs xdpdns-old-$$ 2>&1 | grep -q error: &&
	! podman logs xdpdns-new-$$ 2>&1 | grep -q error:"
check_done
