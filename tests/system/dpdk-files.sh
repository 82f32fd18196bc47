#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/dpdk-files.sh: the host files a nested L1 needs to run
# DPDK's dpdk-testpmd as a vhost-user backend (test-linux's vhost-user
# test, bench/net-guest --backend vhost-user), one per line: the program,
# the three PMDs it loads from its plugin directory (mempool_ring,
# net_vhost, net_tap: only these there in L1, so EAL loads no other), and
# stdbuf with its preload library (tests/unit/dpdk-peer.c runs testpmd
# under it). l1-run.sh adds each ELF file's libraries. Prints nothing, and
# exits 1, without dpdk-testpmd.
set -eu
testpmd=$(command -v dpdk-testpmd 2>/dev/null) || exit 1
echo "$testpmd"
pmds=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n 1)
for f in "$pmds/librte_mempool_ring.so" "$pmds/librte_net_vhost.so" \
        "$pmds/librte_net_tap.so" "$(command -v stdbuf 2>/dev/null || true)" \
        /usr/libexec/coreutils/libstdbuf.so; do
    if [ -n "$f" ] && [ -e "$f" ]; then echo "$f"; fi
done
