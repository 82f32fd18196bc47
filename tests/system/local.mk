# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/local.mk: tests that run guests on KVM. test-machine uses the
# public API only; kvm-tests.sh runs it (and later KVM programs) where a
# /dev/kvm exists, nesting one under QEMU when needed (run-in-kvm.sh).
# Test programs link the convenience library statically, so they are real
# binaries (no libtool wrapper) that can be copied into the nested L1.
KVM_TEST_PROGS = tests/system/test-machine
if ENABLE_TESTS
check_PROGRAMS += $(KVM_TEST_PROGS)
TESTS += tests/system/kvm-tests.sh
endif
tests_system_test_machine_SOURCES = tests/system/test-machine.c
tests_system_test_machine_CFLAGS = $(TEST_CFLAGS)
tests_system_test_machine_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/system/kvm-tests.sh tests/system/run-in-kvm.sh \
	tests/system/l1-run.sh tests/system/kit.sh tests/system/kvm-path.sh \
	tests/system/l2-initramfs.sh
