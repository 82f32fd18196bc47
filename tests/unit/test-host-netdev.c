/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-host-netdev.c: host netdevs (include/kvm-virtio.h, "Host
 * netdevs"): the "callback" netdev and host types derived from "netdev",
 * through the public calls only, with virtio-net-pci driven by the mock
 * guest (tests/unit/vnet-fixture.h) on a machine without KVM. The host
 * side answers ARP and ICMP echo (tests/unit/echo-host.h): 10,000 echoes
 * come back, each once, in order. Pushes the guest cannot take yet get
 * -EAGAIN, nothing is lost, and rx_ready says when to go on.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include <kvm-virtio.h>

#include "mock/guest-mem.h"
#include "mock/pci-driver.h"
#include "mock/virtio-driver.h"
#include "mock/virtio-pci-bar.h"
#include "devices/device.h"
#include "net/netdev.h"
#include "pci/pci.h"
#include "fake-kvm.h"
#include "virtio/pci-modern.h"
#include "vm-fixture.h"
#include "vnet-fixture.h"
#include "echo-host.h"
#include "check-main.h"

#define HOST_IP htonl(0x0a000201u)  /* 10.0.2.1 */
#define GUEST_IP htonl(0x0a00020fu) /* 10.0.2.15 */
static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* ---- the host side: the netdev's callbacks ---- */

static struct host {
	bool echo;             /* answer ARP/ICMP from inside send */
	unsigned sends;        /* frames the guest sent (I/O thread) */
	unsigned push_fail;    /* answers vm_netdev_push() refused */
	unsigned rx_ready;     /* ->rx_ready calls */
	uint8_t last[2048];
	size_t last_len;
	struct vm_obj *nd;
	void *opaque_seen;
} host;

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_ACQ_REL)

static ssize_t host_send(struct vm_obj *nd, void *opaque, unsigned q,
			 const struct iovec *iov, int iovcnt)
{
	struct host *h = opaque;
	uint8_t in[2048], out[2048];
	size_t len = 0, n;

	for (int i = 0; i < iovcnt; i++) {
		size_t k = iov[i].iov_len;

		if (k > sizeof(in) - len)
			k = sizeof(in) - len;
		memcpy(in + len, iov[i].iov_base, k);
		len += k;
	}
	h->opaque_seen = opaque;
	memcpy(h->last, in, len);
	h->last_len = len;
	if (h->echo && (n = echo_answer(HOST_IP, in, len, out)) &&
	    vm_netdev_push(nd, q, out, n) != 0)
		INC(h->push_fail);
	INC(h->sends);
	return (ssize_t)len;
}

static void host_rx_ready(struct vm_obj *nd, void *opaque, unsigned q)
{
	INC(((struct host *)opaque)->rx_ready);
}

static const struct vm_netdev_ops host_ops = {
	.size = sizeof(struct vm_netdev_ops),
	.send = host_send,
	.rx_ready = host_rx_ready,
};

/* ---- fixture: callback netdev "h0", virtio-net-pci "net0" ---- */

static void setup(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;

	memset(&host, 0, sizeof(host));
	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "callback", "h0", NULL, &err), 0);
	host.nd = vm_obj_find(vm, "h0");
	ck_assert_int_eq(vm_netdev_set_ops(host.nd, &host_ops, &host), 0);
	ck_assert_int_eq(vm_add_device(vm, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "h0" }, { "id", "net0" },
					  { "mac", MAC }, { NULL, NULL } },
		&err), 0);
	vnet_fixture_machine();
	ck_assert_int_eq(vm_realize_objects(vm, &err), 0);
	ck_assert_ptr_null(err);
	find_device();
	linux_probe(LINUX_FEATURES);
}

static void teardown(void)
{
	vm_destroy(vm);
	vm = NULL;
}

/* ---- the mock guest's buffers ---- */

#define RXBUF 1526u
#define NRX 32u

static uint64_t rx_buf[64]; /* by head descriptor */

