/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio-net.c: device "virtio-net-pci" end to end without
 * KVM. The VM is built through the public API (vm_create, a host-registered
 * socketpair netdev type, vm_add_device), realized with vm_realize_objects()
 * on a machine from machine_new() (tests/unit/vm-fixture.h), and driven by
 * the mock guest the way Linux's virtio_pci + virtio_net drive it: config
 * cycles and BAR accesses through the machine's PIO/MMIO maps, rings in the
 * machine's RAM, MSI-X messages recorded by an irq sink put on the bus.
 * Queues are served by the device's I/O threads, so results are waited
 * for. Two sinks: the plain one (KVM_SIGNAL_MSI only: kicks take the MMIO
 * exit, interrupts are MSIs) and a fake KVM that also binds ioeventfds
 * and irqfds, which the tests then signal and read the way KVM would.
 * Each row cites virtio 1.2 §5.1.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
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
#include "mock/virtio-pci-bar.h"
#include "net/netdev.h"
#include "pci/pci.h"
#include "devices/device.h"
#include "fake-kvm.h"
#include "virtio/pci-modern.h"
#include "vm-fixture.h"
#include "snapshot/format.h"
#include "vnet-fixture.h"
#include "mock/sock-netdev.h"
#include "check-main.h"



/* ---- irq sinks safe for the I/O threads: plain, and a fake KVM ---- */



/* ---- fixture ---- */

static int wire = -1;


static void build_vm(const struct vm_prop *dev_props)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_type_register(vm, &sock_netdev_type, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "test-sock", "s0", NULL, &err), 0);
	ck_assert_int_eq(vm_add_device(vm, "virtio-net-pci", dev_props, &err),
			 0);
	vnet_fixture_machine();
}


static void setup(void)
{
	struct vm_error *err = NULL;

	build_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					   { "mac", MAC }, { NULL, NULL } });
	ck_assert_int_eq(vm_realize_objects(vm, &err), 0);
	find_device();
	wire = sock_netdev_wire(vm, "s0");
}

/* The fixture's VM destroyed and built again with @dev_props, realized,
 * the function found and the wire taken. */
static void rebuild_vm(const struct vm_prop *dev_props)
{
	vm_destroy(vm);
	build_vm(dev_props);
	ck_assert_int_eq(vm_realize_objects(vm, NULL), 0);
	find_device();
	wire = sock_netdev_wire(vm, "s0");
}

static void teardown(void)
{
	vm_destroy(vm); /* unrealizes the device, frees the machine */
	vm = NULL;
}




/* One frame from the wire, waiting up to 2 s; -1 if none came. */
static ssize_t wire_read(void *buf, size_t len)
{
	struct pollfd p = { .fd = wire, .events = POLLIN };

	if (poll(&p, 1, 2000) <= 0)
		return -1;
	return read(wire, buf, len);
}

static bool wire_quiet(int ms)
{
	struct pollfd p = { .fd = wire, .events = POLLIN };

	return poll(&p, 1, ms) == 0;
}

static bool wait_status(uint8_t bit)
{
	for (int i = 0; i < 2000; i++) {
		if (virtio_drv_get_status(&vd) & bit)
			return true;
		usleep(1000);
	}
	return false;
}

static bool wait_msis(unsigned more_than)
{
	for (int i = 0; i < 2000; i++) {
		if (msis() > more_than)
			return true;
		usleep(1000);
	}
	return false;
}

static struct vm_net_stats net_stats(void)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	ck_assert_int_eq(vm_net_get_stats(vm, "net0", &st, NULL), 0);
	return st;
}

/* The config's status field (§5.1.4) as the driver reads it. */
static unsigned net_status(void)
{
	return virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
			     offsetof(struct virtio_net_config, status), 2);
}

/* Post a tx chain header + @len bytes of @frame and kick through the
 * notify region (the exit path). */
