#!/bin/sh
# kvm-path.sh [--reason] [--guest linux|tiny]
#
# The one place that decides where the system tests and benchmarks get a
# KVM that runs their guests, and prints the answer on stdout:
#
#   direct   run on this host: /dev/kvm opens read-write and runs the
#            guest at hardware speed.  For --guest linux (default; stock
#            Debian kernels: test-linux, bench/boot) that excludes the PVM
#            backend (/sys/module/kvm_pvm), which would emulate a non-PVM
#            kernel instruction by instruction.  For --guest tiny (the
#            project's small test guests and bench/first-exit, bench/churn:
#            a few instructions, exits, interrupts) PVM counts: it runs
#            them natively enough (a guest whose first instruction exits
#            takes 2-60 ms on it, QEMU's included).
#   nested   otherwise, if qemu-system-x86_64 is installed (or can be: we are
#            root with apt-get; l1-run.sh installs it): run inside an L1
#            Linux with an emulated-SVM /dev/kvm (l1-run.sh).
#   none     neither: the tests must be skipped.
#
# With --reason the word is followed by " (why)", e.g.
#   nested (/dev/kvm is the PVM backend (kvm_pvm loaded); L1 under QEMU TCG)
#
# The environment variable KVM_TEST_PATH=direct|nested|none overrides the
# decision for every kind of guest (reported as such).  Exit status 0, or 2
# for a bad argument or override.  No side effects: only looks.
set -eu

want_reason='' guest=linux
while [ $# -gt 0 ]; do
    case $1 in
        --reason) want_reason=1; shift ;;
        --guest)
            case ${2:-} in linux|tiny) guest=$2 ;; *) echo "usage: $0 [--reason] [--guest linux|tiny]" >&2; exit 2 ;; esac
            shift 2 ;;
        *) echo "usage: $0 [--reason] [--guest linux|tiny]" >&2; exit 2 ;;
    esac
done

decide() {
    case ${KVM_TEST_PATH:-} in
        direct|nested|none)
            path=$KVM_TEST_PATH reason="forced by KVM_TEST_PATH=$KVM_TEST_PATH"
            return ;;
        "") ;;
        *)  echo "kvm-path: bad KVM_TEST_PATH='$KVM_TEST_PATH' (direct, nested or none)" >&2
            exit 2 ;;
    esac

    # Open for read-write as the tests will: a node that exists but is not
    # accessible (no kvm group, no root) does not count.
    if [ ! -e /dev/kvm ]; then
        why="no /dev/kvm"
    elif ! sh -c 'exec 3<>/dev/kvm' 2>/dev/null; then
        why="/dev/kvm cannot be opened read-write"
    elif [ ! -e /sys/module/kvm_pvm ]; then
        path=direct reason="hardware KVM: /dev/kvm is read-write and kvm_pvm is not loaded"
        return
    elif [ "$guest" = tiny ]; then
        path=direct reason="/dev/kvm is the PVM backend (kvm_pvm loaded), which runs the tiny guests"
        return
    else
        why="/dev/kvm is the PVM backend (kvm_pvm loaded): stock guests would be emulated"
    fi

    if command -v qemu-system-x86_64 >/dev/null 2>&1; then
        path=nested reason="$why; L1 under QEMU TCG with emulated SVM"
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        path=nested reason="$why; L1 under QEMU TCG (qemu-system-x86 to be installed with apt-get)"
    else
        path=none reason="$why, and no qemu-system-x86_64 for a nested L1"
    fi
}

path='' reason=''
decide
if [ -n "$want_reason" ]; then
    echo "$path ($reason)"
else
    echo "$path"
fi
