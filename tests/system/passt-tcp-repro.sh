#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/system/passt-tcp-repro.sh: passt's TCP, with no VM and none of
# libkvm-virtio in the path: does a TCP download through passt arrive
# whole? Run as root; everything happens in three network namespaces this
# script creates (and deletes), no packet leaves them:
#
#   G "guest": the kernel's own TCP stack stands in for the guest, on a
#     tap g0 (10.0.2.15/24, default route via 10.0.2.2); a small Python
#     bridge copies the tap's frames to passt's UNIX socket and back, in
#     QEMU's stream framing (4-byte big-endian length, then the frame):
#     what the "stream" netdev does for a VM;
#   P passt's namespace: its template interface p0 (10.0.2.15/24, default
#     route via 10.0.2.2); passt -f -q -4 --no-map-gw -1 -s SOCK runs here and
#     opens the host side of the guest's connections from here;
#   S the server, 10.0.2.2/24 on s0 (a veth peer of p0): sends BYTES of
#     deterministic data to its first client, then closes.
#
# The client in G fetches from 10.0.2.2:8080 and compares byte count and
# sha256 with what the server sent. Prints one line per run and a verdict.
#   usage: passt-tcp-repro.sh [-d] [-h] [-m MTU] [BYTES]
#   -d: passt --debug instead of --quiet; -h: the client half-closes the
#   connection (shutdown(SHUT_WR), a FIN) right after connecting, as
#   busybox nc does when its stdin ends; -m: g0's MTU (default 1500; a
#   guest that takes passt's DHCP offer gets 65520); BYTES default 4 MiB.
# Exit status: 0 the download arrived whole; 1 it did not (short, long,
# corrupt, stalled for 30 s, or passt died: its status is printed);
# 77 cannot run here (not root, no passt, ip or python3).
# With Debian 12's passt (0.0~git20230309.7c7625d, "passt unknown
# version"): -q downloads 4 and 32 MiB whole (MTU 1500 and 65520); -h
# breaks them (of 1 MiB, 150-300 KB of wrong data, then a stall): after the
# guest's FIN passt ignores what its ACKs acknowledge and advertise (see
# tests/system/hostnet.h); -d dies of SIGSEGV at the first connection.
set -u
debug='' mtu=1500 half=0
while [ $# -gt 0 ]; do
    case $1 in
        -d) debug=-d; shift ;;
        -h) half=1; shift ;;
        -m) mtu=$2; shift 2 ;;
        *) break ;;
    esac
