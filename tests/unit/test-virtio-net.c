/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio-net.c: device "virtio-net-pci" end to end without
 * KVM. The VM is built through the public API (vm_create, a host-registered
 * socketpair netdev type, vm_add_device), realized with vm_realize_objects()
 * on a machine from machine_new() (tests/unit/vm-fixture.h), and driven by
 * the mock guest the way Linux's virtio_pci + virtio_net drive it: config
 * cycles and BAR accesses through the machine's PIO/MMIO maps, rings in the
 * machine's RAM, MSI-X messages recorded by an irq sink put on the bus.
 * Each row cites virtio 1.2 §5.1.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include <kvm-virtio.h>

#include "mock/guest-mem.h"
#include "mock/pci-driver.h"
#include "mock/virtio-driver.h"
#include "net/netdev.h"
#include "pci/pci.h"
#include "virtio/pci-modern.h"
#include "vm-fixture.h"
#include "check-main.h"

#define MiB (1ull << 20)
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)
#define BIT(b) (1ull << (b))
#define MAC "52:54:00:ab:cd:ef"
#define HDR 12u
#define RXQ 0
#define TXQ 1
#define CTRLQ 2

/* ---- a socketpair netdev, registered through the public type API ---- */

struct sock_priv {
	int fd[2];   /* [0] the backend's end, [1] the test's ("the wire") */
};

static ssize_t sock_send(struct netdev *nd, unsigned q, const struct iovec *iov,
			 int iovcnt)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);
	ssize_t r = writev(p->fd[0], iov, iovcnt);

	return r < 0 ? -errno : r;
}

static ssize_t sock_recv(struct netdev *nd, unsigned q, const struct iovec *iov,
			 int iovcnt)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);
	ssize_t r = readv(p->fd[0], iov, iovcnt);

	return r < 0 ? -errno : r;
}

static int sock_rx_fd(struct netdev *nd, unsigned q)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);

	return p->fd[0];
}

static const struct netdev_ops sock_ops = {
	.send = sock_send, .recv = sock_recv, .rx_fd = sock_rx_fd,
};

static int sock_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct sock_priv *p = vm_obj_priv(o);
	struct netdev *nd = to_netdev(o);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, p->fd) < 0)
		return vm_error_set(errp, -errno, "socketpair");
	/* Test-only: a host type has no netdev ops in the public API yet;
	 * plug ours into its class (a copy of "netdev"'s). */
	((struct netdev_class *)o->klass)->ops = &sock_ops;
	nd->caps = NETDEV_CAP_RX_FD; /* no vnet header: the device makes it */
	nd->queues = 1;
	return 0;
}

static void sock_unrealize(struct vm_obj *o)
{
	struct sock_priv *p = vm_obj_priv(o);

	close(p->fd[0]);
	close(p->fd[1]);
}

static const struct vm_type_info sock_type = {
	.size = sizeof(struct vm_type_info),
	.name = "test-sock",
	.parent = "netdev",
	.priv_size = sizeof(struct sock_priv),
	.realize = sock_realize,
	.unrealize = sock_unrealize,
};

/* ---- an irq sink safe for the RX I/O thread ---- */

struct msi_rec {
	struct irq_sink sink;
	unsigned msis;         /* atomic */
	uint32_t last_data;    /* atomic */
};

static int rec_line(struct irq_sink *s, uint32_t gsi, int level)
{
	return 0;
}

