/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/tap.c: netdev "tap": a Linux TAP interface, one fd per queue
 * pair (IFF_MULTI_QUEUE when queues > 1), with the virtio-net header
 * carried by the kernel (IFF_VNET_HDR) so offloads pass through.
 *
 * Properties: ifname (name to create or attach to; empty: kernel picks),
 * fd (an already open TAP fd, e.g. from a privileged parent; the library
 * dup()s it, the caller keeps its own), vnet_hdr (on), queues (1..16),
 * script and downscript (QEMU's; only "no" is accepted: the library never
 * runs scripts, so QEMU's tap strings work verbatim and any other value is
 * refused rather than silently not run).
 *
 * Threads: realize/unrealize on the API thread; send/recv for queue q on
 * the thread that serves q; set_offload/set_queues on the thread serving
 * the device's control queue (ioctls the kernel orders against reads and
 * writes on other threads). Locking: none needed: each fd is read and
 * written by one thread at a time, fds[] is fixed between realize and
 * unrealize, ->attached is only touched by the control-queue thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../core/prop.h"
#include "netdev.h"
#include "backends.h"

struct netdev_tap {
	struct netdev nd;
	char *ifname;        /* property */
	uint32_t fd;         /* property; meaningful when given */
	uint8_t vnet_hdr;    /* property */
	uint32_t queues;     /* property */
	int fds[NETDEV_MAX_QUEUES];
	unsigned nr_fds;
	unsigned attached;   /* queues [0, attached) carry traffic */
	char *script;        /* property: "no" only */
	char *downscript;    /* property: "no" only */
	char name[IFNAMSIZ]; /* the interface actually used */
};

static struct netdev_tap *to_tap(struct netdev *nd)
{
	return container_of(nd, struct netdev_tap, nd);
}

static ssize_t tap_send(struct netdev *nd, unsigned q,
			const struct iovec *iov, int iovcnt)
{
	struct netdev_tap *t = to_tap(nd);
	ssize_t n;

	if (q >= t->nr_fds)
		return -EINVAL;
	n = writev(t->fds[q], iov, iovcnt);
	return n < 0 ? -errno : n;
}

static ssize_t tap_recv(struct netdev *nd, unsigned q,
			const struct iovec *iov, int iovcnt)
{
	struct netdev_tap *t = to_tap(nd);
	ssize_t n;

	if (q >= t->nr_fds)
		return -EINVAL;
	n = readv(t->fds[q], iov, iovcnt);
	return n < 0 ? -errno : n;
}

/* The same fd polls readable for rx and writable for tx. */
static int tap_fd(struct netdev *nd, unsigned q)
{
	struct netdev_tap *t = to_tap(nd);

	return q < t->nr_fds ? t->fds[q] : -EINVAL;
}

/* A multiqueue tap steers host traffic to attached queues only, so the
 * ones the guest turned off are detached (TUNSETQUEUE). */
static int tap_set_queues(struct netdev *nd, unsigned n)
{
	struct netdev_tap *t = to_tap(nd);
	struct ifreq ifr;

	if (t->nr_fds < 2)
		return 0;
	if (n < 1 || n > t->nr_fds)
		return -EINVAL;
	for (unsigned i = 1; i < t->nr_fds; i++) {
		bool want = i < n, now = i < t->attached;

		if (want == now)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = want ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
		if (ioctl(t->fds[i], TUNSETQUEUE, &ifr) < 0)
			return -errno;
	}
	t->attached = n;
	return 0;
}

static int tap_set_vnet_hdr_len(struct netdev *nd, unsigned len)
{
	struct netdev_tap *t = to_tap(nd);
	int sz = (int)len;

	if (!t->vnet_hdr)
		return len ? -ENOTSUP : 0;
	for (unsigned i = 0; i < t->nr_fds; i++)
		if (ioctl(t->fds[i], TUNSETVNETHDRSZ, &sz) < 0)
			return -errno;
	return 0;
}

