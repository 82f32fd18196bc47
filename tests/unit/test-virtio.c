/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio.c: the virtio core (lib/virtio/core.c) and the
 * split virtqueue (lib/virtio/split-queue.c), driven by the mock guest
 * (tests/unit/mock/) through the transport-neutral vio_dev_* entry points.
 * An echo device (one queue: copies the readable bytes of each chain into
 * its writable buffers) proves pop/push end to end. The hostile-guest rows
 * each cite the virtio 1.2 clause they exercise.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "virtio/virtio.h"
#include "mock/guest-mem.h"
#include "mock/vring-driver.h"
#include "check-main.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define F(bit) (1ull << (bit))
#define QMAX 1024

/* ---- the echo device and a recording transport ---- */

struct echo {
	struct vio_dev vdev;
	struct guest_mem *m;
	unsigned resets, driver_oks, kicks;
	int last_pop;
	uint8_t config[8];
};

static void echo_get_config(struct vio_dev *d, uint32_t off, void *buf,
			    uint32_t len)
{
	struct echo *e = container_of(d, struct echo, vdev);

	memcpy(buf, e->config + off, len);
}

static void echo_set_config(struct vio_dev *d, uint32_t off, const void *buf,
			    uint32_t len)
{
	struct echo *e = container_of(d, struct echo, vdev);

	memcpy(e->config + off, buf, len);
}

static void echo_queue_notify(struct vio_dev *d, unsigned q)
{
	struct echo *e = container_of(d, struct echo, vdev);
	struct iovec iov[QMAX];
	struct vq_elem el = { .iov = iov, .iov_cap = QMAX };
	struct vq *vq = &d->vqs[q];
	int rc;

	e->kicks++;
	while ((rc = vq_pop(vq, &e->m->gm, &el)) == 1) {
		unsigned i, o = 0, w = el.out_num;
		size_t off = 0, done = 0;

		/* copy readable iov[0, out_num) into writable iov[out_num, ..) */
		for (i = 0; i < el.out_num; i++) {
			size_t k = 0;

			while (k < iov[i].iov_len && w < el.out_num + el.in_num) {
				size_t n = MIN(iov[i].iov_len - k,
					       iov[w].iov_len - off);

				memcpy((char *)iov[w].iov_base + off,
				       (char *)iov[i].iov_base + k, n);
				k += n;
				off += n;
				done += n;
				if (off == iov[w].iov_len) {
					w++;
					off = 0;
				}
			}
			o++;
		}
		(void)o;
		ck_assert_int_eq(vio_queue_push_notify(d, q, el.head,
						       (uint32_t)done), 0);
	}
	e->last_pop = rc;
}

static void echo_reset(struct vio_dev *d)
{
	container_of(d, struct echo, vdev)->resets++;
}

static void echo_driver_ok(struct vio_dev *d, const struct vio_activation *a)
{
	container_of(d, struct echo, vdev)->driver_oks++;
}

static const struct vio_dev_ops echo_ops = {
	.get_config = echo_get_config,
	.set_config = echo_set_config,
	.queue_notify = echo_queue_notify,
	.reset = echo_reset,
	.driver_ok = echo_driver_ok,
};

static unsigned queue_irqs, config_irqs;

static void rec_notify_queue(struct vio_dev *d, unsigned q)
{
	(void)d;
	(void)q;
	queue_irqs++;
}

static void rec_notify_config(struct vio_dev *d)
{
	(void)d;
	config_irqs++;
}

static const struct vio_transport_ops rec_tops = {
	.notify_queue = rec_notify_queue,
	.notify_config = rec_notify_config,
};

static char last_log[512];
static unsigned nlogs;

static void rec_log(void *opaque, int level, const char *obj, const char *msg)
{
	(void)opaque;
	(void)level;
	snprintf(last_log, sizeof(last_log), "%s: %s", obj, msg);
	nlogs++;
}

static const struct vlog test_log = { rec_log, NULL, VM_LOG_DEBUG };

static struct guest_mem gm;
static struct echo echo;
static struct vring_drv ring;
static struct vio_dev *d = &echo.vdev;

