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


# ---- pci (fuzz-pci.c) ----
def pci_size_bar(dev, idx): return u8(6) + u8(dev) + u8(idx)
def pci_move_bar(dev, idx, off): return u8(7) + u8(dev) + u8(idx) + u8(0) + u32(off)
def pci_cmd(dev, bits): return u8(8) + u8(dev) + u8(0) + u8(bits) + u8(0)
def pci_msix_ctrl(dev, v): return u8(12) + u8(dev) + u16(v)
def pci_msix_entry(dev, vec, masked):
    return u8(13) + u8(dev) + u16(vec) + u8(0) + u16(0x4041) + u8(masked)
def pci_notify(dev, vec): return u8(11) + u8(dev) + u16(vec)
def pci_cfg_read(slot, reg, size_sel):   # latch, then read 0xcfc
    return u8(0) + u8(0) + u8(slot) + u8(reg) + u8(1) + u8(0xcfc - 0xcf8) + u8(size_sel)
def pci_bar_read(dev, idx, how, off): return u8(9) + u8(dev) + u8(idx) + u8(how) + u16(off) + u8(2)


probe = b"".join(pci_cfg_read(slot, 0, 2) for slot in range(4))
bars = b"".join(pci_size_bar(0, i) for i in range(6)) + \
    pci_move_bar(0, 0, 0x100) + pci_move_bar(0, 1, 0x10000) + \
    pci_move_bar(0, 2, 0x100000) + pci_size_bar(1, 0) + \
    pci_move_bar(1, 0, 0x200000) + pci_cmd(0, 7) + pci_cmd(1, 6)
put("pci", "linux-probe-msix", u8(0) + probe + bars + pci_msix_ctrl(0, 0x8000) +
    pci_msix_entry(0, 0, 0) + pci_notify(0, 0) + pci_bar_read(0, 2, 0, 0))
put("pci", "ecam-probe", u8(1) + b"".join(u8(3) + u8(0) + u8(s) + u8(0) + u16(0) + u8(2)
                                          for s in range(4)) + bars)
put("pci", "msix-pending-then-unmask", u8(0) + bars + pci_msix_ctrl(1, 0xc000) +
    pci_msix_entry(1, 2047, 0) + pci_notify(1, 2047) + pci_bar_read(1, 0, 4, 0xf8) +
    pci_msix_ctrl(1, 0x8000))
put("pci", "bar-onto-another", u8(0) + bars + u8(7) + u8(0) + u8(1) + u8(1 | 1 << 7) + u8(0) +
    pci_cmd(0, 7))

# ---- portio (fuzz-portio.c) ----
UART, RTC, KBD_DATA, KBD_CMD, DBG, POST, PM, RCR = range(8)
def port(base, off=0): return u8(base | (off + 1) << 3)
def outb(base, off, v): return u8(2) + port(base, off) + u64(v)
def outw(base, off, v): return u8(2 | 3 << 3) + port(base, off) + u64(v)
def inb(base, off): return u8(0) + port(base, off)
def cmos_read(idx): return u8(7) + u8(idx)


put("portio", "linux-8250-probe", outb(UART, 3, 0x80) + outb(UART, 0, 1) + outb(UART, 1, 0) +
    outb(UART, 3, 3) + outb(UART, 4, 0x10) + inb(UART, 6) + outb(UART, 4, 0x0b) +
    outb(UART, 1, 0x0f) + inb(UART, 2) + outb(UART, 0, ord("h")) + inb(UART, 5) +
    u8(5) + u8(3) + b"abc" + inb(UART, 2) + inb(UART, 0))
# The RTC case: century 0x08, then the year in BCD.
put("portio", "rtc-century-below-19", outb(RTC, 0, 0x32) + outb(RTC, 1, 0x08) +
    cmos_read(0x09) + cmos_read(0x32))
put("portio", "rtc-set-time-binary", outb(RTC, 0, 0x0b) + outb(RTC, 1, 0x86) +
    outb(RTC, 0, 0x09) + outb(RTC, 1, 0xff) + outb(RTC, 0, 0x0b) + outb(RTC, 1, 0x06) +
    cmos_read(0x09) + u8(6) + u32(86400 * 400) + cmos_read(0x32))
