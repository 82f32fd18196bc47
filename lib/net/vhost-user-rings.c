/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user-rings.c: the "vhost-user" netdev's rings: handed to
 * the backend at the guest's DRIVER_OK (SET_FEATURES, SET_MEM_TABLE with
 * the guest RAM fd of each region, NET_SET_MTU, then per ring
 * SET_VRING_NUM/BASE/ADDR/KICK/CALL and SET_VRING_ENABLE), taken back at
 * the guest's reset (GET_VRING_BASE, which also stops the ring in the
 * backend), and enabled or disabled by the guest's VQ_PAIRS_SET. vm_pause
 * takes them back the same way and vm_resume hands them over again, each
 * from the base GET_VRING_BASE gave (as QEMU's stop/cont).
 *
 * Kick is the transport's ioeventfd and call its irqfd: no VMM thread
 * touches a packet. Each ring also gets an error eventfd (SET_VRING_ERR)
 * that the monitor thread polls (vhost-user-monitor.c).
 *
 * Threads/Locking: see vhost-user.h; every entry point takes ->lock.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../kvm/eventfd.h"
#include "../kvm/mem.h"
#include "vhost-user.h"

#define BIT(b) (1ull << (b))

/* Guest features the backend is told of: the ring layout and the data
 * path's; the control-queue ones stay with the device (QEMU's
 * user_feature_bits, without the ones we never offer). */
#define VU_PASS_FEATURES                                                      \
	(BIT(VIRTIO_F_NOTIFY_ON_EMPTY) | BIT(VIRTIO_F_ANY_LAYOUT) |           \
	 BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |    \
	 BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |              \
	 BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MTU) |                       \
	 BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |               \
	 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |           \
	 BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |        \
	 BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN))

static int vu_mem_table(struct netdev_vhost_user *v, const struct gmem *gm,
			struct vm_error **errp)
{
	int fds[VHU_MAX_REGIONS];
	struct vhu_msg m;

	if (gm->fd < 0)
		return verr_set(errp, -EINVAL,
				"netdev '%s': guest RAM is not shareable (no memfd or mem_path)",
				v->nd.obj.id);
	memset(&m, 0, sizeof(m));
	m.request = VHU_SET_MEM_TABLE;
	m.flags = VHU_VERSION;
	m.size = (uint32_t)(offsetof(struct vhu_mem, r) +
			    gm->nr * sizeof(struct vhu_region));
	m.p.mem.nregions = gm->nr;
	for (unsigned i = 0; i < gm->nr && i < VHU_MAX_REGIONS; i++) {
		m.p.mem.r[i] = (struct vhu_region){
			.gpa = gm->r[i].gpa,
			.size = gm->r[i].size,
			.uaddr = (uint64_t)(uintptr_t)gm->r[i].hva,
			.mmap_offset = gm->r[i].fd_off,
		};
		fds[i] = gm->fd;
	}
	return vu_request(v, &m, fds, gm->nr, NULL, errp);
}

static int vu_vring_fd(struct netdev_vhost_user *v, uint32_t req,
		       uint32_t index, int fd, struct vm_error **errp)
{
	struct vhu_msg m;

	vhu_msg_u64(&m, req, fd >= 0 ? index : (index | VHU_VRING_NOFD), true);
	return vu_request(v, &m, &fd, fd >= 0 ? 1 : 0, NULL, errp);
}

/* ->lock held: ring @index's error eventfd (made at its first start and
 * kept: the monitor, woken to poll it, may be polling the others), with
 * any error a backend signalled before this start drained. */
static int vu_err_fd(struct netdev_vhost_user *v, uint32_t index,
		     struct vm_error **errp)
{
	int fd;

	if (index >= VU_MAX_RINGS)
		return verr_set(errp, -EINVAL, "netdev '%s': ring %u (max %u)",
				v->nd.obj.id, index, VU_MAX_RINGS - 1);
	fd = v->err_fd[index];
	if (fd >= 0) {
		(void)hv_eventfd_drain(fd);
		return fd;
	}
	fd = hv_eventfd_new();
	if (fd < 0)
		return verr_set(errp, fd, "netdev '%s': ring %u: eventfd: %s",
				v->nd.obj.id, index, strerror(-fd));
	v->err_fd[index] = fd;
	if (v->wake_fd >= 0)
		(void)hv_eventfd_signal(v->wake_fd); /* the monitor polls it */
	return fd;
}

static int vu_ring_start(struct netdev_vhost_user *v,
			 const struct netdev_vring *r, uint16_t base,
			 struct vm_error **errp)
{
	struct vhu_msg m;
	int rc;

	vhu_msg_state(&m, VHU_SET_VRING_NUM, r->index, r->size);
	rc = vu_request(v, &m, NULL, 0, NULL, errp);
	if (rc == 0) {
		vhu_msg_state(&m, VHU_SET_VRING_BASE, r->index, base);
		rc = vu_request(v, &m, NULL, 0, NULL, errp);
	}
	if (rc == 0) {
		memset(&m, 0, sizeof(m));
		m.request = VHU_SET_VRING_ADDR;
		m.flags = VHU_VERSION;
		m.size = sizeof(m.p.addr);
		m.p.addr = (struct vhu_vring_addr){
			.index = r->index,
			.desc = (uint64_t)(uintptr_t)r->desc,
			.used = (uint64_t)(uintptr_t)r->used,
			.avail = (uint64_t)(uintptr_t)r->avail,
		};
		rc = vu_request(v, &m, NULL, 0, NULL, errp);
	}
	if (rc == 0)
		rc = vu_vring_fd(v, VHU_SET_VRING_KICK, r->index, r->kick_fd,
				 errp);
	if (rc == 0)
		rc = vu_vring_fd(v, VHU_SET_VRING_CALL, r->index, r->call_fd,
				 errp);
	if (rc == 0)
		rc = vu_err_fd(v, r->index, errp);
	if (rc >= 0)
		rc = vu_vring_fd(v, VHU_SET_VRING_ERR, r->index, rc, errp);
	return rc;
}

