/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio-state.c: a virtio device's snapshot state
 * (vio_dev_save/vio_dev_load) through the mock guest driver: a device the
 * driver negotiated with, whose queue has served two of three chains, is
 * saved and loaded into a fresh device on the same guest RAM (what a
 * restore copies), which reads back the same through the vio_dev API and
 * goes on with the third chain, used index continuing. A record for
 * another queue layout, a queue larger than this device's, or a ring
 * outside guest RAM is refused.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "check-main.h"
#include "mock/guest-mem.h"
#include "mock/vring-driver.h"
#include "snap-util.h"
#include "virtio/virtio.h"

#define F(bit) (1ull << (bit))
#define QMAX 256

static struct guest_mem gm;

static void dev_init(struct vio_dev *d, unsigned nq, uint16_t max)
{
	const uint16_t sizes[2] = { max, max };

	memset(d, 0, sizeof(*d));
	d->name = "dev0";
	d->device_id = 0x7e;
	d->host_features = F(VIRTIO_RING_F_EVENT_IDX);
	ck_assert_int_eq(vio_dev_init(d, nq, sizes, NULL), 0);
}

/* Linux's order, DRIVER_OK included, queue 0 on @r. */
static void bring_up(struct vio_dev *d, struct vring_drv *r)
{
	const uint8_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vq *vq = &d->vqs[0];

	vio_dev_set_status(d, s);
	vio_dev_set_guest_features(d, 0, (uint32_t)F(VIRTIO_RING_F_EVENT_IDX));
	vio_dev_set_guest_features(d, 1, (uint32_t)(F(VIRTIO_F_VERSION_1) >> 32));
	vio_dev_set_status(d, s | VIRTIO_CONFIG_S_FEATURES_OK);
	vring_drv_init(r, &gm, 64);
	vq->size = 64;
	vq->desc_gpa = r->desc;
	vq->avail_gpa = r->avail;
	vq->used_gpa = r->used;
	vq->msix_vector = 3;
	ck_assert_int_eq(vio_dev_enable_queue(d, 0, &gm.gm), 0);
	vio_dev_set_status(d, s | VIRTIO_CONFIG_S_FEATURES_OK |
				   VIRTIO_CONFIG_S_DRIVER_OK);
}

static uint16_t add_chain(struct vring_drv *r)
{
	struct vring_drv_buf b = { guest_alloc(&gm, 64, 8), 64, true };
	uint16_t h = vring_drv_add_chain(r, &b, 1);

	vring_drv_publish(r, h);
	return h;
}

/* Pop one chain from queue 0 and push it back; returns its head. */
static uint16_t serve_one(struct vio_dev *d)
{
	struct iovec iov[4];
	struct vq_elem el = { .iov = iov, .iov_cap = 4 };

	ck_assert_int_eq(vq_pop(&d->vqs[0], &gm.gm, &el), 1);
	ck_assert_int_eq(vq_push(&d->vqs[0], el.head, 7), 0);
	return el.head;
}

static void save(struct vio_dev *d, struct snap_w *w, struct snap_rec *rec)
{
	const struct snap_hdr h = { 0 };

	snap_w_init(w, &h);
	vio_dev_save(d, w, 9);
	snap_test_first(w, rec);
	ck_assert_uint_eq(rec->instance, 9);
}

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 16u << 20), 0);
}

static void teardown(void)
{
	guest_mem_fini(&gm);
}

