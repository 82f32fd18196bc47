#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/linux-guest.sh: /test.sh of the L2 guest that
# test-linux boots (packed by l2-initramfs.sh; its /init has already printed
# @@INIT@@ and loaded the virtio modules). It reports what the guest sees as
# markers on the serial console, then leaves as the kernel command line's
# "test.action=poweroff|reboot" says (default poweroff).
#
# Nested, every console byte costs a VM exit (~0.7 ms): print little.
read -r cmdline </proc/cmdline
echo "@@NPROC $(nproc)@@"
echo "@@MEM $(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)@@"
echo "@@CMDLINE $cmdline@@"
# What the CPUID/clock setup gave the kernel.
echo "@@HV $(dmesg | sed -n 's/.*Hypervisor detected: //p' | head -n 1)@@"
echo "@@CLOCK $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)@@"
# Kernel messages at warning level or worse (raw "<level>" prefix, facility
# 0 for the kernel), a few at most.
dmesg -r | sed -n 's/^<\([0-4]\)>\(\[[ 0-9.]*\] \)\{0,1\}/@@KMSG \1 /p' |
	head -n 12 | sed 's/$/@@/'
# The NIC: virtio_pci + virtio_net bound our virtio-net-pci, eth0's MAC.
if [ -e /sys/class/net/eth0 ]; then
	drv=$(readlink /sys/class/net/eth0/device/driver)
	echo "@@NIC eth0 $(cat /sys/class/net/eth0/address) ${drv##*/}@@"
else
	echo "@@NIC none@@"
fi
action=poweroff ip= peer=
for w in $cmdline; do
	case $w in
	test.action=*) action=${w#test.action=} ;;
	test.ip=*) ip=${w#test.ip=} ;;
	test.ping=*) peer=${w#test.ping=} ;;
	esac
done
# Traffic (test-linux's tap test): address eth0, ping the host's tap.
if [ -n "$ip" ] && [ -n "$peer" ]; then
	ip link set eth0 up && ip addr add "$ip" dev eth0 &&
		ping -c 3 -w 30 "$peer" >/dev/null 2>&1 &&
		echo "@@PING ok@@" || echo "@@PING fail@@"
fi
echo "@@ACTION $action@@"
case $action in
reboot) reboot -f ;;
poweroff) poweroff -f ;;
*) echo "@@BAD-ACTION $action@@" ;; # /init powers off after us
esac