/* ->lock held: where ring @vr starts: with @resume, the base the backend
 * gave back for it at the last stop, if it gave one. */
static uint16_t vu_start_base(const struct netdev_vhost_user *v,
			      const struct netdev_vring *vr, bool resume)
{
	for (unsigned i = 0; resume && i < v->nr_rings; i++)
		if (v->ring[i].index == vr->index && v->ring[i].base_valid)
			return v->ring[i].base;
	return vr->base;
}

/* ->lock held: with protocol features the rings start disabled; enable
 * those of the first ->want_pairs pairs and disable the others. */
static int vu_enable_rings(struct netdev_vhost_user *v, struct vm_error **errp)
{
	int rc = 0;

	if (!(v->features & BIT(VHU_F_PROTOCOL_FEATURES)))
		return 0; /* rings run from their kick fd on */
	for (unsigned i = 0; i < v->nr_rings && rc == 0; i++) {
		struct vhu_msg m;

		if (!v->ring[i].started)
			continue;
		vhu_msg_state(&m, VHU_SET_VRING_ENABLE, v->ring[i].index,
			      v->ring[i].index / 2 < v->want_pairs);
		rc = vu_request(v, &m, NULL, 0, NULL, errp);
	}
	return rc;
}

int vu_vhost_start(struct netdev *nd, const struct netdev_vhost_start *s,
		   struct vm_error **errp)
{
	struct netdev_vhost_user *v = to_vu(nd);
	uint64_t f = s->features & v->features & VU_PASS_FEATURES;
	struct vhu_msg m;
	int rc;

	if (s->nr_rings > VU_MAX_RINGS)
		return verr_set(errp, -EINVAL, "netdev '%s': %u rings (max %u)",
				nd->obj.id, s->nr_rings, VU_MAX_RINGS);
	pthread_mutex_lock(&v->lock);
	if (v->started && v->rings_conn == v->conn_gen && !v->broken) {
		pthread_mutex_unlock(&v->lock);
		return 0; /* this connection runs them already */
	}
	if (v->features & BIT(VHU_F_PROTOCOL_FEATURES))
		f |= BIT(VHU_F_PROTOCOL_FEATURES);
	vhu_msg_u64(&m, VHU_SET_FEATURES, f, true);
	rc = vu_request(v, &m, NULL, 0, NULL, errp);
	if (rc == 0)
		rc = vu_mem_table(v, s->gm, errp);
	if (rc == 0 && s->mtu && vu_has_protocol(v, VHU_PROTOCOL_F_NET_MTU)) {
		vhu_msg_u64(&m, VHU_NET_SET_MTU, s->mtu, true);
		rc = vu_request(v, &m, NULL, 0, NULL, errp);
	}
	{
		uint16_t base[VU_MAX_RINGS];

		for (unsigned i = 0; i < s->nr_rings; i++)
			base[i] = vu_start_base(v, &s->vr[i], s->resume);
		v->nr_rings = 0;
		for (unsigned i = 0; i < s->nr_rings && rc == 0; i++) {
			rc = vu_ring_start(v, &s->vr[i], base[i], errp);
			v->ring[i] = (struct vu_ring){ .index = s->vr[i].index,
						       .started = rc == 0 };
			v->nr_rings = i + 1;
		}
	}
	v->started = true;
	if (rc == 0)
		rc = vu_enable_rings(v, errp);
	v->rings_conn = rc == 0 ? v->conn_gen : 0;
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int vu_vhost_stop(struct netdev *nd, struct vm_error **errp)
{
	struct netdev_vhost_user *v = to_vu(nd);
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	for (unsigned i = 0; i < v->nr_rings; i++) {
		struct vu_ring *r = &v->ring[i];
		struct vhu_msg m, reply;

		if (!r->started)
			continue;
		r->started = false;
		r->base_valid = false;
		if (rc < 0 || v->broken)
			continue; /* the backend is gone: nothing to ask */
		vhu_msg_state(&m, VHU_GET_VRING_BASE, r->index, 0);
		rc = vu_request(v, &m, NULL, 0, &reply, errp);
		if (rc == 0 && reply.p.state.index != r->index)
			rc = verr_set(errp, -EPROTO,
				      "netdev '%s': GET_VRING_BASE: reply for ring %u, ring %u asked",
				      nd->obj.id, reply.p.state.index, r->index);
		if (rc == 0) {
			r->base = (uint16_t)reply.p.state.num;
			r->base_valid = true;
		}
	}
	v->started = false;
	v->rings_conn = 0;
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int vu_set_queues(struct netdev *nd, unsigned n)
{
	struct netdev_vhost_user *v = to_vu(nd);
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	v->want_pairs = n;
	/* with the backend gone, the count applies when the rings go back */
	if (v->started && !v->broken)
		rc = vu_enable_rings(v, NULL);
	pthread_mutex_unlock(&v->lock);
	return rc;
}
