# SPDX-License-Identifier: GPL-2.0
# Sourced by the end-to-end tests: one assertion per check, and the closing tally.
passed=0 failed=0

# check NAME COMMAND...: runs COMMAND; its status is the assertion
check() {
	if "${@:2}"; then
		passed=$((passed + 1))
		echo "ok   $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1"
	fi
}

# check_done: prints "N passed, M failed" and returns non-zero if any failed
check_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