put("portio", "i8042-reset-and-ctr", outb(KBD_CMD, 0, 0x20) + inb(KBD_DATA, 0) +
    outb(KBD_CMD, 0, 0x60) + outb(KBD_DATA, 0, 0x47) + outb(KBD_CMD, 0, 0xaa) +
    inb(KBD_DATA, 0) + outb(KBD_CMD, 0, 0xfe))
put("portio", "acpi-poweroff-and-reset",
    outw(PM, 4, 0x2000 | 5 << 10) + outw(PM, 0, 0xffff) + outb(RCR, 0, 6) + outb(DBG, 0, 0x31) +
    outb(POST, 0, 0x55))

# ---- loader (fuzz-loader.c) ----
def loader(layout, rd, cmd, pad, image):
    return u8(layout) + u32(rd) + u16(cmd) + u16(pad) + image


def elf(segs, entry, notes=b""):
    """segs: (type, paddr, filesz, memsz); data after the headers."""
    n = len(segs)
    off = 64 + 56 * n
    phdrs, data = b"", b""
    for (t, paddr, filesz, memsz) in segs:
        body = notes if t == 4 else bytes([0xcc]) * filesz
        phdrs += struct.pack("<IIQQQQQQ", t, 7, off + len(data), paddr, paddr,
                             len(body), memsz if t != 4 else len(body), 0x1000)
        data += body
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + \
        struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56, n, 64, 0, 0)
    return eh + phdrs + data


