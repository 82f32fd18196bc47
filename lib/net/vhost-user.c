/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user.c: netdev "vhost-user", the frontend of the
 * vhost-user protocol (QEMU's docs/interop/vhost-user.rst): the packet
 * path runs in the backend process, on rings it maps from guest RAM.
 *
 * Properties: chardev (the id of a socket chardev, lib/chardev/, whose
 * path, server, wait and reconnect apply; a value with a '/' is taken as
 * the socket path, as 0.2 did), or path (the socket path; then server,
 * wait and reconnect are the netdev's own), queues, vhostforce (QEMU's "use vhost
 * without MSI-X": accepted, no effect), reconnect (client: retry a refused
 * connect for up to x-connect-timeout at realize).
 *
 * At realize (vm_start phase 1) the connection is made and the features
 * are negotiated: GET_FEATURES, GET/SET_PROTOCOL_FEATURES (MQ, REPLY_ACK,
 * NET_MTU: those the backend offers), GET_QUEUE_NUM (fewer than queues=
 * is an error), SET_OWNER. The device's offer then depends on the
 * backend's features (->vhost_features). A server with wait=off (QEMU's
 * nowait) does not wait: vm_start goes on, the device is built on
 * VU_NOWAIT_FEATURES with its link down, and the monitor accepts the
 * backend, negotiates (a backend without those features is dropped with
 * a log line) and brings the link up. The rings are handed over at the
 * guest's DRIVER_OK (vhost-user-rings.c). The LOG_* requests (dirty
 * logging for migration) are never used. A backend that goes away is
 * noticed by the monitor thread (vhost-user-monitor.c).
 *
 * Threads/Locking: see vhost-user.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../chardev/chardev.h"
#include "../core/prop.h"
#include "../core/log.h"
#include "../kvm/eventfd.h"
#include "../vm.h"
#include "backends.h"
#include "vhost-user.h"

#define BIT(b) (1ull << (b))

/* Protocol features we use when the backend has them. */
#define VU_PROTOCOL_WANTED                                                    \
	(BIT(VHU_PROTOCOL_F_MQ) | BIT(VHU_PROTOCOL_F_REPLY_ACK) |             \
	 BIT(VHU_PROTOCOL_F_NET_MTU))

/* What the device is built on when a server starts without its backend
 * (wait=off): the ring features every backend we know of has (DPDK's
 * vhost library, QEMU's and Linux's vhost), no offloads. A backend that
 * connects must offer them all. */
#define VU_NOWAIT_FEATURES                                                    \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |              \
	 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC))

/* The offload bits the device may offer when the backend has them. */
#define VU_OFFLOADS                                                           \
	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |               \
	 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |           \
	 BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |        \
	 BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN))

static const char *vu_id(const struct netdev_vhost_user *v)
{
	return v->nd.obj.id;
}

/* ---- one request ---- */

static int vu_fault(struct netdev_vhost_user *v, int code, uint32_t req,
		    const char *why, struct vm_error **errp)
{
	char b[24];

	v->broken = true;
	if (v->wake_fd >= 0) /* the monitor drops this connection */
		(void)hv_eventfd_signal(v->wake_fd);
	return verr_set(errp, code, "netdev '%s': %s: %s", vu_id(v),
			vhu_request_name(req, b), why);
}

/* Receive the reply to @req (@want payload bytes) into @r. */
static int vu_reply(struct netdev_vhost_user *v, uint32_t req, size_t want,
		    struct vhu_msg *r, struct vm_error **errp)
{
	char buf[96];
	const char *why;
	unsigned nfds;
	ssize_t got = vhu_recv(v->sock, r, (int)v->reply_timeout, v->cancel_fd,
			       &nfds);