/* TUN_F_* for the GUEST_* bits of @f (what the tap may hand us). */
static unsigned tap_tun_flags(uint64_t f)
{
	unsigned off = 0;

	if (f & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (f & (1ull << VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	return off;
}

static int tap_set_offload(struct netdev *nd, uint64_t f)
{
	struct netdev_tap *t = to_tap(nd);
	unsigned off = tap_tun_flags(f);

	for (unsigned i = 0; i < t->nr_fds; i++)
		if (ioctl(t->fds[i], TUNSETOFFLOAD, off) < 0)
			return -errno;
	return 0;
}

#define F(b) (1ull << VIRTIO_NET_F_##b)

/*
 * What the tap honours with IFF_VNET_HDR: it takes checksum-partial and
 * GSO frames from us whatever TUNSETOFFLOAD says (tun_get_user), so CSUM,
 * HOST_TSO4/6 and HOST_ECN always; it hands us such frames only for the
 * TUN_F_* it accepts, probed here from the largest set down, then turned
 * off again until the guest says what it takes.
 */
static uint64_t tap_probe_offloads(struct netdev_tap *t)
{
	static const uint64_t sets[] = {
		F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_ECN),
		F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6),
		F(GUEST_CSUM),
	};
	uint64_t f = F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_ECN);

	if (!t->vnet_hdr || !t->nr_fds)
		return 0;
	for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (ioctl(t->fds[0], TUNSETOFFLOAD, tap_tun_flags(sets[i])) == 0) {
			f |= sets[i];
			break;
		}
	}
	(void)tap_set_offload(&t->nd, 0);
	return f;
}

#undef F

static const struct netdev_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.rx_fd = tap_fd,
	.tx_fd = tap_fd,
	.set_queues = tap_set_queues,
	.set_vnet_hdr_len = tap_set_vnet_hdr_len,
	.set_offload = tap_set_offload,
};

static void tap_class_init(struct obj_class *k)
{
	((struct netdev_class *)k)->ops = &tap_ops;
}

static void tap_instance_init(struct vm_obj *o)
{
	struct netdev_tap *t = to_tap(to_netdev(o));

	for (unsigned i = 0; i < NETDEV_MAX_QUEUES; i++)
		t->fds[i] = -1;
}

static void tap_close_all(struct netdev_tap *t)
{
	for (unsigned i = 0; i < t->nr_fds; i++) {
		close(t->fds[i]);
		t->fds[i] = -1;
	}
	t->nr_fds = 0;
}

static int tap_open_queue(struct netdev_tap *t, struct vm_error **errp)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return verr_set_errno(errp, -errno,
				      "netdev '%s': cannot open /dev/net/tun",
				      t->nd.obj.id);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (t->vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (t->queues > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	/* After the first queue, attach to the name the kernel chose. */
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int rc = -errno;

		close(fd);
		return verr_set_errno(errp, rc,
				      "netdev '%s': TUNSETIFF '%s' failed",
				      t->nd.obj.id,
				      t->name[0] ? t->name : "(any)");
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = 0;
	t->fds[t->nr_fds++] = fd;
	return 0;
}

/* fd= must be a TAP (not TUN) fd. As in QEMU, the fd's IFF_VNET_HDR
 * decides vnet_hdr unless the property was given; a given one that
 * disagrees is refused (frames would be misparsed silently). */
static int tap_check_fd(struct netdev_tap *t, int fd, struct vm_error **errp)
{
	const char *id = t->nd.obj.id;
	struct ifreq ifr;
	uint8_t has_hdr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return verr_set(errp, -EINVAL,
				"netdev '%s': fd %u is not a TAP device (TUNGETIFF: %s)",
				id, t->fd, strerror(errno));
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP)
		return verr_set(errp, -EINVAL,
				"netdev '%s': fd %u is a TUN device ('%.*s'), not a TAP",
				id, t->fd, IFNAMSIZ, ifr.ifr_name);
	has_hdr = (ifr.ifr_flags & IFF_VNET_HDR) ? 1 : 0;
	if (!prop_is_set(&t->nd.obj, "vnet_hdr"))
		t->vnet_hdr = has_hdr;
	else if (t->vnet_hdr != has_hdr)
		return verr_set(errp, -EINVAL,
				"netdev '%s': fd %u: TAP '%.*s' was opened %s IFF_VNET_HDR but vnet_hdr=%s",
				id, t->fd, IFNAMSIZ, ifr.ifr_name,
				has_hdr ? "with" : "without",
				t->vnet_hdr ? "on" : "off");
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = 0;
	return 0;
}

