/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-vq.c: the split virtqueue (lib/virtio/split-queue.c)
 * and the virtio core around it (lib/virtio/core.c), as a hostile driver
 * sees them.
 *
 * One input is one driver: a header negotiates features and programs the
 * three queues of a net-like device (rx, tx, ctrl) with ring addresses of
 * its choosing (the harness's tidy layout, or any address at all), then a
 * stream of operations writes guest RAM (raw bytes, descriptors, indirect
 * tables, avail entries and index, suppression fields), kicks queues,
 * delivers frames to rx, resets the device and re-programs it. The device
 * side serves each queue the way lib/devices/virtio-net.c does: tx pops
 * readable chains and pushes length 0; rx pops writable chains for a frame,
 * unpops them when the frame does not fit (with and without MRG_RXBUF) and
 * pushes them all; ctrl reads a command and writes one ack byte; event-idx
 * and NO_NOTIFY suppression are exercised after every push.
 *
 * Guest RAM is two fenced regions (tests/fuzz/fuzz.h): 64 KiB at 0 and
 * 16 KiB at 4 GiB, so a descriptor may straddle a region's end or the gap
 * between them. Every byte the device is handed (each iovec) is touched at
 * both ends, so an iovec that strays outside RAM faults.
 *
 * Invariants checked: a pop with iov_cap >= queue size never returns
 * -ENOBUFS; popped chains have out buffers before in buffers, at most
 * size buffers, lengths that add up; used->idx counts the pushes; a
 * broken queue stays broken and marks NEEDS_RESET until reset.
 *
 * Threads: one. Locking: the device lock is not taken (nothing else runs).
 */
#include <endian.h>
#include <errno.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "virtio/virtio.h"
#include "fuzz.h"

#define NQ 3                  /* rx, tx, ctrl */
#define QMAX 256u
#define MAX_OPS 512
#define RAM0 0x10000ull
#define RAM1_GPA 0x100000000ull
#define RAM1 0x4000ull

static const uint16_t qmax[NQ] = { QMAX, QMAX, 64 };

static struct fuzz_ram ram;
static struct vio_dev dev;
static struct iovec iov[QMAX];
static uint16_t avail_shadow[NQ];   /* the driver's avail->idx */
static uint16_t pushes[NQ];         /* used elements since enable */
static unsigned config_irqs, queue_irqs;

static void touch(const struct iovec *v, unsigned n, int write)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		volatile uint8_t *b = v[i].iov_base;

		if (!v[i].iov_len)
			continue;
		if (write) {
			b[0] = 0xa5;
			b[v[i].iov_len - 1] = 0x5a;
		} else {
			(void)b[0];
			(void)b[v[i].iov_len - 1];
		}
	}
}

/* Pop with the invariants every caller relies on. */
static int pop(unsigned q, struct vq_elem *e)
{
	struct vq *vq = &dev.vqs[q];
	int rc;
	unsigned i;
	uint64_t out = 0, in = 0;

	e->iov = iov;
	e->iov_cap = vq->max_size;
	rc = vq_pop(vq, &ram.gm, e);
	FUZZ_CHECK(rc != -ENOBUFS);   /* iov_cap >= size never runs short */
	if (rc == -EIO)
		FUZZ_CHECK(vq->broken && (vio_dev_get_status(&dev) &
					  VIRTIO_CONFIG_S_NEEDS_RESET));
	if (rc != 1)
		return rc;
	FUZZ_CHECK(e->head < vq->size);
	FUZZ_CHECK(e->out_num + e->in_num >= 1);
	FUZZ_CHECK(e->out_num + e->in_num <= vq->size);
	for (i = 0; i < e->out_num + e->in_num; i++) {
		FUZZ_CHECK(fuzz_ram_has(&ram, iov[i].iov_base, iov[i].iov_len));
		if (i < e->out_num)
			out += iov[i].iov_len;
		else
			in += iov[i].iov_len;
	}
	FUZZ_CHECK(out == e->out_len && in == e->in_len);
	FUZZ_CHECK(out + in <= (1ull << 32));
	touch(iov, e->out_num, 0);
	touch(iov + e->out_num, e->in_num, 1);
	return 1;
}