	if (got == -ETIMEDOUT) {
		snprintf(buf, sizeof(buf), "no reply within %u ms",
			 v->reply_timeout);
		return vu_fault(v, -ETIMEDOUT, req, buf, errp);
	}
	if (got == -ECANCELED)
		return vu_fault(v, -ECANCELED, req, "the VM is stopping", errp);
	if (got == -ECONNRESET)
		return vu_fault(v, -ECONNRESET, req,
				"the backend closed the connection", errp);
	if (got == -EMSGSIZE) {
		snprintf(buf, sizeof(buf), "oversized reply (%u payload bytes)",
			 r->size);
		return vu_fault(v, -EPROTO, req, buf, errp);
	}
	if (got < 0)
		return vu_fault(v, (int)got, req, strerror((int)-got), errp);
	why = vhu_check_reply(r, (size_t)got, nfds, req, want, buf, sizeof(buf));
	if (why)
		return vu_fault(v, -EPROTO, req, why, errp);
	return 0;
}

int vu_request(struct netdev_vhost_user *v, struct vhu_msg *m, const int *fds,
	       unsigned nfds, struct vhu_msg *reply, struct vm_error **errp)
{
	bool ack = !reply && vu_has_protocol(v, VHU_PROTOCOL_F_REPLY_ACK);
	struct vhu_msg r;
	char b[64];
	int rc;

	if (v->cancel_fd >= 0 && hv_eventfd_drain(v->cancel_fd) > 0) {
		(void)hv_eventfd_signal(v->cancel_fd); /* stays cancelled */
		return vu_fault(v, -ECANCELED, m->request, "the VM is stopping",
				errp);
	}
	if (v->broken || v->sock < 0)
		return verr_set(errp, -ENOTCONN,
				"netdev '%s': %s: the backend connection is down",
				vu_id(v), vhu_request_name(m->request, b));
	if (ack)
		m->flags |= VHU_FLAG_NEED_REPLY;
	rc = vhu_send(v->sock, m, fds, nfds);
	if (rc < 0)
		return vu_fault(v, rc, m->request, strerror(-rc), errp);
	if (reply)
		return vu_reply(v, m->request, vhu_reply_size(m->request),
				reply, errp);
	if (!ack)
		return 0;
	rc = vu_reply(v, m->request, sizeof(uint64_t), &r, errp);
	if (rc < 0)
		return rc;
	if (r.p.u64) {
		snprintf(b, sizeof(b), "the backend refused it (nack %llu)",
			 (unsigned long long)r.p.u64);
		return vu_fault(v, -EPROTO, m->request, b, errp);
	}
	return 0;
}

static int vu_get_u64(struct netdev_vhost_user *v, uint32_t req,
		      uint64_t *val, struct vm_error **errp)
{
	struct vhu_msg m, r;
	int rc;

	vhu_msg_u64(&m, req, 0, false);
	rc = vu_request(v, &m, NULL, 0, &r, errp);
	if (rc == 0)
		*val = r.p.u64;
	return rc;
}

static int vu_set_u64(struct netdev_vhost_user *v, uint32_t req, uint64_t val,
		      struct vm_error **errp)
{
	struct vhu_msg m;

	vhu_msg_u64(&m, req, val, true);
	return vu_request(v, &m, NULL, 0, NULL, errp);
}

/* ---- connection ---- */

static int64_t vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int vu_socket(struct netdev_vhost_user *v, struct vm_error **errp)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return verr_set_errno(errp, -errno, "netdev '%s': socket",
				      vu_id(v));
	return s;
}

static void vu_addr(const struct netdev_vhost_user *v, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, v->sockpath, strlen(v->sockpath));
}

/* Client: connect; with reconnect= and @retry, a refused or missing
 * socket is retried every 100 ms until wait_timeout (at realize). */
static int vu_connect(struct netdev_vhost_user *v, bool retry,
		      struct vm_error **errp)
{
	int64_t deadline = vu_now_ms() + v->wait_timeout;
	struct sockaddr_un sa;

	vu_addr(v, &sa);
	for (;;) {
		int s = vu_socket(v, errp), e;

		if (s < 0)
			return s;
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			v->sock = s;
			return 0;
		}
		e = errno;
		close(s);
		if (!retry || !v->reconnect || (e != ECONNREFUSED && e != ENOENT) ||
		    vu_now_ms() >= deadline)
			return verr_set_errno(errp, -e,
					      "netdev '%s': connect to '%s'",
					      vu_id(v), v->sockpath);
		usleep(100000);
	}
}

