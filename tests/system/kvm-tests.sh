#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/kvm-tests.sh: run the programs that need /dev/kvm, as one
# TAP test for automake.
#
#   kvm-tests.sh [PROGRAM...]          (default: tests/system/test-machine)
#
# Path: when /dev/kvm opens here (real KVM or the PVM backend: the
# project's small test guests run on either) the programs run directly.
# Otherwise they all run in one shared L1 boot through run-in-kvm.sh
# (nested KVM under QEMU TCG, see NESTED.md), which skips (77) when that
# is impossible too. KVM_TEST_PATH=direct|nested|none forces a path.
#
# Each program prints TAP (Check); their results are renumbered into one
# stream, prefixed with the program name, and the plan is printed last.
# A program exiting 77 becomes a SKIP line; any other non-zero exit
# without a "not ok" line becomes one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
top_builddir=$(cd "$top_builddir" && pwd)

if [ "${1:-}" = --inner ]; then
    shift
    n=0
    for prog in "$@"; do
        name=$(basename "$prog")
        out=$(mktemp)
        rc=0
        "$prog" >"$out" 2>&1 || rc=$?
        bad=0
        while IFS= read -r line; do
            case $line in
                "ok "*|"not ok "*)
                    n=$((n + 1))
                    case $line in "not ok "*) st="not ok"; bad=1 ;; *) st="ok" ;; esac
                    rest=${line#"$st "}
                    rest=${rest#* }          # drop the program's own number
                    rest=${rest#"- "}
                    echo "$st $n $name: $rest" ;;
                1..*) ;;
                "#"*) echo "$line" ;;
                *) echo "# $line" ;;
            esac
        done <"$out"
        rm -f "$out"
        if [ "$rc" = 77 ]; then
            n=$((n + 1)); echo "ok $n $name # SKIP exit status 77"
        elif [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
            n=$((n + 1)); echo "not ok $n $name: exit status $rc"
        fi
    done
    echo "1..$n"
    exit 0
fi

[ $# -gt 0 ] || set -- "$top_builddir/tests/system/test-machine"
progs=
for p in "$@"; do
    case $p in /*) ;; *) p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p") ;; esac
    progs="$progs $p"
done

direct=0
case ${KVM_TEST_PATH:-} in
    direct) direct=1 ;;
    nested|none) ;;
    *) if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then direct=1; fi ;;
esac

if [ "$direct" = 1 ]; then
    echo "# kvm-tests: path=direct (/dev/kvm$( [ -e /sys/module/kvm_pvm ] && echo ', PVM backend'))"
    # shellcheck disable=SC2086
    exec "$here/kvm-tests.sh" --inner $progs
fi

cache=${KIT_CACHE:-$top_builddir/.cache/kit}
mkdir -p "$cache"
RUN_IN_KVM_MIRROR="${RUN_IN_KVM_MIRROR:-} $top_builddir/tests/system $top_builddir/tests/guests $here"
export RUN_IN_KVM_MIRROR
rc=0
# shellcheck disable=SC2086
"$here/run-in-kvm.sh" "$cache" -- "$here/kvm-tests.sh" --inner $progs || rc=$?
if [ "$rc" = 77 ]; then
    echo "1..0 # SKIP no /dev/kvm and no way to nest one"
fi
exit "$rc"