static void tx_post(const void *frame, uint32_t len)
{
	uint64_t h = guest_alloc(&gm, HDR, 16), fr = guest_alloc(&gm, len, 16);

	memcpy(guest_ptr(&gm, fr, len), frame, len);
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { h, HDR, false },
						{ fr, len, false } }, 2));
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
				     BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |
				     BIT(VIRTIO_RING_F_EVENT_IDX) |
				     BIT(VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert_uint_eq(virtio_bar_rd(&vbar, CC(num_queues), 2), 3);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF + i, 1);
	ck_assert_mem_eq(mac, "\x52\x54\x00\xab\xcd\xef", 6);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config, status), 2),
			  VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
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
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	ck_assert_mem_eq(got, frame, 60);
	ck_assert(wait_used(&ring[TXQ], &id, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40 + TXQ + 1);
	/* no ioeventfd here: the kick was an exit, and it is counted */
	ck_assert_uint_eq(net_stats().kick_exits, 1);
	ck_assert_uint_eq(net_stats().tx_packets, 1);
	ck_assert_uint_eq(net_stats().tx_bytes, 60);
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

/* §5.1.6.4 with EVENT_IDX: a frame that needs more buffers than the
 * driver has posted waits for the driver's next buffer. The device asks
 * to be kicked at the next avail index (not at the first buffer it gave
 * back, which the driver has already passed and so would never kick
 * for), and its thread sleeps meanwhile instead of retrying. */
START_TEST(test_vnet_rx_short_of_buffers_waits_for_the_next_kick)
{
	static uint8_t frame[3000];
	uint64_t b[2];
	uint32_t id, len, total = 0;
	struct timespec c0, c1;
	double cpu_ms;

	linux_probe(LINUX_FEATURES);
	b[0] = guest_alloc(&gm, 1526, 16);
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b[0], 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	memset(frame, 0x5a, sizeof(frame));
	ck_assert_int_eq(write(wire, frame, sizeof(frame)), sizeof(frame));
	usleep(100000);
	ck_assert(!vring_drv_get_used(&ring[RXQ], &id, &len));
	ck_assert_uint_eq(vring_drv_avail_event(&ring[RXQ]), 1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	usleep(300000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	cpu_ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 +
		 (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
	ck_assert_msg(cpu_ms < 100.0, "%.1f ms of CPU in 300 ms waiting",
		      cpu_ms);
	b[1] = guest_alloc(&gm, 1526, 16);
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { b[1], 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert(wait_used(&ring[RXQ], &id, &len));
		total += len;
	}
	ck_assert_uint_eq(total, HDR + sizeof(frame));
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
	ck_assert(wait_used(&ring[CTRLQ], &id, &l));
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
	/* ANNOUNCE_ACK with no announcement asked for (as QEMU) */
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_ERR);
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
	ck_assert(wait_status(VIRTIO_CONFIG_S_NEEDS_RESET));
	ck_assert(wire_quiet(50));
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

/* ---- the fast path: fake KVM ioeventfds and irqfds ---- */

static void setup_fast(void)
{
	fast_sink = true;
	setup();
}

static struct vio_pci *transport(void)
{
	struct vio_pci *vp = NULL;

	ck_assert_ptr_nonnull(vnet_pci_model(vm_obj_find(vm, "net0"), &vp));
	return vp;
}

/* The fd the fake KVM has bound to the route whose MSI data is @data. */
static bool fake_bound(int fd, uint32_t data)
{
	bool r = false;

	pthread_mutex_lock(&rec.lock);
	for (unsigned i = 0; i < FAKE_MAX; i++)
		if (rec.irqfd[i].bound && rec.irqfd[i].fd == fd &&
		    rec.route[rec.irqfd[i].route - 100].used &&
		    rec.route[rec.irqfd[i].route - 100].data == data)
			r = true;
	pthread_mutex_unlock(&rec.lock);
	return r;
}

static unsigned fake_nr_bound(void)
{
	unsigned n = 0;

	pthread_mutex_lock(&rec.lock);
	for (unsigned i = 0; i < FAKE_MAX; i++)
		n += rec.irqfd[i].bound;
	pthread_mutex_unlock(&rec.lock);
	return n;
}

/* What KVM does when the guest writes queue @q's notify address. */
static void kvm_kick(uint16_t q)
{
	uint64_t one = 1;
	int fd = fake_kick_fd(&rec, bar4 + VIO_PCI_NOTIFY_OFF + q * VIO_PCI_NOTIFY_MULT);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, &one, sizeof(one)), sizeof(one));
}

/* Interrupts KVM would have injected through @fd (an irqfd). */
static uint64_t fd_events(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, wait_ms) > 0 && read(fd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	return v;
}

static bool pba_bit(unsigned vec)
{
	uint64_t bar1 = mock_pci_bar_get(&drv, slot, VIO_PCI_MSIX_BAR);

	return (mock_mmio_read32(&drv, bar1 + VIO_PCI_MSIX_PBA_OFF) >> vec) & 1;
}

/* Kicks through the ioeventfd never reach the MMIO handler, and the
 * interrupt is an eventfd write on the queue's irqfd. */
START_TEST(test_vnet_ioeventfd_kick_takes_no_exit)
{
	uint8_t frame[60], got[128];
	uint32_t id, len;
	struct vm_net_stats st;
	int call = transport()->qfds[TXQ].call_fd;

	linux_probe(LINUX_FEATURES);
	for (uint16_t q = 0; q < 3; q++)
		ck_assert_int_ge(fake_kick_fd(&rec, bar4 + VIO_PCI_NOTIFY_OFF +
					      q * VIO_PCI_NOTIFY_MULT), 0);
	ck_assert(fake_bound(call, 0x40 + TXQ + 1));
	memset(frame, 0x5a, sizeof(frame));
	tx_post(frame, sizeof(frame));
	kvm_kick(TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	ck_assert(wait_used(&ring[TXQ], &id, &len));
	ck_assert_uint_ge(fd_events(call, 2000), 1);
	st = net_stats();
	ck_assert_uint_eq(st.kick_exits, 0);
	ck_assert_uint_ge(st.kicks, 1);
	ck_assert_uint_ge(st.irqfd_interrupts, 1);
	ck_assert_uint_eq(msis(), 0); /* no KVM_SIGNAL_MSI at all */
}
END_TEST

/* PCI 3.0 §6.8.3.5: an interrupt for a masked vector sets its PBA bit and
 * the unmask delivers it, exactly once. */
START_TEST(test_vnet_masked_vector_pends_and_unmask_delivers_once)
{
	uint8_t frame[60], got[128];
	uint32_t id, len;
	unsigned vec = TXQ + 1;
	int call = transport()->qfds[TXQ].call_fd;

	linux_probe(LINUX_FEATURES);
	mock_pci_msix_set(&drv, slot, vec, 0xfee00000, 0x40 + vec, 1);
	ck_assert(!fake_bound(call, 0x40 + vec));
	memset(frame, 0x11, sizeof(frame));
	tx_post(frame, sizeof(frame));
	kvm_kick(TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	ck_assert(wait_used(&ring[TXQ], &id, &len));
	for (int i = 0; i < 2000 && !pba_bit(vec); i++)
		usleep(1000);
	ck_assert(pba_bit(vec));
	ck_assert_uint_eq(msis(), 0);
	ck_assert_uint_eq(fd_events(call, 0), 0);
	mock_pci_msix_set(&drv, slot, vec, 0xfee00000, 0x40 + vec, 0);
	ck_assert_uint_eq(msis(), 1);
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40 + vec);
	ck_assert(!pba_bit(vec));
	ck_assert(fake_bound(call, 0x40 + vec));
	ck_assert_uint_eq(fd_events(call, 20), 0); /* not twice */
}
END_TEST

/* The guest rewrites a vector's message (its route follows) and moves a
 * queue to another vector (the queue's fd moves). */
START_TEST(test_vnet_vector_rewrite_reroutes)
{
	int call = transport()->qfds[TXQ].call_fd;

	linux_probe(LINUX_FEATURES);
	ck_assert(fake_bound(call, 0x40 + TXQ + 1));
	mock_pci_msix_set(&drv, slot, TXQ + 1, 0xfee01000, 0x77, 0);
	ck_assert(fake_bound(call, 0x77));
	ck_assert_uint_ge(rec.route_updates, 1);
	virtio_bar_wr(&vbar, CC(queue_select), TXQ, 2);
	virtio_bar_wr(&vbar, CC(queue_msix_vector), 3, 2);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, CC(queue_msix_vector), 2), 3);
	ck_assert(!fake_bound(call, 0x77));
	ck_assert(fake_bound(call, 0x43));
	virtio_bar_wr(&vbar, CC(queue_msix_vector), VIRTIO_MSI_NO_VECTOR, 2);
	ck_assert(!fake_bound(call, 0x43));
}
END_TEST

static void *rx_flood(void *arg)
{
	uint8_t f[200];

	memset(f, 0xab, sizeof(f));
	for (int i = 0; i < 400; i++) {
		if (write(wire, f, sizeof(f)) < 0)
			usleep(200);
	}
	return arg;
}

/* §2.4: a reset while frames flow leaves no interrupt routed and the
 * device usable again. */
START_TEST(test_vnet_reset_during_traffic_leaves_nothing_routed)
{
	pthread_t t;

	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < 16; i++)
		vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
			(const struct vring_drv_buf[]){
				{ guest_alloc(&gm, 1526, 16), 1526, true } }, 1));
	kvm_kick(RXQ);
	ck_assert_int_eq(pthread_create(&t, NULL, rx_flood, NULL), 0);
	usleep(2000);
	virtio_drv_set_status(&vd, 0);
	ck_assert_uint_eq(virtio_drv_get_status(&vd), 0);
	ck_assert_uint_eq(fake_nr_bound(), 0);
	pthread_join(t, NULL);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(fake_nr_bound(), 4); /* config + 3 queues */
}
END_TEST