START_TEST(test_virtio_device_round_trip)
{
	struct vio_dev a, b;
	struct vring_drv r;
	struct snap_rec rec;
	struct snap_w w;
	uint16_t h[3];
	uint32_t id, len;

	dev_init(&a, 1, QMAX);
	dev_init(&b, 1, QMAX);
	bring_up(&a, &r);
	vio_dev_config_changed(&a);
	for (int i = 0; i < 3; i++)
		h[i] = add_chain(&r);
	ck_assert_uint_eq(serve_one(&a), h[0]);
	ck_assert_uint_eq(serve_one(&a), h[1]);
	save(&a, &w, &rec);
	ck_assert_int_eq(vio_dev_load(&b, &rec, &gm.gm, NULL), 0);
	ck_assert_uint_eq(vio_dev_get_status(&b), vio_dev_get_status(&a));
	ck_assert_uint_eq(vio_dev_get_guest_features(&b, 0),
			  vio_dev_get_guest_features(&a, 0));
	ck_assert_uint_eq(vio_dev_get_guest_features(&b, 1),
			  vio_dev_get_guest_features(&a, 1));
	ck_assert_uint_eq(b.config_generation, 1);
	ck_assert(vq_is_ready(&b.vqs[0]));
	ck_assert_uint_eq(b.vqs[0].size, 64);
	ck_assert_uint_eq(b.vqs[0].msix_vector, 3);
	ck_assert_uint_eq(b.vqs[0].desc_gpa, r.desc);
	ck_assert_uint_eq(b.vqs[0].last_avail_idx, 2);
	ck_assert_uint_eq(b.vqs[0].used_idx, 2);
	ck_assert(b.vqs[0].event_idx);
	/* The guest sees the two chains A served, then B serves the third. */
	ck_assert(vring_drv_get_used(&r, &id, &len) && id == h[0]);
	ck_assert(vring_drv_get_used(&r, &id, &len) && id == h[1]);
	ck_assert_uint_eq(serve_one(&b), h[2]);
	ck_assert(vring_drv_get_used(&r, &id, &len) && id == h[2] && len == 7);
	ck_assert_uint_eq(vring_drv_used_idx(&r), 3);
	snap_w_fini(&w);
	vio_dev_fini(&a);
	vio_dev_fini(&b);
}
END_TEST

START_TEST(test_virtio_device_refuses_bad_records)
{
	struct vio_dev a, two, small, b;
	struct vm_error *err = NULL;
	struct vring_drv r;
	struct snap_rec rec, bad;
	struct snap_w w;
	uint8_t *copy;
	uint64_t far = 1ull << 40;

	dev_init(&a, 1, QMAX);
	dev_init(&two, 2, QMAX);
	dev_init(&small, 1, 32);
	dev_init(&b, 1, QMAX);
	bring_up(&a, &r);
	save(&a, &w, &rec);
	ck_assert_int_eq(vio_dev_load(&two, &rec, &gm.gm, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "1 queues saved"));
	vm_error_free(err);
	err = NULL;
	ck_assert_uint_eq(vio_dev_get_status(&two), 0);
	ck_assert_int_eq(vio_dev_load(&small, &rec, &gm.gm, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "at most 32"));
	vm_error_free(err);
	err = NULL;
	/* The descriptor table moved outside guest RAM (payload offset 20:
	 * after features, status, needs_reset, generation, count, size and
	 * vector). */
	copy = malloc(rec.len);
	memcpy(copy, rec.data, rec.len);
	memcpy(copy + 20, &far, 8);
	bad = rec;
	bad.data = copy;
	ck_assert_int_eq(vio_dev_load(&b, &bad, &gm.gm, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "guest RAM"));
	vm_error_free(err);
	err = NULL;
	ck_assert_uint_eq(vio_dev_get_status(&b), 0);
	ck_assert(!vq_is_ready(&b.vqs[0]));
	bad = rec;
	bad.len = rec.len - 1;
	ck_assert_int_eq(vio_dev_load(&b, &bad, &gm.gm, &err), -EBADMSG);
	vm_error_free(err);
	free(copy);
	snap_w_fini(&w);
	vio_dev_fini(&a);
	vio_dev_fini(&two);
	vio_dev_fini(&small);
	vio_dev_fini(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio-state");
	TCase *tc = tcase_create("virtio-state");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_virtio_device_round_trip);
	tcase_add_test(tc, test_virtio_device_refuses_bad_records);
	suite_add_tcase(s, tc);
	return check_run(s);
}