static void rx_post(uint64_t b)
{
	uint16_t head = vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b, RXBUF, true } }, 1);

	rx_buf[head] = b;
	vring_drv_publish(&ring[RXQ], head);
}

static void rx_post_n(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rx_post(guest_alloc(&gm, RXBUF, 16));
	virtio_drv_kick(&vd, RXQ);
}

/* The next received frame (after the 12-byte header), waiting up to 2 s
 * with short sleeps; its buffer is given back to the ring (not kicked). */
static bool rx_take(uint8_t *frame, size_t *len)
{
	uint32_t id, l;

	for (int i = 0; i < 100000; i++) {
		if (vring_drv_get_used(&ring[RXQ], &id, &l)) {
			ck_assert_uint_lt(id, 64);
			ck_assert_uint_ge(l, HDR);
			*len = l - HDR;
			memcpy(frame, guest_ptr(&gm, rx_buf[id] + HDR, *len), *len);
			rx_post(rx_buf[id]);
			return true;
		}
		usleep(20);
	}
	return false;
}

/* One-descriptor tx chain: header and frame in buffer @b. */
/* Write a tx chain (header + @frame at @b); returns its head, unpublished. */
static uint16_t tx_chain(uint64_t b, const void *frame, size_t len)
{
	memset(guest_ptr(&gm, b, HDR), 0, HDR);
	memcpy(guest_ptr(&gm, b + HDR, len), frame, len);
	return vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { b, (uint32_t)(HDR + len), false } },
		1);
}

static void tx_put(uint64_t b, const void *frame, size_t len)
{
	vring_drv_publish(&ring[TXQ], tx_chain(b, frame, len));
}

static void tx_reap(unsigned n)
{
	uint32_t id, l;

	for (unsigned got = 0, i = 0; got < n && i < 100000; i++) {
		if (vring_drv_get_used(&ring[TXQ], &id, &l))
			got++;
		else
			usleep(20);
	}
}

static bool wait_count(unsigned *c, unsigned want)
{
	for (int i = 0; i < 2000 && LD(*c) < want; i++)
		usleep(1000);
	return LD(*c) >= want;
}

/* ---- rows ---- */

/* A frame the guest sends reaches ->send without the virtio-net header,
 * with the opaque given to vm_netdev_set_ops(); one the host pushes lands
 * in the guest's buffer. */
START_TEST(test_frames_both_ways)
{
	uint8_t f[60], got[RXBUF];
	uint64_t b = guest_alloc(&gm, HDR + sizeof(f), 16);
	size_t len;

	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 3);
	tx_put(b, f, sizeof(f));
	virtio_drv_kick(&vd, TXQ);
	ck_assert(wait_count(&host.sends, 1));
	ck_assert_uint_eq(host.last_len, sizeof(f));
	ck_assert_mem_eq(host.last, f, sizeof(f));
	ck_assert_ptr_eq(host.opaque_seen, &host);

	rx_post_n(1);
	f[0] = 0x77;
	ck_assert_int_eq(vm_netdev_push(host.nd, 0, f, sizeof(f)), 0);
	ck_assert(rx_take(got, &len));
	ck_assert_uint_eq(len, sizeof(f));
	ck_assert_mem_eq(got, f, sizeof(f));
}
END_TEST

/* The host answers ARP and ICMP echo; 10,000 echoes in bursts of 16 come
 * back each exactly once and in order, with valid checksums. */
