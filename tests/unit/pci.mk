# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/unit/pci.mk: unit tests of lib/pci, driven by the mock guest PCI
# driver (tests/unit/mock/pci-driver.c) through the PIO/MMIO maps.
pci_unit_tests = tests/unit/test-pci tests/unit/test-msix tests/unit/test-pci-state
if ENABLE_TESTS
check_PROGRAMS += $(pci_unit_tests)
TESTS += $(pci_unit_tests)
endif
pci_mock_sources = tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h \
	tests/unit/irq-rec.h tests/unit/check-main.h tests/unit/pci-fixture.h
tests_unit_test_pci_SOURCES = tests/unit/test-pci.c $(pci_mock_sources)
tests_unit_test_pci_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_pci_LDADD = $(TEST_LIBS)
tests_unit_test_msix_SOURCES = tests/unit/test-msix.c $(pci_mock_sources)
tests_unit_test_msix_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_msix_LDADD = $(TEST_LIBS)
tests_unit_test_pci_state_SOURCES = tests/unit/test-pci-state.c $(pci_mock_sources) \
	tests/unit/snap-util.h
tests_unit_test_pci_state_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_pci_state_LDADD = $(TEST_LIBS)
