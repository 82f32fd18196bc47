# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/net-guest/net-guest.mk: a stock guest's iperf3 throughput with our
# virtio-net-pci against QEMU's userspace one (vhost=off), interleaved.
#
#   make bench-net-guest [BENCH_NET_GUEST_RUNS=3] [BENCH_NET_GUEST_SECONDS=5]
#     [KIT_CACHE=DIR]
#
# Uses bench/boot/vm-run (static) and the host's iperf3 (also put into the
# guest's initramfs); nested in one L1 unless the host runs stock guests.
BENCH_NET_GUEST_RUNS = 3
BENCH_NET_GUEST_SECONDS = 5
bench-net-guest: $(BENCH_BOOT)/vm-run$(EXEEXT)
	$(SHELL) $(srcdir)/bench/net-guest/run.sh --bindir $(BENCH_BOOT) \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--runs $(BENCH_NET_GUEST_RUNS) --seconds $(BENCH_NET_GUEST_SECONDS) \
	--systemdir $(top_srcdir)/tests/system
.PHONY: bench-net-guest
bench: bench-net-guest
EXTRA_DIST += bench/net-guest/run.sh bench/net-device/net-device.mk \
	bench/net-guest/net-guest.mk