static int rec_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	struct msi_rec *r = (struct msi_rec *)s;

	__atomic_store_n(&r->last_data, data, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->msis, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static const struct irq_sink_ops rec_ops = { rec_line, rec_msi };

/* ---- fixture ---- */

static struct vm *vm;
static struct machine *mach;
static struct msi_rec rec;
static struct mock_pci drv;
static struct guest_mem gm;   /* a bump allocator over the machine's RAM */
static unsigned slot;
static uint64_t bar4;
static int wire = -1;
static struct vring_drv ring[3];

static uint32_t bar_rd(void *o, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	ck_assert_int_eq(iomap_read(drv.mmio, bar4 + off, &v, size), 0);
	return v;
}

static void bar_wr(void *o, uint32_t off, uint32_t val, unsigned size)
{
	ck_assert_int_eq(iomap_write(drv.mmio, bar4 + off, &val, size), 0);
}

static void bar_notify(void *o, uint16_t q, uint16_t noff)
{
	bar_wr(o, VIO_PCI_NOTIFY_OFF + noff * VIO_PCI_NOTIFY_MULT, q, 2);
}

static const struct virtio_drv_ops bar_ops = { bar_rd, bar_wr, bar_notify };
static struct virtio_drv vd = { &bar_ops, NULL, 0 };

static void build_vm(const struct vm_prop *dev_props)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_type_register(vm, &sock_type, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "test-sock", "s0", NULL, &err), 0);
	ck_assert_int_eq(vm_add_device(vm, "virtio-net-pci", dev_props, &err),
			 0);
	mach = test_vm_add_machine(vm, 64 * MiB);
	rec = (struct msi_rec){ .sink.ops = &rec_ops };
	machine_pci(mach)->cfg.irq = &rec.sink;
}

static void find_device(void)
{
	drv = (struct mock_pci){ machine_pio(mach), machine_mmio(mach), 0 };
	for (slot = 1; slot < 32; slot++)
		if (mock_pci_cfg_read(&drv, slot, PCI_VENDOR_ID, 4) ==
		    (0x1041u << 16 | 0x1af4u))
			break;
	ck_assert_uint_lt(slot, 32);
	bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
	ck_assert_uint_ne(bar4, 0);
	mock_pci_command(&drv, slot, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	gm.gm = *machine_mem(mach); /* shared mapping, not owned */
	gm.next = 1 * MiB;
	gm.end = 64 * MiB;
}

static void setup(void)
{
	struct vm_error *err = NULL;

	build_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					   { "mac", MAC }, { NULL, NULL } });
	ck_assert_int_eq(vm_realize_objects(vm, &err), 0);
	find_device();
	wire = ((struct sock_priv *)vm_obj_priv(vm_obj_find(vm, "s0")))->fd[1];
}

static void teardown(void)
{
	vm_destroy(vm); /* unrealizes the device, frees the machine */
	vm = NULL;
}

/* virtio_pci_modern_probe + virtnet_probe: MSI-X on (vector 0 config,
 * 1.. per queue), features, queues, DRIVER_OK. */
static void linux_probe(uint64_t wanted)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0);
	uint16_t q;

	ck_assert_uint_ne(cap, 0);
	mock_pci_cfg_write(&drv, slot, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	for (unsigned v = 0; v < 4; v++)
		mock_pci_msix_set(&drv, slot, v, 0xfee00000, 0x40 + v, 0);
	ck_assert_int_eq(virtio_drv_probe(&vd, wanted), 0);
	bar_wr(NULL, CC(msix_config), 0, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(msix_config), 2), 0);
	for (q = 0; q < 3; q++)
		ck_assert_int_eq(virtio_drv_setup_queue(&vd, &gm, q, 64,
							(uint16_t)(q + 1),
							&ring[q]),
				 q + 1);
	for (q = 0; q < 3; q++)
		virtio_drv_enable_queue(&vd, q);
	virtio_drv_driver_ok(&vd);
	ck_assert_uint_eq(virtio_drv_get_status(&vd) & 0xf,
			  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK |
				  VIRTIO_CONFIG_S_DRIVER_OK);
}

#define LINUX_FEATURES (~0ull)

static unsigned msis(void)
{
	return __atomic_load_n(&rec.msis, __ATOMIC_ACQUIRE);
}