def bzimage(pref, init_size, pm_size=0x400, version=0x20f, xlf=1, initrd_max=0x7fffffff, reloc=1):
    img = bytearray(5 * 512 + pm_size)
    def put16(o, v): img[o:o + 2] = u16(v)
    def put32(o, v): img[o:o + 4] = u32(v)
    img[0x1f1] = 4
    put32(0x1f4, pm_size // 16)
    put16(0x1fe, 0xaa55)
    img[0x200], img[0x201] = 0xeb, 0x6a
    put32(0x202, 0x53726448)
    put16(0x206, version)
    img[0x211] = 1
    put32(0x214, 0x100000)
    put32(0x22c, initrd_max)
    put32(0x230, 0x200000)
    img[0x234] = reloc
    put16(0x236, xlf)
    put32(0x238, 2047)
    img[0x258:0x260] = u64(pref)
    put32(0x260, init_size)
    return bytes(img)


LOW1M, LOW1M25, LOW2M, LOW17M, HIGH, GB, RD, CMD = 0, 1, 2, 3, 4, 8, 0x10, 0x20
two = [(1, 0x100000, 0x300, 0x300), (1, 0x200000, 0x10, 0x2000)]
put("loader", "elf-two-segments", loader(LOW17M | RD | CMD, 10000, 19, 0, elf(two, 0x100000)))
put("loader", "elf-linked-low-big-initrd", loader(LOW17M | RD, 16 * 1024 * 1024 + 0x40000, 0, 0,
                                                  elf([(1, 0x40000, 0x100, 0x1000)], 0x40000)))
put("loader", "elf-linked-low-initrd-fits", loader(LOW17M | RD, 16 * 1024 * 1024 - 0x1000, 0, 0,
                                                   elf([(1, 0x40000, 0x100, 0x1000)], 0x40000)))
put("loader", "elf-linked-low-1mib-ram", loader(LOW1M | RD, 0x20000, 0, 0,
                                                elf([(1, 0x40000, 0x100, 0x1000)], 0x40000)))
put("loader", "elf-high-ram-gbpages", loader(LOW2M | HIGH | GB, 0, 0, 0,
                                             elf([(1, 4 << 30 | 0x1000, 0x40, 0x1000)], 4 << 30 | 0x1000)))
note = struct.pack("<III", 6, 4, 1) + b"Linux\0\0\0" + b"\0" * 4
put("loader", "elf-linux-note-padded", loader(LOW17M | CMD, 0, 2000, 64,
                                              elf([(4, 0, 0, 0), (1, 0x1000000, 0x40, 0x10000)], 0x1000000, note)))
put("loader", "bzimage-pref-1mib", loader(LOW2M | RD | CMD, 0x8000, 100, 0, bzimage(0x100000, 0x80000, reloc=0)))
put("loader", "bzimage-default-16mib", loader(LOW17M | RD, 0x1000, 0, 0, bzimage(0x1000000, 0x10000)))
put("loader", "bzimage-low-initrd-max", loader(LOW17M | RD | CMD, 0x40000, 2000, 0,
                                               bzimage(0x100000, 0x100000, initrd_max=0x37ffff)))

# ---- props (fuzz-props.c) ----
put("props", "null-and-nic-realized",
    b"nnull|n0|\ndvirtio-net-pci||netdev=n0,id=net0,mac=52:54:00:12:34:56,disable-legacy=on\nr\n")
put("props", "tap-and-vhost-user",
    b"ntap|t0|ifname=tap0,vnet_hdr=on,queues=4\nnvhost-user|v0|chardev=/run/vhostsock0,server=off,queues=2\n"
    b"dvirtio-net-pci||netdev=v0,mq=on,vectors=6,id=net1\n")
put("props", "escaped-commas-and-flags", b"pfoo|x|a=1,,2,b,c=,d=e=f,,\n")
put("props", "duplicate-and-bad", b"nnull|n0|\nnnull|n0|\ndvirtio-net-pci||netdev=n0,id=a\n"
    b"dvirtio-net-pci||netdev=n0,id=b,mac=zz\ndvirtio-net-pci||netdev=nx,addr=0x1f\nr\n")
put("props", "queues-and-sizes", b"nnull|n0|\n"
    b"dvirtio-net-pci||netdev=n0,vectors=3,rx_queue_size=1024,tx_queue_size=256,addr=3\nr\n")

# ---- virtio-net (fuzz-virtio-net.c) ----
def vn_probe(wanted=None, sizes=(6, 6, 6)):
    return u64(wanted or 0) + u8(1 if wanted else 0) + bytes(sizes)
def vn_tx(flen): return u8(12) + u16(flen - 14) + u8(0) + u8(0)
def vn_ctrl(cmd): return u8(13) + u8(len(cmd) - 2) + cmd + u8(0) + u8(0)
def vn_rx_post(lens): return u8(14) + u8(len(lens) - 1) + b"".join(u16(l - 1) + u8(0) for l in lens)
def vn_frame(n): return u8(9) + u16(n - 1) + bytes(range(32))
vn_read = u8(10)


put("virtio-net", "linux-tx-ctrl-rx", vn_probe() + vn_tx(60) + vn_ctrl(b"\x00\x00\x01") +
    vn_rx_post([1526]) + vn_frame(100) + vn_read)
put("virtio-net", "rx-mergeable", vn_probe() + vn_rx_post([1526, 1526, 1526]) + vn_frame(3000))
# rx ring 0 (64 entries) sits at 0x1000: desc, avail from 0x1400, used
# from 0x1488; a writable buffer over avail and used.
put("virtio-net", "rx-buffer-over-own-rings", vn_probe() +
    u8(0 << 4 | 6) + u16(2048) + u8(1) + u8(1) + u16(0x1400) + u8(2) + u16(0) + u16(0) +
    u8(0 << 4 | 7) + u16(0) + u8(0 << 4 | 8) + vn_frame(1500) + vn_frame(60))
put("virtio-net", "version-1-only-tx", vn_probe(wanted=1 << 32) + vn_tx(1514) + vn_tx(14) + vn_read)
put("virtio-net", "reset-and-reprobe", vn_probe(sizes=(8, 1, 0)) + vn_tx(100) + u8(15) +
    u8(0) + vn_probe()[0:] + vn_tx(100) + vn_read)

# ---- vhost-user (fuzz-vhost-user.c): the backend's byte stream ----
def vu(req, payload, flags=5):     # version 1 | REPLY
    return u32(req) + u32(flags) + u32(len(payload)) + payload

put("vhost-user", "features-reply", vu(1, u64(1 << 32 | 1 << 30 | 1 << 15)))
put("vhost-user", "handshake", vu(1, u64(1 << 32)) + vu(15, u64(0x19)) +
    vu(17, u64(2)) + vu(3, u64(0)))
put("vhost-user", "vring-base-and-short", vu(11, u32(1) + u32(7)) +
    u32(1) + u32(5) + u32(8) + b"\x01\x02")
put("vhost-user", "oversized", u32(1) + u32(5) + u32(4096))

if __name__ == "__main__" and len(sys.argv) > 1:
    print("usage: make-seeds.py", file=sys.stderr)
