#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/kvm-tests.sh: run the programs that need /dev/kvm, as one
# TAP test for automake.
#
#   kvm-tests.sh [PROGRAM...]   (default: tests/system/test-machine,
#                                tests/system/test-churn,
#                                tests/system/test-privilege,
#                                tests/system/test-pause and
#                                tests/system/test-linux)
#
# Path: kvm-path.sh decides, per kind of guest: test-linux boots a stock
# kernel (--guest linux), every other program runs the project's tiny
# guests (--guest tiny), which the PVM backend runs too. The programs
# whose path is direct run here first; those whose path is nested run
# together in one L1 boot through run-in-kvm.sh (nested KVM under QEMU
# TCG, see tests/system/README.md); a program with no path is one SKIP
# line. KVM_TEST_PATH=direct|nested|none forces one path for all. Each
# decision is printed with its reason, and the path is exported to the
# programs as KVM_TEST_PATH_RAN.
#
# test-linux boots the kit's stock kernel (tests/system/kit.sh, cached in
# $KIT_CACHE): when it is among the programs, the kit and its initramfs
# (l2-initramfs.sh + linux-guest.sh -> test-linux.cpio beside the
# program) are built here first, on this host, since a nested L1 has no
# way to. If that fails, test-linux finds no initramfs and skips, saying so.
#
# Each program prints TAP (Check); their results are renumbered into one
# stream as they come (L1's stall watchdog wants output), prefixed with
# the program name, and the plan is printed last. A program exiting 77
# becomes a SKIP line; any other non-zero exit without a "not ok" line
# becomes one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
top_builddir=$(cd "$top_builddir" && pwd)

if [ "${1:-}" = --inner ]; then
    shift
    n=0
    state=$(mktemp)
    for prog in "$@"; do
        name=$(basename "$prog")
        echo "$n 0 0" >"$state"
        # Renumber as the lines come; the counters leave the pipeline's
        # subshell through $state.
        { rc=0; "$prog" 2>&1 || rc=$?; echo "@@KVM-TESTS-RC $rc"; } | {
            bad=0 rc=0
            while IFS= read -r line; do
                case $line in
                    "ok "*|"not ok "*)
                        n=$((n + 1))
                        case $line in "not ok "*) st="not ok"; bad=1 ;; *) st="ok" ;; esac
                        rest=${line#"$st "}
                        rest=${rest#* }          # drop the program's own number
                        rest=${rest#"- "}
                        echo "$st $n $name: $rest" ;;
                    "@@KVM-TESTS-RC "*) rc=${line#@@KVM-TESTS-RC } ;;
                    1..*) ;;
                    "#"*) echo "$line" ;;
                    *) echo "# $line" ;;
                esac
            done
            echo "$n $bad $rc" >"$state"
        }
        read -r n bad rc <"$state"
        if [ "$rc" = 77 ]; then
            n=$((n + 1)); echo "ok $n $name # SKIP exit status 77"
        elif [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
            n=$((n + 1)); echo "not ok $n $name: exit status $rc"
        fi
    done
    rm -f "$state"
    echo "1..$n"
    exit 0
fi

[ $# -gt 0 ] || set -- "$top_builddir/tests/system/test-machine" \
    "$top_builddir/tests/system/test-churn" \
    "$top_builddir/tests/system/test-privilege" \
    "$top_builddir/tests/system/test-pause" "$top_builddir/tests/system/test-linux"
progs='' linux=''
for p in "$@"; do
    case $p in /*) ;; *) p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p") ;; esac
    progs="$progs $p"
    case $p in */test-linux) linux=$p ;; esac
done

cache=${KIT_CACHE:-$top_builddir/.cache/kit}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
KIT_CACHE=$cache
export KIT_CACHE

# An L2 initramfs OUT around SCRIPT, rebuilt when the kit or the scripts
# are newer; removed (its test then skips) when it cannot be built.
build_cpio() {
    if [ ! -s "$1" ] || [ -n "$(find "$cache/kit.stamp" "$2" \
            "$here/l2-initramfs.sh" -newer "$1" 2>/dev/null)" ]; then
        if out=$("$here/l2-initramfs.sh" "$cache" "$1" "$2" 2>&1); then
            echo "# $out"
        else
            echo "# kvm-tests: l2-initramfs.sh failed: $(basename "$1") missing"
            echo "$out" | sed 's/^/#   /'
            rm -f "$1"
        fi
    fi
}

# The stock-kernel guests of test-linux: kit, then the initramfs of its
# own tests and that of examples/sandbox-run (which it runs too).
if [ -n "$linux" ]; then
    cpio=$(dirname "$linux")/test-linux.cpio
    if ! out=$("$here/kit.sh" "$cache" 2>&1); then
        echo "# kvm-tests: kit.sh $cache failed: test-linux will skip"
        echo "$out" | tail -n 5 | sed 's/^/#   /'
        rm -f "$cpio"
    else
        build_cpio "$cpio" "$here/linux-guest.sh"
        build_cpio "$(dirname "$linux")/sandbox.cpio" \
            "$here/../../examples/sandbox-guest.sh"
    fi
    # test-linux's Python boot (issue 11): the script, the bindings and
    # the library in py/ beside it (a nested L1 gets that directory with
    # test-linux's; python3 and its modules follow below).
    pydir=$(dirname "$linux")/py
    rm -rf "$pydir"
    if mkdir -p "$pydir" &&
       cp -R "$here/../../bindings/python/kvm_virtio" \
             "$here/../python/boot-linux.py" "$pydir/" &&
       cp -L "$top_builddir/lib/.libs/libkvm-virtio.so.0" "$pydir/" &&
       chmod -R u+w "$pydir"; then : # (distcheck's srcdir is read-only)
    else
        echo "# kvm-tests: the Python boot's files could not be staged: it will skip"
        rm -rf "$pydir"
    fi
    # Nested, the kit's vmlinux (50+ MB) is copied into L1 only on request.
    if [ -s "$cache/l2/vmlinux" ]; then
        RUN_IN_KVM_VMLINUX=1
        export RUN_IN_KVM_VMLINUX
    fi
    # A 2 MiB page pool in L1 for one 256 MiB guest at a time: test-linux
    # boots some guests on hugetlb RAM, which saves most of the nested
    # page faults (each 4 KiB one is a nested exit; ~40% of a boot).
    RUN_IN_KVM_APPEND="${RUN_IN_KVM_APPEND:-} hugepages=128"
    export RUN_IN_KVM_APPEND
    # L1's CPUs: 1 by default. test-linux's traffic tests pin the vCPU and
    # the NIC's I/O threads apart when L1 has 2 (RUN_IN_KVM_SMP=2
    # L1_TCG_THREAD=multi: device and guest then really run side by side),
    # but multi-threaded TCG with 2 vCPUs wedged L1 twice in one CI run,
    # and single-threaded TCG with 2 is too slow for CI.
fi

# Who runs where: one kvm-path.sh decision per kind of guest.
tiny_dec=$("$here/kvm-path.sh" --reason --guest tiny) || exit 99
linux_dec=$("$here/kvm-path.sh" --reason --guest linux) || exit 99
echo "# kvm-tests: tiny guests: path=${tiny_dec%% *} ${tiny_dec#* }"
[ -z "$linux" ] || echo "# kvm-tests: stock Linux: path=${linux_dec%% *} ${linux_dec#* }"
direct_progs='' nested_progs='' none_progs='' nested_guest=tiny
for p in $progs; do
    case $p in */test-linux) dec=$linux_dec ;; *) dec=$tiny_dec ;; esac
    case ${dec%% *} in
        direct) direct_progs="$direct_progs $p" ;;
        nested) nested_progs="$nested_progs $p"
                case $p in */test-linux) nested_guest=linux ;; esac ;;
        *)      none_progs="$none_progs $p" ;;
    esac
