#!/bin/sh
# examples/demo-guest.sh: what the demo guest runs as /test.sh after its
# /init has loaded the virtio modules (tests/system/l2-initramfs.sh).
# With a terminal on the console and "demo.shell" on the kernel command
# line it leaves you at a shell; otherwise it plays a short session.
echo
echo "=== Debian $(uname -r) running under libkvm-virtio ==="
echo "vCPUs: $(nproc)    $(grep MemTotal /proc/meminfo)"
echo "cmdline: $(cat /proc/cmdline)"
echo "PCI functions:"
found=0
for d in /sys/bus/pci/devices/*; do
	[ -e "$d" ] || continue
	found=1
	echo "  ${d##*/} vendor $(cat "$d/vendor") device $(cat "$d/device") driver $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
done
[ "$found" = 1 ] || echo "  (none)"
ip link set eth0 up 2>/dev/null
echo "network interfaces:"
ip -o link | sed 's/^/  /'
if grep -q demo.shell /proc/cmdline; then
	echo "a shell on the guest's console; 'poweroff -f' ends the demo"
	setsid cttyhack sh
	exit 0
fi
for c in "uname -a" "cat /proc/cpuinfo | grep -m1 'model name'" "ls /sys/bus/virtio/drivers" "cat /sys/class/net/eth0/address" 'basename $(readlink /sys/class/net/eth0/device/driver)' "grep -E 'virtio|ttyS' /proc/interrupts"; do
	printf '~ # %s\n' "$c"
	sh -c "$c"
done
# The network: eth0 on a tap in the host's private namespace (10.0.2.1).
ip addr add 10.0.2.15/24 dev eth0
printf '~ # %s\n' "ip addr add 10.0.2.15/24 dev eth0; ping -c 3 10.0.2.1"
ping -c 3 10.0.2.1
if command -v iperf3 >/dev/null; then
	printf '~ # %s\n' "iperf3 -c 10.0.2.1 -t 3   # guest -> host TCP"
	iperf3 -c 10.0.2.1 -t 3 -f m 2>&1 | tail -n 4
fi
echo "~ # poweroff -f"