/* ---- backpressure, malformed chains, hostile rings ---- */

/* A backend that says -EAGAIN loses nothing: the frames wait and leave in
 * order once it takes them. */
START_TEST(test_vnet_tx_backpressure_loses_nothing)
{
	uint8_t frame[3][64], got[128];

	__atomic_store_n(&sock_knob.eagain, 7, __ATOMIC_RELEASE);
	linux_probe(LINUX_FEATURES);
	for (unsigned i = 0; i < 3; i++) {
		memset(frame[i], 0x30 + i, sizeof(frame[i]));
		tx_post(frame[i], sizeof(frame[i]));
	}
	virtio_drv_kick(&vd, TXQ);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(wire_read(got, sizeof(got)), 64);
		ck_assert_mem_eq(got, frame[i], 64);
	}
	ck_assert_uint_ge(__atomic_load_n(&sock_knob.sends, __ATOMIC_ACQUIRE), 10);
	/* The frame is on the wire before the I/O thread counts it. */
	for (int i = 0; i < 2000 && net_stats().tx_packets < 3; i++)
		usleep(1000);
	ck_assert_uint_eq(net_stats().tx_drop_backend, 0);
	ck_assert_uint_eq(net_stats().tx_packets, 3);
}
END_TEST

/* A tx queue waiting on a full backend does not hold up the thread's
 * other queues: the control command is answered while 60 frames wait,
 * and they all leave, none dropped, once the backend takes them. */
START_TEST(test_vnet_busy_tx_queue_does_not_starve_ctrl)
{
	uint8_t frame[32];
	uint64_t c = guest_alloc(&gm, 3, 8), a = guest_alloc(&gm, 1, 8);
	uint32_t id, len;
	unsigned tx_done = 0;
	int i;

	__atomic_store_n(&sock_knob.eagain, 1 << 30, __ATOMIC_RELEASE);
	linux_probe_n(LINUX_FEATURES, 3);
	memset(frame, 0x61, sizeof(frame));
	/* one-descriptor chains (header + frame in one buffer) */
	for (i = 0; i < 60; i++) {
		uint64_t b = guest_alloc(&gm, HDR + sizeof(frame), 16);

		memcpy(guest_ptr(&gm, b + HDR, sizeof(frame)), frame, sizeof(frame));
		vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
			(const struct vring_drv_buf[]){
				{ b, HDR + sizeof(frame), false } }, 1));
	}
	memcpy(guest_ptr(&gm, c, 3), "\x00\x00\x01", 3);
	vring_drv_publish(&ring[CTRLQ], vring_drv_add_chain(&ring[CTRLQ],
		(const struct vring_drv_buf[]){ { c, 3, false }, { a, 1, true } },
		2));
	virtio_drv_kick(&vd, CTRLQ);
	virtio_drv_kick(&vd, TXQ);
	ck_assert(wait_used(&ring[CTRLQ], &id, &len));
	while (vring_drv_get_used(&ring[TXQ], &id, &len))
		tx_done++;
	/* the backend refuses everything: tx waits, ctrl still answered */
	ck_assert_uint_eq(tx_done, 0);
	__atomic_store_n(&sock_knob.eagain, 0, __ATOMIC_RELEASE);
	for (i = 0; i < 2000 && tx_done < 60; i++) {
		while (vring_drv_get_used(&ring[TXQ], &id, &len))
			tx_done++;
		if (tx_done < 60)
			usleep(1000);
	}
	ck_assert_uint_eq(tx_done, 60);
	ck_assert_uint_eq(net_stats().tx_drop_backend, 0);
}
END_TEST

