#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/test-net-passt.sh: examples/net-passt -spawn, run as a user
# would: it starts passt with --fd on a socketpair, gives the other end to
# a "stream" netdev and runs the tiny guest "hello" (which drives no NIC:
# this checks the plumbing, not traffic; test-linux's hostnet case moves
# frames through passt). All in a network namespace of its own, where a
# tap nobody reads with 10.0.2.15/24 and a default route via 10.0.2.2 is
# the interface passt copies. Checks: the guest ran (its line, exit code
# 0x42), passt was started and left by itself once the VM was gone.
# Skips (77) saying why without /dev/kvm able to run tiny guests, passt,
# unshare, or ip.
: "${top_builddir:=.}"
ex=$top_builddir/examples/net-passt
guest=$top_builddir/tests/guests/hello.elf
skip() { echo "1..0 # SKIP $*"; exit 77; }
for t in passt unshare ip; do
    command -v "$t" >/dev/null 2>&1 || skip "no $t here (scripts/deps.sh installs passt)"
done
[ -x "$ex" ] && [ -f "$guest" ] || skip "no $ex or $guest (make builds them)"
[ -w /dev/kvm ] || skip "no writable /dev/kvm"
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
unshare -n sh -c '
    ip link set lo up &&
    ip tuntap add kvpst0 mode tap &&
    ip addr add 10.0.2.15/24 dev kvpst0 && ip link set kvpst0 up &&
    ip route add default via 10.0.2.2 || exit 99
    exec "$0" -spawn -kernel "$1" -m 64 -timeout 60' "$ex" "$guest" >"$out" 2>"$err"
rc=$?
[ $rc -eq 99 ] && skip "cannot set up a network namespace with a tap here"
sed 's/^/# /' "$out" "$err"
n=0 fail=0
check() {
    n=$((n + 1))
    if eval "$2"; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
check "guest exit code 0x42 is the example's status" '[ $rc -eq 66 ]'
check "guest console on stdout" 'grep -q "hello from the guest" "$out"'
check "passt started" 'grep -q "net-passt: started passt (pid" "$err"'
check "passt left by itself after the VM" 'grep -q "net-passt: passt (pid [0-9]*) exited" "$err"'
echo "1..$n"
exit $fail
