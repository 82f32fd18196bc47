# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/vhost-user/vhost-user.mk: (b) a stock Linux guest's TCP through
# DPDK's testpmd, ours against QEMU's vhost-user frontend, interleaved in
# one nested L1 (bench/net-guest/run.sh --backend vhost-user), then (a)
# packets/s between the mock guest driver and testpmd (macswap) through a
# vhost-user netdev's rings against DPDK's net_virtio_user on the same
# testpmd, whose last line carries (b)'s ratio.
#
#   make bench-vhost-user [BENCH_VU_SECONDS=1] [BENCH_VU_ROUNDS=5]
#     [BENCH_VU_GUEST=0] [BENCH_VU_GUEST_RUNS=3] [BENCH_VU_GUEST_SECONDS=5]
#     [KIT_CACHE=DIR]
#
# BENCH_VU_GUEST=0 leaves (b) out (it takes a nested L1 for ~10 min):
# tcp_over_qemu=na then.
# (b) runs its L1 with multi-threaded TCG unless L1_TCG_THREAD says
# otherwise: testpmd busy-polls one of L1's two CPUs, which
# single-threaded TCG then serves as much as the guest's.
# Needs dpdk-testpmd (Debian package dpdk-dev), iperf3 and QEMU for (b);
# prints (b)'s table, per-round Mpps of ours and the peer, the medians
# and "RESULT vhost-user ...". During (a) two testpmds busy-poll: one core
# each (see bench/vhost-user/vhost-user.c for what is pinned where).
noinst_PROGRAMS += bench/vhost-user/vhost-user
bench_vhost_user_vhost_user_SOURCES = bench/vhost-user/vhost-user.c \
	tests/unit/dpdk-peer.c tests/unit/dpdk-peer.h tests/unit/task-walk.h $(vhost_user_mock_sources) \
	tests/unit/mock/check-shim.c
bench_vhost_user_vhost_user_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
# No libcheck: the mock guest's assertions go to check-shim.c (libcheck's
# own report every passing assertion to the runner, a write per frame).
bench_vhost_user_vhost_user_LDADD = lib/libkvm-virtio-internal.la

BENCH_VU_SECONDS = 1
BENCH_VU_ROUNDS = 5
BENCH_VU_GUEST = 1
BENCH_VU_GUEST_RUNS = 3
BENCH_VU_GUEST_SECONDS = 5
bench-vhost-user: bench/vhost-user/vhost-user$(EXEEXT) $(BENCH_BOOT)/vm-run$(EXEEXT)
	if test "$(BENCH_VU_GUEST)" != 0; then \
	tcp=$$(L1_TCG_THREAD=$${L1_TCG_THREAD:-multi} \
	  $(SHELL) $(srcdir)/bench/net-guest/run.sh --backend vhost-user \
	  --bindir $(BENCH_BOOT) --cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	  --runs $(BENCH_VU_GUEST_RUNS) --seconds $(BENCH_VU_GUEST_SECONDS) \
	  --systemdir $(top_srcdir)/tests/system | tee /dev/stderr | \
	  sed -n 's/^RESULT vhost-user-guest .*tcp_over_qemu=\([^ ]*\).*/\1/p'); \
	fi; \
	bench/vhost-user/vhost-user --seconds $(BENCH_VU_SECONDS) \
	--rounds $(BENCH_VU_ROUNDS) --tcp-over-qemu "$${tcp:-na}"
.PHONY: bench-vhost-user
bench: bench-vhost-user