/* Server: listen (a stale socket is replaced, as QEMU does; any other
 * file there is left alone and bind fails); the socket stays open for the
 * next connection until unrealize. */
static int vu_listen(struct netdev_vhost_user *v, struct vm_error **errp)
{
	struct sockaddr_un sa;
	struct stat st;
	int l = vu_socket(v, errp), rc;

	if (l < 0)
		return l;
	vu_addr(v, &sa);
	if (lstat(v->sockpath, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(v->sockpath);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		rc = verr_set_errno(errp, -errno, "netdev '%s': listen on '%s'",
				    vu_id(v), v->sockpath);
		close(l);
		return rc;
	}
	v->listen_fd = l;
	return 0;
}

/* Server: wait up to @wait_ms for the backend to connect. */
static int vu_accept(struct netdev_vhost_user *v, int wait_ms,
		     struct vm_error **errp)
{
	struct pollfd p = { .fd = v->listen_fd, .events = POLLIN };
	int rc = poll(&p, 1, wait_ms);

	if (rc == 0)
		return verr_set(errp, -ETIMEDOUT,
				"netdev '%s': no backend connected to '%s' within %d ms",
				vu_id(v), v->sockpath, wait_ms);
	if (rc > 0)
		v->sock = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (rc < 0 || v->sock < 0)
		return verr_set_errno(errp, -errno, "netdev '%s': accept on '%s'",
				      vu_id(v), v->sockpath);
	return 0;
}

void vu_close_conn(struct netdev_vhost_user *v)
{
	if (v->sock >= 0)
		close(v->sock);
	v->sock = -1;
}

/* ---- feature handshake ---- */

static int vu_handshake(struct netdev_vhost_user *v, struct vm_error **errp)
{
	struct vhu_msg m;
	uint64_t pf = 0, qn = 0;
	int rc = vu_get_u64(v, VHU_GET_FEATURES, &v->features, errp);

	if (rc < 0)
		return rc;
	if (!(v->features & BIT(VIRTIO_F_VERSION_1)))
		return verr_set(errp, -ENOTSUP,
				"netdev '%s': the backend does not offer VIRTIO_F_VERSION_1",
				vu_id(v));
	if (v->features & BIT(VHU_F_PROTOCOL_FEATURES)) {
		rc = vu_get_u64(v, VHU_GET_PROTOCOL_FEATURES, &pf, errp);
		if (rc < 0)
			return rc;
		/* REPLY_ACK applies from the next request on. */
		rc = vu_set_u64(v, VHU_SET_PROTOCOL_FEATURES,
				pf & VU_PROTOCOL_WANTED, errp);
		if (rc < 0)
			return rc;
		v->protocol = pf & VU_PROTOCOL_WANTED;
		v->backend_protocol = pf;
	}
	v->backend_queues = 1;
	if (vu_has_protocol(v, VHU_PROTOCOL_F_MQ)) {
		rc = vu_get_u64(v, VHU_GET_QUEUE_NUM, &qn, errp);
		if (rc < 0)
			return rc;
		v->backend_queues = qn > UINT32_MAX ? UINT32_MAX : (uint32_t)qn;
	}
	if (v->queues > 1 && !vu_has_protocol(v, VHU_PROTOCOL_F_MQ))
		return verr_set(errp, -ENOTSUP,
				"netdev '%s': queues=%u but the backend does not offer the MQ protocol feature",
				vu_id(v), v->queues);
	if (v->backend_queues < v->queues)
		return verr_set(errp, -EINVAL,
				"netdev '%s': queues=%u but the backend has %u",
				vu_id(v), v->queues, v->backend_queues);
	vhu_msg_u64(&m, VHU_SET_OWNER, 0, false);
	return vu_request(v, &m, NULL, 0, NULL, errp);
}

int vu_open(struct netdev_vhost_user *v, int wait_ms, struct vm_error **errp)
{
	int rc = v->server ? vu_accept(v, wait_ms, errp)
			   : vu_connect(v, wait_ms > 0, errp);

	v->broken = false;
	v->protocol = 0;
	if (rc == 0)
		rc = vu_handshake(v, errp);
	if (rc < 0)
		vu_close_conn(v);
	else
		v->conn_gen++;
	return rc;
}

/* ---- the type ---- */

static int vu_set_vnet_hdr_len(struct netdev *nd, unsigned len)
{
	/* VERSION_1: the backend parses the 12-byte header itself. */
	return len == 12 ? 0 : -ENOTSUP;
}

static int vu_set_offload(struct netdev *nd, uint64_t guest_features)
{
	return 0; /* fixed by SET_FEATURES at the rings' start */
}

/* vm_stop (any thread, no lock of ours): end any exchange at once. */
static void vu_cancel(struct netdev *nd)
{
	struct netdev_vhost_user *v = to_vu(nd);

	if (v->cancel_fd >= 0)
		(void)hv_eventfd_signal(v->cancel_fd);
}

static const struct netdev_ops vu_ops = {
	.set_queues = vu_set_queues,
	.cancel = vu_cancel,
	.set_vnet_hdr_len = vu_set_vnet_hdr_len,
	.set_offload = vu_set_offload,
	.vhost_start = vu_vhost_start,
	.vhost_stop = vu_vhost_stop,
};

static void vu_class_init(struct obj_class *k)
{
	((struct netdev_class *)k)->ops = &vu_ops;
}

static void vu_instance_init(struct vm_obj *o)
{
	struct netdev_vhost_user *v = to_vu(to_netdev(o));

	v->sock = v->listen_fd = v->wake_fd = -1;
	for (unsigned i = 0; i < VU_MAX_RINGS; i++)
		v->err_fd[i] = -1;
	/* for the object's whole life: vm_stop may signal it any time */
	v->cancel_fd = hv_eventfd_new();
}

static void vu_finalize(struct vm_obj *o)
{
	struct netdev_vhost_user *v = to_vu(to_netdev(o));

	if (v->cancel_fd >= 0)
		close(v->cancel_fd);
}

static void vu_close(struct netdev_vhost_user *v)
{
	vu_monitor_stop(v);
	vu_close_conn(v);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		(void)unlink(v->sockpath);
	}
	v->listen_fd = -1;
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	v->wake_fd = -1;
	for (unsigned i = 0; i < VU_MAX_RINGS; i++) {
		if (v->err_fd[i] >= 0)
			close(v->err_fd[i]);
		v->err_fd[i] = -1;
	}
	if (v->lock_init)
		pthread_mutex_destroy(&v->lock);
	v->lock_init = false;
}

