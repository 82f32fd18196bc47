#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/sandbox-run/run.sh: the request cycle of examples/sandbox-run
# (create a VM -> boot -> run `true` -> its exit status back -> destroy),
# ours against QEMU doing the same cycle with the same kernel (the kit's
# l2/vmlinuz), the same initramfs (l2-initramfs.sh around
# examples/sandbox-guest.sh) and the same command line, interleaved.
#
#   run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR]
#          [--srcdir DIR] [--qemu PATH] [--inner --kernel F --initrd F]
#
# Per round, one request each:
#   ours  sandbox-run -n 1 -console -- true  under boot-timer: process start
#         to "@@SANDBOX-EXIT" on the console ("start_ms"); and the request
#         as sandbox-run itself times it in process, vm_create() to
#         vm_destroy() with the status parsed ("req_ms": what a runtime
#         that keeps its process pays per request)
#   qemu  qemu-system-x86_64 -M pc -accel kvm -cpu host, 256 MiB, 1 vCPU,
#         -serial stdio, same -append with sandbox.cmd=<hex of "true">,
#         under boot-timer: process start to "@@SANDBOX-EXIT" ("start_ms")
# No NIC on either. Last line:
#   RESULT sandbox-run p50_ms=<ours req p50> p99_ms=<ours req p99>
#          ours_over_qemu_p50=<ours start_ms p50 / qemu start_ms p50>
# (p99 of a few runs is their maximum.) Nothing is asserted: exit 0 when
# every request gave status 0, 1 otherwise, 2 usage, 77 no KVM.
#
# Where: with hardware KVM here; else in one nested L1 (l1-run.sh) that
# gets the programs, kernel, initramfs, QEMU and its firmware, as
# bench/boot does. POSIX sh (runs under L1's busybox sh with --inner).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE RUNS=11 CACHE=./kit-cache SYSTEMDIR=$HERE/../../tests/system
SRCDIR=$HERE/../.. QEMU='' INNER='' KERNEL='' INITRD=''
APPEND='console=ttyS0 quiet panic=-1'
usage() {
    echo "usage: run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR] [--srcdir DIR] [--qemu PATH] [--inner --kernel F --initrd F]" >&2
    exit 2
}
bench_opts "$@"
case $RUNS in ''|*[!0-9]*|0) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
if [ -z "$QEMU" ]; then QEMU=$(command -v qemu-system-x86_64 2>/dev/null || true); fi
say() { echo "sandbox-run: $*" >&2; }
for f in sandbox-run boot-timer; do
    [ -x "$BINDIR/$f" ] || { say "error: $BINDIR/$f missing (make bench-sandbox-run)"; exit 2; }
done

