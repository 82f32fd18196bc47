#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/churn/run.sh: VMs per second on one core, a VM per request.
#
#   run.sh [--bindir DIR] [--guest ELF] [--iters N] [--rounds R]
#          [--cpu C] [--systemdir DIR] [--cache DIR] [--inner]
#
# Each peer of bench/churn/churn.c runs N create -> start -> wait ->
# destroy iterations in one process pinned to CPU C (taskset: the VMM's
# threads, vCPU and release threads included, share that one core); R
# rounds, the peers interleaved in each (one unmeasured warm-up round
# first). Peers: floor (bare KVM: floor.c's VM, N times), ours (public API,
# 1 vCPU, 2 MiB, the exit guest, no irqchip like the floor), ours-net
# (1 vCPU, 64 MiB, null netdev + virtio-net-pci), and for information
# floor-irq (bare KVM with an irqchip and 64 MiB), ours-irq (ours with
# the default irqchip) and floor-lm (the floor with its vCPU started as
# ours starts the exit guest: 64-bit long mode, page tables, CPUID). Every peer's time ends when all its resources are
# back (ours: vm_release_wait()).
# Prints a table of medians and, as the LAST line,
#   RESULT churn ours_over_floor=<x> vms_per_core_s=<x> vms_per_core_s_net=<x>
# ours_over_floor is ours' VMs/s over the floor's (a rate ratio: 1 means
# as fast as bare KVM, the target is >= 0.8); vms_per_core_s is ours' and
# vms_per_core_s_net ours-net's median VMs/s. Nothing is asserted: exit
# status 0 when every peer ran, 1 when one failed, 2 usage, 77 no KVM.
#
# Where: tests/system/kvm-path.sh --guest tiny decides; on the nested path
# the binaries run inside one L1 (tests/system/l1-run.sh) with --inner and
# the table is printed again at the end.  KVM_TEST_PATH forces the path.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE GUEST='' ITERS=300 ROUNDS=7 CPU=0 INNER=''
SYSTEMDIR=$HERE/../../tests/system CACHE=./kit-cache
usage() {
    echo "usage: run.sh [--bindir DIR] [--guest ELF] [--iters N] [--rounds R] [--cpu C] [--systemdir DIR] [--cache DIR] [--inner]" >&2
    exit 2
}
bench_opts "$@"
case $ITERS$ROUNDS in ''|*[!0-9]*) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
[ -n "$GUEST" ] || GUEST=$BINDIR/../first-exit/exit-guest
say() { echo "churn: $*" >&2; }
[ -x "$BINDIR/churn" ] || { say "error: $BINDIR/churn missing (make bench-churn builds it)"; exit 2; }
[ -f "$GUEST" ] || { say "error: guest $GUEST missing"; exit 2; }

if [ -z "$INNER" ]; then
    bench_path --guest tiny
    if [ "$path" = direct ]; then INNER=1; fi
fi
if [ -z "$INNER" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-churn.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    mkdir "$WORK/payload"
    cp "$BINDIR/churn" "$GUEST" "$0" "$WORK/payload/"
    cp "$HERE/../stats.sh" "$WORK/payload/stats.sh"
    ( "$SYSTEMDIR/l1-run.sh" --cache "$CACHE" --payload "$WORK/payload" \
          --timeout 900 --stall 120 --smp 1 -- sh /payload/run.sh --inner \
          --bindir /payload --guest "/payload/$(basename "$GUEST")" \
          --iters "$ITERS" --rounds "$ROUNDS" --cpu 0
      echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
    rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
    sed -n '/^churn: table/,/^RESULT churn/p' "$WORK/log" | sed 's/\r$//' | grep -v '^\[' || true
    grep -q '^RESULT churn' "$WORK/log" || { say "error: no RESULT from L1 (status $rc)"; exit 1; }
    exit "$rc"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/churn.XXXXXX")
trap 'rm -rf "$T"' EXIT
PEERS="floor ours ours-net floor-irq ours-irq floor-lm"
PIN=''
if command -v taskset >/dev/null 2>&1; then PIN="taskset -c $CPU"; else say "warning: no taskset: not pinned"; fi
run_peer() {   # run_peer PEER: appends "vms_per_s ns" to $T/PEER
    # shellcheck disable=SC2086
    if line=$($PIN "$BINDIR/churn" "$1" "$ITERS" "$GUEST"); then
        echo "$line" >>"$T/$1"
        LAST=${line%% *}
    else
        say "error: $1 failed; dropped"
        echo "$1" >>"$T/failed"
        return 1
    fi
}
say "kernel $(uname -r), $(grep -c '^processor' /proc/cpuinfo) cpu(s), pinned to cpu $CPU; $ITERS VMs per run, 1 warm-up + $ROUNDS rounds"
for p in $PEERS; do run_peer "$p" || true; done
for p in $PEERS; do rm -f "$T/$p"; done
i=1
while [ "$i" -le "$ROUNDS" ]; do
    progress="round $i/$ROUNDS:"
    for p in $PEERS; do
        if grep -qx "$p" "$T/failed" 2>/dev/null; then continue; fi
        LAST=''
        if run_peer "$p"; then progress="$progress $p $LAST/s"; fi
    done
    say "$progress"
    i=$((i + 1))
done

echo "churn: table: VMs created, run to their first exit and destroyed per second on one core; medians of $ROUNDS rounds of $ITERS"
fmt='%-10s %10s %19s %9s %10s\n'
printf "$fmt" peer vms_per_s "(min-max)" x_floor ms_per_vm
for p in $PEERS; do
    if [ ! -s "$T/$p" ]; then printf "$fmt" "$p" na - na na; continue; fi
    m=$(median "$T/$p" 1)
    eval "M_$(echo "$p" | tr - _)=\$m"
    printf "$fmt" "$p" "$m" "($(minmax "$T/$p" 1 1 %.0f))" \
        "$(ratio "$m" "$(median "$T/floor" 1)")" \
        "$(awk -v r="$m" 'BEGIN { if (r > 0) printf "%.3f", 1000 / r; else print "na" }')"
done
# Per-round ratio A/B (the two ran back to back, under the same load).
round_ratio() {
    paste -d' ' "$T/$1" "$T/$2" 2>/dev/null | awk '$3 > 0 { print $1 / $3 }' | sort -g |
        awk '{ a[NR] = $1 } END { if (!NR) { print "na"; exit }
              if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2
              printf "%.2f\n", m }'
}
echo "churn: per-round ratio (median): ours/floor $(round_ratio ours floor)"
echo "churn: per-round ratio (median): ours/floor-lm $(round_ratio ours floor-lm) (informational: the floor in ours' CPU mode)"
echo "RESULT churn ours_over_floor=$(ratio "${M_ours:-na}" "${M_floor:-na}") vms_per_core_s=${M_ours:-na} vms_per_core_s_net=${M_ours_net:-na}"
if [ -s "$T/failed" ]; then exit 1; fi
exit 0
