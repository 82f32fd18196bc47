/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/guests/net-echo.c: the smallest virtio-net driver that exchanges
 * frames, for tests whose host side is a host netdev (the Python bindings'
 * host-registered types): one vCPU, no interrupts (used rings polled).
 *
 * Finds the first virtio-net-pci function (1af4:1041) on bus 0 through
 * ports 0xcf8/0xcfc, takes the BAR addresses the library assigned, walks
 * the vendor capabilities (§4.1.4) for the common, notify and device
 * areas, negotiates VIRTIO_F_VERSION_1 alone, sets up queue 0 (RX) and 1
 * (TX) with ROUNDS descriptors each, then ROUNDS times: sends a 60-byte
 * frame (ethertype 0x88b5, payload "ping" and the round number) and waits
 * for a frame back whose payload is "pong" and the same number; with
 * "mirror" on the kernel command line, for the frame itself with its MAC
 * addresses swapped (what DPDK testpmd's macswap forwarding returns).
 * Exit (debug-exit port): 0x4e when every round matched, else 0xe0 + the
 * step that failed (see enum fail), with a line on COM1 saying which.
 */
#include "guest.h"

#define ROUNDS 8u
#define HDR 12u       /* struct virtio_net_hdr_v1 */
#define BUF 2048u
#define SPIN (400u * 1000u * 1000u) /* pause loops before giving up */

enum fail { F_NODEV = 1, F_NOCAPS, F_FEATURES, F_QUEUE, F_TIMEOUT, F_DATA };

struct vq {
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; }
		desc[ROUNDS] __attribute__((aligned(16)));
	struct { uint16_t flags, idx, ring[ROUNDS], event; }
		avail __attribute__((aligned(2)));
	struct { uint16_t flags, idx;
		 struct { uint32_t id, len; } ring[ROUNDS]; uint16_t event; }
		used __attribute__((aligned(4)));
	uint16_t last_used;
	volatile uint16_t *notify;
};

static struct vq rxq, txq;
static uint8_t rxbuf[ROUNDS][BUF] __attribute__((aligned(16)));
static uint8_t txbuf[ROUNDS][HDR + 60] __attribute__((aligned(16)));

static void __attribute__((noreturn)) fail(enum fail why, const char *what)
{
	uart_puts("net-echo: ");
	uart_puts(what);
	uart_putc('\n');
	debug_exit((uint16_t)(0xe0 + why));
}