/* script=/downscript=: QEMU runs them; we never run anything. */
static int tap_check_scripts(struct netdev_tap *t, struct vm_error **errp)
{
	const char *name[2] = { "script", "downscript" };
	const char *val[2] = { t->script, t->downscript };

	for (unsigned i = 0; i < 2; i++)
		if (val[i] && strcmp(val[i], "no") != 0)
			return verr_set(errp, -ENOTSUP,
					"netdev '%s': %s='%s': the library never runs scripts (only %s=no is accepted)",
					t->nd.obj.id, name[i], val[i], name[i]);
	return 0;
}

static int tap_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_tap *t = to_tap(to_netdev(o));
	int rc = tap_check_scripts(t, errp);

	if (rc < 0)
		return rc;

	if (t->ifname && strlen(t->ifname) >= IFNAMSIZ)
		return verr_set(errp, -EINVAL,
				"netdev '%s': ifname '%s' is longer than %d characters",
				o->id, t->ifname, IFNAMSIZ - 1);
	memset(t->name, 0, sizeof(t->name));
	if (t->ifname)
		memcpy(t->name, t->ifname, strlen(t->ifname));

	if (prop_is_set(o, "fd")) {
		int fd;

		if (t->queues > 1)
			return verr_set(errp, -EINVAL,
					"netdev '%s': fd= gives one queue, queues=%u asked",
					o->id, t->queues);
		fd = fcntl((int)t->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return verr_set_errno(errp, -errno,
					      "netdev '%s': fd %u", o->id,
					      t->fd);
		rc = tap_check_fd(t, fd, errp);
		if (rc < 0) {
			close(fd);
			return rc;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			rc = -errno;
			close(fd);
			return verr_set_errno(errp, rc, "netdev '%s': fd %u",
					      o->id, t->fd);
		}
		t->fds[t->nr_fds++] = fd;
	} else {
		for (unsigned i = 0; i < t->queues; i++) {
			rc = tap_open_queue(t, errp);
			if (rc < 0) {
				tap_close_all(t);
				return rc;
			}
		}
	}
	t->nd.caps = NETDEV_CAP_RX_FD | (t->vnet_hdr ? NETDEV_CAP_VNET_HDR : 0);
	t->nd.queues = t->nr_fds;
	t->nd.offloads = tap_probe_offloads(t);
	t->attached = t->nr_fds;
	return 0;
}

static void tap_unrealize(struct vm_obj *o)
{
	tap_close_all(to_tap(to_netdev(o)));
}

static const struct vm_prop_desc tap_props[] = {
	PROP_STR("ifname", struct netdev_tap, ifname, 0, NULL,
		 "interface name to create or attach to"),
	PROP_U32("fd", struct netdev_tap, fd, 0, NULL, 0, INT32_MAX,
		 "an open TAP fd to use (dup'ed)"),
	PROP_BOOL("vnet_hdr", struct netdev_tap, vnet_hdr, 0, "on",
		  "carry the virtio-net header through the tap"),
	PROP_U32("queues", struct netdev_tap, queues, 0, "1", 1,
		 NETDEV_MAX_QUEUES, "queue pairs (multiqueue tap)"),
	PROP_STR("script", struct netdev_tap, script, 0, NULL,
		 "QEMU's ifup script: only 'no' (no script is ever run)"),
	PROP_STR("downscript", struct netdev_tap, downscript, 0, NULL,
		 "QEMU's ifdown script: only 'no' (no script is ever run)"),
	PROP_END,
};

const struct type netdev_tap_type = {
	.name = "tap",
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_tap),
	.class_init = tap_class_init,
	.instance_init = tap_instance_init,
	.realize = tap_realize,
	.unrealize = tap_unrealize,
	.props = tap_props,
};