static void echo_init(uint64_t ram)
{
	const uint16_t max[1] = { QMAX };

	ck_assert_int_eq(guest_mem_init(&gm, ram), 0);
	memset(&echo, 0, sizeof(echo));
	echo.m = &gm;
	echo.vdev.name = "echo0";
	echo.vdev.device_id = 0x7e; /* not a real type: the test's own */
	echo.vdev.host_features = F(VIRTIO_RING_F_INDIRECT_DESC) |
				  F(VIRTIO_RING_F_EVENT_IDX);
	echo.vdev.config_len = sizeof(echo.config);
	echo.vdev.ops = &echo_ops;
	echo.vdev.log = &test_log;
	echo.vdev.tops = &rec_tops;
	ck_assert_int_eq(vio_dev_init(&echo.vdev, 1, max, NULL), 0);
	queue_irqs = config_irqs = nlogs = 0;
	last_log[0] = 0;
}

static void setup(void)
{
	echo_init(32 * MiB);
}

static void teardown(void)
{
	vio_dev_fini(d);
	guest_mem_fini(&gm);
}

/* The Linux order against the core directly; returns the status. */
static uint8_t negotiate(uint64_t features)
{
	vio_dev_set_status(d, 0);
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vio_dev_set_guest_features(d, 0, (uint32_t)features);
	vio_dev_set_guest_features(d, 1, (uint32_t)(features >> 32));
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK);
	return vio_dev_get_status(d);
}

static int setup_queue(uint16_t size)
{
	struct vq *vq = &d->vqs[0];

	vring_drv_init(&ring, &gm, size);
	vq->size = size;
	vq->desc_gpa = ring.desc;
	vq->avail_gpa = ring.avail;
	vq->used_gpa = ring.used;
	return vio_dev_enable_queue(d, 0, &gm.gm);
}

