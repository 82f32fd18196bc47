#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/net-guest/run.sh: a stock Linux guest's network throughput with our
# virtio-net-pci against QEMU's userspace virtio-net-pci (vhost=off), same
# kernel, same initramfs, same tap set-up, interleaved in one run.
#
#   run.sh [--bindir DIR] [--runs N] [--seconds S] [--cache DIR]
#          [--systemdir DIR] [--qemu PATH] [--smp N] [--backend tap|vhost-user]
#          [--inner --kernel FILE --initrd FILE]
#
# --backend vhost-user (bench/vhost-user's guest half): the NIC is a
# vhost-user netdev on DPDK's dpdk-testpmd, started before each boot with
# a net_vhost port (2 queue pairs) and a net_tap port that is "kvn0",
# io-forwarding between them; the guest has 2 vCPUs (so 2 pairs) and
# memfd RAM shared with testpmd:
# (net_vhost0 with client=1: the VMM listens, as in the seed's setup):
#   ours   vm-run -smp 2 -netdev vhost-user,id=n0,path=SOCK,server=on,
#          queues=2 -device virtio-net-pci,netdev=n0,mq=on,disable-legacy=on
#   qemu   qemu-system-x86_64 ... -smp 2 -object memory-backend-memfd,
#          id=mem,size=256M,share=on -machine memory-backend=mem
#          -chardev socket,id=c0,path=SOCK,server=on -netdev vhost-user,id=n0,
#          chardev=c0,queues=2 -device virtio-net-pci,netdev=n0,mq=on,
#          vectors=6,disable-legacy=on,romfile=
# and the last line is RESULT vhost-user-guest with the same keys plus
# tcp_over_qemu (the lower of the two TCP ratios). The UDP figure is
# measured too; the exits are the same for both peers' packets (testpmd
# moves them), so they say little there.
#
# Each peer boots the kit's cloud kernel (1 vCPU, 256 MiB) with one
# virtio-net-pci on a tap "kvn0" (host side 10.0.3.1/24, guest 10.0.3.2);
# the guest starts `iperf3 -s` (Debian's, in the L2 initramfs) and the host
# runs, S seconds each:
#   tcp_tx  iperf3 -c GUEST -R        guest -> host TCP, Mbit/s received
#   tcp_rx  iperf3 -c GUEST           host -> guest TCP, Mbit/s received
#   pps     iperf3 -c GUEST -u -b 0 -l 64 -R   guest -> host UDP, 64-byte
#           datagrams/s that arrived
# and counts every vCPU exit of the host's KVM (debugfs kvm/exits) during
# the two TCP runs: exits_per_mib = exits / MiB moved.
#   ours   bench/boot/vm-run -netdev tap,id=n0,ifname=kvn0
#          -device virtio-net-pci,netdev=n0,disable-legacy=on
#   qemu   qemu-system-x86_64 -M pc -accel kvm -cpu host -netdev
#          tap,ifname=kvn0,script=no,downscript=no,vhost=off
#          -device virtio-net-pci,netdev=n0,disable-legacy=on,romfile=
# Prints a table of medians and, as the LAST line,
#   RESULT net-guest tcp_tx_over_qemu=<x> tcp_rx_over_qemu=<x>
#          pps_over_qemu=<x> exits_per_mib=<ours>
# Nothing is asserted. Where: the host when tests/system/kvm-path.sh says
# direct, else one nested L1 (every exit there costs ~0.7 ms of emulation:
# absolute rates are the emulator's, ratios are the result). Exit status 0,
# 1 when a peer failed every round, 2 usage, 77 no KVM.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE/../boot RUNS=3 SECS=5 CACHE=./kit-cache
SYSTEMDIR=$HERE/../../tests/system QEMU='' INNER='' SMP=2 KERNEL='' INITRD=''
BACKEND=tap
APPEND='console=ttyS0 quiet panic=-1'
usage() {
    echo "usage: run.sh [--bindir DIR] [--runs N] [--seconds S] [--cache DIR] [--systemdir DIR] [--qemu PATH] [--smp N] [--backend tap|vhost-user] [--inner --kernel FILE --initrd FILE]" >&2
    exit 2
}
bench_opts "$@"
case $RUNS in ''|*[!0-9]*|0) usage ;; esac
case $BACKEND in tap|vhost-user) ;; *) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
if [ -z "$QEMU" ]; then QEMU=$(command -v qemu-system-x86_64 2>/dev/null || true); fi
say() { echo "net-guest: $*" >&2; }
[ -x "$BINDIR/vm-run" ] || { say "error: $BINDIR/vm-run missing (make bench-net-guest builds it)"; exit 2; }

