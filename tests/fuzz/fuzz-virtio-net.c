/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-virtio-net.c: device "virtio-net-pci" over the modern
 * virtio-pci transport, driven by a stream of guest operations.
 *
 * Everything this target needs is in this one file, so that it can follow
 * the device when its data path changes (issue 7 moves the queues to I/O
 * threads fed by per-queue kick eventfds).
 *
 * The VM is built as tests/unit/test-virtio-net.c builds it: the public API
 * (vm_create, a host-registered socketpair netdev type, vm_add_device),
 * realized with vm_realize_objects() on a machine from machine_new()
 * (tests/unit/vm-fixture.h's way, without Check), driven by the unit
 * tests' mock guest (tests/unit/mock/: PCI config and BARs through the
 * machine's PIO/MMIO maps, Linux's virtio probe order, driver-side rings).
 * The machine's RAM is swapped, before realize, for fenced exact-size
 * regions (tests/fuzz/fuzz.h): 1 MiB at 0 and 64 KiB at 4 GiB.
 *
 * Operations: a Linux-like probe (features and queue sizes from the
 * input), raw BAR 4 and config-space accesses (common cfg, ISR, device
 * cfg, notify; BAR moves and PCI_COMMAND included), MSI-X entries,
 * descriptors anywhere (also on top of the rings: a guest whose buffers
 * overlap its own rings), avail entries, kicks, well-formed tx and ctrl
 * chains, frames arriving from the backend (written to the socketpair),
 * reading what the device sent, resets.
 *
 * Invariants: the device never returns a used id >= queue size nor gets
 * more than queue size used entries ahead of the driver (virtio 1.2
 * §2.7.8); a frame the device transmits is never longer than what the
 * driver put in the chain.
 *
 * Threads: one. The device is made with x-io-inline=on, so it starts no
 * I/O thread; after every operation the target serves its queues on the
 * fuzzer's thread (vnet_io_serve(), what a wakeup of the I/O thread
 * does), so a run is deterministic and the target is in the CI list.
 * Locking: the device's own.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include <kvm-virtio.h>

#include "arch/x86/machine.h"
#include "mock/guest-mem.h"
#include "mock/pci-driver.h"
#include "mock/sock-netdev.h"
#include "mock/virtio-driver.h"
#include "mock/virtio-pci-bar.h"
#include "net/netdev.h"
#include "pci/pci.h"
#include "devices/device.h"
#include "devices/virtio-net.h"
#include "virtio/pci-modern.h"
#include "vm.h"
#include "fuzz.h"

#define MAX_OPS 128
#define NQ 3
#define HDR 12u
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)
#define RAM0 (1ull << 20)
#define RAM1_GPA 0x100000000ull
#define RAM1 0x10000ull

/* The netdev: tests/unit/mock/sock-netdev.c (a socketpair). */


/* ---- an irq sink safe for the rx thread ---- */

static unsigned msis;

static int rec_line(struct irq_sink *s, uint32_t gsi, int level)
{
	(void)s;
	(void)gsi;
	(void)level;
	return 0;
}

static int rec_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	(void)s;
	(void)addr;
	(void)data;
	__atomic_add_fetch(&msis, 1, __ATOMIC_RELAXED);
	return 0;
}

static const struct irq_sink_ops rec_ops = { .set_line = rec_line,
					     .msi = rec_msi };
static struct irq_sink rec = { &rec_ops };

/* ---- the guest ---- */

static struct fuzz_ram ram;
static struct vm *vm;
static struct machine *mach;
static struct mock_pci drv;
static struct guest_mem gm;       /* bump allocator over the fenced RAM */
static struct vring_drv ring[NQ];
static int ring_ok[NQ];
static unsigned slot;
static uint64_t bar4;
static int wire = -1, backend = -1;
static uint64_t tx_posted;        /* bytes in the tx chains posted so far */
/* No raw write and no buffer "anywhere" yet: the used rings and the tx
 * chains are only what the device and the well-formed ops wrote, so the
 * device-side invariants can be checked. */
static int clean;

