# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/vhost-user/vhost-user.mk: packets/s between the mock guest driver
# and DPDK's testpmd (macswap) through a vhost-user netdev's rings.
#
#   make bench-vhost-user [BENCH_VU_SECONDS=1] [BENCH_VU_ROUNDS=5]
#
# Needs dpdk-testpmd (Debian package dpdk-dev); prints per-round Mpps, the
# median and "RESULT vhost-user ...". testpmd busy-polls one core.
noinst_PROGRAMS += bench/vhost-user/vhost-user
bench_vhost_user_vhost_user_SOURCES = bench/vhost-user/vhost-user.c \
	tests/unit/dpdk-peer.c tests/unit/dpdk-peer.h $(vhost_user_mock_sources)
bench_vhost_user_vhost_user_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/unit
bench_vhost_user_vhost_user_LDADD = $(TEST_LIBS)

BENCH_VU_SECONDS = 1
BENCH_VU_ROUNDS = 5
bench-vhost-user: bench/vhost-user/vhost-user$(EXEEXT)
	bench/vhost-user/vhost-user --seconds $(BENCH_VU_SECONDS) \
	--rounds $(BENCH_VU_ROUNDS)
.PHONY: bench-vhost-user
bench: bench-vhost-user
