# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/net-device/net-device.mk: virtio-net-pci's data path on the host,
# driven by the mock guest driver (no guest, no KVM), over a tap in a
# private network namespace, against a plain C loop on a tap (the floor).
#
#   make bench-net-device [BENCH_NET_SECONDS=1] [BENCH_NET_ROUNDS=5]
#
# Needs root (netns, /dev/net/tun). Prints ours/floor per direction and
# size, then "RESULT net-device ...".
noinst_PROGRAMS += bench/net-device/net-device
bench_net_device_net_device_SOURCES = bench/net-device/net-device.c \
	tests/unit/vm-fixture.h tests/unit/fake-kvm.h $(virtio_mock_sources) \
	tests/unit/mock/pci-driver.c tests/unit/mock/pci-driver.h \
	tests/unit/mock/check-shim.c
bench_net_device_net_device_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
# No libcheck: the mock guest's assertions go to check-shim.c.
bench_net_device_net_device_LDADD = lib/libkvm-virtio-internal.la

BENCH_NET_SECONDS = 1
BENCH_NET_ROUNDS = 5
bench-net-device: bench/net-device/net-device$(EXEEXT)
	bench/net-device/net-device --seconds $(BENCH_NET_SECONDS) \
	--rounds $(BENCH_NET_ROUNDS)
.PHONY: bench-net-device
bench: bench-net-device