/* The socket to use: path=, or chardev= naming a chardev object (whose
 * server/reconnect then apply), or chardev= as a path (0.2's meaning). */
static int vu_resolve(struct netdev_vhost_user *v, const char **path,
		      struct vm_error **errp)
{
	const char *id = vu_id(v);
	struct chardev_socket *c;

	if (v->path && v->chardev)
		return verr_set(errp, -EINVAL,
				"netdev '%s': path= and chardev= both given", id);
	*path = v->path ? v->path : v->chardev;
	if (!*path || !**path)
		return verr_set(errp, -EINVAL,
				"netdev '%s': needs path= (or chardev=) naming the backend's socket",
				id);
	if (v->path)
		return 0;
	c = chardev_socket_find(v->nd.obj.vm, v->chardev);
	if (!c && !strchr(v->chardev, '/'))
		return verr_set(errp, -ENOENT,
				"netdev '%s': chardev '%s': no socket chardev with that id",
				id, v->chardev);
	if (c) {
		*path = c->path;
		v->server = c->server;
		v->wait = c->wait;
		if (!prop_is_set(&v->nd.obj, "reconnect"))
			v->reconnect = c->reconnect;
	}
	return 0;
}

/* A server with wait=off: no backend yet. The device is built on
 * VU_NOWAIT_FEATURES and starts with the link down (the monitor brings it
 * up once a backend connected and negotiated). */