done

# The groups' TAP streams, renumbered into one; their plans are dropped
# and one plan is printed at the end.
count=$(mktemp)
echo 0 >"$count"
renumber() {
    n=$(cat "$count")
    while IFS= read -r line; do
        case $line in
            "ok "[0-9]*|"not ok "[0-9]*)
                case $line in "not ok "*) st="not ok" ;; *) st="ok" ;; esac
                rest=${line#"$st "}
                case $rest in *" "*) rest=${rest#* } ;; *) rest='' ;; esac
                n=$((n + 1))
                echo "$st $n $rest" ;;
            1..*) ;;
            *) echo "$line" ;;
        esac
    done
    echo "$n" >"$count"
}

rc=0
if [ -n "$direct_progs" ]; then
    # shellcheck disable=SC2086
    KVM_TEST_PATH_RAN=direct "$here/kvm-tests.sh" --inner $direct_progs | renumber
fi
if [ -n "$nested_progs" ]; then
    RUN_IN_KVM_MIRROR="${RUN_IN_KVM_MIRROR:-} $top_builddir/tests/system $top_builddir/tests/guests $here $top_builddir/examples"
    # test-linux's host netdev test starts passt (in its own netns).
    if passt_bin=$(command -v passt 2>/dev/null); then
        RUN_IN_KVM_FILES="${RUN_IN_KVM_FILES:-} $passt_bin"
        export RUN_IN_KVM_FILES
    fi
    # test-linux's Python boot: python3 and the standard library modules
    # (sources and their .pyc) that the bindings and the script import.
    if [ -n "$linux" ] && [ -d "$(dirname "$linux")/py" ] && [ -x /usr/bin/python3 ] &&
       pyfiles=$(/usr/bin/python3 -S -c '
import sys
sys.path.insert(0, sys.argv[1])
import kvm_virtio, time
for m in list(sys.modules.values()):
    for f in (getattr(m, "__file__", None), getattr(m, "__cached__", None)):
        if f and f.startswith(sys.prefix + "/lib/"):
            print(f)' "$(dirname "$linux")/py" 2>/dev/null); then
        RUN_IN_KVM_FILES="${RUN_IN_KVM_FILES:-} /usr/bin/python3 $(echo $pyfiles)"
        export RUN_IN_KVM_FILES
    fi
    # test-linux's vhost-user test runs DPDK's testpmd.
    if dpdk=$("$here/dpdk-files.sh"); then
        RUN_IN_KVM_FILES="${RUN_IN_KVM_FILES:-} $(echo $dpdk)"
        export RUN_IN_KVM_FILES
    fi
    KVM_PATH_GUEST=$nested_guest
    export RUN_IN_KVM_MIRROR KVM_PATH_GUEST
    nrc=$(mktemp)
    # shellcheck disable=SC2086
    { r=0; "$here/run-in-kvm.sh" "$cache" -- "$here/kvm-tests.sh" --inner $nested_progs || r=$?
      echo "$r" >"$nrc"; } | renumber
    r=$(cat "$nrc"); rm -f "$nrc"
    if [ "$r" = 77 ]; then
        none_progs="$none_progs $nested_progs"
    elif [ "$r" != 0 ]; then
        rc=$r
    fi
fi
n=$(cat "$count")
for p in $none_progs; do
    n=$((n + 1))
    echo "ok $n $(basename "$p") # SKIP no KVM able to run its guests here, and no way to nest one"
done
rm -f "$count"
echo "1..$n"
exit "$rc"