static struct virtio_bar vbar = { .strict = 0 };
static struct virtio_drv vd = { &virtio_bar_ops, &vbar, 0 };

/* What the device's I/O thread would do now: serve every queue, bursts
 * until none has work left (bounded: a guest that keeps a queue busy
 * cannot keep the fuzzer here). */
static void quiesce(void)
{
	struct vnet *n = vnet_pci_model(vm_obj_find(vm, "net0"), NULL);

	for (int i = 0; n && i < 64 && vnet_io_serve(n, 0); i++)
		;
}

static int build_vm(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct machine_config mc = {
		.vcpus = 1, .mem_bytes = RAM0, .kernel = "/nonexistent",
		.console_fd = -1, .console_in_fd = -1,
	};
	struct gmem *mem;
	struct sock_priv *sp;

	cfg.kernel = "/nonexistent";
	if (vm_create(&cfg, &vm, NULL) || vm_type_register(vm, &sock_netdev_type, NULL) ||
	    vm_add_netdev(vm, "test-sock", "s0", NULL, NULL) ||
	    vm_add_device(vm, "virtio-net-pci",
			  (const struct vm_prop[]){ { "netdev", "s0" },
						    { "id", "net0" },
						    { "x-io-inline", "on" },
						    { NULL, NULL } }, NULL))
		return -1;
	mc.log = &vm->log;
	if (machine_new(&mach, &mc, NULL))
		return -1;
	vm->machine = mach;
	/* Fenced regions in place of the memfd's (gmem_fini() unmaps the
	 * memfd by its base, not by these). */
	mem = machine_mem(mach);
	mem->nr = ram.gm.nr;
	memcpy(mem->r, ram.gm.r, sizeof(mem->r));
	machine_pci(mach)->cfg.irq = &rec;
	if (vm_realize_objects(vm, NULL))
		return -1;
	sp = vm_obj_priv(vm_obj_find(vm, "s0"));
	wire = sp->fd[1];
	backend = sp->fd[0];
	drv = (struct mock_pci){ machine_pio(mach), machine_mmio(mach), 0 };
	vbar.mmio = drv.mmio;
	for (slot = 1; slot < 32; slot++)
		if (mock_pci_cfg_read(&drv, slot, PCI_VENDOR_ID, 4) ==
		    (0x1041u << 16 | 0x1af4u))
			break;
	if (slot == 32)
		return -1;
	bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
	vbar.base = bar4;
	mock_pci_command(&drv, slot, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	gm.gm = ram.gm;
	gm.next = 0x1000;
	gm.end = RAM0;
	return 0;
}

/* Linux's order (virtio_pci_modern_probe, virtnet_probe); sizes and
 * features from the input. Rings come from a fresh allocator each time. */
static void probe(struct fin *in)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0);
	uint64_t wanted = fin_u64(in);
	uint16_t q;

	if (!(fin_u8(in) & 1))
		wanted = ~0ull;
	if (cap) {
		mock_pci_cfg_write(&drv, slot, cap + PCI_MSIX_FLAGS,
				   PCI_MSIX_FLAGS_ENABLE, 2);
		for (unsigned v = 0; v < 4; v++)
			mock_pci_msix_set(&drv, slot, v, 0xfee00000, 0x40 + v, 0);
	}
	gm.next = 0x1000;
	memset(ring_ok, 0, sizeof(ring_ok));
	/* virtio_drv_probe() waits for the status to read 0 after a reset,
	 * as Linux does; with BAR 4 moved away or decoding off it reads
	 * all-ones forever, so check once first. */
	bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
	vbar.base = bar4;
	virtio_drv_set_status(&vd, 0);
	if (virtio_drv_get_status(&vd) != 0)
		return;
	if (virtio_drv_probe(&vd, wanted))
		return;
	virtio_bar_wr(&vbar, CC(msix_config), 0, 2);
	for (q = 0; q < NQ; q++) {
		uint16_t size = (uint16_t)(1u << (fin_u8(in) % 9));

		if (virtio_drv_setup_queue(&vd, &gm, q, size, (uint16_t)(q + 1),
					   &ring[q]) != -ENOENT)
			ring_ok[q] = 1;
	}
	for (q = 0; q < NQ; q++)
		if (ring_ok[q])
			virtio_drv_enable_queue(&vd, q);
	virtio_drv_driver_ok(&vd);
}