static void ready(uint64_t features, uint16_t size)
{
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1) | features) &
		  VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(size), 0);
	vio_dev_set_status(d, vio_dev_get_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert(vio_dev_get_status(d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static int pop(struct vq_elem *el, struct iovec *iov, unsigned cap)
{
	el->iov = iov;
	el->iov_cap = cap;
	return vq_pop(&d->vqs[0], &gm.gm, el);
}

/* A guest error: -EIO, NEEDS_RESET, one log naming @why, one config irq. */
static void assert_guest_error(const char *why)
{
	struct iovec iov[QMAX];
	struct vq_elem el;

	ck_assert_int_eq(pop(&el, iov, QMAX), -EIO);
	ck_assert(vio_dev_get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(nlogs, 1);
	ck_assert_msg(strstr(last_log, why), "log '%s' lacks '%s'", last_log,
		      why);
	ck_assert_uint_eq(config_irqs, 1);
	/* stays broken, no second message, no crash */
	ck_assert_int_eq(pop(&el, iov, QMAX), -EIO);
	ck_assert_uint_eq(nlogs, 1);
	ck_assert_int_eq(vq_push(&d->vqs[0], 0, 0), -EIO);
}

static uint64_t buf(uint64_t len)
{
	return guest_alloc(&gm, len, 8);
}

/* ---- status, features, config (virtio 1.2 §2.1, §2.2, §3.1.1) ---- */

/* §6.1 + Linux virtio_features_ok(): a modern device needs VERSION_1. */
START_TEST(test_features_ok_does_not_stick_without_version_1)
{
	uint8_t s = negotiate(F(VIRTIO_RING_F_EVENT_IDX));

	ck_assert(!(s & VIRTIO_CONFIG_S_FEATURES_OK));
	ck_assert(s & VIRTIO_CONFIG_S_DRIVER);
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
}
END_TEST

/* §2.2.1: the driver MUST NOT accept a feature the device did not offer;
 * §2.2.2: the device then fails to set FEATURES_OK. */
START_TEST(test_features_ok_does_not_stick_with_unoffered_bit)
{
	ck_assert(!(negotiate(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_RING_PACKED)) &
		    VIRTIO_CONFIG_S_FEATURES_OK));
	ck_assert(!(negotiate(F(VIRTIO_F_VERSION_1) | F(63)) &
		    VIRTIO_CONFIG_S_FEATURES_OK));
}
END_TEST

/* §3.1.1 steps 5-6: features are fixed once FEATURES_OK is set. */
START_TEST(test_features_frozen_after_features_ok)
{
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	vio_dev_set_guest_features(d, 0, F(VIRTIO_RING_F_EVENT_IDX));
	ck_assert_uint_eq(vio_dev_get_guest_features(d, 0), 0);
	ck_assert_uint_eq(vio_dev_get_guest_features(d, 1), 1);
	/* §4.1.4.3.1: selects other than 0/1 read 0 */
	ck_assert_uint_eq(vio_dev_get_host_features(d, 2), 0);
	ck_assert_uint_eq(vio_dev_get_host_features(d, 1), 1);
}
END_TEST

/* §3.1.1 step 8: DRIVER_OK only after FEATURES_OK. */
START_TEST(test_driver_ok_before_features_ok_is_refused)
{
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert(!(vio_dev_get_status(d) & VIRTIO_CONFIG_S_DRIVER_OK));
	ck_assert_uint_eq(echo.driver_oks, 0);
	ready(0, 16);
	ck_assert_uint_eq(echo.driver_oks, 1);
}
END_TEST

/* §2.1: NEEDS_RESET is the device's bit; §2.1.1: the driver does not clear
 * bits, so a write that tries keeps them. */
START_TEST(test_status_write_cannot_set_needs_reset_or_clear_bits)
{
	vio_dev_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(vio_dev_get_status(d), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vio_dev_set_status(d, VIRTIO_CONFIG_S_DRIVER);
	ck_assert_uint_eq(vio_dev_get_status(d),
			  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
}
END_TEST

/* §2.4.1 / §4.1.4.3.1: a reset leaves status 0, queues disabled, features
 * cleared; the device model quiesced first. */
START_TEST(test_reset_clears_queues)
{
	ready(F(VIRTIO_RING_F_EVENT_IDX), 16);
	ck_assert(vq_is_ready(&d->vqs[0]));
	echo.resets = 0;
	ck_assert(vio_dev_set_status(d, 0));
	ck_assert_uint_eq(echo.resets, 1);
	ck_assert_uint_eq(vio_dev_get_status(d), 0);
	ck_assert(!vq_is_ready(&d->vqs[0]));
	ck_assert_uint_eq(d->vqs[0].size, QMAX);
	ck_assert_uint_eq(d->vqs[0].desc_gpa, 0);
	ck_assert_uint_eq(d->vqs[0].msix_vector, VIRTIO_MSI_NO_VECTOR);
	ck_assert_uint_eq(d->guest_features, 0);
	/* a reset also clears NEEDS_RESET and un-breaks the queue */
	vio_dev_needs_reset(d, "test");
	ck_assert(vio_dev_get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	vio_dev_set_status(d, 0);
	ck_assert_uint_eq(vio_dev_get_status(d), 0);
}
END_TEST

/* §2.5: out-of-range config bytes read 0 and writes are dropped; the
 * generation changes with the config. */
START_TEST(test_config_window_bounds_and_generation)
{
	uint8_t b[8];

	memcpy(echo.config, "ABCDEFGH", 8);
	vio_dev_read_config(d, 4, b, 4);
	ck_assert_mem_eq(b, "EFGH", 4);
	vio_dev_read_config(d, 6, b, 4);
	ck_assert_mem_eq(b, "\0\0\0\0", 4);
	vio_dev_read_config(d, UINT32_MAX, b, 2);
	ck_assert_mem_eq(b, "\0\0", 2);
	vio_dev_write_config(d, 7, "xy", 2);
	ck_assert_mem_eq(echo.config, "ABCDEFGH", 8);
	vio_dev_write_config(d, 0, "xy", 2);
	ck_assert_mem_eq(echo.config, "xyCDEFGH", 8);
	ck_assert_uint_eq(d->config_generation, 0);
	vio_dev_config_changed(d);
	ck_assert_uint_eq(d->config_generation, 1);
	ck_assert_uint_eq(config_irqs, 0); /* no DRIVER_OK yet */
	ready(0, 16);
	vio_dev_config_changed(d);
	ck_assert_uint_eq(config_irqs, 1);
}
END_TEST

/* §2.1.2: no buffers are consumed before DRIVER_OK. */
START_TEST(test_kick_before_driver_ok_is_ignored)
{
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(16), 0);
	vio_dev_kick(d, 0);
	vio_dev_kick(d, 5);
	ck_assert_uint_eq(echo.kicks, 0);
}
END_TEST

/* ---- queue setup (§2.7 table, §4.1.4.3) ---- */

/* §2.7: Queue Size is a power of 2 and at most what the device offers. */
START_TEST(test_queue_size_must_be_power_of_two)
{
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(12), -EINVAL);
	ck_assert(!vq_is_ready(&d->vqs[0]));
	ck_assert(vio_dev_get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_ptr_nonnull(strstr(last_log, "size 12"));
	vio_dev_set_status(d, 0);
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(2 * QMAX), -EINVAL);
	vio_dev_set_status(d, 0);
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(0), -EINVAL);
	vio_dev_set_status(d, 0);
	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(1), 0);
}
END_TEST

/* §2.7 alignment table: descriptor table 16, avail 2, used 4. */
START_TEST(test_queue_rings_must_be_aligned)
{
	struct vq *vq = &d->vqs[0];

	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(16), 0);
	vq->desc_gpa += 8;
	ck_assert_int_eq(vio_dev_enable_queue(d, 0, &gm.gm), -EINVAL);
	vq->desc_gpa -= 8;
	vq->avail_gpa += 1;
	ck_assert_int_eq(vq_enable(vq, &gm.gm), -EINVAL);
	vq->avail_gpa -= 1;
	vq->used_gpa += 2;
	ck_assert_int_eq(vq_enable(vq, &gm.gm), -EINVAL);
	vq->used_gpa -= 2;
	ck_assert_int_eq(vq_enable(vq, &gm.gm), 0);
}
END_TEST

/* §3.5 (STYLE): rings live in RAM; the used ring's end included. */
START_TEST(test_queue_rings_must_be_in_ram)
{
	struct vq *vq = &d->vqs[0];

	ck_assert(negotiate(F(VIRTIO_F_VERSION_1)) & VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_int_eq(setup_queue(16), 0);
	/* the used ring is 6 + 8 * 16 = 134 bytes */
	vq->used_gpa = 32 * MiB - 132; /* 2 bytes past the end */
	ck_assert_int_eq(vq_enable(vq, &gm.gm), -EFAULT);
	vq->used_gpa = 32 * MiB - 136;
	ck_assert_int_eq(vq_enable(vq, &gm.gm), 0);
	vq->desc_gpa = UINT64_MAX & ~15ull;
	ck_assert_int_eq(vq_enable(vq, &gm.gm), -EFAULT);
}
END_TEST

/* ---- the echo device end to end ---- */

START_TEST(test_echo_device_round_trip)
{
	uint64_t in = buf(5), out = buf(3), out2 = buf(8);
	struct vring_drv_buf b[3] = {
		{ in, 5, false }, { out, 3, true }, { out2, 8, true },
	};
	uint32_t id, len;
	uint16_t head;

	ready(0, 16);
	memcpy(guest_ptr(&gm, in, 5), "hello", 5);
	head = vring_drv_add_chain(&ring, b, 3);
	vring_drv_publish(&ring, head);
	vio_dev_kick(d, 0);
	ck_assert_uint_eq(echo.kicks, 1);
	ck_assert(vring_drv_get_used(&ring, &id, &len));
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(guest_ptr(&gm, out, 3), "hel", 3);
	ck_assert_mem_eq(guest_ptr(&gm, out2, 2), "lo", 2);
	ck_assert_uint_eq(queue_irqs, 1);
	ck_assert_int_eq(echo.last_pop, 0);
	ck_assert(!(vio_dev_get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

/* §2.7.5.3: an indirect table at the end of a chain of direct ones
 * (§2.7.5.3.2: the device handles zero or more direct descriptors
 * followed by one indirect). */
START_TEST(test_echo_device_indirect)
{
	uint64_t in = buf(4), out = buf(4), t;
	struct vring_drv_buf b[2] = { { in, 4, false }, { out, 4, true } };
	struct iovec iov[16];
	struct vq_elem el;
	uint32_t id, len;
	uint16_t head, mid;

	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	memcpy(guest_ptr(&gm, in, 4), "ping", 4);
	head = vring_drv_add_indirect(&ring, b, 2, &t);
	vring_drv_publish(&ring, head);
	vio_dev_kick(d, 0);
	ck_assert(vring_drv_get_used(&ring, &id, &len));
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(guest_ptr(&gm, out, 4), "ping", 4);

	/* direct readable, then the indirect holding the writable one */
	mid = vring_drv_add_indirect(&ring, &b[1], 1, NULL);
	head = (uint16_t)(mid + 1);
	vring_drv_set_desc(&ring, head, in, 4, VRING_DESC_F_NEXT, mid);
	vring_drv_publish(&ring, head);
	ck_assert_int_eq(pop(&el, iov, 16), 1);
	ck_assert_uint_eq(el.head, head);
	ck_assert_uint_eq(el.out_num, 1);
	ck_assert_uint_eq(el.in_num, 1);
	ck_assert_uint_eq(el.in_len, 4);
}
END_TEST

/* A chain of exactly Queue Size buffers and exactly 2^32 bytes is legal
 * (§2.7.5.3.1, §2.7.5.2 bounds are inclusive). */
START_TEST(test_vq_accepts_chain_at_both_limits)
{
	static struct vring_drv_buf b[256];
	struct iovec iov[QMAX];
	struct vq_elem el;
	unsigned i;

	ready(0, 256);
	for (i = 0; i < 256; i++)
		b[i] = (struct vring_drv_buf){ 0, 16 * MiB, false };
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 256));
	ck_assert_int_eq(pop(&el, iov, QMAX), 1);
	ck_assert_uint_eq(el.out_num, 256);
	ck_assert_uint_eq(el.out_len, 1ull << 32);
}
END_TEST

/* Host limit, not a guest error: a short iov array leaves the chain. */
START_TEST(test_vq_pop_short_iov_keeps_chain)
{
	struct vring_drv_buf b[3] = {
		{ buf(1), 1, false }, { buf(1), 1, false }, { buf(1), 1, true },
	};
	struct iovec iov[3];
	struct vq_elem el;

	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 3));
	ck_assert_int_eq(pop(&el, iov, 2), -ENOBUFS);
	ck_assert(!(vio_dev_get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	ck_assert_int_eq(pop(&el, iov, 3), 1);
	ck_assert_int_eq(pop(&el, iov, 3), 0);
	vq_unpop(&d->vqs[0], 1);
	ck_assert_int_eq(pop(&el, iov, 3), 1);
}
END_TEST

/* ---- the hostile-guest table (virtio 1.2 §2.7) ---- */

/* §2.7.5.2: "this implies that loops in the descriptor chain are
 * forbidden"; §2.7.5.3.1: no chain longer than Queue Size (the TTL). */
START_TEST(test_vq_rejects_descriptor_cycle)
{
	uint64_t a = buf(16);

	ready(0, 16);
	vring_drv_set_desc(&ring, 0, a, 16, VRING_DESC_F_NEXT, 1);
	vring_drv_set_desc(&ring, 1, a, 16, VRING_DESC_F_NEXT, 0);
	vring_drv_publish(&ring, 0);
	assert_guest_error("loop");
}
END_TEST

/* §2.7.5.3.1: a loop inside an indirect table hits the same TTL. */
START_TEST(test_vq_rejects_cycle_in_indirect_table)
{
	struct vring_drv_buf b[2] = { { buf(8), 8, false }, { buf(8), 8, false } };
	uint64_t t;
	struct vring_desc *td;

	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	vring_drv_publish(&ring, vring_drv_add_indirect(&ring, b, 2, &t));
	td = guest_ptr(&gm, t, 32);
	td[1].flags = htole16(VRING_DESC_F_NEXT);
	td[1].next = htole16(0);
	assert_guest_error("loop");
}
END_TEST

/* §2.7.5: next indexes the descriptor table (Queue Size entries). */
START_TEST(test_vq_rejects_next_out_of_range)
{
	ready(0, 16);
	vring_drv_set_desc(&ring, 0, buf(8), 8, VRING_DESC_F_NEXT, 16);
	vring_drv_publish(&ring, 0);
	assert_guest_error("next 16 >= 16");
}
END_TEST

/* §2.7.6: ring entries are descriptor heads, below Queue Size. */
START_TEST(test_vq_rejects_head_out_of_range)
{
	ready(0, 16);
	vring_drv_publish(&ring, 16);
	assert_guest_error("head 16");
}
END_TEST

/* §2.7.5.3: an indirect table's next stays inside the table. */
START_TEST(test_vq_rejects_next_beyond_indirect_table)
{
	struct vring_drv_buf b[2] = { { buf(8), 8, false }, { buf(8), 8, true } };
	struct vring_desc *td;
	uint64_t t;

	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	vring_drv_publish(&ring, vring_drv_add_indirect(&ring, b, 2, &t));
	td = guest_ptr(&gm, t, 32);
	td[1].flags = htole16(VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	td[1].next = htole16(2);
	assert_guest_error("next 2 >= 2");
}
END_TEST

/* STYLE §3.5 / ARCHITECTURE: every buffer is inside guest RAM. */
START_TEST(test_vq_rejects_buffer_outside_ram)
{
	struct vring_drv_buf b[1] = { { 32 * MiB - 4, 8, true } };

	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	assert_guest_error("outside RAM");
}
END_TEST

/* A buffer may not run from low RAM into the PCI hole (mem.h layout). */
START_TEST(test_vq_rejects_buffer_spanning_pci_hole)
{
	struct vring_drv_buf b[1] = { { GMEM_HOLE_START - 8, 16, false } };

	teardown();
	echo_init(3 * GiB + 4 * MiB); /* sparse memfd: nothing is touched */
	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	assert_guest_error("outside RAM");
}
END_TEST

/* STYLE §3.5: addr + len is computed without wrapping. */
START_TEST(test_vq_rejects_addr_len_overflow)
{
	struct vring_drv_buf b[1] = { { UINT64_MAX - 7, 16, false } };

	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	assert_guest_error("outside RAM");
}
END_TEST

/* §2.7.5.2: a chain is at most 2^32 bytes in total. */
START_TEST(test_vq_rejects_total_over_4g)
{
	static struct vring_drv_buf b[257];
	unsigned i;

	ready(0, 512);
	for (i = 0; i < 257; i++)
		b[i] = (struct vring_drv_buf){ 0, 16 * MiB, i > 0 };
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 257));
	assert_guest_error("2^32");
}
END_TEST

/* §2.7.5.3.1: VIRTQ_DESC_F_INDIRECT is never set inside a table. */
START_TEST(test_vq_rejects_nested_indirect)
{
	struct vring_drv_buf b[2] = { { buf(8), 8, false }, { buf(8), 8, true } };
	struct vring_desc *td;
	uint64_t t, inner = guest_alloc(&gm, 32, 16);

	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	vring_drv_publish(&ring, vring_drv_add_indirect(&ring, b, 2, &t));
	td = guest_ptr(&gm, t, 32);
	td[1].addr = htole64(inner);
	td[1].len = htole32(32);
	td[1].flags = htole16(VRING_DESC_F_INDIRECT);
	assert_guest_error("inside an indirect table");
}
END_TEST

/* §2.7.5.3.1: INDIRECT only if VIRTIO_RING_F_INDIRECT_DESC was negotiated. */
START_TEST(test_vq_rejects_indirect_without_feature)
{
	struct vring_drv_buf b[1] = { { buf(8), 8, false } };

	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_indirect(&ring, b, 1, NULL));
	assert_guest_error("without VIRTIO_RING_F_INDIRECT_DESC");
}
END_TEST

/* §2.7.5.3.1: INDIRECT and NEXT are never both set. */
START_TEST(test_vq_rejects_indirect_with_next)
{
	struct vring_drv_buf b[1] = { { buf(8), 8, false } };
	uint64_t t;
	uint16_t head;

	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	head = vring_drv_add_indirect(&ring, b, 1, &t);
	vring_drv_set_desc(&ring, head, t, 16,
			   VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 5);
	vring_drv_publish(&ring, head);
	assert_guest_error("has NEXT");
}
END_TEST

/* §2.7.5.3: a table is len/16 descriptors; not a multiple of 16, empty,
 * or more entries than Queue Size (§2.7.5.3.1 chain limit) is an error. */
START_TEST(test_vq_rejects_bad_indirect_length)
{
	uint64_t t = guest_alloc(&gm, 16 * 64, 16);
	static const uint32_t bad[] = { 24, 0, 16 * 17 };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (i) {
			teardown();
			setup();
			t = guest_alloc(&gm, 16 * 64, 16);
		}
		ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
		vring_drv_set_desc(&ring, 0, t, bad[i], VRING_DESC_F_INDIRECT, 0);
		vring_drv_publish(&ring, 0);
		assert_guest_error("indirect table length");
	}
}
END_TEST