static void push(unsigned q, uint16_t head, uint32_t len)
{
	struct vq *vq = &dev.vqs[q];
	int rc = vio_queue_push_notify(&dev, q, head, len);

	if (rc == 0) {
		pushes[q]++;
		FUZZ_CHECK(le16toh(vq->used->idx) == pushes[q]);
	} else {
		FUZZ_CHECK(vq->broken || !vq_is_ready(vq));
	}
}

/* tx: every chain is readable; pushed with length 0. */
static void serve_tx(unsigned q)
{
	struct vq *vq = &dev.vqs[q];
	struct vq_elem e;
	int rc, budget = QMAX;

	while (budget--) {
		rc = pop(q, &e);
		if (rc == 0 && vq_set_notification(vq, true))
			continue;
		if (rc <= 0)
			break;
		if (e.in_num) {
			vq->broken = true;  /* as virtio-net does */
			vio_dev_needs_reset(&dev, "tx chain has writable buffers");
			break;
		}
		push(q, e.head, 0);
	}
}

/* ctrl: a command in the readable part, one ack byte in the writable. */
static void serve_ctrl(unsigned q)
{
	struct vq_elem e;
	int budget = 64;

	while (budget-- && pop(q, &e) == 1) {
		uint8_t ack = VIRTIO_NET_OK;

		if (e.in_num == 0 || e.out_len < 2)
			ack = VIRTIO_NET_ERR;
		if (e.in_num && iov[e.out_num].iov_len)
			memcpy(iov[e.out_num].iov_base, &ack, 1);
		push(q, e.head, e.in_num ? 1 : 0);
	}
}

/* rx: place a frame of @len bytes; keep the buffers when it does not fit
 * (lib/devices/virtio-net.c vnet_rx_deliver()). */
static void deliver_frame(unsigned q, uint32_t len, int mrg)
{
	struct vq *vq = &dev.vqs[q];
	uint16_t heads[QMAX];
	uint32_t lens[QMAX], off = 0;
	unsigned used = 0, i;
	struct vq_elem e;
	int rc;

	while (off < len && used < QMAX) {
		uint16_t before = vq->last_avail_idx;

		rc = pop(q, &e);
		if (rc <= 0) {
			vq_unpop(vq, (uint16_t)used);
			FUZZ_CHECK(rc < 0 ||
				   vq->last_avail_idx == (uint16_t)(before - used));
			return;
		}
		if (e.out_num) {
			vq_unpop(vq, (uint16_t)(used + 1));
			return;
		}
		if (!mrg && e.in_len < len) {
			vq_unpop(vq, 1);
			FUZZ_CHECK(vq->last_avail_idx == before);
			return;
		}
		heads[used] = e.head;
		lens[used] = (uint32_t)(e.in_len < len - off ? e.in_len
							      : len - off);
		off += lens[used];
		used++;
	}
	for (i = 0; i < used; i++)
		push(q, heads[i], lens[i]);
}

static void dev_queue_notify(struct vio_dev *d, unsigned q)
{
	(void)d;
	if (q == 1)
		serve_tx(q);
	else if (q == 2)
		serve_ctrl(q);
	/* rx kicks only say buffers were added: frames come from OP_FRAME */
}

static void dev_reset(struct vio_dev *d)
{
	(void)d;
	memset(avail_shadow, 0, sizeof(avail_shadow));
	memset(pushes, 0, sizeof(pushes));
}

static const struct vio_dev_ops dev_ops = {
	.queue_notify = dev_queue_notify,
	.reset = dev_reset,
};

static void tr_notify_queue(struct vio_dev *d, unsigned q)
{
	(void)d;
	(void)q;
	queue_irqs++;
}

static void tr_notify_config(struct vio_dev *d)
{
	(void)d;
	config_irqs++;
}

