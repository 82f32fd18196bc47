#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/boot/run.sh: stock Debian cloud kernel, process start -> the guest's
# /init marker, and the VMM's own RSS at that moment.
#
#   run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR]
#          [--qemu PATH] [--smp N] [--inner --kernel FILE --initrd FILE]
#
# Peers (same kernel l2/vmlinuz from the kit, same initramfs, same command
# line "console=ttyS0 quiet panic=-1", 256 MiB, 1 vCPU, one modern
# virtio-net-pci NIC each), run N times interleaved (ours, pc, microvm,
# ours, ...), no warm-up round:
#   ours     bench/boot/vm-run (examples/vm-run.c, static) -netdev null,id=n0
#            -device virtio-net-pci,netdev=n0,disable-legacy=on
#   pc       qemu-system-x86_64 -M pc -accel kvm -cpu host -nodefaults
#            -device virtio-net-pci,disable-legacy=on,romfile= (no netdev:
#            QEMU warns "nic ... has no peer" and runs)
#   microvm  the same with -M microvm,pcie=on,acpi=on,rtc=on
# boot-timer fork+execs each with the console on a pipe, and at "@@INIT@@"
# (printed first thing by the initramfs's /init, tests/system/l2-initramfs.sh)
# takes the time since fork and sums Rss over /proc/PID/smaps minus the
# guest RAM mapping (ours: the "/memfd:kvm-virtio-ram" mapping; QEMU: the
# 256 MiB anonymous mapping; each run names what it excluded).  The guest
# then loads its virtio modules, prints the NICs it found ("@@NET ...@@")
# and powers off; net_ms is the time to that point.
# Prints a table of medians and, as the LAST line,
#   RESULT boot ours_over_qemu_best=<x> ours_init_ms=<n> ours_own_rss_kib=<n>
# (qemu_best: the QEMU machine with the lower median in this run).
# Nothing is asserted: exit status 0 when every peer reached /init every
# time, 1 when one failed (a peer failing twice is dropped, its figures
# "na"), 2 for usage errors, 77 when no KVM can be had.
#
# Where: with hardware KVM (tests/system/kvm-path.sh says "direct") here;
# otherwise inside one nested L1 (tests/system/l1-run.sh) that gets the
# programs, kernel, initramfs, QEMU with its libraries and the firmware it
# opens for these machines; the table and RESULT are printed again at the
# end on stdout.  KVM_TEST_PATH=direct|nested forces the path.  POSIX sh:
# --inner runs under L1's busybox sh.
#
# Options
#   --bindir DIR     where vm-run and boot-timer are (default: this
#                    script's directory)
#   --runs N         runs per peer (default 7)
#   --cache DIR      kit cache (tests/system/kit.sh; default ./kit-cache)
#   --systemdir DIR  tests/system of the source tree (default:
#                    ../../tests/system from this script)
#   --qemu PATH      QEMU binary (default: qemu-system-x86_64 in PATH);
#                    when absent the QEMU peers are skipped ("na")
#   --smp N          L1 vCPUs on the nested path (default 1)
#   --inner          measure here, whatever the KVM (used inside L1), with
#   --kernel FILE    the guest kernel and
#   --initrd FILE    the guest initramfs
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# Shared statistics; run.sh and stats.sh sit side by side inside L1.
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE RUNS=7 CACHE=./kit-cache SYSTEMDIR=$HERE/../../tests/system
QEMU='' INNER='' SMP=1 KERNEL='' INITRD=''
APPEND='console=ttyS0 quiet panic=-1'
MEM=256
usage() {
    echo "usage: run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR] [--qemu PATH] [--smp N] [--inner --kernel FILE --initrd FILE]" >&2
    exit 2
}
bench_opts "$@"
case $RUNS in ''|*[!0-9]*|0) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
if [ -z "$QEMU" ]; then QEMU=$(command -v qemu-system-x86_64 2>/dev/null || true); fi

say() { echo "boot: $*" >&2; }

for f in vm-run boot-timer; do
    [ -x "$BINDIR/$f" ] || { say "error: $BINDIR/$f missing (make bench-boot builds it)"; exit 2; }
done

# ------------------------------------------------------------ outer
if [ -z "$INNER" ]; then
    bench_path

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-boot.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    mkdir "$WORK/payload"
    P=$WORK/payload
    # The guest's check after /init: which NICs and virtio PCI functions
    # it found (after the marker: not part of the boot time).
    cat >"$WORK/guest.sh" <<'EOF'
