#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/first-exit/run.sh: process start -> first guest exit, and peak RSS.
#
#   run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR]
#          [--qemu PATH] [--inner]
#
# Peers, each started N times, interleaved (exec, floor, ours, qemu, exec,
# ...), after one unmeasured warm-up round, by timeit (fork+exec -> wait4:
# wall time and the child's ru_maxrss):
#   exec   "floor -n": the static floor binary returning at once (the cost
#          of starting a process at all; shown, not used in RESULT)
#   floor  bench/first-exit/floor: bare KVM program, real-mode `out` at 0
#   ours   bench/first-exit/ours exit-guest: public API (vm_create,
#          vm_start, vm_wait, vm_destroy), ELF64 guest whose first
#          instruction writes the debug-exit port
#   qemu   qemu-system-x86_64 -M microvm -accel kvm -nodefaults ... -bios
#          tiny.bin -device isa-debug-exit,iobase=0x501,iosize=2
#   ours-irq "ours -i": the same with the default in-kernel irqchip
#          (informational: what KVM's irqchip costs; not in RESULT)
#   shared ours-shared: ours.c linked to the shared libkvm-virtio.so (when
#          built: .libs/ours-shared and ../../lib/.libs/libkvm-virtio.so.0
#          from --bindir); shown, not used in RESULT
# Then `ours -t` three times (time per API call, on stderr).
# Prints a table of medians and, as the LAST line,
#   RESULT first-exit ours_over_floor=<x> qemu_over_ours=<x> ours_rss_overhead_kib=<n>
# (wall-time ratios of medians; RSS overhead = median ours - median floor).
# Nothing is asserted about times: the exit status is 0 when every peer ran
# and its guest exited as expected, 1 when a peer failed (its figures are
# then "na"), 2 for usage errors, 77 when no KVM can be had at all.
#
# Where: when KVM here runs the tiny guest -- hardware KVM or the PVM
# backend (tests/system/kvm-path.sh --guest tiny says "direct") -- the
# peers run here.  Otherwise (no usable /dev/kvm) this script copies itself, the programs, the
# guests and QEMU into one nested L1 (tests/system/l1-run.sh, kit in
# --cache) and runs there with --inner; L1's console goes to stderr and the
# table and RESULT line are printed again at the end on stdout.
# KVM_TEST_PATH=direct|nested forces the path.  POSIX sh: --inner runs
# under L1's busybox sh.
#
# Options
#   --bindir DIR     where floor, ours, timeit, tiny.bin, exit-guest are
#                    (default: this script's directory)
#   --runs N         measured runs per peer (default 21)
#   --cache DIR      kit cache for the nested path (default ./kit-cache)
#   --systemdir DIR  tests/system of the source tree (default: ../../tests/system
#                    from this script)
#   --qemu PATH      QEMU binary (default: qemu-system-x86_64 in PATH);
#                    when absent the qemu peer is skipped ("na")
#   --smp N          L1 vCPUs on the nested path (default 1, see l1-run.sh)
#   --inner          measure here, whatever the KVM (used inside L1)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# Shared statistics; run.sh and stats.sh sit side by side inside L1.
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE RUNS=21 CACHE=./kit-cache SYSTEMDIR=$HERE/../../tests/system
QEMU='' INNER='' SMP=1
usage() {
    echo "usage: run.sh [--bindir DIR] [--runs N] [--cache DIR] [--systemdir DIR] [--qemu PATH] [--smp N] [--inner]" >&2
    exit 2
}
bench_opts "$@"
case $RUNS in ''|*[!0-9]*|0) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
if [ -z "$QEMU" ]; then QEMU=$(command -v qemu-system-x86_64 2>/dev/null || true); fi

say() { echo "first-exit: $*" >&2; }

# The shared-library variant: libtool's real binary and the library.
SHARED_BIN='' SHARED_LIB=''
if [ -f "$BINDIR/.libs/ours-shared" ] && [ -f "$BINDIR/../../lib/.libs/libkvm-virtio.so.0" ]; then
    SHARED_BIN=$BINDIR/.libs/ours-shared
    SHARED_LIB=$(cd "$BINDIR/../../lib/.libs" && pwd)/libkvm-virtio.so.0
elif [ -f "$BINDIR/ours-shared" ] && [ -f "$BINDIR/lib/libkvm-virtio.so.0" ]; then
    SHARED_BIN=$BINDIR/ours-shared                  # as laid out in L1
    SHARED_LIB=$BINDIR/lib/libkvm-virtio.so.0
