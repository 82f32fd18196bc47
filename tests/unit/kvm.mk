# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/unit/kvm.mk: unit tests of the KVM layer and the x86 platform
# devices and CPUID. None needs /dev/kvm: devices are driven through their
# range map with a recording interrupt sink; CPUID tables are built from a
# fake KVM_GET_SUPPORTED_CPUID answer.
kvm_unit_tests = tests/unit/test-iomap tests/unit/test-gmem \
	tests/unit/test-uart tests/unit/test-rtc tests/unit/test-pc-ports \
	tests/unit/test-cpuid tests/unit/test-release tests/unit/test-snapshot
if ENABLE_TESTS
check_PROGRAMS += $(kvm_unit_tests)
TESTS += $(kvm_unit_tests)
endif
tests_unit_test_iomap_SOURCES = tests/unit/test-iomap.c
tests_unit_test_iomap_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_iomap_LDADD = $(TEST_LIBS)
tests_unit_test_gmem_SOURCES = tests/unit/test-gmem.c
tests_unit_test_gmem_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_gmem_LDADD = $(TEST_LIBS)
tests_unit_test_uart_SOURCES = tests/unit/test-uart.c tests/unit/irq-rec.h
tests_unit_test_uart_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_uart_LDADD = $(TEST_LIBS)
tests_unit_test_rtc_SOURCES = tests/unit/test-rtc.c
tests_unit_test_rtc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rtc_LDADD = $(TEST_LIBS)
tests_unit_test_pc_ports_SOURCES = tests/unit/test-pc-ports.c
tests_unit_test_pc_ports_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pc_ports_LDADD = $(TEST_LIBS)
tests_unit_test_cpuid_SOURCES = tests/unit/test-cpuid.c
tests_unit_test_cpuid_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_cpuid_LDADD = $(TEST_LIBS)
tests_unit_test_release_SOURCES = tests/unit/test-release.c
tests_unit_test_release_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_release_LDADD = $(TEST_LIBS)
tests_unit_test_snapshot_SOURCES = tests/unit/test-snapshot.c tests/unit/irq-rec.h \
	tests/unit/snap-util.h
tests_unit_test_snapshot_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_snapshot_LDADD = $(TEST_LIBS)
