# wintogo - write portable Windows (Windows To Go) disks from Linux.
#
#   make          build build/wintogo
#   make check    install dependencies, build, run every test (prove)
#   make demo     install dependencies, build, run wintogo on a sample image
#   make deps     install the Debian packages the build, tests and demo need
#   make fuzz     FUZZ_SECONDS=60 FUZZ_TARGETS="vhdx pe": run the libFuzzer
#                 targets (tests/fuzz/README); make check runs fuzz-smoke
#   make install  PREFIX=/usr/local DESTDIR=
#   make dist     build/wintogo-VERSION.tar.gz, the release tarball (git archive)
#   make distcheck  make dist, unpacked in build/distcheck, passes make check
#   make deb      the Debian package (dpkg-buildpackage, into build/deb)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BUILD ?= build

CC ?= gcc
PKGS := wimlib blkid fdisk hivex openssl libudf libcdio libiso9660 libarchive zlib jansson \
	libxml-2.0 icu-i18n libvhdi libntfs-3g
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
# Where `make install` puts data/ (the Mac model table); wintogo also looks
# in ../share/wintogo and ../data next to its binary (see macmodels.h).
ALL_CFLAGS = -std=c17 $(WARN) -D_GNU_SOURCE -Iinclude -DWINTOGO_DATADIR='"$(DATADIR)/wintogo"' $(CFLAGS) \
	$(shell pkg-config --cflags $(PKGS))
