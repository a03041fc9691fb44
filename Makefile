# SPDX-License-Identifier: GPL-2.0
# xdpdns: node-local DNS cache with an XDP fast path. `make help` lists the targets.

MAKEFLAGS += --no-print-directory

# Where `make install` puts things (GNU names); DESTDIR stages them elsewhere. The config lives
# in /etc whatever the prefix: the daemon and the unit look there.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/xdpdns
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/xdpdns
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
INSTALL    ?= install

all: deps
	@$(MAKE) -C bpf
	@$(MAKE) -C user
	@$(MAKE) -C tests
	@$(MAKE) -C tools
	@$(MAKE) -C man

## install: daemon, xdpdnsctl, man pages, systemd unit, example config (PREFIX, DESTDIR)
# The XDP program is not installed: xdpdnsd carries it (the libbpf skeleton), and so does
# xdpdns-linkloss, a drill tool that drops packets: in libexec, out of PATH.
install:
	@$(MAKE) -C bpf
	@$(MAKE) -C user
	@$(MAKE) -C tools $(CURDIR)/.output/xdpdns-linkloss
	@$(MAKE) -C man
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/xdpdns
	$(INSTALL) -m 755 .output/xdpdnsd .output/xdpdnsctl $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 755 .output/xdpdns-linkloss $(DESTDIR)$(LIBEXECDIR)
	$(INSTALL) -m 644 .output/man/xdpdns.conf.5 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 644 .output/man/xdpdnsd.8 .output/man/xdpdnsctl.8 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 644 user/xdpdns.conf.example README.md $(DESTDIR)$(DOCDIR)
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)/docs
	$(INSTALL) -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		deploy/systemd/xdpdns@.service.in >$(DESTDIR)$(UNITDIR)/xdpdns@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/xdpdns@.service
	$(INSTALL) -m 644 deploy/systemd/xdpdns.sysusers $(DESTDIR)$(SYSUSERSDIR)/xdpdns.conf
	@# an existing config is the operator's: never overwritten
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/xdpdns/xdpdns.conf ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/xdpdns/xdpdns.conf"; \
	else \
		$(INSTALL) -m 644 user/xdpdns.conf.example $(DESTDIR)$(SYSCONFDIR)/xdpdns/xdpdns.conf; \
	fi
	@# the unit's user, on this host (a staged install leaves it to the package)
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/xdpdns.conf; \
	fi

## uninstall: what install put there, but the config in /etc
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xdpdnsd $(DESTDIR)$(SBINDIR)/xdpdnsctl \
		$(DESTDIR)$(LIBEXECDIR)/xdpdns-linkloss $(DESTDIR)$(MANDIR)/man5/xdpdns.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/xdpdnsd.8 $(DESTDIR)$(MANDIR)/man8/xdpdnsctl.8 \
		$(DESTDIR)$(UNITDIR)/xdpdns@.service $(DESTDIR)$(SYSUSERSDIR)/xdpdns.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR)

## image: the OCI image localhost/xdpdns:VERSION, with podman (PODMAN=, IMAGE= to change them)
image:
	@$(MAKE) -C deploy image

## deb: the Debian package .output/xdpdns_VERSION_ARCH.deb (dpkg-deb, from a staged install)
deb:
	@$(MAKE) -C deploy deb

## test: build everything and run every test (needs root: the tests load BPF programs)
test: all
	@$(MAKE) -C tests test

## fuzz: the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS (60) each; crashes in .output/fuzz/crashes/
fuzz: all
	@$(MAKE) -C tests fuzz

## san: xdpdnsd built with AddressSanitizer and UBSan, .output/san/xdpdnsd (make test uses it)
san: deps
	@$(MAKE) -C bpf
	@$(MAKE) -C user san

## tsan: xdpdnsd built with ThreadSanitizer, .output/tsan/xdpdnsd (for tests/e2e_threads.sh)
tsan: deps
	@$(MAKE) -C bpf
	@$(MAKE) -C user tsan

## soak: the fault drills of tests/e2e_storm.sh, 5 rounds (SOAK_ROUNDS=N for more)
soak: all
	@$(MAKE) -C tests soak

## bench-xdp: microbenchmark of the XDP program (BPF_PROG_TEST_RUN) and its memory per entry
bench-xdp: all
	@$(MAKE) -C tools bench-xdp

## bench: the XDP microbenchmark, xdpdns against other caches on a simulated node (NIC, lo, a
## routed pod), then the daemon alone against them at 1 and 2 threads (QUICK=1: about 5 minutes)
bench: all
	@tools/deps.sh bench
	@$(MAKE) -C tools bench-xdp BENCH_XDP_ARGS="$(if $(QUICK),--rounds 5 --entries 100000)"
	@tools/bench_caches.sh $(if $(QUICK),--quick)
	@tools/bench_daemon.sh $(if $(QUICK),--quick)

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

.PHONY: all install uninstall image deb test fuzz soak san tsan bench bench-xdp run deps clean help