# ------------------------------------------------------------ outer
if [ -z "$INNER" ]; then
    bench_path
    IPERF=$(command -v iperf3 2>/dev/null) || { say "SKIP: no iperf3 on this host (apt-get install iperf3)"; exit 77; }
    TESTPMD=''
    if [ "$BACKEND" = vhost-user ]; then
        TESTPMD=$(command -v dpdk-testpmd 2>/dev/null) ||
            { say "SKIP: no dpdk-testpmd on this host (apt-get install dpdk)"; exit 77; }
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-net-guest.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    P=$WORK/payload
    mkdir "$P"
    cat >"$WORK/guest.sh" <<'EOF'
ip link set eth0 up && ip addr add 10.0.3.2/24 dev eth0
iperf3 -s -D >/dev/null 2>&1
echo @@IPERF-READY@@
while :; do sleep 1000; done
EOF
    L2_TOOLS="iperf3" "$SYSTEMDIR/l2-initramfs.sh" "$CACHE" "$P/net.cpio" "$WORK/guest.sh" >&2 ||
        { say "error: cannot build the guest initramfs"; exit 2; }
    CACHE=$(cd "$CACHE" && pwd)
    cp "$CACHE/l2/vmlinuz" "$P/vmlinuz"
    if [ "$path" = direct ]; then
        set -- --inner --bindir "$BINDIR" --runs "$RUNS" --seconds "$SECS" \
            --kernel "$P/vmlinuz" --initrd "$P/net.cpio" --backend "$BACKEND"
        if [ -n "$QEMU" ]; then set -- "$@" --qemu "$QEMU"; fi
        sh "$0" "$@"
        exit $?
    fi
    cp "$BINDIR/vm-run" "$IPERF" "$P/"
    cp "$0" "$P/run.sh"
    cp "$HERE/../stats.sh" "$P/stats.sh"
    set -- --cache "$CACHE" --payload "$P" --timeout $((300 + RUNS * 2 * (60 + 4 * SECS))) \
        --stall 200 --smp "$SMP" --mem 2048
    QEMU_IN=''
    if [ -n "$QEMU" ]; then
        QEMU=$(readlink -f "$QEMU")
        set -- "$@" --file "$QEMU:$QEMU"
        share=$(cd "$(dirname "$QEMU")/../share" && pwd)
        for f in seabios/bios-256k.bin qemu/kvmvapic.bin qemu/linuxboot_dma.bin; do
            [ -e "$share/$f" ] && set -- "$@" --file "$share/$f:$share/$f"
        done
        QEMU_IN=$QEMU
    fi
    if [ -n "$TESTPMD" ]; then
        for f in $("$SYSTEMDIR/dpdk-files.sh"); do set -- "$@" --file "$f:$f"; done
    fi
    ( "$SYSTEMDIR/l1-run.sh" "$@" -- sh /payload/run.sh --inner \
          --bindir /payload --runs "$RUNS" --seconds "$SECS" \
          --kernel /payload/vmlinuz --initrd /payload/net.cpio \
          --backend "$BACKEND" ${QEMU_IN:+--qemu "$QEMU_IN"}
      echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
    rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
    sed -n '/^net-guest: table/,/^RESULT /p' "$WORK/log" | sed 's/\r$//' |
        grep -v '^\[' || true
    grep -q '^RESULT ' "$WORK/log" || { say "error: no RESULT from L1 (status $rc)"; exit 1; }
    exit "$rc"
fi

# ------------------------------------------------------------ inner
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || usage
PATH=$BINDIR:$PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/net-guest.XXXXXX")
trap 'rm -rf "$T"' EXIT
PEERS=ours
if [ -n "$QEMU" ] && [ -x "$QEMU" ]; then PEERS="ours qemu"; else say "warning: no QEMU: the qemu peer is skipped"; fi
mkdir -p /sys/kernel/debug
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
EXITS=/sys/kernel/debug/kvm/exits
exits() { cat "$EXITS" 2>/dev/null || echo 0; }
# Every counter of the host KVM's debugfs, "name value" per line, to say
# where the exits go (halt, irq, io, mmio, msr, ...).
kvm_counters() {
    for f in /sys/kernel/debug/kvm/*; do
        [ -f "$f" ] || continue
        v=$(cat "$f" 2>/dev/null) || continue
        case $v in ''|*[!0-9]*) continue ;; esac
        echo "${f##*/} $v"
    done
}
# per_mib BEFORE AFTER MIB: the exit-related counters that moved, per MiB.
per_mib() {
    awk -v m="${3:-0}" 'NR == FNR { a[$1] = $2; next }
        $1 ~ /^(exits|halt_exits|irq_exits|irq_injections|irq_window_exits|insn_emulation|io_exits|mmio_exits|nmi_window_exits|signal_exits|request_irq_exits)$/ &&
        ($1 in a) && m > 0 { printf "%s=%.1f ", $1, ($2 - a[$1]) / m }' "$1" "$2"
}
GUEST=10.0.3.2

