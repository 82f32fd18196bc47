/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-pci.c: device "virtio-net-pci", modern virtio 1.x
 * network card on PCI (vendor 0x1af4, device 0x1041).
 *
 * QEMU's hw/virtio/virtio-net-pci.c shape: the type, its properties, and a
 * realize that validates them, binds the netdev peer, sets up the device
 * model (virtio-net.c) and the virtio-pci modern transport
 * (lib/virtio/pci-modern.c) and plugs the function into the machine's
 * PCI bus 0. A failed realize leaves nothing behind.
 *
 * Threads: realize/unrealize on the API thread (vCPUs not running). The
 * device's own threads and locks: lib/devices/virtio-net.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "../core/prop.h"
#include "../net/netdev.h"
#include "../virtio/pci-modern.h"
#include "../vm.h"
#include "device.h"
#include "virtio-net.h"

#define VNET_MAX_QUEUE_PAIRS NETDEV_MAX_QUEUES

struct vnet_pci {
	struct vm_obj obj;
	/* properties */
	char *netdev;
	uint8_t mac[6];
	uint8_t disable_legacy, disable_modern;
	uint8_t mq;
	uint32_t queues, vectors;
	uint32_t rx_queue_size, tx_queue_size;
	uint32_t host_mtu;
	char *addr;
	uint32_t iothreads;
	uint32_t poll_us;
	uint8_t ioeventfd, io_inline;
	uint8_t guest_announce;
	uint8_t csum, guest_csum, gso, guest_tso4, guest_tso6, host_tso4,
		host_tso6, host_ecn, guest_ecn, mrg_rxbuf, ctrl_vq, event_idx,
		indirect_desc;
	/* realized state */
	struct netdev *peer;
	uint32_t nr_queue_pairs;
	int slot, fn; /* -1: any */
	struct pci_bus *bus;  /* plugged into, NULL if not */
	bool vnet_up, vp_up;
	struct vio_pci vp;    /* transport: PCI function + virtio registers */
	struct vnet vnet;     /* device model */
};

#define BIT(b) (1ull << (b))

/* Feature bits the properties allow (the model drops what the backend
 * cannot do). gso=off takes every segmentation offload away, both ways
 * (QEMU's legacy VIRTIO_NET_F_GSO bit itself is never offered). */
static uint64_t vnet_pci_allowed(const struct vnet_pci *n)
{
	bool gso = n->gso;

	return (n->csum ? BIT(VIRTIO_NET_F_CSUM) : 0) |
	       (n->guest_csum ? BIT(VIRTIO_NET_F_GUEST_CSUM) : 0) |
	       (gso && n->guest_tso4 ? BIT(VIRTIO_NET_F_GUEST_TSO4) : 0) |
	       (gso && n->guest_tso6 ? BIT(VIRTIO_NET_F_GUEST_TSO6) : 0) |
	       (gso && n->guest_ecn ? BIT(VIRTIO_NET_F_GUEST_ECN) : 0) |
	       (gso && n->host_tso4 ? BIT(VIRTIO_NET_F_HOST_TSO4) : 0) |
	       (gso && n->host_tso6 ? BIT(VIRTIO_NET_F_HOST_TSO6) : 0) |
	       (gso && n->host_ecn ? BIT(VIRTIO_NET_F_HOST_ECN) : 0) |
	       BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
	       (n->mrg_rxbuf ? BIT(VIRTIO_NET_F_MRG_RXBUF) : 0) |
	       (n->ctrl_vq ? BIT(VIRTIO_NET_F_CTRL_VQ) : 0) |
	       (n->guest_announce ? BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) : 0) |
	       (n->event_idx ? BIT(VIRTIO_RING_F_EVENT_IDX) : 0) |
	       (n->indirect_desc ? BIT(VIRTIO_RING_F_INDIRECT_DESC) : 0);
}

/* Unplug (the ioeventfds go with BAR 4), stop the device's threads (they
 * poll the transport's fds) and a vhost backend's news (its handler uses
 * them), then free the transport and the model. */
static void vnet_pci_teardown(struct vnet_pci *n)
{
	if (n->bus)
		pci_bus_unplug(n->bus, &n->vp.func);
	n->bus = NULL;
	if (n->vnet_up) {
		vnet_io_stop(&n->vnet);
		vnet_vhost_fini(&n->vnet); /* no backend news past this point */
	}
	if (n->vp_up)
		vio_pci_fini(&n->vp);
	n->vp_up = false;
	if (n->vnet_up)
		vnet_fini(&n->vnet);
	n->vnet_up = false;
}