static const struct vio_transport_ops tr_ops = {
	.notify_queue = tr_notify_queue,
	.notify_config = tr_notify_config,
};

/* The tidy layout a Linux driver would use: queue q's rings at
 * 0x1000 + q * 0x4000 (desc, then avail, then used 4-aligned). */
static void layout(unsigned q, uint16_t size)
{
	struct vq *vq = &dev.vqs[q];
	uint64_t base = 0x1000 + (uint64_t)q * 0x4000;

	vq->desc_gpa = base;
	vq->avail_gpa = base + 16ull * size;
	vq->used_gpa = (vq->avail_gpa + 6 + 2ull * size + 3) & ~3ull;
}

/* The probe: status dance, features, queues, DRIVER_OK (each step may be
 * skipped or wrong, as the input says). */
static void probe(struct fin *in)
{
	uint8_t how = fin_u8(in);
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1;
	unsigned q;

	vio_dev_set_status(&dev, 0);
	vio_dev_set_status(&dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vio_dev_set_status(&dev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
					 VIRTIO_CONFIG_S_DRIVER);
	if (how & 1)
		feat |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (how & 2)
		feat |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (how & 4)
		feat = fin_u64(in); /* anything, offered or not */
	vio_dev_set_guest_features(&dev, 0, (uint32_t)feat);
	vio_dev_set_guest_features(&dev, 1, (uint32_t)(feat >> 32));
	vio_dev_set_status(&dev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
					 VIRTIO_CONFIG_S_DRIVER |
					 VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < NQ; q++) {
		struct vq *vq = &dev.vqs[q];
		uint8_t qh = fin_u8(in);

		if (qh & 0x80)
			continue;               /* queue left disabled */
		vq->size = (uint16_t)(1u << (qh & 15)); /* up to 32768 */
		if (qh & 0x10)
			vq->size = fin_u16(in);  /* not a power of 2, 0 ... */
		layout(q, vq->size);
		if (qh & 0x20) {
			vq->desc_gpa = fuzz_gpa(in, &ram.gm);
			vq->avail_gpa = fuzz_gpa(in, &ram.gm);
			vq->used_gpa = fuzz_gpa(in, &ram.gm);
		}
		(void)vio_dev_enable_queue(&dev, q, &ram.gm);
	}
	if (!(how & 8))
		vio_dev_set_status(&dev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
						 VIRTIO_CONFIG_S_DRIVER |
						 VIRTIO_CONFIG_S_FEATURES_OK |
						 VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Driver-side writes go to guest RAM as a driver's would: only inside it. */
static void *drv_ptr(uint64_t gpa, uint64_t len)
{
	return gmem_ptr(&ram.gm, gpa, len);
}

/* A 16-bit driver store; the address may not be a ring's (unaligned). */
static void drv_store16(uint64_t gpa, uint16_t v)
{
	void *p = drv_ptr(gpa, 2);

	v = htole16(v);
	if (p)
		memcpy(p, &v, 2);
}

static void op_desc(struct fin *in, uint64_t table, unsigned n)
{
	struct vring_desc d;
	uint16_t i = (uint16_t)(fin_u16(in) % (n ? n : 1));
	void *p;

	d.addr = htole64(fuzz_gpa(in, &ram.gm));
	switch (fin_u8(in) & 3) {
	case 0: d.len = htole32(fin_u8(in)); break;
	case 1: d.len = htole32(fin_u16(in)); break;
	default: d.len = htole32(fin_u32(in)); break;
	}
	d.flags = htole16(fin_u8(in) & 7);
	d.next = htole16(fin_u16(in));
	p = drv_ptr(table + 16ull * i, 16);
	if (p)
		memcpy(p, &d, sizeof(d));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct fuzz_ram_region reg[] = {
		{ 0, RAM0 }, { RAM1_GPA, RAM1 },
	};

	(void)argc;
	(void)argv;
	if (fuzz_ram_init(&ram, reg, 2))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	int ops = 0;

	fuzz_ram_clear(&ram);
	memset(&dev, 0, sizeof(dev));
	dev.name = "fuzz-vq";
	dev.device_id = VIRTIO_ID_NET;
	dev.host_features = 1ull << VIRTIO_RING_F_EVENT_IDX |
			    1ull << VIRTIO_RING_F_INDIRECT_DESC |
			    1ull << VIRTIO_NET_F_MRG_RXBUF;
	dev.ops = &dev_ops;
	dev.tops = &tr_ops;
	if (vio_dev_init(&dev, NQ, qmax, NULL))
		abort();
	dev_reset(&dev);
	probe(&in);

	while (!fin_empty(&in) && ops++ < MAX_OPS) {
		uint8_t op = fin_u8(&in);
		unsigned q = (op >> 4) % NQ;
		struct vq *vq = &dev.vqs[q];
		uint8_t buf[256];
		size_t n;
		void *p;

		switch (op & 15) {
		case 0: /* raw bytes anywhere in RAM */
		case 1: {
			uint64_t gpa = fuzz_gpa(&in, &ram.gm);

			n = fin_bytes(&in, buf, fin_u8(&in));
			p = drv_ptr(gpa, n);
			if (p)
				memcpy(p, buf, n);
			break;
		}
		case 2: /* descriptor in the queue's table */
		case 3:
			op_desc(&in, vq->desc_gpa, vq->size);
			break;
		case 4: /* descriptor in an indirect table anywhere */
			op_desc(&in, fuzz_gpa(&in, &ram.gm), 1u << (fin_u8(&in) & 7));
			break;
		case 5: { /* publish a head */
			uint16_t head = fin_u16(&in);

			if (!vq->size || !vq_is_ready(vq))
				break;
			drv_store16(vq->avail_gpa + 4 +
					    2ull * (avail_shadow[q] & (vq->size - 1)),
				    (uint16_t)(head % (vq->size * 2u)));
			avail_shadow[q]++;
			p = drv_ptr(vq->avail_gpa + 2, 2);
			if (p)
				__atomic_store_n((uint16_t *)p,
						 htole16(avail_shadow[q]),
						 __ATOMIC_RELEASE);
			break;
		}
		case 6: /* avail->idx set to anything */
			avail_shadow[q] = fin_u16(&in);
			drv_store16(vq->avail_gpa + 2, avail_shadow[q]);
			break;
		case 7: /* avail->flags or used_event */
			drv_store16((fin_u8(&in) & 1) ? vq->avail_gpa :
					vq->avail_gpa + 4 + 2ull * vq->size,
				    fin_u16(&in));
			break;
		case 8: /* kick */
		case 9:
			vio_dev_kick(&dev, q);
			break;
		case 10: /* a frame arrives for rx */
			if (vq_is_ready(&dev.vqs[0]) && !dev.vqs[0].broken)
				deliver_frame(0, 1 + fin_u16(&in) % 9000,
					      vio_dev_has_feature(&dev, VIRTIO_NET_F_MRG_RXBUF));
			break;
		case 11: /* device asks for / stops kicks */
			(void)vq_set_notification(vq, fin_u8(&in) & 1);
			(void)vq_has_avail(vq);
			break;
		case 12: { /* pop with a short iov array: must not consume */
			struct vq_elem e = { .iov = iov,
					     .iov_cap = 1 + fin_u8(&in) % 4 };
			uint16_t before = vq->last_avail_idx;
			int rc = vq_pop(vq, &ram.gm, &e);

			if (rc == -ENOBUFS)
				FUZZ_CHECK(vq->last_avail_idx == before &&
					   !vq->broken);
			else if (rc == 1)
				vq_unpop(vq, 1);
			break;
		}
		case 13: /* reset, then probe again */
			probe(&in);
			break;
		case 14: /* status written raw */
			vio_dev_set_status(&dev, fin_u8(&in));
			break;
		default: /* device-side notify check after nothing new */
			(void)vq_should_notify(vq);
			break;
		}
	}
	vio_dev_fini(&dev);
	return 0;
}
