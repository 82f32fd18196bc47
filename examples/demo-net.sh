#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# examples/demo-net.sh KERNEL INITRD APPEND: the demo's host side, run where
# the VM runs (this host, or the nested L1 scripts/demo.sh boots): inside a
# network namespace of its own, vm-run (beside this script) boots the demo
# guest with a virtio-net-pci on a tap; the host end gets 10.0.2.1/24 and
# an iperf3 server (beside this script, or on PATH) for the guest's
# throughput run. No packet leaves the namespace.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${DEMO_NETNS:-}" ]; then
	DEMO_NETNS=1 exec unshare -n "$0" "$@"
fi
kernel=$1 initrd=$2 append=$3
iperf=$here/iperf3
[ -x "$iperf" ] || iperf=$(command -v iperf3 || true)
"$here/vm-run" -kernel "$kernel" -initrd "$initrd" -append "$append" \
	-smp 1 -m 256 -netdev tap,id=n0,ifname=kvdemo0 \
	-device virtio-net-pci,netdev=n0,id=net0,mac=52:54:00:12:34:56 \
	-timeout 240 &
vm=$!
i=0
while ! ip link show kvdemo0 >/dev/null 2>&1 && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
ip link set lo up
ip addr add 10.0.2.1/24 dev kvdemo0
ip link set kvdemo0 up
if [ -n "$iperf" ]; then
	"$iperf" -s -1 >/dev/null 2>&1 &
fi
rc=0
wait "$vm" || rc=$?
exit "$rc"