fi
case $(head -c 4 "${SHARED_BIN:-/dev/null}" 2>/dev/null | od -An -c | tr -d ' ') in
    177ELF) ;;
    *) SHARED_BIN='' SHARED_LIB='' ;;
esac

for f in floor timeit tiny.bin; do
    [ -f "$BINDIR/$f" ] || { say "error: $BINDIR/$f missing (make bench-first-exit builds it)"; exit 2; }
done
HAVE_OURS=1
if [ ! -x "$BINDIR/ours" ] || [ ! -f "$BINDIR/exit-guest" ]; then
    say "warning: $BINDIR/ours or exit-guest missing: ours is skipped"
    HAVE_OURS=''
fi

# ------------------------------------------------------------ outer: nested
if [ -z "$INNER" ]; then
    [ -x "$SYSTEMDIR/kvm-path.sh" ] && [ -x "$SYSTEMDIR/l1-run.sh" ] ||
        { say "error: $SYSTEMDIR has no kvm-path.sh/l1-run.sh (give --systemdir)"; exit 2; }
    bench_path --guest tiny
    if [ "$path" = direct ]; then INNER=1; fi
fi
if [ -z "$INNER" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-first-exit.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    mkdir "$WORK/payload"
    for f in floor ours timeit tiny.bin exit-guest; do
        if [ -f "$BINDIR/$f" ]; then cp "$BINDIR/$f" "$WORK/payload/"; fi
    done
    cp "$0" "$WORK/payload/run.sh"
    cp "$HERE/../stats.sh" "$WORK/payload/stats.sh"
    if [ -n "$SHARED_BIN" ]; then
        mkdir "$WORK/payload/lib"
        cp "$SHARED_BIN" "$WORK/payload/ours-shared"
        cp -L "$SHARED_LIB" "$WORK/payload/lib/"
        # So that l1-run.sh's ldd scan finds the library (it is passed on
        # into L1, where --inner drops it again).
        LD_LIBRARY_PATH=$WORK/payload/lib
        export LD_LIBRARY_PATH
    fi
    set -- --cache "$CACHE" --payload "$WORK/payload" --timeout 900 --stall 120 \
        --smp "$SMP"
    QEMU_IN=''
    if [ -n "$QEMU" ]; then
        QEMU=$(readlink -f "$QEMU")
        # QEMU at its own path (its module directory is found relative to
        # it); l1-run.sh adds the shared libraries ldd lists.
        set -- "$@" --file "$QEMU:$QEMU"
        QEMU_IN=$QEMU
    fi
    ( "$SYSTEMDIR/l1-run.sh" "$@" -- sh /payload/run.sh --inner \
          --bindir /payload --runs "$RUNS" ${QEMU_IN:+--qemu "$QEMU_IN"}
      echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
    rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
    # The table (from its header) through the RESULT line, once more.
    sed -n '/^first-exit: table/,/^RESULT first-exit/p' "$WORK/log" | sed 's/\r$//' |
        grep -v '^\[' || true
    grep -q '^RESULT first-exit' "$WORK/log" || { say "error: no RESULT from L1 (status $rc)"; exit 1; }
    exit "$rc"
fi

# ------------------------------------------------------------ inner: measure
unset LD_LIBRARY_PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/first-exit.XXXXXX")
trap 'rm -rf "$T"' EXIT
PEERS="exec floor"
if [ -n "$HAVE_OURS" ]; then PEERS="$PEERS ours ours-irq"; fi
if [ -n "$QEMU" ] && [ -x "$QEMU" ]; then
    PEERS="$PEERS qemu"
else
    say "warning: no QEMU: qemu is skipped"
fi
if [ -n "$HAVE_OURS" ] && [ -n "$SHARED_BIN" ]; then PEERS="$PEERS shared"; fi

# run_peer NAME: one measured start; appends "ns kib" to $T/NAME.
run_peer() {
    case $1 in
        exec)  want=0; set -- "$1" "$BINDIR/floor" -n ;;
        floor) want=0; set -- "$1" "$BINDIR/floor" ;;
        ours)  want=0; set -- "$1" "$BINDIR/ours" "$BINDIR/exit-guest" ;;
        ours-irq) want=0; set -- "$1" "$BINDIR/ours" -i "$BINDIR/exit-guest" ;;
        shared) want=0; set -- "$1" "$SHARED_BIN" "$BINDIR/exit-guest" ;;
        qemu)  want=85    # isa-debug-exit: (0x2a << 1) | 1
               set -- "$1" "$QEMU" -M microvm -accel kvm -nodefaults \
                   -no-user-config -display none -bios "$BINDIR/tiny.bin" \
                   -device isa-debug-exit,iobase=0x501,iosize=2 ;;
    esac
    name=$1; shift
    if [ "$name" = shared ]; then
        line=$(LD_LIBRARY_PATH=${SHARED_LIB%/*} "$BINDIR/timeit" -q -n -- "$@") || true
    else
        line=$("$BINDIR/timeit" -q -n -- "$@") || true
    fi
    set -- $line
    if [ $# -ne 3 ] || [ "$3" != "$want" ]; then
        say "error: $name exited with status ${3:-?} (want $want); dropped"
        echo "$name" >>"$T/failed"
        return 1
    fi
    echo "$1 $2" >>"$T/$name"
    LAST=$1
}

kernel=$(uname -r)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
say "kernel $kernel, $(grep -c '^processor' /proc/cpuinfo) cpu(s): $cpu"
say "peers: $PEERS; 1 warm-up round + $RUNS measured rounds, interleaved"
for p in $PEERS; do run_peer "$p" || true; done
for p in $PEERS; do rm -f "$T/$p"; done
i=1
while [ "$i" -le "$RUNS" ]; do
    progress="round $i/$RUNS:"
    for p in $PEERS; do
        if grep -qx "$p" "$T/failed" 2>/dev/null; then continue; fi
        LAST=''
        if run_peer "$p"; then
            progress="$progress $p $(awk -v n="$LAST" 'BEGIN { printf "%.2fms", n / 1e6 }')"
        fi
    done
    say "$progress"
    i=$((i + 1))
done

# Where ours spends its time (informational; not part of the figures).
if [ -n "$HAVE_OURS" ] && ! grep -qx ours "$T/failed" 2>/dev/null; then
    for i in 1 2 3; do "$BINDIR/ours" -t "$BINDIR/exit-guest" || true; done
    for i in 1 2 3; do "$BINDIR/ours" -t -i "$BINDIR/exit-guest" 2>&1 | sed 's/^ours:/ours -i:/' >&2 || true; done
fi

# median FILE COLUMN
for p in exec floor ours ours-irq qemu shared; do
    if grep -qx "$p" "$T/failed" 2>/dev/null; then rm -f "$T/$p"; fi
    v=$(echo "$p" | tr - _)
    eval "T_$v=\$(median \"\$T/$p\" 1)"
    eval "R_$v=\$(median \"\$T/$p\" 2)"
done


echo "first-exit: table: process start -> exit of a trivial guest; medians of $RUNS interleaved runs"
fmt='%-8s %9s %17s %8s %9s %13s %4s\n'
printf "$fmt" peer wall_ms "(min-max)" x_floor rss_kib "(min-max)" runs
for p in exec floor ours ours-irq qemu shared; do
    case " $PEERS " in *" $p "*) ;; *) [ "$p" = shared ] && continue ;; esac
    n=0
    if [ -s "$T/$p" ]; then n=$(wc -l <"$T/$p"); fi
    v=$(echo "$p" | tr - _)
    eval "t=\$T_$v r=\$R_$v"
    if [ "$t" = na ]; then
        printf "$fmt" "$p" na - na na - "$n"
    else
        printf "$fmt" "$p" \
            "$(awk -v n="$t" 'BEGIN { printf "%.2f", n / 1e6 }')" "($(minmax "$T/$p" 1 1e6))" \
            "$(ratio "$t" "$T_floor")" "$r" "($(minmax "$T/$p" 2 1 | sed 's/\.00//g'))" "$n"
    fi
done
diff_kib() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "na" || b == "na") print "na"; else printf "%d", a - b }'; }
# Per-round ratios (the peers of one round ran back to back, under the same
# load); their median is less sensitive to the host's load drifting.
paired() {   # paired A B: median over rounds of A_i / B_i
    if [ ! -s "$T/$1" ] || [ ! -s "$T/$2" ]; then echo na; return; fi
    paste -d' ' "$T/$1" "$T/$2" | awk '$3 > 0 { print $1 / $3 }' | sort -g |
        awk '{ a[NR] = $1 } END { if (!NR) { print "na"; exit }
              if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2
              printf "%.2f\n", m }'
}
echo "first-exit: per-round ratios (median): ours/floor $(paired ours floor), qemu/ours $(paired qemu ours)"
echo "RESULT first-exit ours_over_floor=$(ratio "$T_ours" "$T_floor") qemu_over_ours=$(ratio "$T_qemu" "$T_ours") ours_rss_overhead_kib=$(diff_kib "$R_ours" "$R_floor")"
if [ -s "$T/failed" ]; then exit 1; fi
exit 0