/* Poll the used ring of @r (filled by the I/O thread) for up to 2 s. */
static bool wait_used(struct vring_drv *r, uint32_t *id, uint32_t *len)
{
	for (int i = 0; i < 2000; i++) {
		if (vring_drv_get_used(r, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- rows ---- */

/* §5.1.1-5.1.4: IDs, the features offered for a backend without a vnet
 * header or offloads, the config space Linux reads in virtnet_probe. */
START_TEST(test_vnet_identity_features_and_config)
{
	uint64_t f;
	uint8_t mac[6];

	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, PCI_REVISION_ID, 1), 1);
	f = virtio_drv_device_features(&vd);
	ck_assert_uint_eq(f, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				     BIT(VIRTIO_NET_F_STATUS) |
				     BIT(VIRTIO_NET_F_MRG_RXBUF) |
				     BIT(VIRTIO_NET_F_CTRL_VQ) |
				     BIT(VIRTIO_RING_F_EVENT_IDX) |
				     BIT(VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert_uint_eq(bar_rd(NULL, CC(num_queues), 2), 3);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)bar_rd(NULL, VIO_PCI_DEVICE_OFF + i, 1);
	ck_assert_mem_eq(mac, "\x52\x54\x00\xab\xcd\xef", 6);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config, status), 2),
			  VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config,
					  max_virtqueue_pairs), 2), 1);
	linux_probe(LINUX_FEATURES);
}
END_TEST

/* §5.1.6.2: a tx chain = header + frame; the backend gets the frame, the
 * chain comes back with len 0 and the tx vector fires. */
START_TEST(test_vnet_tx_frame_reaches_backend)
{
	uint8_t frame[60], got[128];
	uint64_t h = guest_alloc(&gm, HDR, 16), fr = guest_alloc(&gm, 60, 16);
	uint32_t id, len;
	unsigned before;

	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	memcpy(guest_ptr(&gm, fr, 60), frame, 60);
	before = msis();
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { h, HDR, false },
						{ fr, 60, false } }, 2));
	virtio_drv_kick(&vd, TXQ);
	ck_assert_int_eq(read(wire, got, sizeof(got)), 60);
	ck_assert_mem_eq(got, frame, 60);
	ck_assert(vring_drv_get_used(&ring[TXQ], &id, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_gt(msis(), before);
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40 + TXQ + 1);
}
END_TEST

/* §5.1.6.3-4: a frame from the backend lands in a posted buffer after a
 * 12-byte header with num_buffers = 1; the rx vector fires. Frames that
 * come before any buffer wait for the guest's kick. */
START_TEST(test_vnet_rx_frame_lands_in_buffer)
{
	uint8_t frame[100];
	uint64_t b = guest_alloc(&gm, 1526, 16);
	struct virtio_net_hdr_v1 hv;
	uint32_t id, len;

	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(write(wire, frame, sizeof(frame)), sizeof(frame));
	usleep(20000);
	ck_assert(!vring_drv_get_used(&ring[RXQ], &id, &len)); /* no buffer */
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b, 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	ck_assert(wait_used(&ring[RXQ], &id, &len));
	ck_assert_uint_eq(len, HDR + sizeof(frame));
	memcpy(&hv, guest_ptr(&gm, b, HDR), HDR);
	ck_assert_uint_eq(hv.flags, 0);
	ck_assert_uint_eq(hv.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	ck_assert_uint_eq(hv.num_buffers, 1);
	ck_assert_mem_eq(guest_ptr(&gm, b + HDR, sizeof(frame)), frame,
			 sizeof(frame));
	for (int i = 0; i < 1000 && !msis(); i++)
		usleep(1000);
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40 + RXQ + 1);
}
END_TEST

/* §5.1.6.4: with MRG_RXBUF a frame bigger than one buffer spans several,
 * num_buffers says how many. */
START_TEST(test_vnet_rx_mergeable_spans_buffers)
{
	static uint8_t frame[3000];
	uint64_t b[3];
	struct virtio_net_hdr_v1 hv;
	uint32_t id, len, total = 0;

	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < 3; i++) {
		b[i] = guest_alloc(&gm, 1526, 16);
		vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
			(const struct vring_drv_buf[]){ { b[i], 1526, true } },
			1));
	}
	virtio_drv_kick(&vd, RXQ);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(write(wire, frame, sizeof(frame)), sizeof(frame));
	for (unsigned i = 0; i < 2; i++) {
		ck_assert(wait_used(&ring[RXQ], &id, &len));
		total += len;
	}
	ck_assert_uint_eq(total, HDR + sizeof(frame));
	memcpy(&hv, guest_ptr(&gm, b[0], HDR), HDR);
	ck_assert_uint_eq(hv.num_buffers, 2);
	ck_assert_mem_eq(guest_ptr(&gm, b[0] + HDR, 1526 - HDR), frame,
			 1526 - HDR);
	ck_assert_mem_eq(guest_ptr(&gm, b[1], sizeof(frame) - (1526 - HDR)),
			 frame + 1526 - HDR, sizeof(frame) - (1526 - HDR));
}
END_TEST