static void vu_start_waiting(struct netdev_vhost_user *v)
{
	v->broken = true; /* no requests until a backend is there */
	v->features = 0;
	v->need = VU_NOWAIT_FEATURES;
	pthread_mutex_lock(&v->nd.notify_lock);
	v->nd.link_down = true;
	pthread_mutex_unlock(&v->nd.notify_lock);
	vlog_info(vm_log(v->nd.obj.vm), vu_id(v),
		  "wait=off: link down until a backend connects to '%s'",
		  v->sockpath);
}

static int vu_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_vhost_user *v = to_vu(to_netdev(o));
	const char *path = NULL;
	int rc = vu_resolve(v, &path, errp);
	bool nowait;

	if (rc < 0)
		return rc;
	if (!v->wait && !v->server)
		return verr_set(errp, -EINVAL,
				"netdev '%s': wait=off applies to server=on only",
				o->id);
	nowait = !v->wait;
	if (strlen(path) >= sizeof(v->sockpath))
		return verr_set(errp, -ENAMETOOLONG,
				"netdev '%s': socket path '%s' is longer than %zu bytes",
				o->id, path, sizeof(v->sockpath) - 1);
	memcpy(v->sockpath, path, strlen(path) + 1);
	v->started = false;
	if (v->cancel_fd < 0)
		return verr_set(errp, -ENOMEM, "netdev '%s': no eventfd", o->id);
	(void)hv_eventfd_drain(v->cancel_fd); /* a start after a vm_stop */
	rc = v->server ? vu_listen(v, errp) : 0;
	if (rc == 0 && nowait)
		vu_start_waiting(v);
	else if (rc == 0)
		rc = vu_open(v, (int)v->wait_timeout, errp);
	if (rc == 0) {
		if (!nowait)
			v->need = v->features;
		pthread_mutex_init(&v->lock, NULL);
		v->lock_init = true;
		rc = vu_monitor_start(v, errp);
	}
	if (rc < 0) {
		vu_close(v);
		return rc;
	}
	v->nd.caps = NETDEV_CAP_VHOST | NETDEV_CAP_VNET_HDR;
	v->nd.queues = v->queues;
	v->nd.vhost_features = v->need;
	v->nd.offloads = v->need & VU_OFFLOADS;
	return 0;
}

static void vu_unrealize(struct vm_obj *o)
{
	vu_close(to_vu(to_netdev(o)));
}

#define S struct netdev_vhost_user
static const struct vm_prop_desc vhost_user_props[] = {
	PROP_STR("chardev", S, chardev, 0, NULL,
		 "id of a socket chardev (or, with a '/', the socket path)"),
	PROP_STR("path", S, path, 0, NULL,
		 "UNIX socket path of the backend (same as chardev=)"),
	PROP_BOOL("server", S, server, 0, "off",
		  "listen on the socket and wait for the backend to connect"),
	PROP_BOOL("wait", S, wait, 0, "on",
		  "server: wait for the backend at start (off: link down until it connects)"),
	PROP_U32("queues", S, queues, 0, "1", 1, NETDEV_MAX_QUEUES,
		 "queue pairs"),
	PROP_BOOL("vhostforce", S, vhostforce, 0, "off",
		  "accepted for QEMU compatibility; no effect"),
	PROP_U32("reconnect", S, reconnect, 0, "0", 0, 3600,
		 "client: retry a refused connect (0: never)"),
	PROP_U32("x-reply-timeout", S, reply_timeout, 0, "10000", 10, 600000,
		 "ms to wait for each reply of the backend"),
	PROP_U32("x-connect-timeout", S, wait_timeout, 0, "30000", 10,
		 3600000, "ms to wait for a connection at realize"),
	PROP_END,
};
#undef S

const struct type netdev_vhost_user_type = {
	.name = "vhost-user",
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_vhost_user),
	.class_init = vu_class_init,
	.instance_init = vu_instance_init,
	.realize = vu_realize,
	.unrealize = vu_unrealize,
	.finalize = vu_finalize,
	.props = vhost_user_props,
};