/* A chain that is only the header is dropped and counted, never sent as
 * a 0-byte frame; one shorter than the header is a guest error. */
START_TEST(test_vnet_tx_header_only_and_short_chains)
{
	uint64_t h = guest_alloc(&gm, HDR, 16), s8 = guest_alloc(&gm, 8, 8);
	uint32_t id, len;

	linux_probe(LINUX_FEATURES);
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { h, HDR, false } }, 1));
	virtio_drv_kick(&vd, TXQ);
	ck_assert(wait_used(&ring[TXQ], &id, &len));
	ck_assert(wire_quiet(50));
	ck_assert_uint_eq(net_stats().tx_drop_malformed, 1);
	ck_assert(!(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET));
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { s8, 8, false } }, 1));
	virtio_drv_kick(&vd, TXQ);
	ck_assert(wait_status(VIRTIO_CONFIG_S_NEEDS_RESET));
	ck_assert(wire_quiet(50));
}
END_TEST

/*
 * The RX heap overflow: a writable buffer laid over the guest's own avail
 * ring, so that every chunk of the frame the device writes advances
 * avail->idx by one and points the next head at the same buffer. Each pop
 * alone is legal (one buffer ahead), but one frame would take thousands
 * of chains; the device must stop at the ring's size (§2.7.13.1: the used
 * ring holds Queue Size entries) and mark the device NEEDS_RESET.
 */
START_TEST(test_vnet_rx_frame_cannot_take_more_chains_than_the_ring)
{
	static uint8_t frame[12 * 4000];
	struct vring_drv *r = &ring[RXQ];
	uint64_t b1 = guest_alloc(&gm, HDR, 16);
	uint16_t *avail;
	uint32_t id, len;

	linux_probe(LINUX_FEATURES);
	usleep(20000); /* the device saw an empty ring and asked for kicks */
	vring_drv_set_desc(r, 1, b1, HDR, VRING_DESC_F_WRITE, 0);
	vring_drv_set_desc(r, 0, r->avail, 12, VRING_DESC_F_WRITE, 0);
	avail = guest_ptr(&gm, r->avail, 4 + 2 * r->size);
	memset(avail, 0, 4 + 2 * r->size);
	avail[2] = 1;                  /* ring[0]: desc 1, takes the header */
	for (unsigned g = 0; g < sizeof(frame) / 12; g++) {
		/* chunk g lands on flags, idx, ring[0..3]: idx one ahead */
		memset(frame + 12 * g, 0, 12);
		frame[12 * g + 2] = (uint8_t)(g + 3);
		frame[12 * g + 3] = (uint8_t)((g + 3) >> 8);
	}
	vring_drv_set_avail_idx(r, 2);
	ck_assert_int_eq(write(wire, frame, sizeof(frame)), sizeof(frame));
	virtio_drv_kick(&vd, RXQ);
	ck_assert(wait_status(VIRTIO_CONFIG_S_NEEDS_RESET));
	ck_assert(!vring_drv_get_used(r, &id, &len));
}
END_TEST

/* A backend whose receive keeps failing is not spun on: reads back off,
 * and after VNET_RX_ERR_MAX in a row the guest sees the link down. */
START_TEST(test_vnet_rx_backend_errors_back_off_then_link_down)
{
	struct vm_net_stats st;

	sock_knob.recv_err = 1;
	linux_probe(LINUX_FEATURES);
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){
			{ guest_alloc(&gm, 1526, 16), 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	ck_assert_int_eq(write(wire, "x", 1), 1); /* rx fd stays readable */
	usleep(700000);
	st = net_stats();
	ck_assert_uint_ge(st.rx_drop_backend, 8);
	ck_assert_uint_le(st.rx_drop_backend, 9);
	ck_assert_uint_eq(st.link_up, 0);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config, status), 2),
			  0);
	ck_assert_uint_le(__atomic_load_n(&sock_knob.recv_calls, __ATOMIC_ACQUIRE),
			  9);
}
END_TEST

/* ---- offloads, link, counters ---- */

static void setup_offload(void)
{
	sock_knob.vnet_hdr = 1;
	sock_knob.offloads = BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);
	setup();
}

/* §5.1.6.2/§5.1.6.4: with a backend that carries the header, GSO and
 * checksum-partial frames keep their header fields both ways; the
 * accepted GUEST_* offloads reach the backend and GUEST_OFFLOADS_SET
 * narrows them (§5.1.6.5.6). */