n='' v=''
for d in /sys/class/net/*; do d=${d##*/}; [ "$d" = lo ] || n="$n $d"; done
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor" 2>/dev/null)" = 0x1af4 ] && v="$v $(cat "$d/device")"
done
echo "@@NET${n:- none} virtio-pci:${v:- none}@@"
EOF
    "$SYSTEMDIR/l2-initramfs.sh" "$CACHE" "$P/boot.cpio" "$WORK/guest.sh" >&2 ||
        { say "error: cannot build the guest initramfs"; exit 2; }
    CACHE=$(cd "$CACHE" && pwd)
    cp "$CACHE/l2/vmlinuz" "$P/vmlinuz"

    if [ "$path" = direct ]; then
        set -- --inner --bindir "$BINDIR" --runs "$RUNS" --kernel "$P/vmlinuz" \
            --initrd "$P/boot.cpio"
        if [ -n "$QEMU" ]; then set -- "$@" --qemu "$QEMU"; fi
        sh "$0" "$@"
        exit $?
    fi

    cp "$BINDIR/vm-run" "$BINDIR/boot-timer" "$P/"
    cp "$0" "$P/run.sh"
    cp "$HERE/../stats.sh" "$P/stats.sh"
    # ~3 boots of 11-15 s per round, plus L1's own boot; the inner script
    # prints a line per boot (well within --stall).
    set -- --cache "$CACHE" --payload "$P" --timeout $((300 + RUNS * 3 * 45)) \
        --stall 150 --smp "$SMP"
    QEMU_IN=''
    if [ -n "$QEMU" ]; then
        QEMU=$(readlink -f "$QEMU")
        # QEMU at its own path (it finds its data relative to itself) with
        # the firmware it opens for -M pc and -M microvm (strace'd on
        # Debian 12's QEMU 7.2); l1-run.sh adds its shared libraries.
        set -- "$@" --file "$QEMU:$QEMU"
        share=$(cd "$(dirname "$QEMU")/../share" && pwd)
        for f in seabios/bios-256k.bin qemu/kvmvapic.bin qemu/linuxboot_dma.bin \
                 qemu/bios-microvm.bin; do
            if [ -e "$share/$f" ]; then
                set -- "$@" --file "$share/$f:$share/$f"
            else
                say "warning: $share/$f not found; QEMU may fail in L1"
            fi
        done
        QEMU_IN=$QEMU
    fi
    ( "$SYSTEMDIR/l1-run.sh" "$@" -- sh /payload/run.sh --inner \
          --bindir /payload --runs "$RUNS" --kernel /payload/vmlinuz \
          --initrd /payload/boot.cpio ${QEMU_IN:+--qemu "$QEMU_IN"}
      echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
    rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
    sed -n '/^boot: table/,/^RESULT boot/p' "$WORK/log" | sed 's/\r$//' |
        grep -v '^\[' || true
    grep -q '^RESULT boot' "$WORK/log" || { say "error: no RESULT from L1 (status $rc)"; exit 1; }
    exit "$rc"
fi

# ------------------------------------------------------------ inner
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || usage
T=$(mktemp -d "${TMPDIR:-/tmp}/boot.XXXXXX")
trap 'rm -rf "$T"' EXIT
RAM_KIB=$((MEM * 1024))
PEERS=ours
if [ -n "$QEMU" ] && [ -x "$QEMU" ]; then
    PEERS="$PEERS pc microvm"
else
    say "warning: no QEMU: pc and microvm are skipped"
fi

# peer_cmd NAME: the command line of a peer, in "$@" of the caller.
QCOMMON="-accel kvm -cpu host -smp 1 -m $MEM -nodefaults -no-user-config -display none -serial stdio -no-reboot"
NIC_QEMU=virtio-net-pci,disable-legacy=on,romfile=

# run_peer NAME ROUND [-v]: one boot; appends
# "init_us own_kib total_kib ram_kib end_us" to $T/NAME.
run_peer() {
    name=$1 round=$2 verbose=${3:-}
    base=$T/$name.$round
    case $name in
        ours)    set -- "$BINDIR/vm-run" -kernel "$KERNEL" -initrd "$INITRD" \
                     -append "$APPEND" -smp 1 -m "$MEM" -netdev null,id=n0 \
                     -device virtio-net-pci,netdev=n0,disable-legacy=on ;;
        pc)      set -- "$QEMU" -M pc $QCOMMON -kernel "$KERNEL" -initrd "$INITRD" \
                     -append "$APPEND" -device "$NIC_QEMU" ;;
        microvm) set -- "$QEMU" -M microvm,pcie=on,acpi=on,rtc=on $QCOMMON \
                     -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
                     -device "$NIC_QEMU" ;;
    esac
    if [ "$round" = 1 ]; then say "$name: $*"; fi
    line=$("$BINDIR/boot-timer" $verbose -x "$RAM_KIB" -e '@@TEST-EXIT' \
        -o "$base.console" -- "$@" 2>"$base.err") || true
    set -- $line
    nic=$(sed -n 's/.*@@NET \(.*\)@@.*/\1/p' "$base.console" 2>/dev/null | head -n 1)
    if [ $# -ne 6 ] || [ "$1" -lt 0 ]; then
        say "error: $name (round $round) did not reach /init: ${line:-no output}"
        sed 's/^/    stderr: /' "$base.err" | tail -n 15 >&2
        tail -c 1500 "$base.console" 2>/dev/null | sed 's/^/    console: /' >&2
        echo "$name" >>"$T/failed"
        return 1
    fi
    echo "$1 $3 $4 $5 $2" >>"$T/$name"
    echo "${nic:-?}" >"$T/$name.nic"
    grep '^boot-timer: excluded' "$base.err" | head -n 1 >"$T/$name.excluded" || true
    if [ -n "$verbose" ]; then
        grep '^boot-timer: .* kB rss' "$base.err" | sort -k2,2nr | head -n 15 \
            >"$T/$name.maps" || true
    fi
    say "round $round/$RUNS: $name /init at $(awk -v n="$1" 'BEGIN { printf "%.2f s", n / 1e6 }')," \
        "own RSS $3 KiB, net check at $(awk -v n="$2" 'BEGIN { printf "%.2f s", n / 1e6 }')," \
        "exit status $6, NIC seen: ${nic:-?}"
    return 0
}

