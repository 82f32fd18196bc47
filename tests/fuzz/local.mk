# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/fuzz/local.mk: libFuzzer targets (configure --enable-fuzzing, clang,
# ASan + UBSan). Each tests/fuzz/NAME.fuzz is built from fuzz-NAME.c and
# runs, as an automake test, for FUZZ_SECONDS on its seed corpus
# tests/fuzz/corpus/NAME (tests/fuzz/run.sh; TAP, so a crash is a failed
# test and the runs count in the summary). See tests/fuzz/README.md.
#   make fuzz-check                 the CI run: FUZZ_CI_TESTS, 30 s each
#   make fuzz FUZZ_SECONDS=600      a campaign: every target, one at a time
# virtio-net runs with x-io-inline=on: its queues are served on the
# fuzzer's thread, so its runs are deterministic and it is in CI too.
FUZZ_CI_TESTS = tests/fuzz/vq.fuzz tests/fuzz/pci.fuzz \
	tests/fuzz/portio.fuzz tests/fuzz/loader.fuzz tests/fuzz/props.fuzz \
	tests/fuzz/virtio-net.fuzz tests/fuzz/vhost-user.fuzz
FUZZ_ALL_TESTS = $(FUZZ_CI_TESTS)
FUZZ_SECONDS = 30

if ENABLE_FUZZING
noinst_PROGRAMS += $(FUZZ_ALL_TESTS)
TESTS += $(FUZZ_CI_TESTS)
endif
TEST_EXTENSIONS += .fuzz
FUZZ_LOG_DRIVER = $(LOG_DRIVER)
FUZZ_LOG_COMPILER = env FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) \
	$(top_srcdir)/tests/fuzz/run.sh

FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz-ram.c
FUZZ_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/tests/fuzz
FUZZ_LIBS = lib/libkvm-virtio-internal.la
FUZZ_LDFLAGS_ALL = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

tests_fuzz_vq_fuzz_SOURCES = tests/fuzz/fuzz-vq.c $(FUZZ_COMMON)
tests_fuzz_vq_fuzz_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_vq_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_vq_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

tests_fuzz_pci_fuzz_SOURCES = tests/fuzz/fuzz-pci.c $(FUZZ_COMMON) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h \
	tests/unit/irq-rec.h
tests_fuzz_pci_fuzz_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_pci_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_pci_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

tests_fuzz_portio_fuzz_SOURCES = tests/fuzz/fuzz-portio.c $(FUZZ_COMMON) \
	tests/unit/irq-rec.h
tests_fuzz_portio_fuzz_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_portio_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_portio_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

tests_fuzz_loader_fuzz_SOURCES = tests/fuzz/fuzz-loader.c $(FUZZ_COMMON)
tests_fuzz_loader_fuzz_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_loader_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_loader_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

tests_fuzz_props_fuzz_SOURCES = tests/fuzz/fuzz-props.c $(FUZZ_COMMON)
tests_fuzz_props_fuzz_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_props_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_props_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

tests_fuzz_vhost_user_fuzz_SOURCES = tests/fuzz/fuzz-vhost-user.c $(FUZZ_COMMON)
tests_fuzz_vhost_user_fuzz_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_vhost_user_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_vhost_user_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

# Everything the device-specific target needs is in fuzz-virtio-net.c plus
# the unit tests' mock guest, whose ck_assert()s go to check-shim.c (no
# Check runner in a fuzzer).
tests_fuzz_virtio_net_fuzz_SOURCES = tests/fuzz/fuzz-virtio-net.c \
	$(FUZZ_COMMON) tests/unit/mock/check-shim.c $(virtio_mock_sources) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h \
	tests/unit/mock/sock-netdev.c tests/unit/mock/sock-netdev.h
tests_fuzz_virtio_net_fuzz_CFLAGS = $(FUZZ_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tests/unit
tests_fuzz_virtio_net_fuzz_LDADD = $(FUZZ_LIBS)
tests_fuzz_virtio_net_fuzz_LDFLAGS = $(FUZZ_LDFLAGS_ALL)

# Only the fuzz tests, through the test harness (summary lines included);
# the unit tests of a fuzzing build are left to `make check`.
fuzz-check: all
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(FUZZ_CI_TESTS)'
fuzz: all
	$(MAKE) $(AM_MAKEFLAGS) -j1 check-TESTS TESTS='$(FUZZ_ALL_TESTS)' \
		FUZZ_SECONDS='$(FUZZ_SECONDS)'
.PHONY: fuzz fuzz-check

EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/README.md tests/fuzz/make-seeds.py \
	tests/fuzz/corpus
# What the runs leave in the build tree: the grown corpora, the fuzzers'
# logs and any crash/leak/timeout/oom inputs.
clean-local: fuzz-clean
fuzz-clean:
	rm -rf tests/fuzz/*.corpus
	rm -f tests/fuzz/*.fuzzer-log tests/fuzz/*-crash-* tests/fuzz/*-leak-* \
		tests/fuzz/*-timeout-* tests/fuzz/*-oom-* tests/fuzz/*-slow-unit-*
.PHONY: fuzz-clean
