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
action=poweroff ip= peer= xfer= mtu= mq= hostnet= vurestart= snap= vmgenid=
for w in $cmdline; do
	case $w in
	test.action=*) action=${w#test.action=} ;;
	test.ip=*) ip=${w#test.ip=} ;;
	test.ping=*) peer=${w#test.ping=} ;;
	test.xfer=*) xfer=${w#test.xfer=} ;;
	test.mtu=*) mtu=${w#test.mtu=} ;;
	test.mq=*) mq=${w#test.mq=} ;;
	test.hostnet=*) hostnet=${w#test.hostnet=} ;;
	test.vurestart=*) vurestart=${w#test.vurestart=} ;;
	test.snap=*) snap=${w#test.snap=} ;;
	test.vmgenid=*) vmgenid=${w#test.vmgenid=} ;;
	esac
done
received() { sed -n 's/.* \([0-9][0-9]*\) packets received.*/\1/p'; }
# carrier_watch NAME TENTHS: wait (up to TENTHS x 0.1 s each) for eth0's
# carrier to go 0, then 1, printing "@@NAME0 c@@" and "@@NAME1 c@@".
carrier_watch() {
	# Down is also seen in carrier_down_count: a busy L1 can keep us
	# from looking during a short flap (a testpmd restart: ~2 s).
	d=/sys/class/net/eth0/carrier_down_count
	d0=$(cat $d 2>/dev/null || echo 0)
	for want in 0 1; do
		i=0
		while [ "$(cat /sys/class/net/eth0/carrier)" != $want ] &&
		    { [ $want = 1 ] || [ "$(cat $d 2>/dev/null || echo 0)" = "$d0" ]; } &&
		    [ $i -lt "$2" ]; do
			sleep 0.1; i=$((i + 1))
		done
		if [ $want = 0 ] && [ "$(cat $d 2>/dev/null || echo 0)" != "$d0" ]; then
			echo "@@${1}0 0@@"
		else
			echo "@@$1$want $(cat /sys/class/net/eth0/carrier)@@"
		fi
	done
}
# The traffic test (test-linux's tap test with test.xfer=MiB): 1000 pings,
# big pings at the MTU, TCP both ways with sha256 on both ends (the host
# sends first: port 5002 here; then we send to its port 5001), then the
# host flaps the link and we watch the carrier.
if [ -n "$ip" ] && [ -n "$peer" ] && [ -n "$xfer" ]; then
	ip link set eth0 up && ip addr add "$ip" dev eth0
	echo "@@MTU $(cat /sys/class/net/eth0/mtu)@@"
	echo "@@VFEAT $(cat /sys/class/net/eth0/device/features)@@"
	if command -v ethtool >/dev/null; then
		echo "@@ETHTOOL-K $(ethtool -k eth0 | awk -F': ' '/^(rx-checksumming|tx-checksumming|tcp-segmentation-offload|generic-receive-offload):/ { printf "%s=%s ", $1, substr($2, 1, 3) }')@@"
	else
		echo "@@ETHTOOL-K none@@"
	fi
	echo "@@PING1000 $(ping -c 1000 -A -q -w 300 "$peer" 2>&1 | received)@@"
	[ -n "$mtu" ] && echo "@@BIGPING $(ping -c 5 -s $((mtu - 28)) -w 60 "$peer" 2>&1 | received)@@"
	s=$(nc -l -p 5002 | sha256sum)
	echo "@@RXSHA ${s%% *}@@"
	head -c "$((xfer * 1048576))" /dev/urandom >/tmp/tx
	s=$(sha256sum </tmp/tx)
	echo "@@TXSHA ${s%% *}@@"
	nc -w 30 "$peer" 5001 </tmp/tx || {
		# A send that stopped: the guest's own view of the NIC (its
		# interrupt counts, virtio_net's queue counters, the kernel's
		# last words) beside the host's stall printout.
		echo "@@TXFAIL $?@@"
		grep -i virtio /proc/interrupts | while read -r l; do echo "@@DIAG-IRQ $l@@"; done
		command -v ethtool >/dev/null &&
			ethtool -S eth0 | grep -v ': 0$' | while read -r l; do echo "@@DIAG-STAT $l@@"; done
		dmesg | tail -n 8 | while read -r l; do echo "@@DIAG-KMSG $l@@"; done
	}
	rm -f /tmp/tx
	echo "@@TXDONE@@"
	carrier_watch CARRIER 300
	# vhost-user (test.vurestart=1): we tell the host we are ready (a
	# connection to its 5005), it restarts the backend (testpmd): the
	# carrier drops, comes back once the backend is there again, and
	# pings go through again.
	if [ -n "$vurestart" ]; then
		nc -w 10 "$peer" 5005 </dev/null
		carrier_watch VUCARRIER 900
		i=0
		while ! ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && [ $i -lt 30 ]; do
			i=$((i + 1))
		done
		echo "@@VUPING $(ping -c 20 -A -q -w 60 "$peer" 2>&1 | received)@@"
	fi
elif [ -n "$ip" ] && [ -n "$peer" ] && [ -n "$mq" ]; then
	# Multiqueue (test.mq=MiB): one flow from each vCPU (XPS maps CPU n
	# to tx queue n), sha256 of each on both ends.
	ip link set eth0 up && ip addr add "$ip" dev eth0
	echo "@@TXQUEUES $(ls -d /sys/class/net/eth0/queues/tx-* | wc -l)@@"
	ping -c 3 -w 30 "$peer" >/dev/null 2>&1
	for f in a b; do
		head -c "$((mq * 1048576))" /dev/urandom >/tmp/$f
		s=$(sha256sum </tmp/$f)
		echo "@@SHA-$f ${s%% *}@@"
	done
	taskset 1 nc -w 30 "$peer" 5003 </tmp/a &
	taskset 2 nc -w 30 "$peer" 5004 </tmp/b &
	wait
	echo "@@MQDONE@@"
elif [ -n "$hostnet" ]; then
	# Host netdevs (test-linux's hostnet test, test.hostnet=PINGS:PORT):
	# eth0 is a "callback" netdev whose host program answers ARP and ping
	# for 10.0.3.1 itself; eth1 a "stream" netdev to passt: DHCP, then
	# fetch from PORT on passt's gateway (a server the test runs there).
	# nc's stdin is a FIFO it holds open itself (<>), which never ends:
	# at EOF on stdin busybox nc half-closes the connection (FIN), and
	# Debian 12's passt then takes no more of the guest's ACKs into
	# account (it neither dequeues what they acknowledge from its socket
	# nor follows their window: it sends old data again under new sequence
	# numbers; passt-tcp-repro.sh -h shows it without a VM).
	n=${hostnet%%:*} port=${hostnet#*:}
	ip link set eth0 up && ip addr add 10.0.3.15/24 dev eth0
	echo "@@CBPING $(ping -c "$n" -A -q -w 900 10.0.3.1 2>&1 | sed -n 's/.* transmitted, //p')@@"
	printf '%s\n' '#!/bin/sh' \
		'[ "$1" = bound ] || exit 0' \
		'ifconfig "$interface" "$ip" netmask "$subnet"' \
		'route add default gw "$router" dev "$interface"' >/tmp/dhcp.sh
	chmod +x /tmp/dhcp.sh
	ip link set eth1 up
	if udhcpc -i eth1 -f -q -n -t 10 -T 3 -s /tmp/dhcp.sh >/dev/null 2>&1; then
		a=$(ip addr show eth1 | sed -n 's/.*inet \([0-9./]*\).*/\1/p')
		gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
		echo "@@DHCP $a $gw@@"
		mkfifo /tmp/nc-in
		s=$(timeout 90 nc -w 20 "$gw" "$port" <>/tmp/nc-in | sha256sum)
		echo "@@FETCHSHA ${s%% *}@@"
	else
		echo "@@DHCP fail@@"
	fi
elif [ -n "$vmgenid" ]; then
	# VM Generation ID (test-linux's issue 12 test, test.vmgenid=1, on
	# the generic kernel: CONFIG_VMGENID): the driver bound, the RNG
	# ready (the reseed is logged only then), then rounds of "@@G<n>
	# <how many reseeds the kernel logged>@@" until the host ends us.
	echo "@@VMGENID $(ls /sys/bus/acpi/drivers/vmgenid 2>/dev/null | grep -c VMGENCTR)@@"
	head -c 1 /dev/random >/dev/null
	i=0
	while :; do
		i=$((i + 1))
		echo "@@G$i $(dmesg | grep -c 'crng reseeded due to virtual machine fork')@@"
		sleep 1
	done
elif [ -n "$ip" ] && [ -n "$peer" ] && [ -n "$snap" ]; then
	# Pause, clone, snapshot, restore (test-linux's issue 12 test,
	# test.snap=1): a counter that pings the host once a round, and a
	# reader of commands from the console (the host's console_in_fd):
	# "w K" prints what /tmp/who held and writes K there, "r K" prints
	# it, "t" prints what the host sent to TCP port 5005, "m K" binds
	# virtio_net to the NIC again (it reads the device's MAC only when it
	# probes: a clone's new one, vm_net_set_mac) and prints eth0's
	# address, "q" ends. (The
	# reader blocks in read: busybox's read -t can time out mid-line and
	# lose the line's start.)
	stty -echo 2>/dev/null
	ip link set eth0 up && ip addr add "$ip" dev eth0
	echo template >/tmp/who
	# where the kernel's text is (KASLR): a RIP the host sees at a
	# clone's triple fault (test-linux's TEST_SNAP_TRACE) is then an
	# offset into the kit's vmlinux
	echo "@@STEXT $(grep -w _stext /proc/kallsyms | cut -d' ' -f1)@@"
	# stdin a pipe that never ends: nc reads the socket until the host
	# closes it
	sleep 100000 | nc -l -p 5005 >/tmp/tcp 2>/dev/null &
	while read -r cmd arg; do
		case $cmd in
		w) echo "@@W$arg $(cat /tmp/who)@@"; echo "$arg" >/tmp/who ;;
		r) echo "@@R$arg $(cat /tmp/who)@@" ;;
		t) echo "@@TCP $(tr '\n' , </tmp/tcp)@@" ;;
		m) d=$(readlink /sys/class/net/eth0/device)
		   echo "${d##*/}" >/sys/bus/virtio/drivers/virtio_net/unbind
		   echo "${d##*/}" >/sys/bus/virtio/drivers/virtio_net/bind
		   ip link set eth0 up && ip addr add "$ip" dev eth0
		   echo "@@M$arg $(cat /sys/class/net/eth0/address)@@" ;;
		q) : >/tmp/quit; break ;;
		esac
	done </dev/console &
	i=0
	while [ ! -e /tmp/quit ]; do
		i=$((i + 1))
		r=-
		ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && r=pong
		echo "@@C$i $r@@"
		sleep 1
	done
elif [ -n "$ip" ] && [ -n "$peer" ]; then
	# Traffic (test-linux's tap ping test): address eth0, ping the host.
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