static void check_used(unsigned q)
{
	struct vring_used *u;
	uint16_t idx;
	uint32_t id, len;
	int n = 0;

	if (!ring_ok[q] || !clean)
		return;
	u = gmem_ptr(&gm.gm, ring[q].used, 6 + 8ull * ring[q].size);
	FUZZ_CHECK(u);
	idx = le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
	/* §2.7.8: never more used entries than the ring holds ahead of
	 * what the driver has seen. */
	FUZZ_CHECK((uint16_t)(idx - ring[q].last_used) <= ring[q].size);
	while (n++ < ring[q].size && vring_drv_get_used(&ring[q], &id, &len))
		FUZZ_CHECK(id < ring[q].size);
}

/* A well-behaved driver never has more than the queue size available and
 * not yet seen used (virtio 1.2 §2.7: at most Queue Size buffers), and
 * only then does the used-ring invariant bind the device. */
static int can_publish(unsigned q)
{
	return (uint16_t)(ring[q].avail_idx - ring[q].last_used) < ring[q].size;
}

static uint64_t pick_buf(struct fin *in, uint32_t len)
{
	if (fin_u8(in) & 1) {
		clean = 0;
		return fuzz_gpa(in, &gm.gm); /* anywhere, rings included */
	}
	if (gm.next + len + 16 > gm.end)
		gm.next = 0x1000 + 0x10000; /* wrap over old buffers */
	return guest_alloc(&gm, len ? len : 1, 16);
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
	tx_posted = 0;
	clean = 1;
	if (build_vm())
		abort();
	probe(&in);
	while (!fin_empty(&in) && ops++ < MAX_OPS) {
		static const unsigned sizes[] = { 1, 2, 4, 4 };
		uint8_t op = fin_u8(&in), buf[2048];
		unsigned q = (op >> 4) % NQ, sz = sizes[op >> 6];
		uint32_t v, len;
		uint64_t a;
		void *p;

		switch (op & 15) {
		case 0: /* probe again (reset included) */
			probe(&in);
			break;
		case 1: /* BAR 4 read, any offset */
			virtio_bar_rd(&vbar, fin_u16(&in) % VIO_PCI_BAR_SIZE, sz);
			break;
		case 2: /* BAR 4 write, any offset (ring addresses too) */
			clean = 0;
			v = fin_u32(&in);
			virtio_bar_wr(&vbar, fin_u16(&in) % VIO_PCI_BAR_SIZE, v, sz);
			break;
		case 3: { /* a common-cfg field, written as a driver would */
			static const struct { uint8_t off, size; } f[] = {
				{ CC(device_feature_select), 4 },
				{ CC(guest_feature_select), 4 },
				{ CC(guest_feature), 4 },
				{ CC(msix_config), 2 },
				{ CC(device_status), 1 },
				{ CC(queue_select), 2 },
				{ CC(queue_size), 2 },
				{ CC(queue_msix_vector), 2 },
				{ CC(queue_enable), 2 },
				{ CC(queue_desc_lo), 4 },
				{ CC(queue_desc_hi), 4 },
				{ CC(queue_avail_lo), 4 },
				{ CC(queue_used_lo), 4 },
			};
			unsigned k = fin_u8(&in) % (sizeof(f) / sizeof(f[0]));

			clean = 0;

			virtio_bar_wr(&vbar, f[k].off, fin_u32(&in), f[k].size);
			break;
		}
		case 4: { /* config space (BAR moves, PCI_COMMAND, caps) */
			unsigned off = fin_u8(&in);

			mock_pci_cfg_write(&drv, slot, off & ~(sz - 1), fin_u32(&in),
					   sz > 4 ? 4 : sz);
			bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
			vbar.base = bar4;
			break;
		}
		case 5: /* an MSI-X entry */
			mock_pci_msix_set(&drv, slot, fin_u8(&in) % 8,
					  0xfee00000, fin_u16(&in), fin_u8(&in) & 1);
			break;
		case 6: /* a descriptor of queue q, buffer anywhere */
			if (!ring_ok[q])
				break;
			clean = 0;
			len = fin_u16(&in);
			a = pick_buf(&in, len);
			v = fin_u8(&in);
			vring_drv_set_desc(&ring[q], (uint16_t)(fin_u16(&in) % ring[q].size),
					   a, len, (uint16_t)(v & 7),
					   (uint16_t)(fin_u16(&in) % (ring[q].size + 1)));
			break;
		case 7: /* publish a head (any value, even past the limit) */
			if (!ring_ok[q])
				break;
			if (!can_publish(q))
				clean = 0;
			vring_drv_publish(&ring[q], (uint16_t)(fin_u16(&in) %
						(ring[q].size + 2)));
			break;
		case 8: /* kick */
			virtio_drv_kick(&vd, (uint16_t)q);
			if (q == 0)
				quiesce();
			break;
		case 9: /* a frame arrives from the backend */
			len = 1 + fin_u16(&in) % sizeof(buf);
			memset(buf, 0x5a, len);
			fin_bytes(&in, buf, len < 32 ? len : 32);
			if (write(wire, buf, len) < 0) {
				/* socket full: the guest has no rx buffers */
			}
			quiesce();
			break;
		case 10: { /* what the device sent */
			ssize_t r;

			while ((r = read(wire, buf, sizeof(buf))) > 0)
				FUZZ_CHECK(!clean || (uint64_t)r <= tx_posted);
			break;
		}
		case 11: /* raw guest RAM, rings included */
			clean = 0;
			a = fuzz_gpa(&in, &gm.gm);
			len = fin_u8(&in);
			p = gmem_ptr(&gm.gm, a, len);
			if (p)
				fin_bytes(&in, p, len);
			break;
		case 12: { /* a well-formed tx chain: header + frame */
			uint32_t flen = 14 + fin_u16(&in) % 1500;
			uint64_t h, fr;

			if (!ring_ok[1] || !can_publish(1))
				break;
			h = pick_buf(&in, HDR);
			fr = pick_buf(&in, flen);
			tx_posted += flen;
			vring_drv_publish(&ring[1], vring_drv_add_chain(&ring[1],
				(const struct vring_drv_buf[]){ { h, HDR, false },
								{ fr, flen, false } }, 2));
			virtio_drv_kick(&vd, 1);
			break;
		}
		case 13: { /* a well-formed ctrl command */
			uint8_t cmd[8];
			uint64_t c, ack;

			if (!ring_ok[2] || !can_publish(2))
				break;
			len = 2 + fin_u8(&in) % 7;
			fin_bytes(&in, cmd, len);
			c = pick_buf(&in, len);
			ack = pick_buf(&in, 1);
			p = gmem_ptr(&gm.gm, c, len);
			if (p)
				memcpy(p, cmd, len);
			vring_drv_publish(&ring[2], vring_drv_add_chain(&ring[2],
				(const struct vring_drv_buf[]){ { c, len, false },
								{ ack, 1, true } }, 2));
			virtio_drv_kick(&vd, 2);
			break;
		}
		case 14: { /* rx buffers posted */
			unsigned n = 1 + fin_u8(&in) % 4;

			if (!ring_ok[0])
				break;
			while (n-- && can_publish(0)) {
				len = 1 + fin_u16(&in) % 2048;
				vring_drv_publish(&ring[0], vring_drv_add_chain(&ring[0],
					(const struct vring_drv_buf[]){
						{ pick_buf(&in, len), len, true } }, 1));
			}
			virtio_drv_kick(&vd, 0);
			quiesce();
			break;
		}
		default: /* reset */
			virtio_drv_set_status(&vd, 0);
			memset(ring_ok, 0, sizeof(ring_ok));
			break;
		}
		quiesce();
		for (unsigned k = 0; k < NQ; k++)
			check_used(k);
	}
	vm_destroy(vm);  /* frees the machine */
	vm = NULL;
	return 0;
}
