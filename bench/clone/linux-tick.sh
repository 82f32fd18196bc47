#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/clone/linux-tick.sh: /test.sh of bench/clone's Linux template
# (packed by tests/system/l2-initramfs.sh, whose /init has loaded the
# virtio-net stack): eth0, the virtio-net-pci on a null netdev, is brought
# up so that its queues are live in the template and travel with every
# clone; then "@@T" lines forever. bench/clone/clone.c counts those lines:
# the template is paused after 20, a cold VM's marker is its first, a
# clone's is the first it prints whole after resuming.
ip link set eth0 up 2>/dev/null || echo "@@NO-ETH0@@"
while :; do echo "@@T"; done