START_TEST(test_vnet_offloads_carried_both_ways)
{
	struct virtio_net_hdr_v1 h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = htole16(54), .gso_size = htole16(1448),
		.csum_start = htole16(34), .csum_offset = htole16(16),
	};
	uint8_t frame[HDR + 100], got[256];
	uint64_t hb = guest_alloc(&gm, HDR, 16), fb = guest_alloc(&gm, 100, 16);
	uint64_t rb = guest_alloc(&gm, 1526, 16), f;
	struct virtio_net_hdr_v1 rh;
	uint32_t id, len;
	uint8_t cmd[10] = { VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			    VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET };
	uint64_t csum_only = htole64(BIT(VIRTIO_NET_F_GUEST_CSUM));

	f = virtio_drv_device_features(&vd);
	ck_assert_uint_eq(f & sock_knob.offloads, sock_knob.offloads);
	ck_assert(f & BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(__atomic_load_n(&sock_knob.offl_set, __ATOMIC_ACQUIRE),
			  BIT(VIRTIO_NET_F_GUEST_CSUM) |
				  BIT(VIRTIO_NET_F_GUEST_TSO4) |
				  BIT(VIRTIO_NET_F_GUEST_TSO6));
	/* guest -> backend */
	memcpy(guest_ptr(&gm, hb, HDR), &h, HDR);
	memset(guest_ptr(&gm, fb, 100), 0xee, 100);
	vring_drv_publish(&ring[TXQ], vring_drv_add_chain(&ring[TXQ],
		(const struct vring_drv_buf[]){ { hb, HDR, false },
						{ fb, 100, false } }, 2));
	virtio_drv_kick(&vd, TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), HDR + 100);
	ck_assert_mem_eq(got, &h, 10); /* num_buffers is the device's */
	/* backend -> guest */
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	memcpy(frame, &h, HDR);
	memset(frame + HDR, 0x77, 100);
	vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
		(const struct vring_drv_buf[]){ { rb, 1526, true } }, 1));
	virtio_drv_kick(&vd, RXQ);
	ck_assert_int_eq(write(wire, frame, sizeof(frame)), sizeof(frame));
	ck_assert(wait_used(&ring[RXQ], &id, &len));
	ck_assert_uint_eq(len, HDR + 100);
	memcpy(&rh, guest_ptr(&gm, rb, HDR), HDR);
	ck_assert_uint_eq(rh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_uint_eq(rh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(le16toh(rh.gso_size), 1448);
	ck_assert_uint_eq(le16toh(rh.num_buffers), 1);
	/* GUEST_OFFLOADS_SET: a subset is applied, an unoffered bit is not */
	memcpy(cmd + 2, &csum_only, 8);
	ck_assert_uint_eq(ctrl(cmd, sizeof(cmd)), VIRTIO_NET_OK);
	ck_assert_uint_eq(__atomic_load_n(&sock_knob.offl_set, __ATOMIC_ACQUIRE),
			  BIT(VIRTIO_NET_F_GUEST_CSUM));
	csum_only = htole64(BIT(VIRTIO_NET_F_GUEST_ECN));
	memcpy(cmd + 2, &csum_only, 8);
	ck_assert_uint_eq(ctrl(cmd, sizeof(cmd)), VIRTIO_NET_ERR);
}
END_TEST

/* §5.1.4.2: vm_net_set_link() flips LINK_UP with a config interrupt; the
 * host API's errors are the header's. */
START_TEST(test_vnet_host_sets_link)
{
	unsigned gen, before;
	struct vm_net_stats st = VM_NET_STATS_INIT;

	linux_probe(LINUX_FEATURES);
	gen = virtio_bar_rd(&vbar, CC(config_generation), 1);
	before = msis();
	ck_assert_int_eq(vm_net_set_link(vm, "net0", 0, NULL), 0);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config, status), 2),
			  0);
	ck_assert_uint_ne(virtio_bar_rd(&vbar, CC(config_generation), 1), gen);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40);
	ck_assert_uint_eq(net_stats().link_up, 0);
	ck_assert_int_eq(vm_net_set_link(vm, "net0", 1, NULL), 0);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF +
				 offsetof(struct virtio_net_config, status), 2),
			  VIRTIO_NET_S_LINK_UP);
	ck_assert_int_eq(vm_net_set_link(vm, "nope", 0, NULL), -ENOENT);
	ck_assert_int_eq(vm_net_set_link(vm, "s0", 0, NULL), -ENOTSUP);
	ck_assert_int_eq(vm_net_set_link(NULL, "net0", 0, NULL), -EINVAL);
	st.size = 8;
	ck_assert_int_eq(vm_net_get_stats(vm, "net0", &st, NULL), -EINVAL);
	ck_assert_int_eq(vm_net_get_stats(vm, "net0", NULL, NULL), -EINVAL);
}
END_TEST

/* vm_net_set_mac(): the config's mac changes, with a config interrupt and
 * a new config_generation; it stays across the guest's reset; the
 * header's errors. */