# iperf3's receiver line: Mbit/s (field before "Mbits/sec") and MBytes.
mbits() { awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' "$1" | tail -n 1; }
mbytes() { awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "MBytes") print $(i - 1) }' "$1" | tail -n 1; }
# UDP: datagrams that arrived per second, from "lost/total" on the receiver line.
pps() { awk -v s="$2" '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); printf "%.0f\n", (a[2] - a[1]) / s } }' "$1" | tail -n 1; }

# iperf OUT=FILE ARGS...: one client run, tried again (up to 3 times) when
# it got no receiver line (the guest's daemon still starting, a refused
# control connection).
iperf() {
    out=${1#OUT=}; shift
    for try in 1 2 3; do
        iperf3 --connect-timeout 10000 "$@" >"$out" 2>&1 || true
        grep -q receiver "$out" && return 0
        sleep 1
    done
    return 0
}

# The NIC of each peer, and the guest's vCPUs.
GSMP=1 PMD=''
NET_OURS="-netdev tap,id=n0,ifname=kvn0 -device virtio-net-pci,netdev=n0,disable-legacy=on"
NET_QEMU="-netdev tap,id=n0,ifname=kvn0,script=no,downscript=no,vhost=off -device virtio-net-pci,netdev=n0,disable-legacy=on,romfile="
if [ "$BACKEND" = vhost-user ]; then
    GSMP=2 SOCK=$T/vu.sock
    NET_OURS="-netdev vhost-user,id=n0,path=$SOCK,server=on,queues=2 -device virtio-net-pci,netdev=n0,mq=on,disable-legacy=on"
    NET_QEMU="-object memory-backend-memfd,id=mem,size=256M,share=on -machine memory-backend=mem -chardev socket,id=c0,path=$SOCK,server=on -netdev vhost-user,id=n0,chardev=c0,queues=2 -device virtio-net-pci,netdev=n0,mq=on,vectors=6,disable-legacy=on,romfile="
    mkdir -p /var/run   # EAL's run-time directory when root
    mkfifo "$T/pmd.in"  # testpmd runs until its stdin ends: held open
    exec 9<>"$T/pmd.in"
fi

# vhost-user: testpmd with the socket (the VMM listens, the seed's
# "server"; testpmd connects, and again after a restart) and the tap kvn0.
pmd_start() {
    [ "$BACKEND" = vhost-user ] || return 0
    rm -f "$SOCK"
    dpdk-testpmd -l 0,1 --no-huge -m 256 --no-pci --no-shconf --file-prefix "nbg$$" \
        --vdev "net_vhost0,iface=$SOCK,queues=2,client=1" --vdev net_tap0,iface=kvn0,mac=fixed \
        -- --rxq=2 --txq=2 --forward-mode=io --nb-cores=1 --disable-link-check \
        --total-num-mbufs=8192 <&9 >"$T/pmd.log" 2>&1 &
    PMD=$!
    w=0  # its tap is there once its ports started
    while ! ip link show kvn0 >/dev/null 2>&1 && [ $w -lt 1200 ]; do sleep 0.1; w=$((w + 1)); done
    ip link show kvn0 >/dev/null 2>&1 && return 0
    say "error: testpmd did not start"
    tail -n 20 "$T/pmd.log" | sed 's/^/    testpmd: /' >&2
    pmd_stop
    return 1
}
pmd_stop() {
    [ -n "$PMD" ] || return 0
    kill "$PMD" 2>/dev/null; wait "$PMD" 2>/dev/null || true
    PMD=''
}

run_peer() {
    name=$1 round=$2
    con=$T/$name.$round.console
    : >"$con"
    pmd_start || return 1
    [ -z "$PMD" ] || say "round $round/$RUNS: $name: testpmd up"
    # shellcheck disable=SC2086 # NET_*: word-split on purpose
    case $name in
        ours) vm-run -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" -smp $GSMP -m 256 \
                  $NET_OURS >"$con" 2>&1 &
              ;;
        qemu) "$QEMU" -M pc -accel kvm -cpu host -smp $GSMP -m 256 -nodefaults -no-user-config \
                  -display none -serial "file:$con" -no-reboot -kernel "$KERNEL" \
                  -initrd "$INITRD" -append "$APPEND" $NET_QEMU \
                  >"$T/$name.err" 2>&1 &
              ;;
    esac
    pid=$!
    say "round $round/$RUNS: $name: booting"
    w=0
    while ! ip link show kvn0 >/dev/null 2>&1 && [ $w -lt 200 ]; do sleep 0.1; w=$((w + 1)); done
    ip addr add 10.0.3.1/24 dev kvn0 2>/dev/null || true
    ip link set kvn0 up
    w=0
    while ! grep -q '@@IPERF-READY' "$con" && [ $w -lt 1800 ]; do sleep 0.1; w=$((w + 1)); done
    if ! grep -q '@@IPERF-READY' "$con"; then
        say "error: $name (round $round): guest not ready"
        tail -c 1500 "$con" | sed 's/^/    console: /' >&2
        [ -s "$T/$name.err" ] && sed 's/^/    stderr: /' "$T/$name.err" | tail -n 10 >&2
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        pmd_stop
        return 1
    fi
    say "round $round/$RUNS: $name: guest ready; $(ping -c 3 -W 2 "$GUEST" 2>&1 | grep -o '[0-9]* packets received' || echo 'ping failed'), iperf3"
    kvm_counters >"$T/c0"
    e0=$(exits)
    iperf OUT="$T/tx" -c "$GUEST" -t "$SECS" -f m -R
    kvm_counters >"$T/c1"
    iperf OUT="$T/rx" -c "$GUEST" -t "$SECS" -f m
    e1=$(exits)
    kvm_counters >"$T/c2"
    iperf OUT="$T/udp" -c "$GUEST" -t "$SECS" -u -b 0 -l 64 -R
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
    pmd_stop
    tx=$(mbits "$T/tx") rx=$(mbits "$T/rx") pk=$(pps "$T/udp" "$SECS")
    mib=$(awk -v a="$(mbytes "$T/tx")" -v b="$(mbytes "$T/rx")" 'BEGIN { printf "%.1f", a + b }')
    epm=$(awk -v e="$((e1 - e0))" -v m="$mib" 'BEGIN { if (m > 0) printf "%.0f", e / m; else print "na" }')
    if [ -z "$tx" ] || [ -z "$rx" ] || [ -z "$pk" ]; then
        say "error: $name (round $round): iperf3 failed (tx='$tx' rx='$rx' pps='$pk')"
        for f in tx rx udp; do
            grep -q receiver "$T/$f" || sed "s/^/    iperf3 $f: /" "$T/$f" | tail -n 12 >&2
        done
        [ -s "$T/pmd.log" ] && tail -n 30 "$T/pmd.log" | sed 's/^/    testpmd: /' >&2
        return 1
    fi
    # Mbit/s scaled by 1000 to keep integers for median().
    echo "$(awk -v v="$tx" 'BEGIN { printf "%.0f", v * 1000 }') $(awk -v v="$rx" 'BEGIN { printf "%.0f", v * 1000 }') $pk $epm" >>"$T/$name"
    say "round $round/$RUNS: $name tcp guest->host $tx Mbit/s, host->guest $rx Mbit/s, udp 64 B $pk pkt/s, $epm exits/MiB"
    # Where the exits go, per MiB of each TCP run: the host KVM's counters.
    say "round $round/$RUNS: $name guest->host per MiB: $(per_mib "$T/c0" "$T/c1" "$(mbytes "$T/tx")")"
    say "round $round/$RUNS: $name host->guest per MiB: $(per_mib "$T/c1" "$T/c2" "$(mbytes "$T/rx")")"
}