/* Device model, transport, plug: undone by vnet_pci_teardown(). */
static int vnet_pci_build(struct vnet_pci *n, struct vm_error **errp)
{
	struct machine *m = vm_machine(n->obj.vm);
	struct vnet_config c;
	unsigned nvec;
	int rc;

	if (!m)
		return verr_set(errp, -ENODEV, "device '%s': no machine",
				n->obj.id);
	nvec = n->vectors ? n->vectors : 2 * n->nr_queue_pairs + 2;
	if (nvec > VIO_PCI_MAX_VECTORS)
		return verr_set(errp, -EINVAL,
				"device '%s': vectors=%u: at most %u",
				n->obj.id, nvec, VIO_PCI_MAX_VECTORS);
	c = (struct vnet_config){
		.name = n->obj.id, .log = vm_log(n->obj.vm),
		.gm = machine_mem(m), .peer = n->peer,
		.pairs = n->nr_queue_pairs, .iothreads = n->iothreads,
		.inline_io = n->io_inline, .poll_us = n->poll_us,
		.rx_size = (uint16_t)n->rx_queue_size,
		.tx_size = (uint16_t)n->tx_queue_size,
		.mtu = (uint16_t)n->host_mtu, .allowed = vnet_pci_allowed(n),
	};
	memcpy(c.mac, n->mac, sizeof(c.mac));
	rc = vnet_init(&n->vnet, &c, errp);
	if (rc < 0)
		return rc;
	n->vnet_up = true;
	rc = vio_pci_init(&n->vp, &n->vnet.vdev, machine_mem(m), nvec, errp);
	if (rc < 0)
		goto fail;
	n->vp_up = true;
	n->vp.no_ioeventfd = !n->ioeventfd;
	rc = pci_bus_plug(machine_pci(m), &n->vp.func, n->slot, errp);
	if (rc < 0)
		goto fail;
	n->bus = machine_pci(m);
	return 0;
fail:
	verr_prefix(errp, "device '%s': ", n->obj.id);
	vnet_pci_teardown(n);
	return rc;
}

static int check_pow2(struct vm_obj *o, const char *name, uint32_t v,
		      struct vm_error **errp)
{
	if (v & (v - 1))
		return verr_set(errp, -EINVAL,
				"device '%s': property '%s': %u is not a power of two",
				o->id, name, v);
	return 0;
}

/* "slot" or "slot.fn", hex as in QEMU's addr=. */
static int parse_addr(struct vnet_pci *n, struct vm_error **errp)
{
	unsigned slot, fn = 0;
	char tail;

	n->slot = n->fn = -1;
	if (!n->addr)
		return 0;
	if (sscanf(n->addr, "%x%c", &slot, &tail) == 1 ||
	    (sscanf(n->addr, "%x.%x%c", &slot, &fn, &tail) == 2)) {
		if (slot < 32 && fn < 8) {
			n->slot = (int)slot;
			n->fn = (int)fn;
			return 0;
		}
	}
	return verr_set(errp, -EINVAL,
			"device '%s': property 'addr': '%s' is not slot[.fn] with slot < 0x20 and fn < 8",
			n->obj.id, n->addr);
}

static int vnet_pci_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct vnet_pci *n = (struct vnet_pci *)o;
	struct vm_obj *t;
	int rc;

	if (!n->disable_legacy)
		return verr_set(errp, -ENOTSUP,
				"device '%s': the legacy (virtio 0.9) interface is not implemented; use disable-legacy=on",
				o->id);
	if (n->disable_modern)
		return verr_set(errp, -EINVAL,
				"device '%s': disable-modern=on leaves no interface (legacy is not implemented)",
				o->id);
	rc = check_pow2(o, "rx_queue_size", n->rx_queue_size, errp);
	if (!rc)
		rc = check_pow2(o, "tx_queue_size", n->tx_queue_size, errp);
	if (!rc)
		rc = parse_addr(n, errp);
	if (rc < 0)
		return rc;
	if (n->fn > 0)
		return verr_set(errp, -EINVAL,
				"device '%s': property 'addr': function %d: only function 0 is implemented",
				o->id, n->fn);
	if (n->vectors && n->vectors < 2)
		return verr_set(errp, -EINVAL,
				"device '%s': vectors=%u: at least 2 are needed (config + queues)",
				o->id, n->vectors);

	rc = device_resolve_link(o, "netdev", VM_OBJ_NETDEV, &t, errp);
	if (rc < 0)
		return rc;
	n->nr_queue_pairs = 1;
	if (t) {
		struct netdev *nd = to_netdev(t);

		if (n->mq) {
			n->nr_queue_pairs = n->queues ? n->queues : nd->queues;
			if (n->nr_queue_pairs > nd->queues)
				return verr_set(errp, -EINVAL,
						"device '%s': queues=%u but netdev '%s' has %u",
						o->id, n->nr_queue_pairs, t->id,
						nd->queues);
		} else if (n->queues > 1) {
			return verr_set(errp, -EINVAL,
					"device '%s': queues=%u needs mq=on",
					o->id, n->queues);
		}
		rc = netdev_attach(nd, o, errp);
		if (rc < 0) {
			verr_prefix(errp, "device '%s': ", o->id);
			return rc;
		}
		n->peer = nd;
	}
	rc = vnet_pci_build(n, errp);
	if (rc < 0 && n->peer) {
		netdev_detach(n->peer, o);
		n->peer = NULL;
	}
	return rc;
}