/* §2.7.5.3: the table itself lies in RAM. */
START_TEST(test_vq_rejects_indirect_table_outside_ram)
{
	ready(F(VIRTIO_RING_F_INDIRECT_DESC), 16);
	vring_drv_set_desc(&ring, 0, 32 * MiB - 16, 32, VRING_DESC_F_INDIRECT, 0);
	vring_drv_publish(&ring, 0);
	assert_guest_error("indirect table");
}
END_TEST

/* §2.7.4.2: device-writable descriptors come after readable ones. */
START_TEST(test_vq_rejects_writable_before_readable)
{
	struct vring_drv_buf b[2] = { { buf(8), 8, true }, { buf(8), 8, false } };

	ready(0, 16);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 2));
	assert_guest_error("readable descriptor");
}
END_TEST

/* §2.7.6: avail idx never runs more than Queue Size ahead of the device. */
START_TEST(test_vq_rejects_avail_idx_jump)
{
	struct iovec iov[16];
	struct vq_elem el;

	ready(0, 16);
	vring_drv_set_avail_idx(&ring, 16); /* exactly size ahead: fine so far */
	ck_assert_int_ge(pop(&el, iov, 16), 0);
	teardown();
	setup();
	ready(0, 16);
	vring_drv_set_avail_idx(&ring, 17);
	assert_guest_error("ahead");
}
END_TEST

