#!/bin/bash
# run-in-kvm.sh CACHE_DIR -- CMD [ARG]...
#
# Glue for automake system tests: run CMD where a KVM that boots stock Linux
# guests at hardware speed is available, and say which path ran.
#
#   Makefile.am:   LOG_COMPILER = $(top_srcdir)/tests/system/run-in-kvm.sh
#                  AM_LOG_FLAGS = $(abs_top_builddir)/kit-cache --
#
# First line printed: "run-in-kvm: path=direct|nested|none (reason)".
#   direct  CMD runs here (kvm-path.sh found hardware KVM).
#   nested  CMD runs inside an L1 Linux booted by l1-run.sh under QEMU TCG with
#           an emulated-SVM /dev/kvm.  Copied into L1 at their host paths:
#           the directory holding CMD's first word (e.g. the build's
#           tests/system, with .libs/), every directory in $RUN_IN_KVM_MIRROR
#           (space-separated), and the L2 kit (CACHE_DIR/l2 without vmlinux,
#           unless RUN_IN_KVM_VMLINUX=1), every file in $RUN_IN_KVM_FILES
#           (space-separated: host programs such as passt); plus the shared
#           libraries of every
#           ELF file copied (per ldd).  CMD then runs as given, in L1, from
#           the same current directory, so relative and absolute paths work.
#   none    exit 77 (automake SKIP) with the reason.
#
# In both paths the kit is built first (kit.sh CACHE_DIR) and CMD sees
# KVM_KIT=CACHE_DIR (absolute) and KVM_TEST_PATH_RAN=direct|nested.
# Environment variables named in RUN_IN_KVM_ENV (default: srcdir top_srcdir
# builddir top_builddir abs_top_srcdir abs_top_builddir VERBOSE TEST_XFER_MIB
# CK_RUN_CASE TEST_LINUX_NET TEST_HOSTNET_PINGS TEST_LINUX_ISSUE12
# TEST_SNAP_CLONES TEST_SNAP_MACS TEST_SNAP_HOLD_S TEST_SNAP_CHURN
# TEST_SNAP_TRACE TEST_SNAP_ANNOUNCE TEST_VMGENID_CLONES TEST_LINUX_ONLY) are passed
# on into L1, as are KVM_KIT and KVM_TEST_PATH_RAN.
# The path is kvm-path.sh's answer for --guest ${KVM_PATH_GUEST:-linux}
# (tiny: the project's small guests only; linux: stock kernels).
# L1 tuning: RUN_IN_KVM_SMP (1), RUN_IN_KVM_MEM (2048), RUN_IN_KVM_TIMEOUT
# (600), RUN_IN_KVM_STALL (120), RUN_IN_KVM_APPEND (extra L1 kernel
# arguments, e.g. "hugepages=128"): see l1-run.sh.  KVM_TEST_PATH forces a
# path.
#
# Exit status: CMD's; 77 when no path exists; 99 on infrastructure failure
# (kit cannot be built, L1 never reported back).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 CACHE_DIR -- CMD [ARG]..." >&2; exit 99; }
if [ $# -lt 3 ] || [ "$2" != -- ]; then usage; fi
CACHE=$1
shift 2

say() { echo "run-in-kvm: $*"; }

decision=$("$HERE/kvm-path.sh" --reason --guest "${KVM_PATH_GUEST:-linux}") || exit 99
path=${decision%% *}
say "path=$path ${decision#* }"

if [ "$path" = none ]; then
    say "SKIP: no KVM able to run stock guests here, and no way to nest one"
    exit 77
fi

# The kit (kernels, modules, busybox) is needed on either path.
"$HERE/kit.sh" "$CACHE" || { say "ERROR: kit.sh $CACHE failed"; exit 99; }
KVM_KIT=$(cd "$CACHE" && pwd)
KVM_TEST_PATH_RAN=$path
export KVM_KIT KVM_TEST_PATH_RAN

if [ "$path" = direct ]; then
    exec "$@"
fi

# ---- nested: run CMD inside L1.
cmd0=$1
case $cmd0 in
    */*) ;;
    *)  found=$(command -v "$cmd0" 2>/dev/null) || { say "ERROR: $cmd0: not found"; exit 99; }
        case $found in /*) cmd0=$found ;; esac ;;     # builtins stay as they are
esac

args=(--cache "$KVM_KIT" --cwd "$PWD"
      --smp "${RUN_IN_KVM_SMP:-1}" --mem "${RUN_IN_KVM_MEM:-2048}"
      --timeout "${RUN_IN_KVM_TIMEOUT:-600}" --stall "${RUN_IN_KVM_STALL:-120}")
if [ -n "${RUN_IN_KVM_APPEND:-}" ]; then
    args+=(--append "$RUN_IN_KVM_APPEND")
fi
case $cmd0 in
    */*) args+=(--mirror "$(cd "$(dirname "$cmd0")" && pwd)") ;;
esac
for d in ${RUN_IN_KVM_MIRROR:-}; do
    if [ -d "$d" ]; then
        args+=(--mirror "$d")
    else
        say "note: RUN_IN_KVM_MIRROR entry $d is not a directory; skipped"
    fi
done
# Host files the command needs in L1 at the same path (e.g. passt).
for f in ${RUN_IN_KVM_FILES:-}; do
    if [ -e "$f" ]; then
        args+=(--file "$f:$f")
    else
        say "note: RUN_IN_KVM_FILES entry $f does not exist; skipped"
    fi
done
# The L2 kit at the same absolute path (vmlinux is 50+ MB: only on request),
# and the generic kernel (test-linux boots it as an L2 too: it has
# CONFIG_VMGENID, the cloud kernel not).
for f in "$KVM_KIT"/l2/* "$KVM_KIT"/l1/vmlinuz; do
    case $f in */vmlinux) [ "${RUN_IN_KVM_VMLINUX:-0}" = 1 ] || continue ;; esac
    args+=(--file "$f:$f")
done
for v in ${RUN_IN_KVM_ENV-srcdir top_srcdir builddir top_builddir abs_top_srcdir abs_top_builddir VERBOSE TEST_XFER_MIB CK_RUN_CASE TEST_LINUX_NET TEST_HOSTNET_PINGS TEST_VU_MIB TEST_LINUX_ISSUE12 TEST_SNAP_CLONES TEST_SNAP_MACS TEST_SNAP_HOLD_S TEST_SNAP_CHURN TEST_SNAP_TRACE TEST_SNAP_ANNOUNCE TEST_VMGENID_CLONES TEST_LINUX_ONLY} \
         KVM_KIT KVM_TEST_PATH_RAN; do
    args+=(--env "$v")
done

exec "$HERE/l1-run.sh" "${args[@]}" -- "$@"
