# SPDX-License-Identifier: GPL-2.0
# Shared build rules: every sub-Makefile sets a few variables and includes this.
# Outputs go to $(OUTPUT) at the top of the tree; V=1 shows the full commands.

.DEFAULT_GOAL := all

TOP     := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
OUTPUT  := $(TOP)/.output
CLANG   ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC      ?= cc
# The release, written in one place: the VERSION file. --version, /metrics, the man pages, the
# image's tag and the Debian package's version all say it. Letters, digits and dots after a
# digit: it is also an image tag and a native Debian version (no '-', '+', '~').
RELEASE := $(shell cat $(TOP)/VERSION)
check_version = $(if $(shell echo '$(1)' | grep -xE '[0-9][0-9A-Za-z.]*'),,\
	$(error version '$(1)': a digit, then letters, digits and dots))
$(call check_version,$(RELEASE))

ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/s390x/s390/')

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(TOP)/%,%,$(2))";
endif

# clang -target bpf does not search the host's multiarch dirs (asm/types.h):
# add them after its own, as libbpf-bootstrap does.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(TOP)/include -I$(TOP)/bpf $(CLANG_BPF_SYS_INCLUDES)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$(TOP)/include -I$(OUTPUT)
LDLIBS  += $(shell pkg-config --libs libbpf libxdp ldns zlib 2>/dev/null || echo -lbpf -lxdp -lldns -lelf -lz)

# user/Makefile: the shared library code, and the daemon's; what sees which headers
LIBXDPDNS  := $(OUTPUT)/libxdpdns.a
LIBXDPDNSD := $(OUTPUT)/libxdpdnsd.a
USER_LIB_INCLUDES := -I$(TOP)/user/lib
USER_INCLUDES := $(USER_LIB_INCLUDES) -I$(TOP)/user/daemon -I$(TOP)/user/ctl

# .bpf.c -> .bpf.o -> .skel.h
$(OUTPUT)/%.bpf.o: %.bpf.c $(wildcard $(TOP)/include/*.h $(TOP)/bpf/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@

$(OUTPUT):
	$(Q)mkdir -p $@

.DELETE_ON_ERROR:
.SECONDARY:
