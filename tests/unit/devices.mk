# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/unit/devices.mk: devices end to end through the public API on a
# machine without KVM (tests/unit/vm-fixture.h), driven by the mock guest
# (tests/unit/mock/: PCI config and BARs, the virtio probe order, rings).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-virtio-net
TESTS += tests/unit/test-virtio-net
endif
tests_unit_test_virtio_net_SOURCES = tests/unit/test-virtio-net.c \
	tests/unit/vm-fixture.h tests/unit/vnet-fixture.h tests/unit/fake-kvm.h \
	$(virtio_mock_sources) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h
tests_unit_test_virtio_net_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_net_LDADD = $(TEST_LIBS)

# Host netdevs ("callback", host types derived from "netdev") through the
# public calls, with the same mock guest.
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-host-netdev
TESTS += tests/unit/test-host-netdev
endif
tests_unit_test_host_netdev_SOURCES = tests/unit/test-host-netdev.c \
	tests/unit/vm-fixture.h tests/unit/vnet-fixture.h tests/unit/fake-kvm.h \
	tests/unit/echo-host.h $(virtio_mock_sources) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h
tests_unit_test_host_netdev_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_host_netdev_LDADD = $(TEST_LIBS)
