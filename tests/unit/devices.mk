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
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h \
	tests/unit/mock/sock-netdev.c tests/unit/mock/sock-netdev.h
tests_unit_test_virtio_net_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_virtio_net_LDADD = $(TEST_LIBS)

# netdev "vhost-user": the protocol codec, a scripted in-process backend,
# and DPDK's testpmd as a real peer (skips without dpdk-testpmd).
vhost_user_mock_sources = tests/unit/mock/net-vm.c tests/unit/mock/net-vm.h \
	tests/unit/vm-fixture.h tests/unit/fake-kvm.h $(virtio_mock_sources) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-vhost-user tests/unit/test-vhost-user-dpdk
TESTS += tests/unit/test-vhost-user tests/unit/test-vhost-user-dpdk
endif
tests_unit_test_vhost_user_SOURCES = tests/unit/test-vhost-user.c \
	$(vhost_user_mock_sources)
tests_unit_test_vhost_user_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_vhost_user_LDADD = $(TEST_LIBS)
tests_unit_test_vhost_user_dpdk_SOURCES = tests/unit/test-vhost-user-dpdk.c \
	tests/unit/dpdk-peer.c tests/unit/dpdk-peer.h \
	tests/unit/hugetlb-pool.c tests/unit/hugetlb-pool.h \
	$(vhost_user_mock_sources)
tests_unit_test_vhost_user_dpdk_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_vhost_user_dpdk_LDADD = $(TEST_LIBS)
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
# virtio-net-pci's link following a reconnecting "stream" netdev.
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-stream-link
TESTS += tests/unit/test-stream-link
endif
tests_unit_test_stream_link_SOURCES = tests/unit/test-stream-link.c \
	$(vhost_user_mock_sources)
tests_unit_test_stream_link_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_stream_link_LDADD = $(TEST_LIBS)
# ... with queues=2 behind mq=on (the net-vm mock driver).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-host-netdev-mq
TESTS += tests/unit/test-host-netdev-mq
endif
tests_unit_test_host_netdev_mq_SOURCES = tests/unit/test-host-netdev-mq.c \
	$(vhost_user_mock_sources)
tests_unit_test_host_netdev_mq_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_host_netdev_mq_LDADD = $(TEST_LIBS)