static uint32_t cfg_read(unsigned dev, unsigned off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_write16(unsigned dev, unsigned off, uint16_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	outw((uint16_t)(0xcfc + (off & 2)), v);
}

static uint64_t bar_addr(unsigned dev, unsigned bar)
{
	uint32_t lo = cfg_read(dev, 0x10 + 4 * bar);
	uint64_t a = lo & ~0xfull;

	if ((lo & 6) == 4) /* 64-bit memory BAR */
		a |= (uint64_t)cfg_read(dev, 0x14 + 4 * bar) << 32;
	return a;
}

#define REG(base, off, type) (*(volatile type *)((base) + (off)))

/* Two 32-bit writes, as Linux does (vp_iowrite64_twopart). */
static void put64(volatile uint8_t *at, uint64_t v)
{
	REG(at, 0, uint32_t) = (uint32_t)v;
	REG(at, 4, uint32_t) = (uint32_t)(v >> 32);
}

static void setup_queue(volatile uint8_t *common, volatile uint8_t *notify,
			uint32_t mult, uint16_t index, struct vq *q)
{
	REG(common, 0x16, uint16_t) = index;            /* queue_select */
	if (REG(common, 0x18, uint16_t) < ROUNDS)       /* queue_size */
		fail(F_QUEUE, "queue too small");
	REG(common, 0x18, uint16_t) = ROUNDS;
	put64(common + 0x20, (uintptr_t)q->desc);       /* queue_desc */
	put64(common + 0x28, (uintptr_t)&q->avail);     /* queue_driver */
	put64(common + 0x30, (uintptr_t)&q->used);      /* queue_device */
	q->notify = (volatile uint16_t *)(notify +
		REG(common, 0x1e, uint16_t) * mult);    /* queue_notify_off */
	REG(common, 0x1c, uint16_t) = 1;                /* queue_enable */
}

static void post(struct vq *q, uint16_t id, void *buf, uint32_t len,
		 uint16_t flags)
{
	q->desc[id].addr = (uint64_t)(uintptr_t)buf;
	q->desc[id].len = len;
	q->desc[id].flags = flags;
	q->avail.ring[q->avail.idx % ROUNDS] = id;
	__asm__ volatile("" ::: "memory");
	q->avail.idx++;
	__asm__ volatile("mfence" ::: "memory");
	*q->notify = (uint16_t)(q == &rxq ? 0 : 1);
}

static uint32_t wait_used(struct vq *q)
{
	uint32_t n, len;

	for (n = 0; *(volatile uint16_t *)&q->used.idx == q->last_used; n++) {
		if (n == SPIN)
			fail(F_TIMEOUT, q == &rxq ? "no frame back"
						  : "frame never sent");
		__asm__ volatile("pause");
	}
	len = q->used.ring[q->last_used % ROUNDS].len;
	q->last_used++;
	return len;
}

static int cmdline_has(const uint8_t *boot_params, const char *word)
{
	const char *c = (const char *)(uintptr_t)
		*(const uint32_t *)(boot_params + 0x228); /* cmd_line_ptr */
	unsigned i, k;

	for (i = 0; c && c[i] && i < 4096; i++) {
		for (k = 0; word[k] && c[i + k] == word[k]; k++)
			;
		if (!word[k])
			return 1;
	}
	return 0;
}

/* Is @r (a received frame) the answer to @f? */
static int answers(const uint8_t *f, const uint8_t *r, uint32_t len,
		   int mirror)
{
	unsigned k;

	if (len < HDR + 60)
		return 0;
	for (k = 0; k < 60; k++) {
		uint8_t want = f[k];

		if (mirror && k < 12)
			want = f[k < 6 ? k + 6 : k - 6];
		else if (!mirror && k == 15)
			want = 'o';                    /* "ping" -> "pong" */
		else if (!mirror && k < 12)
			continue;
		if (r[k] != want)
			return 0;
	}
	return 1;
}

static unsigned find_device(void)
{
	unsigned dev;

	for (dev = 0; dev < 32; dev++)
		if (cfg_read(dev, 0) == (0x1041u << 16 | 0x1af4u))
			return dev;
	fail(F_NODEV, "no virtio-net-pci on bus 0");
}

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	volatile uint8_t *common = 0, *notify = 0;
	uint32_t mult = 0, i, len;
	unsigned dev, cap, guard;
	int mirror;

	if (apic_id != 0)
		halt_forever();
	mirror = cmdline_has(boot_params, "mirror");
	dev = find_device();
	cfg_write16(dev, 0x04, 0x6); /* memory space + bus master */
	cap = cfg_read(dev, 0x34) & 0xfc;
	for (guard = 0; cap && guard < 48; guard++) {
		uint32_t hd = cfg_read(dev, cap);
		if ((hd & 0xff) == 0x09) { /* vendor-specific: virtio */
			unsigned type = hd >> 24;
			unsigned bar = cfg_read(dev, cap + 4) & 0xff;
			uint64_t at = bar_addr(dev, bar) + cfg_read(dev, cap + 8);
			if (type == 1)
				common = (volatile uint8_t *)(uintptr_t)at;
			if (type == 2) {
				notify = (volatile uint8_t *)(uintptr_t)at;
				mult = cfg_read(dev, cap + 16);
			}
		}
		cap = (hd >> 8) & 0xfc;
	}
	if (!common || !notify)
		fail(F_NOCAPS, "no common or notify capability");
	REG(common, 0x14, uint8_t) = 0;                 /* reset */
	while (REG(common, 0x14, uint8_t))
		;
	REG(common, 0x14, uint8_t) = 1 | 2;             /* ACK | DRIVER */
	REG(common, 0x08, uint32_t) = 0;                /* features 0..31 */
	REG(common, 0x0c, uint32_t) = 0;
	REG(common, 0x08, uint32_t) = 1;                /* features 32..63 */
	REG(common, 0x0c, uint32_t) = 1;                /* VERSION_1 */
	REG(common, 0x14, uint8_t) = 1 | 2 | 8;         /* FEATURES_OK */
	if (!(REG(common, 0x14, uint8_t) & 8))
		fail(F_FEATURES, "FEATURES_OK refused");
	setup_queue(common, notify, mult, 0, &rxq);
	setup_queue(common, notify, mult, 1, &txq);
	REG(common, 0x14, uint8_t) = 1 | 2 | 8 | 4;     /* DRIVER_OK */

	for (i = 0; i < ROUNDS; i++)
		post(&rxq, (uint16_t)i, rxbuf[i], BUF, 2 /* WRITE */);
	for (i = 0; i < ROUNDS; i++) {
		uint8_t *f = txbuf[i] + HDR, *r;
		unsigned k;

		for (k = 0; k < 6; k++) {
			f[k] = 0xff;
			f[6 + k] = (uint8_t)(k == 0 ? 0x52 : k);
		}
		f[12] = 0x88;
		f[13] = 0xb5;
		f[14] = 'p'; f[15] = 'i'; f[16] = 'n'; f[17] = 'g';
		f[18] = (uint8_t)i;
		post(&txq, (uint16_t)i, txbuf[i], HDR + 60, 0);
		(void)wait_used(&txq);
		len = wait_used(&rxq);
		r = rxbuf[rxq.used.ring[(rxq.last_used - 1) % ROUNDS].id % ROUNDS]
		    + HDR;
		if (!answers(f, r, len, mirror))
			fail(F_DATA, "wrong frame back");
	}
	uart_puts("net-echo: ok\n");
	debug_exit(0x4e);
}