START_TEST(test_vnet_host_sets_mac)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	uint8_t got[6];
	unsigned gen, before;
	struct vm_error *err = NULL;

	linux_probe(LINUX_FEATURES);
	gen = virtio_bar_rd(&vbar, CC(config_generation), 1);
	before = msis();
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:AA:bb:cc", NULL), 0);
	for (unsigned i = 0; i < 6; i++)
		got[i] = (uint8_t)virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF + i, 1);
	ck_assert_int_eq(memcmp(got, want, 6), 0);
	ck_assert_uint_ne(virtio_bar_rd(&vbar, CC(config_generation), 1), gen);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40); /* the config vector */
	virtio_bar_wr(&vbar, CC(device_status), 0, 1); /* the guest resets */
	for (unsigned i = 0; i < 6; i++)
		got[i] = (uint8_t)virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF + i, 1);
	ck_assert_int_eq(memcmp(got, want, 6), 0);
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "not a MAC"));
	vm_error_free(err);
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", NULL, NULL), -EINVAL);
	ck_assert_int_eq(vm_net_set_mac(vm, "nope", "52:54:00:aa:bb:cc", NULL), -ENOENT);
	ck_assert_int_eq(vm_net_set_mac(vm, "s0", "52:54:00:aa:bb:cc", NULL), -ENOTSUP);
	ck_assert_int_eq(vm_net_set_mac(NULL, "net0", "52:54:00:aa:bb:cc", NULL), -EINVAL);
}
END_TEST

/* §5.1.2: a device with 2 pairs whose driver refuses MQ uses queue 2 as
 * its control queue. */
START_TEST(test_vnet_ctrl_queue_is_2_without_mq)
{
	sock_knob.queues = 2;
	rebuild_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					     { "mq", "on" }, { "queues", "2" },
					     { NULL, NULL } });
	ck_assert_uint_eq(virtio_bar_rd(&vbar, CC(num_queues), 2), 5);
	linux_probe(LINUX_FEATURES & ~BIT(VIRTIO_NET_F_MQ));
	ck_assert_uint_eq(ctrl("\x00\x00\x01", 3), VIRTIO_NET_OK);
	ck_assert_uint_eq(net_stats().ctrl_commands, 1);
	ck_assert_uint_eq(net_stats().active_pairs, 1);
}
END_TEST

/* poll-us: after a transmit burst the device keeps the driver's kicks
 * off for the window and looks at the ring itself, so frames published
 * within it leave without a kick (no vCPU exit); once the window is over
 * it asks for kicks again (EVENT_IDX: avail_event is the next index) and
 * a frame without a kick then waits for one. */
START_TEST(test_vnet_tx_poll_window_takes_frames_without_kicks)
{
	uint8_t frame[60], got[128];
	uint32_t id, len;

	rebuild_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					     { "poll-us", "400000" },
					     { NULL, NULL } });
	linux_probe(LINUX_FEATURES);
	memset(frame, 0x11, sizeof(frame));
	tx_post(frame, sizeof(frame));
	virtio_drv_kick(&vd, TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	/* within the window: published, never kicked, sent all the same */
	for (uint8_t i = 2; i <= 3; i++) {
		memset(frame, 0x10 + i, sizeof(frame));
		tx_post(frame, sizeof(frame));
		ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
		ck_assert_uint_eq(got[0], 0x10 + i);
	}
	for (int i = 0; i < 3; i++)
		ck_assert(wait_used(&ring[TXQ], &id, &len));
	ck_assert_uint_eq(net_stats().kick_exits, 1);
	ck_assert_uint_eq(net_stats().tx_packets, 3);
	/* after it: kicks asked for again, and an unkicked frame waits */
	usleep(800000);
	ck_assert_uint_eq(vring_drv_avail_event(&ring[TXQ]), 3);
	tx_post(frame, sizeof(frame));
	ck_assert(wire_quiet(200));
	virtio_drv_kick(&vd, TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	ck_assert_uint_eq(net_stats().kick_exits, 2);
}
END_TEST

/* ---- snapshot state with a driver at work (issue 12) ---- */

/* The whole device (PCI function, virtio device and transport, virtio-net
 * MAC/link/pairs) saved while the driver has queues running and a MAC of
 * its own, loaded into a fresh device of a second VM over a copy of the
 * guest RAM (what vm_restore() does): the driver goes on against the
 * second one, its next frame leaves through the second backend and the
 * used index goes on; the first backend hears nothing more. */
START_TEST(test_vnet_state_round_trip_with_driver)
{
	static const uint8_t mac2[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x99 };
	struct vm_config cfg = VM_CONFIG_INIT;
	const struct snap_hdr hdr = { 0 };
	uint8_t frame[60] = { 1, 2, 3 }, got[128], mac[6];
	struct vm_error *err = NULL;
	struct machine *mb;
	struct snap_index ix;
	struct snap_w w;
	struct vm *b;
	uint32_t id, len;
	unsigned msis0;
	int wire_b, rc;

	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ctrl("\x01\x01\x52\x54\x00\x00\x00\x99", 8),
			  VIRTIO_NET_OK); /* the guest's own MAC */
	tx_post(frame, sizeof(frame));
	virtio_drv_kick(&vd, TXQ);
	ck_assert_int_eq(wire_read(got, sizeof(got)), 60);
	ck_assert(wait_used(&ring[TXQ], &id, &len));

	snap_w_init(&w, &hdr);
	ck_assert_int_eq(device_save(vm_obj_find(vm, "net0"), &w, 0, NULL), 0);
	ck_assert_int_eq(snap_w_finish(&w), 0);
	ck_assert_int_eq(snap_index_build(&ix, w.buf, w.len, NULL), 0);

	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &b, NULL), 0);
	ck_assert_int_eq(vm_type_register(b, &sock_netdev_type, NULL), 0);
	ck_assert_int_eq(vm_add_netdev(b, "test-sock", "s0", NULL, NULL), 0);
	ck_assert_int_eq(vm_add_device(b, "virtio-net-pci",
		(const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					  { "mac", MAC }, { NULL, NULL } },
		NULL), 0);
	mb = test_vm_add_machine(b, 64 * MiB);
	machine_pci(mb)->cfg.irq = &rec.sink;
	ck_assert_int_eq(vm_realize_objects(b, NULL), 0);
	memcpy(machine_mem(mb)->base, machine_mem(mach)->base, 64 * MiB);
	msis0 = msis();
	rc = device_load(vm_obj_find(b, "net0"), &ix, 0, &err);
	ck_assert_msg(rc == 0, "device_load: %s", vm_error_message(err));

	/* The driver now talks to B: its maps, its RAM, its wire. */
	drv = (struct mock_pci){ machine_pio(mb), machine_mmio(mb), 0 };
	vbar.mmio = drv.mmio;
	ck_assert_uint_eq(mock_pci_bar_get(&drv, slot, VIO_PCI_BAR), bar4);
	gm.gm = *machine_mem(mb);
	wire_b = sock_netdev_wire(b, "s0");
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)virtio_bar_rd(&vbar, VIO_PCI_DEVICE_OFF + i, 1);
	ck_assert_mem_eq(mac, mac2, 6);
	ck_assert_uint_eq(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_DRIVER_OK,
			  VIRTIO_CONFIG_S_DRIVER_OK);
	/* §5.1.6.5.4: the loaded device asks the guest to announce itself
	 * (a config interrupt on the vector the driver gave, 0x40); the
	 * driver's ack clears it. */
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
	ck_assert(wait_msis(msis0));
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_OK);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	frame[0] = 0x77;
	tx_post(frame, sizeof(frame));
	virtio_drv_kick(&vd, TXQ);
	{
		struct pollfd p = { .fd = wire_b, .events = POLLIN };

		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		ck_assert_int_eq(read(wire_b, got, sizeof(got)), 60);
	}
	ck_assert_uint_eq(got[0], 0x77);
	ck_assert(wait_used(&ring[TXQ], &id, &len));
	ck_assert_uint_eq(vring_drv_used_idx(&ring[TXQ]), 2);
	ck_assert(wire_quiet(50)); /* A's backend: nothing */
	snap_index_fini(&ix);
	snap_w_fini(&w);
	vm_destroy(b);
	gm.gm = *machine_mem(mach);
}
END_TEST

