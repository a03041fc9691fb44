#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages xdpdns needs to build, test and run; with "bench", also those the
# cache comparison runs. Silent when all are there, so every make target can call it.
set -euo pipefail

packages=(
	make gcc libc6-dev pkg-config         # userspace build
	clang llvm bpftool                    # BPF build and skeletons
	libbpf-dev libxdp-dev xdp-tools       # loading and attaching
	libldns-dev ldnsutils                 # DNS wire format in userspace
	zlib1g-dev                            # CRC-32 of cache snapshots
	libcmocka-dev                         # unit tests
	libclang-rt-14-dev                    # libFuzzer, ASan, UBSan (tests/fuzz, make fuzz)
	iproute2 iputils-ping                 # namespaces for the lab
	libcap2-bin                           # capsh: the capability tests
	mandoc groff-base man-db systemd      # install test: man pages linted, unit verified
	yamllint python3-yaml python3-kubernetes # deploy test: manifests against the API models
	nsd                                   # the lab's upstream (authoritative)
	bind9-dnsutils knot-dnsutils          # dig, kdig, kxdpgun
	dnsperf                               # load: e2e_storm's flood of misses, make bench
	python3                               # e2e_poison's hostile traffic (tests/hostile.py)
	curl python3-prometheus-client        # scraping and parsing the metrics (e2e_metrics)
	unbound                               # a validating resolver on both sides (e2e_dnssec)
	podman runc                           # make image, and the DaemonSet run by e2e_image
	dpkg-dev lintian                      # make deb (dpkg-shlibdeps, dpkg-gencontrol), e2e_deb
)
if [ "${1:-}" = bench ]; then # the caches make bench compares xdpdns with, and its chart
	packages+=(dnsdist knot-resolver pdns-recursor dnsmasq-base gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "xdpdns: missing Debian packages: ${missing[*]}" >&2
	echo "xdpdns: run 'sudo make deps' to install them" >&2
	exit 1
fi
echo "xdpdns: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# packaged resolvers must not start as services on the host: the benchmark and the tests run
# their own (a policy-rc.d that was there already, as in container images, is left alone)
if [ ! -e /usr/sbin/policy-rc.d ]; then
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