/* ---- notification suppression (§2.7.7, §2.7.10) ---- */

/* §2.7.7.2 with EVENT_IDX: notify only when used idx passes used_event. */
START_TEST(test_vq_event_idx_suppresses_notify)
{
	struct vring_drv_buf b[1] = { { buf(4), 4, false } };
	struct vq *vq;
	unsigned i;

	ready(F(VIRTIO_RING_F_EVENT_IDX), 16);
	vq = &d->vqs[0];
	vring_drv_set_used_event(&ring, 0);
	for (i = 0; i < 3; i++)
		vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	vio_dev_kick(d, 0);
	/* three pushes: only the one crossing used_event 0 interrupted */
	ck_assert_uint_eq(queue_irqs, 1);
	ck_assert_uint_eq(vq->used_idx, 3);
	/* the driver asks for an interrupt after entry 4 (used_event = 4) */
	vring_drv_set_used_event(&ring, 4);
	ck_assert_int_eq(vq_push(vq, 0, 0), 0); /* used idx 4 */
	ck_assert(!vq_should_notify(vq));
	ck_assert_int_eq(vq_push(vq, 0, 0), 0); /* used idx 5 crosses 4 */
	ck_assert(vq_should_notify(vq));
	/* NO_INTERRUPT is ignored with EVENT_IDX (§2.7.7.2) */
	vring_drv_set_avail_flags(&ring, VRING_AVAIL_F_NO_INTERRUPT);
	vring_drv_set_used_event(&ring, 5);
	ck_assert_int_eq(vq_push(vq, 0, 0), 0);
	ck_assert(vq_should_notify(vq));
}
END_TEST

