# SPDX-License-Identifier: GPL-2.0
# xdpdns: node-local DNS cache with an XDP fast path. `make help` lists the targets.

MAKEFLAGS += --no-print-directory

all: deps
	@$(MAKE) -C bpf
	@$(MAKE) -C user
	@$(MAKE) -C tests
	@$(MAKE) -C tools

## test: build everything and run every test (needs root: the tests load BPF programs)
test: all
	@$(MAKE) -C tests test

## fuzz: the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS (60) each; crashes in .output/fuzz/crashes/
fuzz: all
	@$(MAKE) -C tests fuzz

## soak: the fault drills of tests/e2e_storm.sh, 5 rounds (SOAK_ROUNDS=N for more)
soak: all
	@$(MAKE) -C tests soak

## bench-xdp: microbenchmark of the XDP program (BPF_PROG_TEST_RUN) and its memory per entry
bench-xdp: all
	@$(MAKE) -C tools bench-xdp

## bench: the XDP microbenchmark, then xdpdns against other caches (QUICK=1: about 2 minutes)
bench: all
	@tools/deps.sh bench
	@$(MAKE) -C tools bench-xdp BENCH_XDP_ARGS="$(if $(QUICK),--rounds 5 --entries 100000)"
	@tools/bench_caches.sh $(if $(QUICK),--quick)

## run: xdpdnsd in a demo lab (client, cache and upstream namespaces): a miss, then a kernel hit
run: all
	@tools/demo.sh

## deps: install the Debian packages needed to build, test and run (only what is missing)
deps:
	@tools/deps.sh

clean:
	rm -rf .output

help:
	@echo "make [all]      build the XDP program, libraries, tests and tools into .output/"
	@sed -n 's/^## \([a-z-]*\): /make \1\t/p' Makefile | expand -t 16
	@echo "make clean      remove .output/"
	@echo "V=1 shows the commands."

.PHONY: all test fuzz soak bench bench-xdp run deps clean help
