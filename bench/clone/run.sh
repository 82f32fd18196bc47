#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/clone/run.sh: bench/clone with a stock Linux template (clone.c's
# -linux mode), on the host when its KVM boots Linux, else in one nested
# L1 (tests/system/l1-run.sh), as bench/sandbox-run does.
#
#   run.sh [--bindir DIR] [--iters CLONES] [--runs RUNS] [--cache DIR]
#          [--systemdir DIR] [--srcdir DIR] [--smp N]
#          [--inner --kernel F --initrd F]
#
# The guest: the kit's kernel (l2/vmlinuz, as every Linux test), an
# initramfs from tests/system/l2-initramfs.sh around
# bench/clone/linux-tick.sh (eth0 up on the virtio-net-pci, then "@@T"
# lines forever), 256 MiB, 1 vCPU. clone.c makes the template, CLONES
# clones (default 30), then RUNS (default 3) restores and cold boots each,
# and the same with vm_prewarm(); see clone.c for what each time is.
# BENCH_CLONE_CMDLINE, if set, replaces the guest's command line (e.g.
# without "quiet", to see a boot's messages). L1 gets --smp N CPUs (default 2: the clone's vCPU thread and the VMM's
# own threads can run beside each other).
# The table and, as the last line, clone.c's RESULT clone ... line:
# clone_over_cold is the clone's marker p50 over a cold boot's to the
# same marker. Exit status: clone.c's (0, 1 a VM failed), 2 usage, 77 no
# KVM.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/stats.sh" ]; then . "$HERE/stats.sh"; else . "$HERE/../stats.sh"; fi
BINDIR=$HERE ITERS=30 RUNS=3 CACHE=./kit-cache SYSTEMDIR=$HERE/../../tests/system
SRCDIR=$HERE/../.. INNER='' KERNEL='' INITRD='' SMP=2
usage() {
    echo "usage: run.sh [--bindir DIR] [--iters CLONES] [--runs RUNS] [--cache DIR] [--systemdir DIR] [--srcdir DIR] [--smp N] [--inner --kernel F --initrd F]" >&2
    exit 2
}
bench_opts "$@"
case $ITERS$RUNS$SMP in ''|*[!0-9]*) usage ;; esac
BINDIR=$(cd "$BINDIR" && pwd)
say() { echo "clone: $*" >&2; }
[ -x "$BINDIR/clone" ] || { say "error: $BINDIR/clone missing (make bench-clone-linux)"; exit 2; }

if [ -n "$INNER" ]; then
    [ -f "$KERNEL" ] && [ -f "$INITRD" ] || usage
    exec "$BINDIR/clone" -linux "$KERNEL" "$INITRD" "$ITERS" "$RUNS"
fi

bench_path --guest linux
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-clone.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
P=$WORK/payload
mkdir "$P"
# No tools in this guest: a smaller initramfs boots sooner.
L2_TOOLS='' "$SYSTEMDIR/l2-initramfs.sh" "$CACHE" "$P/tick.cpio" \
    "$SRCDIR/bench/clone/linux-tick.sh" >&2 ||
    { say "error: cannot build the guest initramfs"; exit 2; }
CACHE=$(cd "$CACHE" && pwd)
cp "$CACHE/l2/vmlinuz" "$P/vmlinuz"
if [ "$path" = direct ]; then
    "$BINDIR/clone" -linux "$P/vmlinuz" "$P/tick.cpio" "$ITERS" "$RUNS"
    exit $?
fi
cp "$BINDIR/clone" "$0" "$P/"
cp "$HERE/../stats.sh" "$P/stats.sh"
# Multi-threaded TCG as test-linux's nested runs have it: with one TCG
# thread for L1's 2 CPUs the template's kernel did not reach /init in
# 3-10 min in three runs of three (its vCPU in one loop with interrupts
# off, session 6); with two it did in ~8 s.
export L1_TCG_THREAD="${L1_TCG_THREAD:-multi}"
# shellcheck disable=SC2086
( "$SYSTEMDIR/l1-run.sh" --cache "$CACHE" --payload "$P" --smp "$SMP" \
      ${BENCH_CLONE_CMDLINE:+--env BENCH_CLONE_CMDLINE} \
      --timeout $((300 + RUNS * 4 * 90 + ITERS * 10)) --stall 150 -- \
      sh /payload/run.sh --inner --bindir /payload --iters "$ITERS" \
      --runs "$RUNS" --kernel /payload/vmlinuz --initrd /payload/tick.cpio
  echo $? >"$WORK/rc" ) 2>&1 | tee "$WORK/log" >&2
rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
sed -n '/^host KVM:/,/^RESULT clone/p' "$WORK/log" | sed 's/\r$//' | grep -v '^\[' || true
grep -q '^RESULT clone' "$WORK/log" || { say "error: no RESULT (status $rc)"; exit 1; }
exit "$rc"