static void vnet_pci_unrealize(struct vm_obj *o)
{
	struct vnet_pci *n = (struct vnet_pci *)o;

	vnet_pci_teardown(n);
	if (n->peer)
		netdev_detach(n->peer, o);
	n->peer = NULL;
}

#define S struct vnet_pci
#define FEATURE(name, field, def, help) PROP_BOOL(name, S, field, 0, def, help)
static const struct vm_prop_desc vnet_pci_props[] = {
	PROP_LINK("netdev", S, netdev, 0, VM_OBJ_NETDEV, "backend id"),
	PROP_MAC("mac", S, mac, 0, "52:54:00:12:34:56", "MAC address"),
	PROP_BOOL("disable-legacy", S, disable_legacy, 0, "on",
		  "no legacy virtio 0.9 interface (only 'on' is supported)"),
	PROP_BOOL("disable-modern", S, disable_modern, 0, "off",
		  "no virtio 1.x interface (only 'off' is supported)"),
	PROP_BOOL("mq", S, mq, 0, "off", "multiqueue"),
	PROP_U32("queues", S, queues, 0, "0", 0, VNET_MAX_QUEUE_PAIRS,
		 "queue pairs with mq=on (0: as many as the netdev has)"),
	PROP_BOOL("ioeventfd", S, ioeventfd, 0, "on",
		  "queue kicks through KVM ioeventfds (off: every kick is a vCPU exit)"),
	PROP_BOOL("x-io-inline", S, io_inline, 0, "off",
		  "testing: start no I/O thread; queues are served only when the "
		  "library's test hook asks (fuzzers). The NIC is dead otherwise"),
	PROP_U32("iothreads", S, iothreads, 0, "0", 0, VNET_MAX_QUEUE_PAIRS,
		 "I/O threads serving the queues (0: one per queue pair)"),
	PROP_U32("poll-us", S, poll_us, 0, "0", 0, 1000000,
		 "after a transmit burst, keep the guest's kicks off and poll "
		 "its ring for this long before asking for kicks again (0: off)"),
	PROP_U32("vectors", S, vectors, 0, "0", 0, 2048,
		 "MSI-X vectors (0: 2 * queue pairs + 2)"),
	PROP_U32("rx_queue_size", S, rx_queue_size, 0, "256", 64, 1024,
		 "receive ring size (power of two)"),
	PROP_U32("tx_queue_size", S, tx_queue_size, 0, "256", 64, 1024,
		 "transmit ring size (power of two)"),
	PROP_U32("host_mtu", S, host_mtu, 0, "0", 0, 65535,
		 "MTU advertised to the guest (0: none)"),
	PROP_STR("addr", S, addr, 0, NULL, "PCI slot[.function], hex"),
	FEATURE("csum", csum, "on", "host handles partial checksums"),
	FEATURE("guest_csum", guest_csum, "on", "guest handles partial csum"),
	FEATURE("gso", gso, "on",
		"segmentation offloads (off: no host_tso*/guest_tso*/ecn)"),
	FEATURE("guest_tso4", guest_tso4, "on", "guest receives TSOv4"),
	FEATURE("guest_tso6", guest_tso6, "on", "guest receives TSOv6"),
	FEATURE("host_tso4", host_tso4, "on", "host receives TSOv4"),
	FEATURE("host_tso6", host_tso6, "on", "host receives TSOv6"),
	FEATURE("host_ecn", host_ecn, "on", "host receives TSO with ECN"),
	FEATURE("guest_ecn", guest_ecn, "on", "guest receives TSO with ECN"),
	FEATURE("mrg_rxbuf", mrg_rxbuf, "on", "mergeable receive buffers"),
	FEATURE("ctrl_vq", ctrl_vq, "on", "control virtqueue"),
	FEATURE("guest_announce", guest_announce, "on",
		"VIRTIO_NET_F_GUEST_ANNOUNCE (needs ctrl_vq): after a restore, "
		"a clone or vm_net_set_mac() the guest is asked to announce "
		"itself (gratuitous ARP)"),
	FEATURE("event_idx", event_idx, "on", "VIRTIO_RING_F_EVENT_IDX"),
	FEATURE("indirect_desc", indirect_desc, "on",
		"VIRTIO_RING_F_INDIRECT_DESC"),
	PROP_END,
};
#undef FEATURE
#undef S

struct vnet *vnet_pci_model(struct vm_obj *o, struct vio_pci **vp)
{
	struct vnet_pci *n;

	if (!obj_is_a(o, "virtio-net-pci"))
		return NULL;
	n = (struct vnet_pci *)o;
	if (!n->vnet_up || !n->vp_up)
		return NULL;
	if (vp)
		*vp = &n->vp;
	return &n->vnet;
}

const struct type virtio_net_pci_type = {
	.name = "virtio-net-pci",
	.parent = TYPE_DEVICE,
	.class_size = sizeof(struct obj_class),
	.instance_size = sizeof(struct vnet_pci),
	.realize = vnet_pci_realize,
	.unrealize = vnet_pci_unrealize,
	.props = vnet_pci_props,
};