START_TEST(test_echo_10000)
{
	enum { N = 10000, BURST = 16 };
	uint8_t req[128], got[RXBUF];
	uint64_t tb[BURST];
	size_t len, n;
	unsigned seq = 0;

	host.echo = true;
	rx_post_n(NRX);
	for (unsigned i = 0; i < BURST; i++)
		tb[i] = guest_alloc(&gm, HDR + sizeof(req), 16);
	/* ARP who-has 10.0.2.1 */
	memset(req, 0, 42);
	memset(req, 0xff, 6);
	memcpy(req + 6, guest_mac, 6);
	echo_put16(req + 12, 0x0806);
	memcpy(req + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(req + 22, guest_mac, 6);
	memcpy(req + 28, &(uint32_t){ GUEST_IP }, 4);
	memcpy(req + 38, &(uint32_t){ HOST_IP }, 4);
	tx_put(tb[0], req, 42);
	virtio_drv_kick(&vd, TXQ);
	ck_assert(rx_take(got, &len));
	tx_reap(1);
	ck_assert_uint_eq(len, 42);
	ck_assert_uint_eq(echo_get16(got + 20), 2);
	ck_assert_mem_eq(got + 22, echo_host_mac, 6);
	ck_assert_mem_eq(got + 32, guest_mac, 6);

	while (seq < N) {
		unsigned k = N - seq < BURST ? N - seq : BURST;

		for (unsigned i = 0; i < k; i++) {
			n = echo_request(req, guest_mac, GUEST_IP, echo_host_mac,
					 HOST_IP, (uint16_t)(seq + i), 56);
			tx_put(tb[i], req, n);
		}
		virtio_drv_kick(&vd, TXQ);
		for (unsigned i = 0; i < k; i++) {
			ck_assert_msg(rx_take(got, &len), "echo %u lost", seq + i);
			ck_assert_msg(echo_is_reply(got, len, HOST_IP,
						    (uint16_t)(seq + i), 56),
				      "reply %u wrong or out of order", seq + i);
		}
		virtio_drv_kick(&vd, RXQ);
		tx_reap(k);
		seq += k;
	}
	/* nothing more: no duplicate arrives */
	usleep(20000);
	ck_assert(!vring_drv_get_used(&ring[RXQ], &(uint32_t){ 0 },
				      &(uint32_t){ 0 }));
	ck_assert_uint_eq(LD(host.sends), N + 1);
	ck_assert_uint_eq(LD(host.push_fail), 0);
	{
		struct vm_net_stats st = VM_NET_STATS_INIT;

		ck_assert_int_eq(vm_net_get_stats(vm, "net0", &st, NULL), 0);
		ck_assert_uint_eq(st.rx_packets, N + 1);
		ck_assert_uint_eq(st.tx_packets, N + 1);
		ck_assert_uint_eq(st.tx_drop_backend + st.rx_drop_backend +
					  st.rx_drop_oversize, 0);
	}
}
END_TEST

/* Pushes from another thread while the guest has no buffers: the netdev
 * takes VM_NETDEV_RX_FRAMES, then -EAGAIN; once the guest posts buffers
 * every frame arrives in order, rx_ready fires, pushing works again. */
static void *pusher(void *arg)
{
	uint32_t *res = arg;
	uint8_t f[64];

	memset(f, 0, sizeof(f));
	for (uint32_t i = 0;; i++) {
		int rc;

		memcpy(f + 14, &i, sizeof(i));
		rc = vm_netdev_push(host.nd, 0, f, sizeof(f));
		if (rc < 0) {
			res[0] = i;
			res[1] = (uint32_t)-rc;
			return NULL;
		}
	}
}

START_TEST(test_backpressure_eagain_then_rx_ready)
{
	uint32_t res[2], v;
	uint8_t got[RXBUF], f[64] = { 0 };
	size_t len;
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, pusher, res), 0);
	pthread_join(t, NULL);
	/* one frame may already wait in the device's bounce buffer */
	ck_assert_uint_ge(res[0], VM_NETDEV_RX_FRAMES);
	ck_assert_uint_le(res[0], VM_NETDEV_RX_FRAMES + 1);
	ck_assert_uint_eq(res[1], EAGAIN);
	/* (rx_ready may already have come: the device can take one frame
	 * into its own buffer after the refusal, which makes room) */
	rx_post_n(NRX);
	for (uint32_t i = 0; i < res[0]; i++) {
		ck_assert_msg(rx_take(got, &len), "frame %u lost", i);
		ck_assert_uint_eq(len, 64);
		memcpy(&v, got + 14, sizeof(v));
		ck_assert_uint_eq(v, i);
		if (i % 16 == 15)
			virtio_drv_kick(&vd, RXQ);
	}
	ck_assert(wait_count(&host.rx_ready, 1));
	ck_assert_uint_eq(LD(host.rx_ready), 1); /* once per -EAGAIN spell */
	virtio_drv_kick(&vd, RXQ);
	ck_assert_int_eq(vm_netdev_push(host.nd, 0, f, sizeof(f)), 0);
	ck_assert(rx_take(got, &len));
}
END_TEST