static uint8_t ctrl(const void *cmd, unsigned len)
{
	uint64_t c = guest_alloc(&gm, len, 8), a = guest_alloc(&gm, 1, 8);
	uint32_t id, l;

	memcpy(guest_ptr(&gm, c, len), cmd, len);
	*(uint8_t *)guest_ptr(&gm, a, 1) = 0xee;
	vring_drv_publish(&ring[CTRLQ], vring_drv_add_chain(&ring[CTRLQ],
		(const struct vring_drv_buf[]){ { c, len, false },
						{ a, 1, true } }, 2));
	virtio_drv_kick(&vd, CTRLQ);
	ck_assert(vring_drv_get_used(&ring[CTRLQ], &id, &l));
	ck_assert_uint_eq(l, 1);
	return *(uint8_t *)guest_ptr(&gm, a, 1);
}

/* §5.1.6.5: what virtnet_probe/ndo_set_rx_mode/announce send. */
START_TEST(test_vnet_ctrl_commands)
{
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ctrl("\x00\x00\x01", 3), VIRTIO_NET_OK); /* promisc */
	ck_assert_uint_eq(ctrl("\x00\x01\x00", 3), VIRTIO_NET_OK); /* allmulti */
	ck_assert_uint_eq(ctrl("\x01\x01\x52\x54\x00\x00\x00\x01", 8),
			  VIRTIO_NET_OK); /* MAC_ADDR_SET */
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_OK); /* ANNOUNCE_ACK */
	/* MQ was not offered (1 pair): VQ_PAIRS_SET is refused. */
	ck_assert_uint_eq(ctrl("\x04\x00\x01\x00", 4), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl("\x77\x00", 2), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl("\x02\x00\x01\x00", 4), VIRTIO_NET_ERR); /* VLAN */
}
END_TEST

/* Hostile rows: §5.1.6.2 tx buffers are device-readable only; §5.1.6.3.1
 * an rx buffer holds at least the header. Each marks NEEDS_RESET
 * (§2.1.2), nothing reaches the wire, and a reset makes the device
 * usable again. */