/* §2.7.7.2 without EVENT_IDX: VRING_AVAIL_F_NO_INTERRUPT suppresses. */
START_TEST(test_vq_no_interrupt_flag_suppresses_notify)
{
	struct vring_drv_buf b[1] = { { buf(4), 4, false } };

	ready(0, 16);
	vring_drv_set_avail_flags(&ring, VRING_AVAIL_F_NO_INTERRUPT);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	vio_dev_kick(d, 0);
	ck_assert_uint_eq(ring.avail_idx, 1);
	ck_assert_uint_eq(queue_irqs, 0);
	vring_drv_set_avail_flags(&ring, 0);
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	vio_dev_kick(d, 0);
	ck_assert_uint_eq(queue_irqs, 1);
}
END_TEST

/* §2.7.10: the device asks for kicks through avail_event (EVENT_IDX) or
 * VRING_USED_F_NO_NOTIFY; re-enabling reports buffers that slipped in. */
START_TEST(test_vq_avail_notification_suppression)
{
	struct vring_drv_buf b[1] = { { buf(4), 4, false } };
	struct iovec iov[16];
	struct vq_elem el;
	struct vq *vq;

	ready(F(VIRTIO_RING_F_EVENT_IDX), 16);
	vq = &d->vqs[0];
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	ck_assert_int_eq(pop(&el, iov, 16), 1);
	ck_assert_uint_eq(vring_drv_avail_event(&ring), 1);
	ck_assert(!vq_set_notification(vq, false));
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	ck_assert_int_eq(pop(&el, iov, 16), 1);
	ck_assert_uint_eq(vring_drv_avail_event(&ring), 1); /* not while off */
	vring_drv_publish(&ring, vring_drv_add_chain(&ring, b, 1));
	ck_assert(vq_set_notification(vq, true)); /* one slipped in */
	ck_assert_uint_eq(vring_drv_avail_event(&ring), 2);

	teardown();
	setup();
	ready(0, 16);
	vq = &d->vqs[0];
	ck_assert(!vq_set_notification(vq, false));
	ck_assert_uint_eq(vring_drv_used_flags(&ring), VRING_USED_F_NO_NOTIFY);
	ck_assert(!vq_set_notification(vq, true));
	ck_assert_uint_eq(vring_drv_used_flags(&ring), 0);
}
END_TEST