/* ---- the calls' errors (no device, no guest) ---- */

static struct vm *bare_vm(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm *v = NULL;

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &v, NULL), 0);
	return v;
}

static void expect_err(int rc, struct vm_error **errp, int code,
		       const char *text)
{
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_nonnull(*errp);
	ck_assert_int_eq(vm_error_code(*errp), code);
	ck_assert_msg(strstr(vm_error_message(*errp), text),
		      "message \"%s\" lacks \"%s\"", vm_error_message(*errp),
		      text);
	vm_error_free(*errp);
	*errp = NULL;
}

START_TEST(test_api_errors)
{
	struct vm *v = bare_vm();
	struct vm_error *err = NULL;
	struct vm_netdev_ops small = { .size = sizeof(size_t), .send = host_send };
	struct vm_netdev_ops nosend = { .size = sizeof(nosend) };
	struct vm_obj *cb, *nl;
	uint8_t f[2 * VM_NETDEV_MAX_FRAME];
	struct iovec iov[2] = { { f, VM_NETDEV_MAX_FRAME }, { f, 1 } };

	ck_assert_int_eq(vm_add_netdev(v, "callback", "cb", NULL, &err), 0);
	ck_assert_int_eq(vm_add_netdev(v, "null", "nl", NULL, &err), 0);
	cb = vm_obj_find(v, "cb");
	nl = vm_obj_find(v, "nl");
	ck_assert_int_eq(vm_netdev_set_ops(NULL, &host_ops, NULL), -EINVAL);
	ck_assert_int_eq(vm_netdev_set_ops(cb, NULL, NULL), -EINVAL);
	ck_assert_int_eq(vm_netdev_set_ops(cb, &small, NULL), -EINVAL);
	ck_assert_int_eq(vm_netdev_set_ops(cb, &nosend, NULL), -EINVAL);
	ck_assert_int_eq(vm_netdev_set_ops(nl, &host_ops, NULL), -EINVAL);
	/* not realized yet */
	ck_assert_int_eq(vm_netdev_push(cb, 0, f, 60), -ENODEV);
	ck_assert_int_eq(vm_netdev_push(nl, 0, f, 60), -EINVAL);
	ck_assert_int_eq(vm_netdev_push(NULL, 0, f, 60), -EINVAL);
	ck_assert_int_eq(vm_netdev_push(cb, 1, f, 60), -EINVAL);
	ck_assert_int_eq(vm_netdev_push(cb, 0, NULL, 60), -EINVAL);
	ck_assert_int_eq(vm_netdev_push(cb, 0, f, 0), -EMSGSIZE);
	ck_assert_int_eq(vm_netdev_pushv(cb, 0, iov, 2), -EMSGSIZE);
	ck_assert_int_eq(vm_netdev_pushv(cb, 0, iov, -1), -EINVAL);
	/* a callback netdev without callbacks does not start */
	test_vm_add_machine(v, 64 * MiB);
	expect_err(vm_realize_objects(v, &err), &err, -EINVAL,
		   "netdev 'cb': no frame callbacks");
	ck_assert(!vm_obj_is_realized(cb));
	ck_assert_int_eq(vm_netdev_set_ops(cb, &host_ops, &host), 0);
	ck_assert_int_eq(vm_realize_objects(v, &err), 0);
	ck_assert_int_eq(vm_netdev_set_ops(cb, &host_ops, &host), -EBUSY);
	/* no device: the frames wait, then -EAGAIN; none is lost */
	for (unsigned i = 0; i < VM_NETDEV_RX_FRAMES; i++)
		ck_assert_int_eq(vm_netdev_pushv(cb, 0, iov, 1), 0);
	ck_assert_int_eq(vm_netdev_push(cb, 0, f, 60), -EAGAIN);
	vm_destroy(v); /* frees what waits (leak check under ASan) */
}
END_TEST