# ------------------------------------------------------------ outer
if [ -z "$INNER" ]; then
    bench_path
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-sandbox.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    P=$WORK/payload
    mkdir "$P"
    "$SYSTEMDIR/l2-initramfs.sh" "$CACHE" "$P/sandbox.cpio" \
        "$SRCDIR/examples/sandbox-guest.sh" >&2 ||
        { say "error: cannot build the guest initramfs"; exit 2; }
    CACHE=$(cd "$CACHE" && pwd)
    cp "$CACHE/l2/vmlinuz" "$P/vmlinuz"
    set -- --inner --runs "$RUNS" --kernel "$P/vmlinuz" --initrd "$P/sandbox.cpio"
    if [ "$path" = direct ]; then
        sh "$0" --bindir "$BINDIR" "$@" ${QEMU:+--qemu "$QEMU"}
        exit $?
    fi
    cp "$BINDIR/sandbox-run" "$BINDIR/boot-timer" "$0" "$P/"
    cp "$HERE/../stats.sh" "$P/stats.sh"
    set -- --cache "$CACHE" --payload "$P" --timeout $((300 + RUNS * 2 * 45)) \
        --stall 150
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
    ( "$SYSTEMDIR/l1-run.sh" "$@" -- sh /payload/run.sh --inner --bindir /payload \
          --runs "$RUNS" --kernel /payload/vmlinuz --initrd /payload/sandbox.cpio \
          ${QEMU_IN:+--qemu "$QEMU_IN"}
      echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
    rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
    sed -n '/^sandbox-run: table/,/^RESULT sandbox-run/p' "$WORK/log" |
        sed 's/\r$//' | grep -v '^\[' || true
    grep -q '^RESULT sandbox-run' "$WORK/log" || { say "error: no RESULT (status $rc)"; exit 1; }
    exit "$rc"
fi

# ------------------------------------------------------------ inner
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || usage
T=$(mktemp -d "${TMPDIR:-/tmp}/sandbox.XXXXXX")
trap 'rm -rf "$T"' EXIT
HEX=74727565 # "true"
: >"$T/ours.start" ; : >"$T/ours.req" ; : >"$T/qemu.start"
fail=0
i=1
while [ "$i" -le "$RUNS" ]; do
    # ours: boot-timer's line is "init_us end_us own total ram status"
    # -e: wait for the request line, printed after vm_destroy()
    line=$("$BINDIR/boot-timer" -m '@@SANDBOX-EXIT 0@@' -e 'request 0: exit' \
        -x 262144 -o "$T/ours.out" -- \
        "$BINDIR/sandbox-run" -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
        -m 256 -n 1 -q -console -- true 2>"$T/ours.err") || true
    set -- $line
    req=$(sed -n 's/^request 0: exit 0, \([0-9.]*\) ms$/\1/p' "$T/ours.out")
    if [ $# -eq 6 ] && [ "$1" -ge 0 ] && [ -n "$req" ]; then
        echo "$1" >>"$T/ours.start"
        echo "$req" | awk '{ printf "%.0f\n", $1 * 1000 }' >>"$T/ours.req"
        say "round $i/$RUNS: ours start->status $(awk -v n="$1" 'BEGIN { printf "%.0f", n / 1000 }') ms, request $req ms"
    else
        fail=1; say "round $i: ours failed: ${line:-no output}"; tail -n 5 "$T/ours.err" >&2 || true
    fi
    if [ -n "$QEMU" ]; then
        line=$("$BINDIR/boot-timer" -m '@@SANDBOX-EXIT 0@@' -x 262144 -o "$T/qemu.out" -- \
            "$QEMU" -M pc -accel kvm -cpu host -smp 1 -m 256 -nodefaults -no-user-config \
            -display none -serial stdio -no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
            -append "$APPEND sandbox.cmd=$HEX" 2>"$T/qemu.err") || true
        set -- $line
        if [ $# -eq 6 ] && [ "$1" -ge 0 ]; then
            echo "$1" >>"$T/qemu.start"
            say "round $i/$RUNS: qemu start->status $(awk -v n="$1" 'BEGIN { printf "%.0f", n / 1000 }') ms"
        else
            fail=1; say "round $i: qemu failed: ${line:-no output}"; tail -n 5 "$T/qemu.err" >&2 || true
        fi
    fi
    i=$((i + 1))
done
# p99 (nearest rank) of column 1 of FILE, in us; the max for few runs
p99() { if [ ! -s "$1" ]; then echo na; return; fi
        sort -n "$1" | awk '{ a[NR] = $1 } END { k = int(NR * 0.99 + 0.999999); print a[k] }'; }
ms() { awk -v n="$1" 'BEGIN { if (n == "na") print "na"; else printf "%.1f", n / 1000 }'; }
OS=$(median "$T/ours.start" 1) OR=$(median "$T/ours.req" 1) QS=$(median "$T/qemu.start" 1)
echo "sandbox-run: table: medians of $RUNS interleaved rounds (ms)"
echo "  ours  start->status p50 $(ms "$OS") p99 $(ms "$(p99 "$T/ours.start")")   in-process request p50 $(ms "$OR") p99 $(ms "$(p99 "$T/ours.req")")"
echo "  qemu  start->status p50 $(ms "$QS") p99 $(ms "$(p99 "$T/qemu.start")")"
echo "RESULT sandbox-run p50_ms=$(ms "$OR") p99_ms=$(ms "$(p99 "$T/ours.req")") ours_over_qemu_p50=$(ratio "$OS" "$QS")"
exit "$fail"