done
bytes=${1:-4194304}
skip() { echo "passt-tcp-repro: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in passt ip python3; do
    command -v "$t" >/dev/null 2>&1 || skip "no $t here"
done
ns=kvpr$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/passt-repro.XXXXXX")
pids=''
cleanup() {
    [ -n "${passt_pid:-}" ] && pids="$pids $passt_pid"
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    for n in g p s; do ip netns del "$ns$n" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

for n in g p s; do ip netns add "$ns$n" || skip "cannot create a network namespace"; done
inns() { n=$1; shift; ip netns exec "$ns$n" "$@"; }
# In the background: exec, so that $! is the program itself (cleanup kills
# it by that pid).
inns_bg() { n=$1; shift; exec ip netns exec "$ns$n" "$@"; }
inns g ip link set lo up && inns p ip link set lo up && inns s ip link set lo up &&
inns p ip link add p0 type veth peer name s0 &&
inns p ip link set s0 netns "${ns}s" &&
inns p ip addr add 10.0.2.15/24 dev p0 && inns p ip link set p0 up &&
inns p ip route add default via 10.0.2.2 &&
inns s ip addr add 10.0.2.2/24 dev s0 && inns s ip link set s0 up &&
inns g ip tuntap add g0 mode tap &&
inns g ip addr add 10.0.2.15/24 dev g0 && inns g ip link set g0 mtu "$mtu" up &&
inns g ip route add default via 10.0.2.2 || skip "cannot set up the namespaces"

cat >"$tmp/server.py" <<'EOF'
import hashlib, socket, sys
n = int(sys.argv[1])
data = bytes((i * 7 + (i >> 8)) & 0xff for i in range(65536))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.2.2", 8080))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
h, left = hashlib.sha256(), n
while left:
    chunk = data[:min(left, len(data))]
    c.sendall(chunk)
    h.update(chunk)
    left -= len(chunk)
c.close()
print("server sent %d bytes sha256 %s" % (n, h.hexdigest()), flush=True)
EOF
cat >"$tmp/bridge.py" <<'EOF'
import fcntl, os, select, socket, struct, sys, time
TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000
tap = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", b"g0", IFF_TAP | IFF_NO_PI))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for _ in range(100):  # passt creates its socket once it runs
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
print("bridged", flush=True)
buf = b""
while True:
    r, _, _ = select.select([tap, s], [], [])
    if tap in r:
        f = os.read(tap, 65536)
        s.sendall(struct.pack(">I", len(f)) + f)
    if s in r:
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            os.write(tap, buf[4:4 + n])
            buf = buf[4 + n:]
EOF
cat >"$tmp/client.py" <<'EOF'
import hashlib, socket, sys, time
h, n, t0 = hashlib.sha256(), 0, time.monotonic()
try:
    c = socket.create_connection(("10.0.2.2", 8080), timeout=30)
    if sys.argv[1] == "1":
        c.shutdown(socket.SHUT_WR)
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    how = "EOF"
except OSError as e:
    how = "error: %s" % e
print("client got %d bytes sha256 %s (%s after %.1f s)"
      % (n, h.hexdigest(), how, time.monotonic() - t0), flush=True)
EOF

(inns_bg s python3 "$tmp/server.py" "$bytes") >"$tmp/server.out" 2>&1 &
pids="$pids $!"
i=0
until grep -q ready "$tmp/server.out" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
verbosity=${debug:--q}
echo "passt-tcp-repro: $(passt --version 2>&1 | grep -v syslog | head -n 1), passt $verbosity -f -e -4 --no-map-gw -1$([ "$half" = 1 ] && echo ', the client half-closes')"
# passt binds its socket as "nobody": a directory that user may reach
# and write
chmod 755 "$tmp"
mkdir -m 1777 "$tmp/sock"
(inns_bg p passt $verbosity -f -e -4 --no-map-gw -1 -s "$tmp/sock/passt.sock") \
    >"$tmp/passt.out" 2>&1 &
passt_pid=$!
(inns_bg g python3 "$tmp/bridge.py" "$tmp/sock/passt.sock") >"$tmp/bridge.out" 2>&1 &
pids="$pids $!"
i=0
until grep -q bridged "$tmp/bridge.out" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
inns g python3 "$tmp/client.py" "$half" >"$tmp/client.out" 2>&1
sleep 0.5
if kill -0 "$passt_pid" 2>/dev/null; then
    kill "$passt_pid"
    wait "$passt_pid" 2>/dev/null
    passt_st="running until the end"
else
    wait "$passt_pid"
    st=$?
    passt_st="exited by itself with status $st"
    [ "$st" -gt 128 ] && passt_st="$passt_st (signal $((st - 128)))"
fi
sent=$(sed -n 's/^server sent \([0-9]*\) bytes sha256 \([0-9a-f]*\).*/\1 \2/p' "$tmp/server.out")
got=$(sed -n 's/^client got \([0-9]*\) bytes sha256 \([0-9a-f]*\).*/\1 \2/p' "$tmp/client.out")
echo "passt-tcp-repro: $(cat "$tmp/server.out" | grep 'server sent' || echo 'server sent nothing (no client reached it)')"
echo "passt-tcp-repro: $(cat "$tmp/client.out")"
echo "passt-tcp-repro: passt $passt_st"
grep -v syslog "$tmp/passt.out" | tail -n 5 | sed 's/^/passt-tcp-repro: passt: /'
if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
    echo "passt-tcp-repro: OK: the download arrived whole through passt"
    exit 0
fi
echo "passt-tcp-repro: BROKEN: what the client got through passt is not what the server sent (no VM involved)"
exit 1