kernel=$(uname -r)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
say "host kernel $kernel, $(grep -c '^processor' /proc/cpuinfo) cpu(s): $cpu"
if [ -n "$QEMU" ]; then say "$("$QEMU" --version | head -n 1)"; fi
say "peers: $PEERS; $RUNS rounds, interleaved; guest: $(basename "$KERNEL") $(wc -c <"$KERNEL") bytes, initrd $(wc -c <"$INITRD") bytes, append '$APPEND'"
i=1
while [ "$i" -le "$RUNS" ]; do
    v=''
    if [ "$i" = "$RUNS" ]; then v=-v; fi   # last round: list the mappings
    for p in $PEERS; do
        nfail=0
        if [ -f "$T/failed" ]; then nfail=$(grep -cx "$p" "$T/failed" || true); fi
        if [ "${nfail:-0}" -ge 2 ]; then continue; fi
        run_peer "$p" "$i" $v || true
    done
    i=$((i + 1))
done

# median FILE COLUMN
ms() { awk -v n="$1" 'BEGIN { if (n == "na") print "na"; else printf "%.0f", n / 1000 }'; }

for p in ours pc microvm; do
    eval "I_$p=\$(median \"\$T/$p\" 1)"
    eval "O_$p=\$(median \"\$T/$p\" 2)"
    eval "A_$p=\$(median \"\$T/$p\" 3)"
    eval "G_$p=\$(median \"\$T/$p\" 4)"
    eval "E_$p=\$(median \"\$T/$p\" 5)"
done
BEST=na BEST_NAME=none
for p in pc microvm; do
    eval "v=\$I_$p"
    if [ "$v" != na ] && { [ "$BEST" = na ] || [ "$v" -lt "$BEST" ]; }; then BEST=$v BEST_NAME=$p; fi
done

echo "boot: table: process start -> guest /init marker; medians of $RUNS interleaved runs; RSS sampled at the marker"
fmt='%-8s %8s %13s %7s %8s %11s %9s %8s %7s %4s  %s\n'
printf "$fmt" peer init_ms "(min-max s)" x_best own_kib "(min-max)" total_kib ram_kib net_ms runs "NICs the guest saw"
for p in ours pc microvm; do
    case " $PEERS " in *" $p "*) ;; *) continue ;; esac
    n=0
    if [ -s "$T/$p" ]; then n=$(wc -l <"$T/$p"); fi
    eval "i=\$I_$p o=\$O_$p a=\$A_$p g=\$G_$p e=\$E_$p"
    nic=$(cat "$T/$p.nic" 2>/dev/null || echo "?")
    if [ "$i" = na ]; then
        printf "$fmt" "$p" na - na na - na na na "$n" "$nic"
    else
        printf "$fmt" "$p" "$(ms "$i")" "($(minmax "$T/$p" 1 1e6 %.1f))" "$(ratio "$i" "$BEST")" \
            "$o" "($(minmax "$T/$p" 2 1 %d))" "$a" "$g" "$(ms "$e")" "$n" "$nic"
    fi
done
echo "boot: qemu_best = $BEST_NAME (x_best: init_ms / qemu_best's init_ms)"
echo "boot: own_kib = Rss summed over /proc/PID/smaps minus the guest RAM mapping (ram_kib = its Rss); total_kib includes it"
for p in ours pc microvm; do
    if [ -s "$T/$p.excluded" ]; then echo "boot: $p: $(sed 's/^boot-timer: //' "$T/$p.excluded")"; fi
done
echo "boot: net_ms = time to the guest's NIC check (after /init: 8 virtio modules loaded); the NIC column is what it printed"
case $(cat "$T/ours.nic" 2>/dev/null) in
    *eth*) ;;
    *) echo "boot: note: ours is given -netdev null + -device virtio-net-pci,disable-legacy=on, but the guest does not see that NIC yet (no PCI bus exposed to the guest); QEMU's guests probe theirs" ;;
esac
for p in ours pc; do
    if [ -s "$T/$p.maps" ]; then
        echo "boot: $p, last run: largest resident mappings (kB rss, kB size, mapping)"
        sed 's/^boot-timer: */    /' "$T/$p.maps"
    fi
done
echo "RESULT boot ours_over_qemu_best=$(ratio "$I_ours" "$BEST") ours_init_ms=$(ms "$I_ours") ours_own_rss_kib=$O_ours"
if [ -s "$T/failed" ]; then exit 1; fi
exit 0
