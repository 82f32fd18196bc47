#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/fuzz/make-seeds.py: writes the hand-made seed corpora in
# tests/fuzz/corpus/ (one small file per interesting layout). The files are
# committed; run this only to change them:  python3 tests/fuzz/make-seeds.py
# Each encoder mirrors the input format documented in its fuzz-NAME.c.
import os
import struct
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)


def put(target, name, data):
    d = os.path.join(top, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- vq (fuzz-vq.c) ----
def gpa(off, region=0):           # fuzz_gpa() mode 1: inside, any alignment
    return u8(1 | region << 2) + u16(off)


def desc(q, i, addr, ln, flags, nxt):
    return u8(q << 4 | 2) + u16(i) + gpa(addr) + u8(2) + u32(ln) + \
        u8(flags) + u16(nxt)


def ind_desc(table, n_log2, i, addr, ln, flags, nxt):
    return u8(4) + gpa(table) + u8(n_log2) + u16(i) + gpa(addr) + u8(2) + \
        u32(ln) + u8(flags) + u16(nxt)


def publish(q, head): return u8(q << 4 | 5) + u16(head)
def kick(q): return u8(q << 4 | 8)


NEXT, WRITE, INDIRECT = 1, 2, 4
probe_tidy = u8(3) + u8(8) + u8(8) + u8(6)  # EVENT_IDX+INDIRECT; 256/256/64

put("vq", "tx-two-buffers", probe_tidy + desc(1, 0, 0x8000, 64, NEXT, 1) +
    desc(1, 1, 0x8100, 32, 0, 0) + publish(1, 0) + kick(1))
put("vq", "rx-frame", probe_tidy + desc(0, 0, 0x9000, 1600, WRITE, 0) +
    publish(0, 0) + u8(0 << 4 | 10) + u16(1499))
put("vq", "rx-mergeable", u8(7) + u64(1 << 32 | 1 << 29 | 1 << 28 | 1 << 15) +
    u8(8) + u8(8) + u8(6) +
    desc(0, 0, 0x9000, 512, WRITE, 0) + desc(0, 1, 0x9400, 512, WRITE, 0) +
    publish(0, 0) + publish(0, 1) + u8(10) + u16(899))
put("vq", "ctrl-command", probe_tidy + desc(2, 0, 0xa000, 2, NEXT, 1) +
    desc(2, 1, 0xa010, 1, WRITE, 0) + publish(2, 0) + kick(2))
put("vq", "tx-indirect", probe_tidy +
    desc(1, 0, 0xb000, 32, INDIRECT, 0) +
    ind_desc(0xb000, 1, 0, 0x8000, 100, NEXT, 1) +
    ind_desc(0xb000, 1, 1, 0x8200, 100, 0, 0) + publish(1, 0) + kick(1))
put("vq", "raw-rings-high-ram", u8(1) + u8(0x24) + gpa(0x0, 1) + gpa(0x1000, 1) +
    gpa(0x2000, 1) + u8(8) + u8(6) + desc(0, 0, 0x3000, 64, WRITE, 0) +
    publish(0, 0) + u8(10) + u16(10))
put("vq", "event-idx-suppress", probe_tidy + desc(1, 0, 0x8000, 16, 0, 0) +
    u8(1 << 4 | 7) + u8(0) + u16(5) + publish(1, 0) + kick(1) +
    u8(1 << 4 | 11) + u8(0) + u8(1 << 4 | 15) + u8(1 << 4 | 13) + probe_tidy[:])

if __name__ == "__main__" and len(sys.argv) > 1:
    print("usage: make-seeds.py", file=sys.stderr)