/* ---- Linux's virtio_net unbind + bind, over and over (issue 12) ---- */

static int flood_on;

/* Frames towards the guest until flood_on is 0. */
static void *rx_flood_on(void *arg)
{
	uint8_t f[200];

	memset(f, 0xab, sizeof(f));
	while (__atomic_load_n(&flood_on, __ATOMIC_ACQUIRE))
		if (write(wire, f, sizeof(f)) < 0)
			usleep(100);
	return arg;
}

/* virtnet_remove(): virtio_reset_device() (status 0, then read until it
 * is 0: vp_reset), vp_del_vqs() (each queue's vector NO_VECTOR, the
 * config vector too, free_irq masks, pci_free_irq_vectors turns MSI-X
 * off). */
static void linux_unbind(void)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0);

	virtio_drv_set_status(&vd, 0);
	ck_assert_uint_eq(virtio_drv_get_status(&vd), 0);
	for (uint16_t q = 0; q < 3; q++) {
		virtio_bar_wr(&vbar, CC(queue_select), q, 2);
		virtio_bar_wr(&vbar, CC(queue_msix_vector), VIRTIO_MSI_NO_VECTOR, 2);
	}
	virtio_bar_wr(&vbar, CC(msix_config), VIRTIO_MSI_NO_VECTOR, 2);
	for (unsigned v = 0; v <= 3; v++)
		mock_pci_msix_set(&drv, slot, v, 0xfee00000, 0x40 + v, 1);
	mock_pci_cfg_write(&drv, slot, cap + PCI_MSIX_FLAGS, 0, 2);
}

/* The guest binds virtio_net again and again (what test-linux's
 * TEST_SNAP_MACS does to learn a clone's MAC) while the host floods its
 * receive queue and it sends: every round the reset completes (status
 * reads 0), the device comes back with every queue and vector routed,
 * a frame leaves and frames arrive. */