# readline is the front end's alone (the guided mode); its pkg-config
# cflags would redefine the feature macros some modules set themselves
LDLIBS = $(shell pkg-config --libs $(PKGS)) $(shell pkg-config --libs readline)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# src/ is the core, a library that never talks to the user; src/cli/ is
# the front end (options, prompts, printing, exit status).
LIB_SRCS := $(wildcard src/*.c)
SRCS := $(LIB_SRCS) $(wildcard src/cli/*.c)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
# The test build (never installed) differs only in cli_hooks.o: it takes the
# context's test hooks from the environment (see cli.h).
TEST_OBJS := $(filter-out $(BUILD)/obj/cli/cli_hooks.o,$(OBJS)) $(BUILD)/test/obj/cli_hooks.o
ASAN_OBJS := $(SRCS:src/%.c=$(BUILD)/asan/obj/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/asan/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/asan/tests/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/asan/helpers/%)
HEADERS := $(wildcard include/wintogo/*.h src/*.h)
MANPAGES := $(wildcard man/*.1)

# Debian 12 packages: build, run, test oracles (see README.md).
DEPS_BUILD := gcc make pkg-config libblkid-dev libfdisk-dev libwim-dev libfuse-dev \
	ntfs-3g-dev libxml2-dev libhivex-dev libssl-dev libarchive-dev libcdio-dev \
	libudf-dev libiso9660-dev zlib1g-dev libjansson-dev libicu-dev libvhdi-dev \
	libreadline-dev
DEPS_RUN := ntfs-3g fuse3 dosfstools mtools qemu-utils exfatprogs exfat-fuse syslinux syslinux-common
DEPS_TEST := perl fdisk gdisk wimtools libhivex-bin python3-hivex \
	qemu-system-x86 ovmf qemu-system-arm qemu-efi-aarch64 gnu-efi binutils lld \
	osslsigncode genisoimage libarchive-tools jq file \
	groff-base man-db util-linux libwin-hivex-perl openssl strace chntpw \
	libxml2-utils zip libvhdi-utils e2fsprogs mount bsdutils clang libclang-rt-14-dev \
	zsh bash-completion tmux sbsigntool osslsigncode nasm seabios faketime btrfs-progs xfsprogs
DEPS := $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_TEST)

# libFuzzer targets, one per parser of untrusted bytes (tests/fuzz/README):
# the core built again with clang, instrumented for coverage, ASan and UBSan.
# libFuzzer is clang's, so these never use $(CC).
FUZZ_CC := clang
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
# kept: make would delete them as intermediates of the pattern rules
.SECONDARY: $(FUZZ_LIB_OBJS)

FIXTURES := $(BUILD)/fixtures
# make V=1 shows the compiler command lines
Q := $(if $(V),,@)

# The version is the VERSION file's alone: a release tarball has no .git,
# and a build from it must say what a build from the repository says.
# `wintogo --version`, the manifests and the tarball's name carry it;
# debian/changelog's top entry must name it too (tests/version.t).
VERSION := $(shell cat VERSION)
# What make dist, make deb and their tests (dist.t, package.t) need: kept
# apart from DEPS_TEST's list so that it merges alone, added to it here.
DEPS_PACKAGE := git dpkg-dev debhelper lintian
DEPS_TEST += $(DEPS_PACKAGE)
DEPS += $(DEPS_PACKAGE)
# CPPFLAGS: dpkg-buildflags' (_FORTIFY_SOURCE) reach the compiler
ALL_CFLAGS += -DWINTOGO_VERSION='"$(VERSION)"' $(CPPFLAGS)

.PHONY: dist distcheck deb

.PHONY: all deps check test unit demo fixtures install clean fuzz fuzz-build fuzz-smoke

all: $(BUILD)/wintogo

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/wintogo: $(OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/test/obj/cli_hooks.o: src/cli/cli_hooks.c $(HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC test $<")
	$(Q)$(CC) $(ALL_CFLAGS) -DWINTOGO_TEST_HOOKS -c -o $@ $<

$(BUILD)/test/wintogo: $(TEST_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# The sanitizer build: unit tests link the core modules from it, and the
# end-to-end tests that cover error paths run its binary.
$(BUILD)/asan/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZE) -O1 $(HOOKS_CFLAGS) -c -o $@ $<

# the sanitizer build is a test build too
$(BUILD)/asan/obj/cli/cli_hooks.o: HOOKS_CFLAGS := -DWINTOGO_TEST_HOOKS

$(BUILD)/asan/wintogo: $(ASAN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c tests/unit/tap.h tests/unit/test_ctx.h $(ASAN_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZE) -O1 -Itests/unit -o $@ $< $(ASAN_LIB_OBJS) $(LDFLAGS) $(LDLIBS)

# Small programs the end-to-end tests drive (not tests themselves).
$(BUILD)/asan/helpers/%: tests/helpers/%.c tests/unit/test_ctx.h $(ASAN_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HELPER  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZE) -O1 -Itests/unit -o $@ $< $(ASAN_LIB_OBJS) $(LDFLAGS) $(LDLIBS)

# An LD_PRELOAD library that makes chosen system calls fail (tests/faults.t);
# plain, not sanitized: ASan wants to be the first library loaded.
$(BUILD)/faultinject.so: tests/faultinject/faultinject.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  PRELOAD $@")
	$(Q)$(CC) -std=c17 $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

# Installs only what is missing; a no-op when everything is present.
deps:
	@missing=$$(for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

fixtures: $(FIXTURES)/.stamp

$(FIXTURES)/.stamp: fixtures/mkimage $(wildcard fixtures/efi/* fixtures/hives/* fixtures/bios/*)
	fixtures/mkimage $(FIXTURES)
	@touch $@

unit: $(UNIT_TESTS)

# Two tests at a time: most wait on a disk, QEMU or a child program, and
# each works in its own folder and on its own loop devices (PROVE_JOBS=1
# runs them one after the other).
PROVE_JOBS ?= 2

test: all $(BUILD)/test/wintogo $(BUILD)/asan/wintogo $(LIB_OBJS) unit $(HELPERS) $(BUILD)/faultinject.so fixtures \
	$(FUZZ_BINS)
	WINTOGO=$(abspath $(BUILD)/wintogo) WINTOGO_ASAN=$(abspath $(BUILD)/asan/wintogo) \
	WINTOGO_TEST=$(abspath $(BUILD)/test/wintogo) \
	FIXTURES=$(abspath $(FIXTURES)) BUILD=$(abspath $(BUILD)) HELPERS=$(abspath $(BUILD)/asan/helpers) \
	FAULTINJECT=$(abspath $(BUILD)/faultinject.so) \
		prove -j$(PROVE_JOBS) $(UNIT_TESTS) tests/*.t
	$(MAKE) fuzz-smoke

# The libFuzzer targets (variables above).
$(BUILD)/fuzz/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC fuzz $<")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE) -O1 -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(FUZZ_SANITIZE) -O1 -Itests/fuzz -o $@ $< \
		$(FUZZ_LIB_OBJS) $(LDFLAGS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS on build/fuzz/corpus/NAME, which keeps what
# it finds from run to run; crashes go to build/fuzz/crashes/NAME/.
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	$(Q)for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run fuzz $(abspath $(BUILD)/fuzz) $$t $(FUZZ_SECONDS) || exit 1; \
	done

# Every seed and regression input once, then a few seconds of fuzzing from
# a fixed seed: a crash found once stays found.
fuzz-smoke: $(FUZZ_BINS)
	$(Q)fail=0; for t in $(FUZZ_NAMES); do \
		tests/fuzz/run smoke $(abspath $(BUILD)/fuzz) $$t $(FUZZ_SMOKE_SECONDS) || fail=1; \
	done; exit $$fail

check: deps
	$(MAKE) test

demo: deps
	$(MAKE) all fixtures
	@tests/demo.sh $(abspath $(BUILD)/wintogo) $(abspath $(FIXTURES)) $(abspath $(BUILD)/demo)

install: all
	install -D -m 0755 $(BUILD)/wintogo $(DESTDIR)$(BINDIR)/wintogo
	for m in $(MANPAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/$$(basename $$m); \
	done
	install -D -m 0644 data/mac-models.tsv $(DESTDIR)$(DATADIR)/wintogo/mac-models.tsv
	install -D -m 0644 completions/wintogo.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/wintogo
	install -D -m 0644 completions/_wintogo $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_wintogo

clean:
	rm -rf $(BUILD)

# The release tarball: HEAD as git archives it (committed files only, so
# it warns about changes not committed), named after HEAD's VERSION;
# the same commit always gives the same bytes.  Not signed.
dist:
	@git diff --quiet HEAD -- || echo "make dist: uncommitted changes are not in the tarball, which is HEAD's" >&2
	@mkdir -p $(BUILD)
	$(Q)v=$$(git show HEAD:VERSION) && \
	git archive --format=tar.gz --prefix=wintogo-$$v/ -o $(BUILD)/wintogo-$$v.tar.gz HEAD && \
	echo "$(BUILD)/wintogo-$$v.tar.gz"

# What the issue asks of a release: its tarball, unpacked elsewhere,
# builds and passes make check (DISTCHECK_DIR=/elsewhere to unpack it there).
DISTCHECK_DIR ?= $(BUILD)/distcheck
distcheck: dist
	rm -rf $(DISTCHECK_DIR) && mkdir -p $(DISTCHECK_DIR)
	$(Q)v=$$(git show HEAD:VERSION) && \
	tar -xzf $(BUILD)/wintogo-$$v.tar.gz -C $(DISTCHECK_DIR) && \
	$(MAKE) -C $(DISTCHECK_DIR)/wintogo-$$v check

# The .deb from a copy of HEAD (git archive), so the tree is not touched;
# the package and dpkg-buildpackage's other outputs land in build/deb.
# DEB_BUILD_OPTIONS=nocheck skips the unit tests debian/rules runs.  This
# make's own options (BUILD=... among them) are not the package's.
deb:
	@git diff --quiet HEAD -- || echo "make deb: uncommitted changes are not in the package, which is HEAD's" >&2
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git archive --format=tar HEAD | tar -x -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

# make print-VERSION, make print-DEPS_RUN: a variable's value, for
# debian/rules (the package's Depends is DEPS_RUN) and the tests.
print-%:
	@echo $($*)

# Every object is compiled with -DWINTOGO_VERSION, so a new version
# rebuilds them (here, after `all`, which stays the default goal).
$(OBJS) $(TEST_OBJS) $(ASAN_OBJS) $(FUZZ_LIB_OBJS) $(UNIT_TESTS) $(HELPERS): VERSION
