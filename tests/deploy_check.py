#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks deploy/kubernetes/*.yaml against the Kubernetes API models of python3-kubernetes
(every key known to its type, recursively; required fields present), then what the node-local
cache needs. Prints one line per check, as tests/check.sh does; exits 1 on a failure."""
import re
import subprocess
import sys

import yaml
from kubernetes import client

failed = 0


def check(name, ok):
    global failed
    print(("ok   " if ok else "FAIL ") + name)
    failed += 0 if ok else 1


def unknown_keys(data, type_name, path):
    """Keys of data its model type does not have, as 'path.key' strings."""
    m = re.match(r"list\[(.*)\]$", type_name)
    if m:
        return [k for i, v in enumerate(data or []) for k in unknown_keys(v, m.group(1), f"{path}[{i}]")]
    m = re.match(r"dict\(str, (.*)\)$", type_name)
    if m:
        return [k for key, v in (data or {}).items() for k in unknown_keys(v, m.group(1), f"{path}.{key}")]
    klass = getattr(client.models, type_name, None)
    if klass is None or not isinstance(data, dict):
        return []  # str, int, bool, object
    by_json = {json: attr for attr, json in klass.attribute_map.items()}
    bad = []
    for key, value in data.items():
        if key not in by_json:
            bad.append(f"{path}.{key}")
            continue
        bad += unknown_keys(value, klass.openapi_types[by_json[key]], f"{path}.{key}")
    return bad


def main(manifest, xdpdnsd):
    docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
    api = client.ApiClient()
    by_kind = {}
    for d in docs:
        kind = d.get("kind", "?")
        type_name = "V1" + kind
        bad = unknown_keys(d, type_name, kind)
        check(f"{kind}: every key known to {type_name}" + (f" (unknown: {bad})" if bad else ""), not bad)
        try:  # the models' constructors refuse a missing required field
            api._ApiClient__deserialize(d, type_name)
            check(f"{kind}: required fields present", True)
        except (ValueError, TypeError) as e:
            check(f"{kind}: required fields present ({e})", False)
        by_kind[kind] = d

    ds = by_kind["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    check("selector matches the pod's labels", ds["spec"]["selector"]["matchLabels"].items()
          <= ds["spec"]["template"]["metadata"]["labels"].items())
    check("hostNetwork: true", pod.get("hostNetwork") is True)
    check("dnsPolicy: Default", pod.get("dnsPolicy") == "Default")
    sc = c["securityContext"]
    check("privileged: false", sc.get("privileged") is False)
    check("capabilities: drop ALL", sc["capabilities"]["drop"] == ["ALL"])
    want = {"BPF", "PERFMON", "NET_ADMIN", "NET_BIND_SERVICE", "SETUID", "SETGID", "CHOWN"}
    check("capabilities: exactly those tests/e2e_privileges.sh proves", set(sc["capabilities"]["add"]) == want)
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    check("/sys/fs/bpf from the host", mounts.get("bpffs") == "/sys/fs/bpf"
          and vols["bpffs"]["hostPath"]["path"] == "/sys/fs/bpf")
    ru = ds["spec"]["updateStrategy"]
    check("RollingUpdate, maxUnavailable 1, maxSurge 0", ru["type"] == "RollingUpdate"
          and ru["rollingUpdate"] == {"maxUnavailable": 1, "maxSurge": 0})
    for probe in ("livenessProbe", "readinessProbe"):
        check(f"{probe}: xdpdnsctl health", c[probe]["exec"]["command"][-2:] == ["/usr/sbin/xdpdnsctl", "health"][-2:])
    check("memory limit set", "memory" in c["resources"]["limits"])
    check("ServiceAccount used", pod["serviceAccountName"] == by_kind["ServiceAccount"]["metadata"]["name"])
    check("config from the ConfigMap", vols["config"]["configMap"]["name"] == by_kind["ConfigMap"]["metadata"]["name"])

    conf = by_kind["ConfigMap"]["data"]["xdpdns.conf"]
    names = set(re.findall(r"^  --([a-z-]+) ", subprocess.run([xdpdnsd, "--help"], capture_output=True,
                                                                text=True).stdout, re.M))
    lines = [l.split("#")[0].split() for l in conf.splitlines()]
    opts = {l[0]: l[1:] for l in lines if l}
    bad = [o for o in opts if o not in names]
    check("xdpdns.conf: every option known to xdpdnsd" + (f" (unknown: {bad})" if bad else ""), not bad)
    check("xdpdns.conf: listen 169.254.20.10", opts.get("listen") == ["169.254.20.10"])
    check("xdpdns.conf: keep yes (a pod's end leaves hits answered)", opts.get("keep") == ["yes"])
    attach = [l[1] for l in lines if l and l[0] == "attach" and len(l) > 1]  # repeatable
    check("xdpdns.conf: an attach point", bool(opts.get("iface") or opts.get("attach")))
    check("xdpdns.conf: the node's own clients and a bridge or routed CNI's pods",
          "lo" in attach and any(a.startswith(("cni0", "cali*", "lxc*", "veth*")) for a in attach))
    print(f"{0 if failed else 'all'} checks: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