/* Host types: parent "netdev" is built on "callback", its netdev_ops and
 * opaque serve every instance; netdev_ops with another parent, or
 * without send, are refused; a 0.1-sized vm_type_info still registers. */
START_TEST(test_host_type_netdev_ops)
{
	struct vm *v = bare_vm();
	struct vm_error *err = NULL;
	struct vm_type_info ti = {
		.size = sizeof(ti), .name = "my-net", .parent = "netdev",
		.netdev_ops = &host_ops, .opaque = &host,
	};
	struct vm_netdev_ops nosend = { .size = sizeof(nosend) };
	struct vm_obj *o;
	char buf[64];

	ck_assert_int_eq(vm_type_register(v, &ti, &err), 0);
	ti.name = "bad-tap";
	ti.parent = "tap";
	expect_err(vm_type_register(v, &ti, &err), &err, -EINVAL,
		   "netdev_ops need a parent");
	ti.name = "bad-dev";
	ti.parent = "device";
	expect_err(vm_type_register(v, &ti, &err), &err, -EINVAL,
		   "netdev_ops need a parent");
	ti.name = "bad-ops";
	ti.parent = "netdev";
	ti.netdev_ops = &nosend;
	expect_err(vm_type_register(v, &ti, &err), &err, -EINVAL,
		   "without size or send");
	ti.name = "old-net";
	ti.size = offsetof(struct vm_type_info, netdev_ops);
	ck_assert_int_eq(vm_type_register(v, &ti, &err), 0);
	ti.size = offsetof(struct vm_type_info, opaque);
	ti.name = "too-old";
	ck_assert_int_eq(vm_type_register(v, &ti, NULL), -EINVAL);

	ck_assert_int_eq(vm_add_netdev(v, "my-net", "m0", NULL, &err), 0);
	ck_assert_int_eq(vm_add_netdev(v, "old-net", "o0", NULL, &err), 0);
	o = vm_obj_find(v, "m0");
	ck_assert_str_eq(vm_obj_type(o), "my-net");
	ck_assert_int_eq(vm_obj_kind(o), VM_OBJ_NETDEV);
	ck_assert_int_eq(vm_obj_get_prop(o, "nope", buf, sizeof(buf)), -ENOENT);
	test_vm_add_machine(v, 64 * MiB);
	/* old-net has no ops: it starts and refuses the guest's frames */
	ck_assert_int_eq(vm_realize_objects(v, &err), 0);
	ck_assert_int_eq(vm_netdev_push(o, 0, buf, 60), 0);
	ck_assert_int_eq(vm_netdev_push(vm_obj_find(v, "o0"), 0, buf, 60), 0);
	vm_destroy(v);
}
END_TEST

/* A host type's netdev_ops carry the guest's frames (through a device). */
START_TEST(test_host_type_carries_frames)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm_type_info ti = {
		.size = sizeof(ti), .name = "my-net", .parent = "netdev",
		.netdev_ops = &host_ops, .opaque = &host,
	};
	uint8_t f[60];
	uint64_t b;

	memset(&host, 0, sizeof(host));
	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_type_register(vm, &ti, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "my-net", "m0", NULL, &err), 0);
	ck_assert_int_eq(vm_add_device(vm, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "m0" }, { "id", "net0" },
					  { NULL, NULL } }, &err), 0);
	vnet_fixture_machine();
	ck_assert_int_eq(vm_realize_objects(vm, &err), 0);
	find_device();
	linux_probe(LINUX_FEATURES);
	b = guest_alloc(&gm, HDR + sizeof(f), 16);
	memset(f, 0x5a, sizeof(f));
	tx_put(b, f, sizeof(f));
	virtio_drv_kick(&vd, TXQ);
	ck_assert(wait_count(&host.sends, 1));
	ck_assert_ptr_eq(host.opaque_seen, &host);
	ck_assert_mem_eq(host.last, f, sizeof(f));
	vm_destroy(vm);
	vm = NULL;
}
END_TEST

