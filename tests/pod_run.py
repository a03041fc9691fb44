#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the kubelet would run for the DaemonSet of a manifest, as podman arguments, for
tests/e2e_image.sh. Every field of the pod spec and its containers is translated or refused:
a field added to the manifest that this does not know fails the test instead of going untested.

  pod_run.py MANIFEST containers               init containers, then containers: KIND NAME
  pod_run.py MANIFEST run NAME NETNS [VOL=PATH]... [--image=IMAGE]
                                               podman run arguments, one a line
  pod_run.py MANIFEST probes NAME              KIND TIMEOUT COMMAND..., tab-separated, a line each
  pod_run.py MANIFEST configmap VOL DIR        the ConfigMap of volume VOL as files in DIR

run: the pod's network is `ns:NETNS` (hostNetwork: the test's namespace stands for the
node's); VOL=PATH gives each configMap and hostPath volume a directory of the test's own
(configMap volumes are mounted read-only, as the kubelet does); an emptyDir of medium Memory is
a tmpfs. The image is the manifest's, or IMAGE (a rolling update to another).
"""
import json
import os
import sys

import yaml


def fail(msg):
    sys.exit("pod_run.py: " + msg)


def only(obj, where, known):
    for key in obj:
        if key not in known:
            fail(f"{where}.{key}: not translated to podman (add it to tests/pod_run.py)")


def daemonset(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    sets = [d for d in docs if d.get("kind") == "DaemonSet"]
    if len(sets) != 1:
        fail(f"{path}: {len(sets)} DaemonSets, expected 1")
    return docs, sets[0]


def pod_spec(ds):
    spec = ds["spec"]["template"]["spec"]
    only(spec, "spec", {
        # what the kubelet does not turn into a container's settings: scheduling, identity
        "serviceAccountName", "automountServiceAccountToken", "priorityClassName",
        "tolerations", "nodeSelector", "affinity",
        # translated below
        "hostNetwork", "dnsPolicy", "terminationGracePeriodSeconds", "initContainers",
        "containers", "volumes",
    })
    if spec.get("automountServiceAccountToken") is not False:
        fail("spec.automountServiceAccountToken: a token would be mounted, not done here")
    if spec.get("hostNetwork") is not True:
        fail("spec.hostNetwork: only the node's network is translated")
    if spec.get("dnsPolicy", "Default") != "Default":
        fail("spec.dnsPolicy: only Default (the node's resolv.conf, as podman's) is translated")
    return spec


def container(spec, name):
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind, []):
            if c["name"] == name:
                return kind, c
    fail(f"no container {name}")


def security(c, where):
    sc = c.get("securityContext", {})
    only(sc, where + ".securityContext", {
        "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsUser",
        "runAsGroup", "seccompProfile", "capabilities",
    })
    args = []
    if sc.get("privileged"):
        args.append("--privileged")
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    if sc.get("readOnlyRootFilesystem"):
        # the kubelet mounts no tmpfs of its own on /tmp, /run, /var/tmp: nor does this
        args += ["--read-only", "--read-only-tmpfs=false"]
    if "runAsUser" in sc:
        user = str(sc["runAsUser"])
        if "runAsGroup" in sc:
            user += ":" + str(sc["runAsGroup"])
        args += ["--user", user]
    seccomp = sc.get("seccompProfile", {}).get("type", "RuntimeDefault")
    if seccomp == "Unconfined":
        args += ["--security-opt", "seccomp=unconfined"]
    elif seccomp != "RuntimeDefault":  # RuntimeDefault: podman's own, given by no flag
        fail(f"{where}.securityContext.seccompProfile: {seccomp} not translated")
    caps = sc.get("capabilities", {})
    only(caps, where + ".securityContext.capabilities", {"drop", "add"})
    for cap in caps.get("drop", []):
        args += ["--cap-drop", cap if cap == "ALL" else "CAP_" + cap]
    for cap in caps.get("add", []):
        args += ["--cap-add", "CAP_" + cap]
    return args


def memory(quantity):
    units = {"Ki": "k", "Mi": "m", "Gi": "g"}
    for suffix, unit in units.items():
        if quantity.endswith(suffix):
            return quantity[:-2] + unit
    if quantity.isdigit():
        return quantity
    fail(f"memory {quantity}: unit not translated")


def run_args(spec, name, netns, vols, image):
    kind, c = container(spec, name)
    where = f"{kind}[{name}]"
    only(c, where, {
        "name", "image", "imagePullPolicy", "command", "args", "securityContext", "ports",
        "livenessProbe", "readinessProbe", "startupProbe", "resources", "volumeMounts", "env",
    })
    args = ["--network", "ns:" + netns]
    args += security(c, where)
    if "terminationGracePeriodSeconds" in spec:
        args += ["--stop-timeout", str(spec["terminationGracePeriodSeconds"])]
    for e in c.get("env", []):
        only(e, where + ".env", {"name", "value"})
        args += ["--env", f"{e['name']}={e['value']}"]
    res = c.get("resources", {})
    only(res, where + ".resources", {"requests", "limits"})  # requests: scheduling only
    limits = res.get("limits", {})
    only(limits, where + ".resources.limits", {"memory", "cpu"})
    if "memory" in limits:
        args += ["--memory", memory(limits["memory"])]
    if "cpu" in limits:
        cpu = str(limits["cpu"])
        args += ["--cpus", str(int(cpu[:-1]) / 1000) if cpu.endswith("m") else cpu]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        only(m, where + ".volumeMounts", {"name", "mountPath", "readOnly"})
        v = volumes[m["name"]]
        if "emptyDir" in v:
            if v["emptyDir"].get("medium") != "Memory":
                fail(f"volume {m['name']}: only an emptyDir of medium Memory is translated")
            args += ["--mount", f"type=tmpfs,destination={m['mountPath']}"]
            continue
        if "configMap" not in v and "hostPath" not in v:
            fail(f"volume {m['name']}: only configMap, hostPath and emptyDir are translated")
        if m["name"] not in vols:
            fail(f"volume {m['name']}: give it a directory (VOL=PATH)")
        ro = "configMap" in v or m.get("readOnly")
        args += ["--volume", f"{vols[m['name']]}:{m['mountPath']}{':ro' if ro else ''}"]
    if "command" in c:
        args += ["--entrypoint", json.dumps(c["command"])]
    args.append(image or c["image"])
    args += c.get("args", [])
    return args


def probes(spec, name):
    kind, c = container(spec, name)
    lines = []
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe not in c:
            continue
        p = c[probe]
        only(p, f"{kind}[{name}].{probe}", {
            "exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
            "failureThreshold", "successThreshold",
        })
        if "exec" not in p:
            fail(f"{kind}[{name}].{probe}: only exec probes are translated")
        lines.append("\t".join([probe, str(p.get("timeoutSeconds", 1))] + p["exec"]["command"]))
    return lines


def configmap(docs, spec, vol, outdir):
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    ref = volumes[vol]["configMap"]["name"]
    maps = [d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == ref]
    if len(maps) != 1:
        fail(f"ConfigMap {ref}: {len(maps)} found")
    for key, text in maps[0]["data"].items():
        with open(os.path.join(outdir, key), "w") as f:
            f.write(text)
        os.chmod(os.path.join(outdir, key), 0o644)  # the kubelet's defaultMode


def main(argv):
    if len(argv) < 3:
        fail("usage: pod_run.py MANIFEST containers|run|probes|configmap ...")
    docs, ds = daemonset(argv[1])
    spec = pod_spec(ds)
    what = argv[2]
    if what == "containers":
        for kind in ("initContainers", "containers"):
            for c in spec.get(kind, []):
                print(kind, c["name"])
    elif what == "run":
        image = [a.split("=", 1)[1] for a in argv[5:] if a.startswith("--image=")]
        vols = dict(a.split("=", 1) for a in argv[5:] if not a.startswith("--image="))
        print("\n".join(run_args(spec, argv[3], argv[4], vols, image[-1] if image else None)))
    elif what == "probes":
        print("\n".join(probes(spec, argv[3])))
    elif what == "configmap":
        configmap(docs, spec, argv[3], argv[4])
    else:
        fail(f"{what}: unknown")


if __name__ == "__main__":
    main(sys.argv)
