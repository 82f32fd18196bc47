#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/run-examples.sh: run examples/boot-linux, examples/net-tap
# and examples/vhost-user as a user would, as one TAP test for automake.
#
# The project's tiny guests (tests/guests) stand in for a Linux kernel:
# they boot through the same vm_start() and talk on the same COM1, and
# the host's KVM runs them directly where it has one (hardware or PVM).
# A stock kernel needs the nested path on a PVM host (minutes per boot):
# its boot is test-linux's, not repeated here. Where kvm-path.sh says the
# tiny guests cannot run directly, the whole test is one SKIP saying why.
# net-tap's checks run in a network namespace of their own (unshare -n,
# root): its tap exists only there, no packet leaves it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
ex=$top_builddir/examples
guests=$top_builddir/tests/guests
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
bad() { n=$((n + 1)); failed=1; echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

dec=$("$here/kvm-path.sh" --reason --guest tiny) || { echo "Bail out! kvm-path.sh failed"; exit 99; }
case ${dec%% *} in
    direct) ;;
    *) echo "1..0 # SKIP the tiny guests do not run directly here: ${dec#* }"; exit 0 ;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# boot-linux: the console on stdout, the guest's exit code back.
"$ex/boot-linux" "$guests/hello.elf" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 66 ] && grep -qx 'hello from the guest' "$tmp/out"; then
    ok "boot-linux hello.elf: console on stdout, exit code 0x42"
else
    bad "boot-linux hello.elf: status $rc, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")'"
fi
"$ex/boot-linux" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q '^usage: boot-linux' "$tmp/err"; then
    ok "boot-linux without a kernel: usage, status 2"
else
    bad "boot-linux without a kernel: status $rc"
fi
"$ex/boot-linux" "$tmp/missing" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "^boot-linux: .*missing" "$tmp/err"; then
    ok "boot-linux with a missing kernel: the library's message, status 1"
else
    bad "boot-linux with a missing kernel: status $rc, '$(cat "$tmp/err")'"
fi

# net-tap, in a namespace of its own.
if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
    skip "net-tap" "needs root and unshare -n to make its tap"
    skip "net-tap threads" "needs root and unshare -n to make its tap"
else
    unshare -n "$ex/net-tap" "$guests/hello.elf" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" = 66 ] && grep -qx 'hello from the guest' "$tmp/out" &&
       grep -q 'virtio-net-pci net0 on tap kvtap0' "$tmp/err"; then
        ok "net-tap hello.elf: tap + virtio-net-pci (disable-legacy=on) start, console, exit code"
    else
        bad "net-tap hello.elf: status $rc, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")'"
    fi
    # While a guest runs: the tap is up in the namespace and the VM's
    # vCPU thread has no capability left (the example sets DROP_CAPS).
    cat >"$tmp/ns.sh" <<NS
"$ex/net-tap" "$guests/spin.elf" "" "console=ttyS0" kvtap7 >"$tmp/spin.out" 2>&1 &
pid=\$!
i=0
while [ \$i -lt 300 ]; do
    grep -q spinning "$tmp/spin.out" 2>/dev/null && break
    sleep 0.1; i=\$((i + 1))
done
ip link show kvtap7 >/dev/null 2>&1 && echo "tap=yes" || echo "tap=no"
for t in /proc/\$pid/task/*; do
    case \$(sed -n 's/^Name:\t//p' "\$t/status") in
        kvm-vcpu*) sed -n 's/^CapEff:\t/vcpu-capeff=/p' "\$t/status" ;;
    esac
done
kill -KILL \$pid
wait \$pid 2>/dev/null
exit 0
NS
    unshare -n sh "$tmp/ns.sh" >"$tmp/ns.out" 2>&1
    if grep -qx 'tap=yes' "$tmp/ns.out" &&
       grep -qx 'vcpu-capeff=0000000000000000' "$tmp/ns.out" &&
       ! grep -v 'vcpu-capeff=0000000000000000' "$tmp/ns.out" | grep -q capeff; then
        ok "net-tap threads: tap kvtap7 exists while the guest runs, the vCPU thread has CapEff 0"
    else
        bad "net-tap threads: $(tr '\n' ' ' <"$tmp/ns.out") / $(tr '\n' ' ' <"$tmp/spin.out" | cut -c1-200)"
    fi
fi
# vhost-user: the seed's chardev + vhost-user (queues=2) + virtio-net-pci
# (disable-legacy=on) against DPDK's testpmd (macswap forwarding), as
# tests/unit/dpdk-peer.c starts it: the tiny guest net-echo ("mirror")
# sends 8 frames and checks that each comes back with its MAC addresses
# swapped. Both roles: we connect to testpmd's socket, and (the seed's
# ",server") we listen and testpmd connects (client=1). testpmd polls one
# core while it runs: a few seconds each.
pmd_start() { # $1: extra vdev options
    rm -f "$tmp/pmd.in"
    mkfifo "$tmp/pmd.in"
    stdbuf -oL "$pmd" -l 0,1 --no-huge -m 256 --no-pci --no-shconf \
        --file-prefix "kvex$$" --vdev "net_vhost0,iface=$tmp/vu.sock,queues=2$1" \
        -- --rxq=2 --txq=2 --forward-mode=macswap --nb-cores=1 \
        --disable-link-check --total-num-mbufs=8192 \
        <"$tmp/pmd.in" >"$tmp/pmd.log" 2>&1 &
    pmdpid=$!
    exec 3>"$tmp/pmd.in" # testpmd exits when this closes
}
pmd_stop() {
    exec 3>&-
    i=0
    while kill -0 "$pmdpid" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -KILL "$pmdpid" 2>/dev/null
    wait "$pmdpid" 2>/dev/null
}
vu_check() { # $1: what, $2: status
    if [ "$2" = 78 ] && grep -qx 'net-echo: ok' "$tmp/out" &&
       grep -q 'virtio-net-pci net1 on vhost-user mynet3' "$tmp/err"; then
        ok "vhost-user $1: 8 frames through testpmd and back, MACs swapped"
    else
        bad "vhost-user $1: status $2, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")', testpmd: $(tail -n 3 "$tmp/pmd.log" | tr '\n' ' ')"
    fi
}
pmd=$(command -v dpdk-testpmd)
if [ -z "$pmd" ] || ! command -v stdbuf >/dev/null; then
    skip "vhost-user client" "no dpdk-testpmd (Debian package dpdk-dev; scripts/deps.sh installs it)"
    skip "vhost-user server" "no dpdk-testpmd (Debian package dpdk-dev; scripts/deps.sh installs it)"
else
    pmd_start ""
    i=0
    until grep -q 'Press enter to exit' "$tmp/pmd.log" || [ $i -ge 300 ]; do
        sleep 0.1; i=$((i + 1))
    done
    timeout 60 "$ex/vhost-user" -cmdline "console=ttyS0 mirror" \
        "$guests/net-echo.elf" "$tmp/vu.sock" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    pmd_stop
    vu_check "client (testpmd listens)" "$rc"
    rm -f "$tmp/vu.sock"
    # we listen first: vm_start() waits until testpmd has connected
    timeout 60 "$ex/vhost-user" -server -cmdline "console=ttyS0 mirror" \
        "$guests/net-echo.elf" "$tmp/vu.sock" >"$tmp/out" 2>"$tmp/err" &
    vupid=$!
    i=0
    until [ -S "$tmp/vu.sock" ] || [ $i -ge 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    pmd_start ",client=1"
    wait "$vupid"
    rc=$?
    pmd_stop
    vu_check "server (the seed's, testpmd connects)" "$rc"
fi
echo "1..$n"
exit "$failed"