/* The batch form: ->send_batch gets the frames when the ops have one
 * (its count is the result), else ->send runs once per frame until one is
 * refused. */
static unsigned batch_calls, batch_frames;

static int host_send_batch(struct vm_obj *nd, void *opaque, unsigned q,
			   const struct vm_netdev_frame *f, unsigned n)
{
	batch_calls++;
	batch_frames += n;
	return n > 2 ? 2 : (int)n; /* takes two at most */
}

START_TEST(test_send_batch)
{
	struct vm *v = bare_vm();
	struct vm_netdev_ops batch = host_ops;
	uint8_t a[60] = { 1 }, b[60] = { 2 }, c[60] = { 3 };
	struct iovec iov[3] = { { a, 60 }, { b, 60 }, { c, 60 } };
	struct netdev_frame f[3] = { { &iov[0], 1 }, { &iov[1], 1 },
				     { &iov[2], 1 } };
	struct netdev *n1, *n2;

	memset(&host, 0, sizeof(host));
	batch.send_batch = host_send_batch;
	ck_assert_int_eq(vm_add_netdev(v, "callback", "b", NULL, NULL), 0);
	ck_assert_int_eq(vm_add_netdev(v, "callback", "s", NULL, NULL), 0);
	ck_assert_int_eq(vm_netdev_set_ops(vm_obj_find(v, "b"), &batch, &host), 0);
	ck_assert_int_eq(vm_netdev_set_ops(vm_obj_find(v, "s"), &host_ops, &host), 0);
	test_vm_add_machine(v, 64 * MiB);
	ck_assert_int_eq(vm_realize_objects(v, NULL), 0);
	n1 = to_netdev(vm_obj_find(v, "b"));
	n2 = to_netdev(vm_obj_find(v, "s"));
	ck_assert_int_eq(netdev_send_batch(n1, 0, f, 3), 2);
	ck_assert_uint_eq(batch_calls, 1);
	ck_assert_uint_eq(batch_frames, 3);
	ck_assert_uint_eq(host.sends, 0);
	ck_assert_int_eq(netdev_send_batch(n2, 0, f, 3), 3);
	ck_assert_uint_eq(host.sends, 3);
	ck_assert_mem_eq(host.last, c, 60);
	vm_destroy(v);
}
END_TEST

/* ---- virtio-net-pci hands TX bursts to ->send_batch ---- */

static struct batch_host {
	unsigned calls, frames, singles, max_n;
	unsigned limit;        /* take at most this many per call (0: all) */
	bool fail_first;       /* the first call says -EIO */
	uint8_t seq[64];       /* first byte of each frame taken, in order */
} bh;

static int bh_send_batch(struct vm_obj *nd, void *opaque, unsigned q,
			 const struct vm_netdev_frame *f, unsigned n)
{
	struct batch_host *b = opaque;
	unsigned take = b->limit && n > b->limit ? b->limit : n;

	if (n > b->max_n)
		b->max_n = n;
	if (INC(b->calls) == 1 && b->fail_first)
		return -EIO;
	for (unsigned i = 0; i < take; i++) {
		ck_assert_int_ge(f[i].iovcnt, 1);
		ck_assert_uint_eq(f[i].iov[0].iov_len, 60); /* no header */
		if (b->frames + i < sizeof(b->seq))
			b->seq[b->frames + i] = *(uint8_t *)f[i].iov[0].iov_base;
	}
	__atomic_add_fetch(&b->frames, take, __ATOMIC_ACQ_REL);
	return (int)take;
}

static ssize_t bh_send(struct vm_obj *nd, void *opaque, unsigned q,
		       const struct iovec *iov, int iovcnt)
{
	INC(((struct batch_host *)opaque)->singles);
	return -EIO;
}

static const struct vm_netdev_ops bh_ops = {
	.size = sizeof(bh_ops), .send = bh_send, .send_batch = bh_send_batch,
};

/* The guest makes 8 frames available, kicks once; they reach the host in
 * ring order, each once, through ->send_batch only. */