START_TEST(test_vnet_rebind_loop_during_traffic)
{
	uint8_t frame[60], got[256];
	uint32_t id, len;
	pthread_t t;

	__atomic_store_n(&flood_on, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_create(&t, NULL, rx_flood_on, NULL), 0);
	for (unsigned round = 0; round < 40; round++) {
		linux_probe(LINUX_FEATURES);
		ck_assert_uint_eq(fake_nr_bound(), 4); /* config + 3 queues */
		for (unsigned i = 0; i < 8; i++)
			vring_drv_publish(&ring[RXQ], vring_drv_add_chain(&ring[RXQ],
				(const struct vring_drv_buf[]){
					{ guest_alloc(&gm, 1526, 16), 1526, true } }, 1));
		kvm_kick(RXQ);
		memset(frame, 0x10 + (round & 0x3f), sizeof(frame));
		tx_post(frame, sizeof(frame));
		kvm_kick(TXQ);
		ck_assert_msg(wait_used(&ring[TXQ], &id, &len),
			      "round %u: the frame never left", round);
		ck_assert_msg(wait_used(&ring[RXQ], &id, &len),
			      "round %u: nothing received", round);
		while (!wire_quiet(0))
			ck_assert_int_gt(read(wire, got, sizeof(got)), 0);
		linux_unbind();
		ck_assert_uint_eq(fake_nr_bound(), 0);
	}
	__atomic_store_n(&flood_on, 0, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
}
END_TEST

/* ---- announcements (§5.1.6.5.4, issue 12) ---- */

/* vm_net_set_mac() with GUEST_ANNOUNCE negotiated: the status shows
 * ANNOUNCE next to LINK_UP, config_generation moves and the config vector
 * fires; the driver's ANNOUNCE_ACK clears the bit (a second ack is an
 * error); a device reset clears a pending one. */
START_TEST(test_vnet_announce_on_new_mac_until_acked)
{
	unsigned gen, before;

	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	gen = virtio_bar_rd(&vbar, CC(config_generation), 1);
	before = msis();
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb:cc", NULL), 0);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
	ck_assert_uint_ne(virtio_bar_rd(&vbar, CC(config_generation), 1), gen);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(__atomic_load_n(&rec.last_data, __ATOMIC_ACQUIRE),
			  0x40); /* the config vector */
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_OK);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl("\x03\x01", 2), VIRTIO_NET_ERR); /* no such cmd */
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb:cd", NULL), 0);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
	virtio_drv_set_status(&vd, 0);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
}
END_TEST

/* No announcement without the feature: a driver that did not take it,
 * and a device with guest_announce=off (QEMU's property), which does not
 * offer it; vm_net_set_mac() still raises the config interrupt. Nor
 * before DRIVER_OK. */
START_TEST(test_vnet_announce_needs_the_feature)
{
	unsigned before;

	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb:01", NULL), 0);
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	linux_probe(LINUX_FEATURES & ~BIT(VIRTIO_NET_F_GUEST_ANNOUNCE));
	before = msis();
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb:02", NULL), 0);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(ctrl("\x03\x00", 2), VIRTIO_NET_ERR);

	rebuild_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					     { "guest_announce", "off" },
					     { NULL, NULL } });
	ck_assert_uint_eq(virtio_drv_device_features(&vd) &
			  BIT(VIRTIO_NET_F_GUEST_ANNOUNCE), 0);
	linux_probe(LINUX_FEATURES);
	before = msis();
	ck_assert_int_eq(vm_net_set_mac(vm, "net0", "52:54:00:aa:bb:03", NULL), 0);
	ck_assert(wait_msis(before));
	ck_assert_uint_eq(net_status(), VIRTIO_NET_S_LINK_UP);
}
END_TEST

/* GUEST_ANNOUNCE goes with the control queue (§5.1.3.1). */
START_TEST(test_vnet_announce_not_offered_without_ctrl_vq)
{
	rebuild_vm((const struct vm_prop[]){ { "netdev", "s0" }, { "id", "net0" },
					     { "ctrl_vq", "off" }, { NULL, NULL } });
	ck_assert_uint_eq(virtio_drv_device_features(&vd) &
			  (BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			   BIT(VIRTIO_NET_F_CTRL_VQ)), 0);
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
	tcase_add_test(tc, test_vnet_state_round_trip_with_driver);
	tcase_add_test(tc, test_vnet_rx_frame_lands_in_buffer);
	tcase_add_test(tc, test_vnet_rx_mergeable_spans_buffers);
	tcase_add_test(tc, test_vnet_rx_short_of_buffers_waits_for_the_next_kick);
	tcase_add_test(tc, test_vnet_ctrl_commands);
	tcase_add_test(tc, test_vnet_hostile_tx_writable_descriptor);
	tcase_add_test(tc, test_vnet_hostile_rx_chain_too_small);
	tcase_add_test(tc, test_vnet_rx_no_mrg_drops_oversized);
	tcase_add_test(tc, test_vnet_tx_backpressure_loses_nothing);
	tcase_add_test(tc, test_vnet_busy_tx_queue_does_not_starve_ctrl);
	tcase_add_test(tc, test_vnet_tx_header_only_and_short_chains);
	tcase_add_test(tc, test_vnet_rx_frame_cannot_take_more_chains_than_the_ring);
	tcase_add_test(tc, test_vnet_rx_backend_errors_back_off_then_link_down);
	tcase_add_test(tc, test_vnet_host_sets_link);
	tcase_add_test(tc, test_vnet_host_sets_mac);
	tcase_add_test(tc, test_vnet_announce_on_new_mac_until_acked);
	tcase_add_test(tc, test_vnet_announce_needs_the_feature);
	tcase_add_test(tc, test_vnet_announce_not_offered_without_ctrl_vq);
	tcase_add_test(tc, test_vnet_ctrl_queue_is_2_without_mq);
	tcase_add_test(tc, test_vnet_tx_poll_window_takes_frames_without_kicks);
	suite_add_tcase(s, tc);
	tc = tcase_create("fast-path");
	tcase_add_checked_fixture(tc, setup_fast, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_vnet_ioeventfd_kick_takes_no_exit);
	tcase_add_test(tc, test_vnet_masked_vector_pends_and_unmask_delivers_once);
	tcase_add_test(tc, test_vnet_vector_rewrite_reroutes);
	tcase_add_test(tc, test_vnet_reset_during_traffic_leaves_nothing_routed);
	tcase_add_test(tc, test_vnet_rebind_loop_during_traffic);
	suite_add_tcase(s, tc);
	tc = tcase_create("offload");
	tcase_add_checked_fixture(tc, setup_offload, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_vnet_offloads_carried_both_ways);
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
