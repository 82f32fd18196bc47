# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/local.mk: tests that run guests on KVM, through the public
# API only: test-machine, test-churn, test-privilege and test-pause (the
# project's small test guests: machine, console, VM churn, many VMs per
# process, capabilities and the syscall filter of the VM's threads, pause
# and resume) and test-linux
# (Debian's stock kernel from the kit). kvm-tests.sh runs them where a
# /dev/kvm exists, nesting one under QEMU when needed (run-in-kvm.sh), both
# in one L1 boot; it also builds test-linux's initramfs (test-linux.cpio).
# Test programs link the convenience library statically, so they are real
# binaries (no libtool wrapper) that can be copied into the nested L1.
KVM_TEST_PROGS = tests/system/test-machine tests/system/test-churn \
	tests/system/test-privilege tests/system/test-pause tests/system/test-linux
if ENABLE_TESTS
check_PROGRAMS += $(KVM_TEST_PROGS)
TESTS += tests/system/kvm-tests.sh tests/system/run-examples.sh
# examples/net-passt -spawn with a tiny guest, directly where /dev/kvm
# runs tiny guests (a second or so), else it skips.
TESTS += tests/system/test-net-passt.sh
endif
EXTRA_DIST += tests/system/test-net-passt.sh
# passt's TCP with no VM (a diagnostic run by hand, root: see its header).
EXTRA_DIST += tests/system/passt-tcp-repro.sh
tests_system_test_machine_SOURCES = tests/system/test-machine.c tests/system/sys-util.h
tests_system_test_machine_CFLAGS = $(TEST_CFLAGS)
tests_system_test_machine_LDADD = $(TEST_LIBS)
tests_system_test_churn_SOURCES = tests/system/test-churn.c tests/system/sys-util.h
tests_system_test_churn_CFLAGS = $(TEST_CFLAGS)
tests_system_test_churn_LDADD = $(TEST_LIBS)
tests_system_test_privilege_SOURCES = tests/system/test-privilege.c tests/system/sys-util.h
tests_system_test_privilege_CFLAGS = $(TEST_CFLAGS) $(CAPNG_CFLAGS)
tests_system_test_privilege_LDADD = $(TEST_LIBS) $(CAPNG_LIBS)
tests_system_test_pause_SOURCES = tests/system/test-pause.c tests/system/sys-util.h
tests_system_test_pause_CFLAGS = $(TEST_CFLAGS)
tests_system_test_pause_LDADD = $(TEST_LIBS)
tests_system_test_linux_SOURCES = tests/system/test-linux.c tests/system/sys-util.h \
	tests/system/hostnet.h tests/unit/echo-host.h \
	tests/system/sha256.h tests/unit/dpdk-peer.c tests/unit/dpdk-peer.h \
	tests/unit/task-walk.h
tests_system_test_linux_CFLAGS = $(TEST_CFLAGS)
tests_system_test_linux_LDADD = $(TEST_LIBS)
CLEANFILES += tests/system/test-linux.cpio tests/system/sandbox.cpio
# kvm-tests.sh stages test-linux's Python boot (script, bindings, library)
clean-local: system-py-clean
system-py-clean:
	rm -rf tests/system/py
.PHONY: system-py-clean
EXTRA_DIST += tests/system/kvm-tests.sh tests/system/linux-guest.sh \
	tests/system/kit.sh tests/system/l1-run.sh tests/system/run-in-kvm.sh \
	tests/system/kvm-path.sh tests/system/l2-initramfs.sh \
	tests/system/README.md tests/system/run-examples.sh \
	tests/system/dpdk-files.sh