START_TEST(test_vnet_hostile_tx_writable_descriptor)
{
	uint64_t b = guest_alloc(&gm, 64, 16), h = guest_alloc(&gm, HDR, 16);
	uint8_t buf[64];

	linux_probe(LINUX_FEATURES);
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { b, 64, true },
						{ h, HDR, false } }, 2));
	virtio_drv_kick(&vd, TXQ);
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_int_eq(read(wire, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* the driver resets and probes again: works */
	linux_probe(LINUX_FEATURES);
	ck_assert(!(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

START_TEST(test_vnet_hostile_rx_chain_too_small)
{
	uint64_t b = guest_alloc(&gm, 4, 4);
	uint32_t id, len;

	linux_probe(LINUX_FEATURES);
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b, 4, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	ck_assert_int_eq(write(wire, "abcdefgh", 8), 8);
	for (int i = 0; i < 2000; i++) {
		if (virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		usleep(1000);
	}
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(!vring_drv_get_used(&ring[RXQ], &id, &len));
}
END_TEST

/* Without MRG_RXBUF a frame must fit one chain; a too small one keeps its
 * buffer and the frame is dropped. */
START_TEST(test_vnet_rx_no_mrg_drops_oversized)
{
	static uint8_t big[2000];
	uint64_t b = guest_alloc(&gm, 1526, 16);
	uint32_t id, len;

	linux_probe(LINUX_FEATURES & ~BIT(VIRTIO_NET_F_MRG_RXBUF));
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b, 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	ck_assert_int_eq(write(wire, big, sizeof(big)), sizeof(big));
	ck_assert_int_eq(write(wire, "0123456789abcdef", 16), 16);
	ck_assert(wait_used(&ring[RXQ], &id, &len));
	ck_assert_uint_eq(len, HDR + 16);
	ck_assert_mem_eq(guest_ptr(&gm, b + HDR, 16), "0123456789abcdef", 16);
}
END_TEST

/* A failed realize leaves no trace: the slot is taken, the netdev is free
 * again, the first device is unrealized too (vm_realize_objects rolls
 * back). */
START_TEST(test_vnet_realize_failure_leaves_no_trace)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *v;
	struct machine *m;
	struct mock_pci d;

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &v, &err), 0);
	ck_assert_int_eq(vm_add_netdev(v, "null", "a", NULL, &err), 0);
	ck_assert_int_eq(vm_add_netdev(v, "null", "b", NULL, &err), 0);
	ck_assert_int_eq(vm_add_device(v, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "a" }, { "id", "net0" },
					  { "addr", "5" }, { NULL, NULL } },
		&err), 0);
	ck_assert_int_eq(vm_add_device(v, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "b" }, { "id", "net1" },
					  { "addr", "5" }, { NULL, NULL } },
		&err), 0);
	m = test_vm_add_machine(v, 16 * MiB);
	ck_assert_int_eq(vm_realize_objects(v, &err), -EBUSY);
	ck_assert_msg(strstr(vm_error_message(err), "device 'net1'"), "%s",
		      vm_error_message(err));
	vm_error_free(err);
	err = NULL;
	ck_assert_ptr_null(((struct netdev *)vm_obj_find(v, "a"))->peer);
	ck_assert_ptr_null(((struct netdev *)vm_obj_find(v, "b"))->peer);
	d = (struct mock_pci){ machine_pio(m), machine_mmio(m), 0 };
	ck_assert_uint_eq(mock_pci_cfg_read(&d, 5, PCI_VENDOR_ID, 2), 0xffff);
	vm_destroy(v);
}
END_TEST

/* A null backend: TX frames are counted and dropped by it; addr= places
 * the function. */
START_TEST(test_vnet_null_backend_at_addr)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *v;
	struct machine *m;
	struct mock_pci d;

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &v, &err), 0);
	ck_assert_int_eq(vm_add_netdev(v, "null", "a", NULL, &err), 0);
	ck_assert_int_eq(vm_add_device(v, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "a" }, { "id", "net0" },
					  { "addr", "0x7" }, { NULL, NULL } },
		&err), 0);
	m = test_vm_add_machine(v, 16 * MiB);
	ck_assert_int_eq(vm_realize_objects(v, &err), 0);
	d = (struct mock_pci){ machine_pio(m), machine_mmio(m), 0 };
	ck_assert_uint_eq(mock_pci_cfg_read(&d, 7, PCI_VENDOR_ID, 4),
			  0x1041u << 16 | 0x1af4u);
	vm_destroy(v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio-net");
	TCase *tc = tcase_create("virtio-net-pci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_vnet_identity_features_and_config);
	tcase_add_test(tc, test_vnet_tx_frame_reaches_backend);
	tcase_add_test(tc, test_vnet_rx_frame_lands_in_buffer);
	tcase_add_test(tc, test_vnet_rx_mergeable_spans_buffers);
	tcase_add_test(tc, test_vnet_ctrl_commands);
	tcase_add_test(tc, test_vnet_hostile_tx_writable_descriptor);
	tcase_add_test(tc, test_vnet_hostile_rx_chain_too_small);
	tcase_add_test(tc, test_vnet_rx_no_mrg_drops_oversized);
	suite_add_tcase(s, tc);
	tc = tcase_create("realize");
	tcase_add_test(tc, test_vnet_realize_failure_leaves_no_trace);
	tcase_add_test(tc, test_vnet_null_backend_at_addr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
