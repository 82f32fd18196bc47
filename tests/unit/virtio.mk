# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/unit/virtio.mk: the virtio core, split virtqueue and virtio-pci
# transport, driven by the mock guest in tests/unit/mock/ (guest RAM with a
# bump allocator, driver-side vring, Linux's probe order). No KVM needed.
virtio_mock_sources = tests/unit/mock/guest-mem.c tests/unit/mock/guest-mem.h \
	tests/unit/mock/vring-driver.c tests/unit/mock/vring-driver.h \
	tests/unit/mock/virtio-driver.c tests/unit/mock/virtio-driver.h \
	tests/unit/mock/virtio-pci-bar.c tests/unit/mock/virtio-pci-bar.h
virtio_unit_tests = tests/unit/test-virtio tests/unit/test-virtio-state
if ENABLE_TESTS
check_PROGRAMS += $(virtio_unit_tests)
TESTS += $(virtio_unit_tests)
endif
tests_unit_test_virtio_SOURCES = tests/unit/test-virtio.c $(virtio_mock_sources)
tests_unit_test_virtio_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_LDADD = $(TEST_LIBS)
tests_unit_test_virtio_state_SOURCES = tests/unit/test-virtio-state.c $(virtio_mock_sources) \
	tests/unit/snap-util.h
tests_unit_test_virtio_state_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_state_LDADD = $(TEST_LIBS)

# The PCI transport, on a bus driven by the mock PCI driver (tests/unit/pci.mk).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-virtio-pci
TESTS += tests/unit/test-virtio-pci
endif
tests_unit_test_virtio_pci_SOURCES = tests/unit/test-virtio-pci.c \
	$(virtio_mock_sources) tests/unit/mock/pci-driver.c \
	tests/unit/mock/pci-driver.h tests/unit/pci-fixture.h
tests_unit_test_virtio_pci_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_pci_LDADD = $(TEST_LIBS)

# Snapshot state of the virtio-pci function (PCI + virtio + transport).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-virtio-pci-state
TESTS += tests/unit/test-virtio-pci-state
endif
tests_unit_test_virtio_pci_state_SOURCES = tests/unit/test-virtio-pci-state.c \
	$(virtio_mock_sources) tests/unit/mock/pci-driver.c \
	tests/unit/mock/pci-driver.h
tests_unit_test_virtio_pci_state_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_pci_state_LDADD = $(TEST_LIBS)