say "host kernel $(uname -r), $(grep -c '^processor' /proc/cpuinfo) cpu(s); peers: $PEERS; backend $BACKEND; $RUNS rounds of ${SECS} s tests, interleaved"
[ -n "$QEMU" ] && say "$("$QEMU" --version | head -n 1)"
r=1
while [ "$r" -le "$RUNS" ]; do
    for peer in $PEERS; do run_peer "$peer" "$r" || true; done
    r=$((r + 1))
done

for p in ours qemu; do
    eval "TX_$p=\$(median \"\$T/$p\" 1)"
    eval "RX_$p=\$(median \"\$T/$p\" 2)"
    eval "PPS_$p=\$(median \"\$T/$p\" 3)"
    eval "EPM_$p=\$(median \"\$T/$p\" 4)"
done
mb() { awk -v n="$1" 'BEGIN { if (n == "na") print "na"; else printf "%.1f", n / 1000 }'; }
echo "net-guest: table: medians of $RUNS interleaved rounds, ${SECS} s each test"
fmt='%-6s %16s %16s %14s %14s %5s\n'
printf "$fmt" peer tcp_tx_mbit_s tcp_rx_mbit_s udp64_pkt_s exits_per_mib runs
for p in $PEERS; do
    n=0
    [ -s "$T/$p" ] && n=$(wc -l <"$T/$p")
    eval "printf \"\$fmt\" $p \"\$(mb \$TX_$p)\" \"\$(mb \$RX_$p)\" \"\$PPS_$p\" \"\$EPM_$p\" $n"
done
echo "net-guest: tcp_tx = guest -> host, tcp_rx = host -> guest (iperf3 receiver side); exits = the host KVM's debugfs kvm/exits over the two TCP runs"
tx_r=$(ratio "$TX_ours" "$TX_qemu") rx_r=$(ratio "$RX_ours" "$RX_qemu")
keys="tcp_tx_over_qemu=$tx_r tcp_rx_over_qemu=$rx_r pps_over_qemu=$(ratio "$PPS_ours" "$PPS_qemu") exits_per_mib=$EPM_ours"
if [ "$BACKEND" = vhost-user ]; then
    low=$(awk -v a="$tx_r" -v b="$rx_r" 'BEGIN { if (a == "na" || b == "na") print "na"; else print (a + 0 < b + 0 ? a : b) }')
    echo "RESULT vhost-user-guest $keys tcp_over_qemu=$low"
else
    echo "RESULT net-guest $keys"
fi
[ -s "$T/ours" ] || exit 1
exit 0