/* §2.1.2: NEEDS_RESET with DRIVER_OK sends one config notification. */
START_TEST(test_needs_reset_notifies_config_once)
{
	ready(0, 16);
	vio_dev_needs_reset(d, "first %d", 1);
	vio_dev_needs_reset(d, "second");
	ck_assert_uint_eq(config_irqs, 1);
	ck_assert_uint_eq(nlogs, 1);
	ck_assert_ptr_nonnull(strstr(last_log, "echo0: "));
	ck_assert_ptr_nonnull(strstr(last_log, "first 1"));
}
END_TEST

/* vio_dev_init() validates what the device model asks for. */
START_TEST(test_dev_init_rejects_bad_queue_sizes)
{
	struct vio_dev x = { .name = "x" };
	const uint16_t bad[2] = { 256, 100 };
	struct vm_error *err = NULL;

	ck_assert_int_eq(vio_dev_init(&x, 2, bad, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err->msg, "queue 1 size 100"));
	vm_error_free(err);
	ck_assert_int_eq(vio_dev_init(&x, 0, bad, NULL), -EINVAL);
	vio_dev_fini(&x); /* safe after a failed init */
}
END_TEST

static Suite *virtio_suite(void)
{
	Suite *s = suite_create("virtio");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_features_ok_does_not_stick_without_version_1);
	tcase_add_test(t, test_features_ok_does_not_stick_with_unoffered_bit);
	tcase_add_test(t, test_features_frozen_after_features_ok);
	tcase_add_test(t, test_driver_ok_before_features_ok_is_refused);
	tcase_add_test(t, test_status_write_cannot_set_needs_reset_or_clear_bits);
	tcase_add_test(t, test_reset_clears_queues);
	tcase_add_test(t, test_config_window_bounds_and_generation);
	tcase_add_test(t, test_kick_before_driver_ok_is_ignored);
	tcase_add_test(t, test_queue_size_must_be_power_of_two);
	tcase_add_test(t, test_queue_rings_must_be_aligned);
	tcase_add_test(t, test_queue_rings_must_be_in_ram);
	tcase_add_test(t, test_needs_reset_notifies_config_once);
	tcase_add_test(t, test_dev_init_rejects_bad_queue_sizes);
	suite_add_tcase(s, t);

	t = tcase_create("split-queue");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_echo_device_round_trip);
	tcase_add_test(t, test_echo_device_indirect);
	tcase_add_test(t, test_vq_accepts_chain_at_both_limits);
	tcase_add_test(t, test_vq_pop_short_iov_keeps_chain);
	tcase_add_test(t, test_vq_rejects_descriptor_cycle);
	tcase_add_test(t, test_vq_rejects_cycle_in_indirect_table);
	tcase_add_test(t, test_vq_rejects_next_out_of_range);
	tcase_add_test(t, test_vq_rejects_head_out_of_range);
	tcase_add_test(t, test_vq_rejects_next_beyond_indirect_table);
	tcase_add_test(t, test_vq_rejects_buffer_outside_ram);
	tcase_add_test(t, test_vq_rejects_buffer_spanning_pci_hole);
	tcase_add_test(t, test_vq_rejects_addr_len_overflow);
	tcase_add_test(t, test_vq_rejects_total_over_4g);
	tcase_add_test(t, test_vq_rejects_nested_indirect);
	tcase_add_test(t, test_vq_rejects_indirect_without_feature);
	tcase_add_test(t, test_vq_rejects_indirect_with_next);
	tcase_add_test(t, test_vq_rejects_bad_indirect_length);
	tcase_add_test(t, test_vq_rejects_indirect_table_outside_ram);
	tcase_add_test(t, test_vq_rejects_writable_before_readable);
	tcase_add_test(t, test_vq_rejects_avail_idx_jump);
	tcase_add_test(t, test_vq_event_idx_suppresses_notify);
	tcase_add_test(t, test_vq_no_interrupt_flag_suppresses_notify);
	tcase_add_test(t, test_vq_avail_notification_suppression);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return check_run(virtio_suite());
}
