#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Kubernetes manifests: yamllint, then deploy_check.py (the API's models from
# python3-kubernetes, and what a node-local cache needs). No cluster needed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/check.sh"

for f in "$top"/deploy/kubernetes/*.yaml; do
	check "yamllint $(basename "$f")" yamllint -s -d '{extends: default, rules: {line-length: {max: 100}}}' "$f"
	# Debian's python3, which has python3-kubernetes (not a python3 earlier in PATH)
	check "$(basename "$f") against the API models" /usr/bin/python3 "$top/tests/deploy_check.py" "$f" \
		"$top/.output/xdpdnsd"
done
check_done