static void batch_run(unsigned limit, bool fail_first,
		      struct vm_net_stats *st)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	uint8_t f[60];
	uint16_t heads[8];

	memset(&bh, 0, sizeof(bh));
	bh.limit = limit;
	bh.fail_first = fail_first;
	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "callback", "b0", NULL, &err), 0);
	ck_assert_int_eq(vm_netdev_set_ops(vm_obj_find(vm, "b0"), &bh_ops, &bh),
			 0);
	ck_assert_int_eq(vm_add_device(vm, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "b0" }, { "id", "net0" },
					  { NULL, NULL } }, &err), 0);
	vnet_fixture_machine();
	ck_assert_int_eq(vm_realize_objects(vm, &err), 0);
	find_device();
	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < 8; i++) {
		memset(f, 0, sizeof(f));
		f[0] = (uint8_t)i;
		heads[i] = tx_chain(guest_alloc(&gm, HDR + sizeof(f), 16), f,
				    sizeof(f));
	}
	/* All 8 at once: a wakeup of the device's thread for something else
	 * (the activation) cannot catch the burst half-published. */
	vring_drv_publish_n(&ring[TXQ], heads, 8);
	virtio_drv_kick(&vd, TXQ);
	tx_reap(8);
	ck_assert_int_eq(vm_net_get_stats(vm, "net0", st, NULL), 0);
	vm_destroy(vm);
	vm = NULL;
}

START_TEST(test_tx_bursts_go_to_send_batch)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	batch_run(0, false, &st);
	ck_assert_uint_eq(bh.frames, 8);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(bh.seq[i], i);
	ck_assert_uint_eq(bh.singles, 0);
	/* one kick, one burst: a wakeup for another queue in between may
	 * split it, never into one call per frame */
	ck_assert_uint_ge(bh.max_n, 4);
	ck_assert_uint_le(bh.calls, 2);
	ck_assert_uint_eq(st.tx_batches, bh.calls);
	ck_assert_uint_eq(st.tx_packets, 8);
	ck_assert_uint_eq(st.tx_bytes, 8 * 60);
}
END_TEST

/* A host that takes 3 at a time: the rest wait in the ring (about 1 ms)
 * and come again, in order, none twice. */
START_TEST(test_send_batch_partial_takes_resume_in_order)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	batch_run(3, false, &st);
	ck_assert_uint_eq(bh.frames, 8);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(bh.seq[i], i);
	ck_assert_uint_ge(bh.calls, 3);
	ck_assert_uint_eq(st.tx_batches, bh.calls);
	ck_assert_uint_eq(st.tx_packets, 8);
	ck_assert_uint_eq(st.tx_drop_backend, 0);
}
END_TEST

/* An error for a batch drops its first frame (counted) only. */
START_TEST(test_send_batch_error_drops_the_first_frame)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	batch_run(0, true, &st);
	ck_assert_uint_eq(bh.frames, 7);
	for (unsigned i = 0; i < 7; i++)
		ck_assert_uint_eq(bh.seq[i], i + 1);
	ck_assert_uint_eq(st.tx_drop_backend, 1);
	ck_assert_uint_eq(st.tx_packets, 7);
	ck_assert_uint_eq(st.tx_batches, bh.calls);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("host-netdev");
	TCase *tc = tcase_create("callback");
	TCase *te = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_frames_both_ways);
	tcase_add_test(tc, test_echo_10000);
	tcase_add_test(tc, test_backpressure_eagain_then_rx_ready);
	suite_add_tcase(s, tc);
	tcase_add_test(te, test_api_errors);
	tcase_add_test(te, test_host_type_netdev_ops);
	tcase_add_test(te, test_host_type_carries_frames);
	tcase_add_test(te, test_send_batch);
	tcase_add_test(te, test_tx_bursts_go_to_send_batch);
	tcase_add_test(te, test_send_batch_partial_takes_resume_in_order);
	tcase_add_test(te, test_send_batch_error_drops_the_first_frame);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	return check_run(suite());
}
