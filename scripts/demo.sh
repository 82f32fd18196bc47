#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/demo.sh: from a fresh Debian 12 machine, build the library and
# boot Debian's cloud kernel with a busybox initramfs under it, with a
# virtio-net-pci device on a tap (in a network namespace of the demo's
# own), its console on this terminal: the guest lists its NIC, takes an
# address, pings the host end of the tap and measures TCP with iperf3.
#
#   ./scripts/demo.sh            play a short shell session, then power off
#   DEMO_SHELL=1 ./scripts/demo.sh   leave you at the guest's shell (needs
#                                a host with hardware KVM: the console is
#                                not interactive through the nested L1)
#
# Where /dev/kvm cannot run a stock kernel (no KVM, or the PVM backend),
# the demo runs one level down, inside a QEMU/TCG L1 with nested KVM
# (tests/system/run-in-kvm.sh prints which): expect ~15-30 s there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/deps.sh"
[ -x configure ] || ./autogen.sh >/dev/null
build="$top/build/demo"
if [ ! -f "$build/Makefile" ]; then
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q >/dev/null)
fi
make -C "$build" -j"$(nproc)" -s examples/vm-run >/dev/null

kit="${KIT_CACHE:-$top/.cache/kit}"
mkdir -p "$kit"
"$top/tests/system/kit.sh" "$kit" >/dev/null
"$top/tests/system/l2-initramfs.sh" "$kit" "$build/examples/demo.cpio" \
	"$top/examples/demo-guest.sh" >/dev/null

append="console=ttyS0 quiet panic=-1"
[ "${DEMO_SHELL:-0}" = 1 ] && append="$append demo.shell"
# The host side (tap address, iperf3 server) runs beside vm-run.
cp "$top/examples/demo-net.sh" "$build/examples/demo-net.sh"
if command -v iperf3 >/dev/null; then cp "$(command -v iperf3)" "$build/examples/iperf3"; fi
RUN_IN_KVM_MIRROR="$build/examples $build/lib/.libs" \
RUN_IN_KVM_TIMEOUT=300 \
	exec "$top/tests/system/run-in-kvm.sh" "$kit" -- \
	"$build/examples/demo-net.sh" "$kit/l2/vmlinuz" \
	"$build/examples/demo.cpio" "$append"
