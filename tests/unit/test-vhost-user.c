/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-vhost-user.c: netdev "vhost-user" against a scripted
 * backend inside the test (a thread on a UNIX socket in a fresh
 * directory), and the wire codec on its own (socketpairs).
 *   codec: every malformed reply is refused with its reason: short,
 *          oversized, reply to another request, without the reply flag,
 *          wrong payload size, carrying fds; a silent peer times out.
 *   handshake: the exact message sequence at realize, at the guest's
 *          DRIVER_OK (SET_MEM_TABLE's fd is guest RAM's: same inode and
 *          size; every ring gets its kick and call fd), at VQ_PAIRS_SET
 *          and at reset (GET_VRING_BASE per ring); the device offers only
 *          what the backend can do; server role; vm_pause's device hook
 *          stops every ring (GET_VRING_BASE) and vm_resume's starts them
 *          again from the bases the backend gave; a device saved paused
 *          and loaded into a new VM (vm_restore) hands its rings over
 *          from their used index.
 *   ring errors: a backend's SET_VRING_ERR signal marks the device
 *          NEEDS_RESET, link down, logged with the netdev and the ring.
 *   wait=off: a server that starts without its backend (link down,
 *          the fixed offer), the backend connecting later (handshake,
 *          rings, link up), one without the offered features dropped.
 *   faults: each protocol fault at realize fails vm_start's phase 1 with
 *          a message naming the netdev and the request.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/device.h"
#include "mock/net-vm.h"
#include "net/netdev.h"
#include "net/vhost-user-proto.h"
#include "snapshot/format.h"
#include "virtio/pci-modern.h"
#include "vm.h"
#include "check-main.h"

#define BIT(b) (1ull << (b))
#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })
#define MAX_LOG 256

/* ---- codec ---- */

static struct vhu_msg reply_of(uint32_t req, uint32_t size)
{
	struct vhu_msg m;

	memset(&m, 0, sizeof(m));
	m.request = req;
	m.flags = VHU_VERSION | VHU_FLAG_REPLY;
	m.size = size;
	return m;
}

START_TEST(test_vhu_check_reply_rejects_each_fault)
{
	struct vhu_msg m = reply_of(VHU_GET_FEATURES, 8);
	char buf[96];

	ck_assert_ptr_null(vhu_check_reply(&m, 20, 0, VHU_GET_FEATURES, 8, buf,
					   sizeof(buf)));
	ck_assert_str_eq(vhu_check_reply(&m, 19, 0, VHU_GET_FEATURES, 8, buf,
					 sizeof(buf)), "short reply");
	ck_assert_str_eq(vhu_check_reply(&m, 20, 1, VHU_GET_FEATURES, 8, buf,
					 sizeof(buf)),
			 "reply carries file descriptors");
	ck_assert_str_eq(vhu_check_reply(&m, 20, 0, VHU_GET_QUEUE_NUM, 8, buf,
					 sizeof(buf)),
			 "reply to GET_QUEUE_NUM expected, got GET_FEATURES");
	m.request = 99;
	ck_assert_str_eq(vhu_check_reply(&m, 20, 0, VHU_GET_FEATURES, 8, buf,
					 sizeof(buf)),
			 "reply to GET_FEATURES expected, got request 99");
	m = reply_of(VHU_GET_FEATURES, 4);
	ck_assert_str_eq(vhu_check_reply(&m, 16, 0, VHU_GET_FEATURES, 8, buf,
					 sizeof(buf)),
			 "reply to GET_FEATURES has 4 payload bytes, 8 expected");
	m = reply_of(VHU_GET_FEATURES, 8);
	m.flags = VHU_VERSION; /* a request, not a reply */
	ck_assert_str_eq(vhu_check_reply(&m, 20, 0, VHU_GET_FEATURES, 8, buf,
					 sizeof(buf)),
			 "reply without the reply flag or of another version");
	m.flags = 2 | VHU_FLAG_REPLY;
	ck_assert_ptr_nonnull(vhu_check_reply(&m, 20, 0, VHU_GET_FEATURES, 8,
					      buf, sizeof(buf)));
}
END_TEST

START_TEST(test_vhu_recv_bounds)
{
	struct vhu_msg m = reply_of(VHU_GET_FEATURES, 8), r;
	unsigned nfds;
	int sv[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* nothing comes: bounded wait */
	ck_assert_int_eq(vhu_recv(sv[0], &r, 50, -1, &nfds), -ETIMEDOUT);
	/* a whole reply, with an fd it must not keep */
	fd = dup(0);
	ck_assert_int_eq(vhu_send(sv[1], &m, &fd, 1), 0);
	close(fd);
	ck_assert_int_eq(vhu_recv(sv[0], &r, 1000, -1, &nfds), 20);
	ck_assert_uint_eq(nfds, 1);
	/* oversized: more than any reply */
	m.size = 4096;
	ck_assert_int_eq(write(sv[1], &m, VHU_HDR_SIZE), VHU_HDR_SIZE);
	ck_assert_int_eq(vhu_recv(sv[0], &r, 1000, -1, &nfds), -EMSGSIZE);
	/* short: the header says 8 bytes, 4 come, then EOF */
	m.size = 8;
	ck_assert_int_eq(write(sv[1], &m, VHU_HDR_SIZE + 4), VHU_HDR_SIZE + 4);
	close(sv[1]);
	ck_assert_int_eq(vhu_recv(sv[0], &r, 1000, -1, &nfds), -ECONNRESET);
	close(sv[0]);
	/* a cancel fd that polls readable ends the wait */
	fd = eventfd(1, EFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(vhu_recv(sv[0], &r, 60000, fd, &nfds), -ECANCELED);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	/* too many fds to send */
	ck_assert_int_eq(vhu_send(-1, &m, NULL, VHU_MAX_FDS + 1), -EINVAL);
}
END_TEST

/* ---- the scripted backend ---- */

enum fault {
	F_NONE, F_WRONG_REQ, F_SHORT, F_OVERSIZE, F_SILENT, F_NACK, F_WITH_FD,
};

static struct {
	/* script, set before the thread starts */
	uint64_t features, protocol, queue_num;
	uint32_t fault_req;
	enum fault fault;
	bool connect;                  /* we connect (netdev server=on) */
	/* what came, under lock */
	pthread_mutex_t lock;
	unsigned n;
	struct vhu_msg log[MAX_LOG];
	unsigned nfds[MAX_LOG];
	struct stat mem_st;            /* of SET_MEM_TABLE's first fd */
	int call0;                     /* ring 0's call fd (dup), -1 */
	int err1;                      /* ring 1's error fd (dup), -1 */
	unsigned accept_more;          /* connections to accept after one */
	int conn;                      /* the current one (atomic) */
} be = { .lock = PTHREAD_MUTEX_INITIALIZER };

static char dir[64], sock[128];
static int lsock = -1;
static pthread_t be_tid;
static bool be_started;
static struct net_vm t;

#define STD_FEATURES                                                          \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |              \
	 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_NET_F_MQ) |                \
	 BIT(VHU_F_PROTOCOL_FEATURES))
/* What the device offers on a backend with STD_FEATURES. */
#define STD_OFFER                                                             \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |                    \
	 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_CTRL_VQ) |               \
	 BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |                                   \
	 BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MRG_RXBUF) |                 \
	 BIT(VIRTIO_RING_F_EVENT_IDX))
#define STD_PROTOCOL                                                          \
	(BIT(VHU_PROTOCOL_F_MQ) | BIT(VHU_PROTOCOL_F_REPLY_ACK) |             \
	 BIT(VHU_PROTOCOL_F_LOG_SHMFD))

/* One message with its fds (the first one kept for SET_MEM_TABLE). */
static int be_read(int s, struct vhu_msg *m, unsigned *nfds, int *fd0)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
		struct cmsghdr a;
	} u;
	struct iovec iov = { m, VHU_HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c;

	memset(m, 0, sizeof(*m));
	*nfds = 0;
	*fd0 = -1;
	if (recvmsg(s, &mh, MSG_WAITALL) != VHU_HDR_SIZE)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		for (unsigned i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*fd0 < 0)
				*fd0 = fd;
			else
				close(fd);
		}
		*nfds += k;
	}
	if (m->size > sizeof(m->p) ||
	    (m->size && recv(s, &m->p, m->size, MSG_WAITALL) != (ssize_t)m->size))
		return -1;
	return 0;
}

static void be_reply(int s, const struct vhu_msg *req, uint64_t v, bool state)
{
	struct vhu_msg r = reply_of(req->request, state ? 8 : 8);
	size_t len;
	int fd;

	if (state)
		r.p.state = (struct vhu_vring_state){ req->p.state.index, 7 };
	else
		r.p.u64 = v;
	len = VHU_HDR_SIZE + r.size;
	if (req->request == be.fault_req) {
		switch (be.fault) {
		case F_WRONG_REQ:
			r.request = VHU_GET_QUEUE_NUM;
			break;
		case F_SHORT:
			len -= 4;
			break;
		case F_OVERSIZE:
			r.size = 4096;
			len = VHU_HDR_SIZE;
			break;
		case F_SILENT:
			return;
		case F_NACK:
			r.p.u64 = 1;
			break;
		case F_WITH_FD:
			fd = dup(0);
			if (vhu_send(s, &r, &fd, 1) < 0)
				r.request = 0; /* the test sees the fault */
			close(fd);
			return;
		default:
			break;
		}
	}
	(void)!write(s, &r, len);
}

static void be_serve(int s);

static void *be_main(void *opaque)
{
	int s = -1;

	if (be.connect) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		memcpy(sa.sun_path, sock, strlen(sock));
		for (int i = 0; i < 500 && s < 0; i++) {
			s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				close(s);
				s = -1;
				usleep(10000);
			}
		}
	} else {
		s = accept(lsock, NULL, NULL);
	}
	be_serve(s);
	/* again: the frontend reconnects after its backend "died" */
	for (unsigned k = 0; k < be.accept_more && !be.connect; k++)
		be_serve(accept(lsock, NULL, NULL));
	return NULL;
}

static void be_serve(int s)
{
	__atomic_store_n(&be.conn, s, __ATOMIC_RELEASE);
	while (s >= 0) {
		struct vhu_msg m;
		unsigned nfds;
		int fd0;

		if (be_read(s, &m, &nfds, &fd0) < 0)
			break;
		pthread_mutex_lock(&be.lock);
		if (m.request == VHU_SET_MEM_TABLE && fd0 >= 0)
			fstat(fd0, &be.mem_st);
		if (m.request == VHU_SET_VRING_CALL && m.p.u64 == 0 && fd0 >= 0) {
			if (be.call0 >= 0)
				close(be.call0);
			be.call0 = dup(fd0);
		}
		if (m.request == VHU_SET_VRING_ERR && m.p.u64 == 1 && fd0 >= 0) {
			if (be.err1 >= 0)
				close(be.err1);
			be.err1 = dup(fd0);
		}
		if (be.n < MAX_LOG) {
			be.log[be.n] = m;
			be.nfds[be.n++] = nfds;
		}
		pthread_mutex_unlock(&be.lock);
		if (fd0 >= 0)
			close(fd0);
		switch (m.request) {
		case VHU_GET_FEATURES:
			be_reply(s, &m, be.features, false);
			break;
		case VHU_GET_PROTOCOL_FEATURES:
			be_reply(s, &m, be.protocol, false);
			break;
		case VHU_GET_QUEUE_NUM:
			be_reply(s, &m, be.queue_num, false);
			break;
		case VHU_GET_VRING_BASE:
			be_reply(s, &m, 0, true);
			break;
		default:
			if (m.flags & VHU_FLAG_NEED_REPLY)
				be_reply(s, &m, 0, false);
		}
		if (m.request == be.fault_req && be.fault == F_SHORT)
			break;
	}
	if (s >= 0)
		close(s);
}

static void be_start(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!be.connect) {
		memcpy(sa.sun_path, sock, strlen(sock));
		lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_eq(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(lsock, 1), 0);
	}
	ck_assert_int_eq(pthread_create(&be_tid, NULL, be_main, NULL), 0);
	be_started = true;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kvm-virtio-vu.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/be.sock", dir);
	be.features = STD_FEATURES;
	be.protocol = STD_PROTOCOL;
	be.queue_num = 2;
	be.call0 = -1;
	be.err1 = -1;
	be.conn = -1;
}

static void teardown(void)
{
	if (t.vm)
		net_vm_destroy(&t); /* closes our end: the backend sees EOF */
	if (lsock >= 0)
		shutdown(lsock, SHUT_RDWR); /* a pending accept() returns */
	if (be_started)
		pthread_join(be_tid, NULL);
	if (lsock >= 0)
		close(lsock);
	if (be.err1 >= 0)
		close(be.err1);
	unlink(sock);
	rmdir(dir);
}

/* Wait until the backend has seen @n messages. */
static void be_wait(unsigned n)
{
	for (int i = 0; i < 2000; i++) {
		unsigned k;

		pthread_mutex_lock(&be.lock);
		k = be.n;
		pthread_mutex_unlock(&be.lock);
		if (k >= n)
			return;
		usleep(1000);
	}
	ck_abort_msg("backend saw %u messages, %u expected", be.n, n);
}

static void expect_seq(unsigned from, const uint32_t *req, unsigned n)
{
	be_wait(from + n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(be.log[from + i].request == req[i],
			      "message %u: request %u, %u expected", from + i,
			      be.log[from + i].request, req[i]);
}

static int build(const struct vm_prop *nd, struct vm_error **errp)
{
	net_vm_build(&t, "vhost-user", nd,
		     PROPS({ "netdev", "v0" }, { "id", "net0" }, { "mq", "on" },
			   { "queues", "2" }));
	return vm_realize_objects(t.vm, errp);
}

/* ---- handshake ---- */

static const uint32_t realize_seq[] = {
	VHU_GET_FEATURES, VHU_GET_PROTOCOL_FEATURES, VHU_SET_PROTOCOL_FEATURES,
	VHU_GET_QUEUE_NUM, VHU_SET_OWNER,
};

/* The guest's link becomes @up within 2 s. */
static bool link_becomes(bool up)
{
	return net_vm_link_is(&t, up, 2000);
}

/* What the VM logged (vm_set_log_fn), for the messages tests expect. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192];

static void log_rec(void *opaque, int level, const char *obj,
		    const char *msg)
{
	size_t n;

	(void)opaque;
	(void)level;
	pthread_mutex_lock(&log_lock);
	n = strlen(log_text);
	snprintf(log_text + n, sizeof(log_text) - n, "%s: %s\n", obj, msg);
	pthread_mutex_unlock(&log_lock);
}

static bool logged(const char *what)
{
	bool yes = false;

	for (int i = 0; i < 2000 && !yes; i++) {
		pthread_mutex_lock(&log_lock);
		yes = strstr(log_text, what) != NULL;
		pthread_mutex_unlock(&log_lock);
		if (!yes)
			usleep(1000);
	}
	if (!yes)
		printf("# log so far:\n%s", log_text);
	return yes;
}

/* A VM that logs to log_rec(), before its objects are added. */
static void create_logged(void)
{
	log_text[0] = 0;
	net_vm_create(&t);
	vm_set_log_fn(t.vm, log_rec, NULL, VM_LOG_INFO);
}

/* What each ring gets when it is handed over. */
static const uint32_t ring_seq[] = {
	VHU_SET_VRING_NUM, VHU_SET_VRING_BASE, VHU_SET_VRING_ADDR,
	VHU_SET_VRING_KICK, VHU_SET_VRING_CALL, VHU_SET_VRING_ERR,
};
#define RING_MSGS 6u

/* Messages at realize, at DRIVER_OK (features, memory table), for the
 * four rings and their enables. */
#define RUNNING_MSGS (5 + 2 + 4 * RING_MSGS + 4)

/* The backend up, the VM on it with netdev props @nd, probed by the
 * guest: the rings run in the backend. */
static void run_rings(const struct vm_prop *nd)
{
	struct vm_error *err = NULL;

	be_start();
	ck_assert_msg(build(nd, &err) == 0, "%s", vm_error_message(err));
	net_vm_find(&t);
	(void)net_vm_probe(&t, ~0ull, 5);
	be_wait(RUNNING_MSGS);
}

static void check_rings_and_reset(void)
{
	const struct gmem *gm = machine_mem(t.mach);
	unsigned at = 5, i;
	struct stat st;
	uint64_t f;

	/* the offer: what the device does (the control queue is ours, so
	 * GUEST_ANNOUNCE too) and the backend can (no INDIRECT_DESC, no
	 * offloads: the backend has none) */
	f = net_vm_probe(&t, ~0ull, 5);
	ck_assert_uint_eq(f, STD_OFFER);
	expect_seq(at, (const uint32_t[]){ VHU_SET_FEATURES, VHU_SET_MEM_TABLE }, 2);
	/* the guest's features the backend has, and PROTOCOL_FEATURES */
	ck_assert_uint_eq(be.log[at].p.u64,
			  BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MQ) |
				  BIT(VIRTIO_NET_F_MRG_RXBUF) |
				  BIT(VIRTIO_RING_F_EVENT_IDX) |
				  BIT(VHU_F_PROTOCOL_FEATURES));
	ck_assert(be.log[at].flags & VHU_FLAG_NEED_REPLY); /* REPLY_ACK */
	/* the region is guest RAM: its fd, offset, size, our address */
	ck_assert_uint_eq(be.nfds[at + 1], gm->nr);
	ck_assert_uint_eq(be.log[at + 1].p.mem.nregions, gm->nr);
	ck_assert_uint_eq(be.log[at + 1].p.mem.r[0].gpa, 0);
	ck_assert_uint_eq(be.log[at + 1].p.mem.r[0].size, gm->r[0].size);
	ck_assert_uint_eq(be.log[at + 1].p.mem.r[0].mmap_offset, gm->r[0].fd_off);
	ck_assert_uint_eq(be.log[at + 1].p.mem.r[0].uaddr,
			  (uintptr_t)gm->r[0].hva);
	ck_assert_int_eq(fstat(gm->fd, &st), 0);
	ck_assert_uint_eq(be.mem_st.st_ino, st.st_ino);
	ck_assert_uint_eq(be.mem_st.st_size, 64u << 20);
	at += 2;
	/* four data rings (the control queue stays with us) */
	for (i = 0; i < 4; i++, at += RING_MSGS) {
		expect_seq(at, ring_seq, RING_MSGS);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
		ck_assert_uint_eq(be.log[at].p.state.num, NET_VM_QSIZE);
		ck_assert_uint_eq(be.log[at + 1].p.state.num, 0);
		ck_assert_uint_eq(be.log[at + 2].p.addr.desc,
				  (uintptr_t)guest_ptr(&t.gm, t.ring[i].desc, 1));
		ck_assert_uint_eq(be.log[at + 2].p.addr.used,
				  (uintptr_t)guest_ptr(&t.gm, t.ring[i].used, 1));
		ck_assert_uint_eq(be.nfds[at + 3], 1);
		ck_assert_uint_eq(be.nfds[at + 4], 1);
		ck_assert_uint_eq(be.log[at + 4].p.u64, i);
		ck_assert_uint_eq(be.nfds[at + 5], 1); /* SET_VRING_ERR */
		ck_assert_uint_eq(be.log[at + 5].p.u64, i);
	}
	/* one pair at DRIVER_OK (§5.1.6.5.5), both after VQ_PAIRS_SET 2 */
	for (unsigned round = 0; round < 2; round++) {
		if (round)
			ck_assert_uint_eq(net_vm_ctrl(&t, 4, "\x04\x00\x02\x00", 4),
					  VIRTIO_NET_OK);
		for (i = 0; i < 4; i++, at++) {
			expect_seq(at, (const uint32_t[]){ VHU_SET_VRING_ENABLE }, 1);
			ck_assert_uint_eq(be.log[at].p.state.index, i);
			ck_assert_uint_eq(be.log[at].p.state.num, round || i < 2);
		}
	}
	/* a pair count the backend lacks is the guest's error */
	ck_assert_uint_eq(net_vm_ctrl(&t, 4, "\x04\x00\x03\x00", 4),
			  VIRTIO_NET_ERR);
	/* reset: each ring's base comes back */
	virtio_drv_set_status(&t.vd, 0);
	for (i = 0; i < 4; i++, at++) {
		expect_seq(at, (const uint32_t[]){ VHU_GET_VRING_BASE }, 1);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
	}
}

START_TEST(test_vu_client_handshake_rings_pairs_reset)
{
	struct vm_error *err = NULL;

	be_start();
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" }), &err) == 0,
		      "%s", vm_error_message(err));
	expect_seq(0, realize_seq, 5);
	/* what we use of what was offered: not LOG_SHMFD */
	ck_assert_uint_eq(be.log[2].p.u64, BIT(VHU_PROTOCOL_F_MQ) |
						   BIT(VHU_PROTOCOL_F_REPLY_ACK));
	net_vm_find(&t);
	check_rings_and_reset();
}
END_TEST

/* A server chardev (the seed's role): we listen, the backend connects. */
START_TEST(test_vu_server_role_through_a_chardev)
{
	struct vm_error *err = NULL;

	be.connect = true;
	be_start();
	net_vm_create(&t);
	ck_assert_int_eq(vm_add_chardev(t.vm, "socket", "char1",
					PROPS({ "path", sock }, { "server", NULL }),
					&err), 0);
	ck_assert_msg(build(PROPS({ "chardev", "char1" }, { "queues", "2" },
				  { "vhostforce", NULL }),
			    &err) == 0,
		      "%s", vm_error_message(err));
	expect_seq(0, realize_seq, 5);
	net_vm_find(&t);
	check_rings_and_reset();
}
END_TEST

/* The PBA as the guest reads it (first qword's low half). */
static uint32_t pba(void)
{
	unsigned cap = mock_pci_find_cap(&t.drv, t.slot, PCI_CAP_ID_MSIX, 0);
	uint32_t r = mock_pci_cfg_read(&t.drv, t.slot, cap + PCI_MSIX_PBA, 4);

	return mock_mmio_read32(&t.drv, mock_pci_bar_get(&t.drv, t.slot,
							 r & PCI_MSIX_PBA_BIR) +
					     (r & PCI_MSIX_PBA_OFFSET));
}

/* A backend's call while the guest masks the queue's vector: the VMM
 * turns it into the pending bit, and unmasking delivers it once. */
START_TEST(test_vu_masked_vector_call_becomes_pending_bit)
{
	uint64_t one = 1;
	unsigned before;

	run_rings(PROPS({ "path", sock }, { "queues", "2" }));
	ck_assert_int_ge(be.call0, 0);
	mock_pci_msix_set(&t.drv, t.slot, 1, 0xfee00000, 0x41, 1); /* mask */
	ck_assert_uint_eq(pba(), 0);
	before = __atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE);
	ck_assert_int_eq(write(be.call0, &one, 8), 8); /* the backend calls */
	ck_assert_uint_eq(pba(), 1u << 1);
	ck_assert_uint_eq(__atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE), before);
	mock_pci_msix_set(&t.drv, t.slot, 1, 0xfee00000, 0x41, 0); /* unmask */
	ck_assert_uint_eq(__atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE),
			  before + 1);
	ck_assert_uint_eq(__atomic_load_n(&t.rec.last_data, __ATOMIC_ACQUIRE),
			  0x41);
	ck_assert_uint_eq(pba(), 0);
	close(be.call0);
}
END_TEST

/* The backend "dies" (we cut its connection) while the guest runs: link
 * down; the client reconnects (reconnect=1), negotiates again and gets
 * each ring back from the used index the guest saw (here: what this
 * test, playing the backend, wrote into the used rings); link up. */
START_TEST(test_vu_reconnect_replays_ring_state)
{
	struct vm_error *err = NULL;
	unsigned at;

	be.accept_more = 1;
	be_start();
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" },
				  { "reconnect", "1" }), &err) == 0,
		      "%s", vm_error_message(err));
	net_vm_find(&t);
	(void)net_vm_probe(&t, ~0ull, 5);
	at = 5 + 2 + 4 * RING_MSGS + 4; /* realize, start, rings, enables */
	be_wait(at);
	for (unsigned i = 0; i < 4; i++) { /* the backend used 3 + i each */
		uint16_t *idx = guest_ptr(&t.gm, t.ring[i].used + 2, 2);

		__atomic_store_n(idx, (uint16_t)(3 + i), __ATOMIC_RELEASE);
	}
	shutdown(__atomic_load_n(&be.conn, __ATOMIC_ACQUIRE), SHUT_RDWR);
	expect_seq(at, realize_seq, 5);
	expect_seq(at + 5, (const uint32_t[]){ VHU_SET_FEATURES,
					       VHU_SET_MEM_TABLE }, 2);
	at += 7;
	for (unsigned i = 0; i < 4; i++, at += RING_MSGS) {
		expect_seq(at, ring_seq, RING_MSGS);
		ck_assert_uint_eq(be.log[at + 1].p.state.index, i);
		ck_assert_uint_eq(be.log[at + 1].p.state.num, 3 + i);
	}
	for (unsigned i = 0; i < 4; i++, at++) /* one pair, as before */
		ck_assert_uint_eq((expect_seq(at, (const uint32_t[]){
					   VHU_SET_VRING_ENABLE }, 1),
				   be.log[at].p.state.num), i < 2);
	ck_assert(link_becomes(true)); /* the guest's link is back */
	{ /* the counters: the used indexes' progress (3 + i per ring) */
		struct vm_net_stats st = VM_NET_STATS_INIT;

		ck_assert_int_eq(vm_net_get_stats(t.vm, "net0", &st, NULL), 0);
		ck_assert_uint_eq(st.queue[0].rx_packets, 3);
		ck_assert_uint_eq(st.queue[0].tx_packets, 4);
		ck_assert_uint_eq(st.queue[1].rx_packets, 5);
		ck_assert_uint_eq(st.queue[1].tx_packets, 6);
		ck_assert_uint_eq(st.rx_packets, 8);
		ck_assert_uint_eq(st.tx_packets, 10);
		/* the used elements are zeros: 0 bytes */
		ck_assert_uint_eq(st.rx_bytes + st.tx_bytes, 0);
	}
}
END_TEST

/* The test, as the backend, puts used element @slot (@id, @len) in ring
 * @r; used_publish() then moves its index. */
static void used_put(struct vring_drv *r, uint16_t slot, uint32_t id,
		     uint32_t len)
{
	struct vring_used_elem e = { htole32(id), htole32(len) };

	memcpy(guest_ptr(&t.gm, r->used + 4 + 8u * (slot & (r->size - 1)), 8),
	       &e, 8);
}

static void used_publish(struct vring_drv *r, uint16_t idx)
{
	__atomic_store_n((uint16_t *)guest_ptr(&t.gm, r->used + 2, 2),
			 htole16(idx), __ATOMIC_RELEASE);
}

/* vm_net_get_stats' bytes for rings a backend runs, from what it leaves
 * in guest RAM (this test writes it): rx, each used element's len less
 * the 12-byte header; tx, the chain each used element names, less the
 * header; a looped chain (a hostile guest's) is walked at most a ring's
 * size of descriptors, an id beyond the ring counts 0. Pair 1's rx ring
 * is kept full by the driver (avail a ring ahead of the elements): the
 * sample reads the newest half ring and counts the rest at their mean. */
START_TEST(test_vu_stats_bytes_from_used_elements)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;
	struct vring_drv *tx = &t.ring[1], *rx1 = &t.ring[2];
	uint64_t b;
	uint16_t h[3];

	run_rings(PROPS({ "path", sock }, { "queues", "2" }));
	b = guest_alloc(&t.gm, 4096, 64);
	h[0] = vring_drv_add_chain(tx, (const struct vring_drv_buf[]){
		{ b, 12, false }, { b + 64, 100, false } }, 2);
	h[1] = vring_drv_add_chain(tx, (const struct vring_drv_buf[]){
		{ b, 54, false } }, 1);
	h[2] = vring_drv_add_chain(tx, (const struct vring_drv_buf[]){
		{ b, 20, false } }, 1);
	vring_drv_set_desc(tx, h[2], b, 20, VRING_DESC_F_NEXT, h[2]);
	vring_drv_publish_n(tx, h, 3);
	used_put(tx, 0, h[0], 0); /* backends write len 0 for tx */
	used_put(tx, 1, h[1], 0);
	used_put(tx, 2, h[2], 0);
	used_put(tx, 3, 0xffff, 0);
	used_publish(tx, 4);
	used_put(&t.ring[0], 0, 7, 12 + 60);
	used_put(&t.ring[0], 1, 8, 12 + 1500);
	used_publish(&t.ring[0], 2);
	vring_drv_set_avail_idx(rx1, 200 + NET_VM_QSIZE);
	for (unsigned j = 0; j < 200; j++) /* the newest 128 are 100 bytes */
		used_put(rx1, (uint16_t)j, j, 12 + (j < 72 ? 1000 : 100));
	used_publish(rx1, 200);
	ck_assert_int_eq(vm_net_get_stats(t.vm, "net0", &st, NULL), 0);
	ck_assert_uint_eq(st.queue[0].rx_packets, 2);
	ck_assert_uint_eq(st.queue[0].rx_bytes, 60 + 1500);
	ck_assert_uint_eq(st.queue[0].tx_packets, 4);
	ck_assert_uint_eq(st.queue[0].tx_bytes,
			  100 + 42 + (NET_VM_QSIZE * 20 - 12) + 0);
	ck_assert_uint_eq(st.queue[1].rx_packets, 200);
	ck_assert_uint_eq(st.queue[1].rx_bytes, 200 * 100);
	ck_assert_uint_eq(st.rx_bytes, 60 + 1500 + 200 * 100);
	ck_assert_uint_eq(st.tx_bytes, st.queue[0].tx_bytes);
}
END_TEST

/* vm_pause (the device's pause hook, as vm_pause calls it with the vCPUs
 * parked): the backend stops every started ring and gives its base back
 * (GET_VRING_BASE; the script answers 7); nothing else is sent while
 * paused; vm_resume: the rings go back, each from base 7 (not from the
 * used index, which this test sets to something else), with the pairs
 * the guest had enabled (both, after VQ_PAIRS_SET 2). A reset after that
 * takes them back as usual. */
START_TEST(test_vu_pause_stops_rings_resume_restarts_from_their_base)
{
	struct vm_error *err = NULL;
	struct vm_obj *dev;
	unsigned at;

	be_start();
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" }), &err) == 0,
		      "%s", vm_error_message(err));
	net_vm_find(&t);
	(void)net_vm_probe(&t, ~0ull, 5);
	ck_assert_uint_eq(net_vm_ctrl(&t, 4, "\x04\x00\x02\x00", 4),
			  VIRTIO_NET_OK);
	at = 5 + 2 + 4 * RING_MSGS + 4 + 4; /* realize, start, rings, enables x2 */
	be_wait(at);
	for (unsigned i = 0; i < 4; i++) { /* not what a resume uses */
		uint16_t *idx = guest_ptr(&t.gm, t.ring[i].used + 2, 2);

		__atomic_store_n(idx, (uint16_t)(30 + i), __ATOMIC_RELEASE);
	}
	dev = vm_obj_find(t.vm, "net0");
	ck_assert_ptr_nonnull(dev);
	ck_assert_int_eq(device_pause(dev), 0);
	for (unsigned i = 0; i < 4; i++, at++) {
		expect_seq(at, (const uint32_t[]){ VHU_GET_VRING_BASE }, 1);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
	}
	usleep(100000);
	ck_assert_uint_eq(be.n, at); /* quiet while paused */
	device_resume(dev);
	expect_seq(at, (const uint32_t[]){ VHU_SET_FEATURES,
					   VHU_SET_MEM_TABLE }, 2);
	ck_assert_uint_eq(be.nfds[at + 1], machine_mem(t.mach)->nr);
	at += 2;
	for (unsigned i = 0; i < 4; i++, at += RING_MSGS) {
		expect_seq(at, ring_seq, RING_MSGS);
		ck_assert_uint_eq(be.log[at + 1].p.state.index, i);
		ck_assert_uint_eq(be.log[at + 1].p.state.num, 7);
		ck_assert_uint_eq(be.nfds[at + 3], 1);
		ck_assert_uint_eq(be.nfds[at + 4], 1);
	}
	for (unsigned i = 0; i < 4; i++, at++) { /* both pairs, as before */
		expect_seq(at, (const uint32_t[]){ VHU_SET_VRING_ENABLE }, 1);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
		ck_assert_uint_eq(be.log[at].p.state.num, 1);
	}
	/* a second pause/resume: the same again */
	ck_assert_int_eq(device_pause(dev), 0);
	expect_seq(at, (const uint32_t[]){ VHU_GET_VRING_BASE }, 1);
	at += 4;
	device_resume(dev);
	expect_seq(at, (const uint32_t[]){ VHU_SET_FEATURES }, 1);
	at += 2 + 4 * RING_MSGS + 4;
	virtio_drv_set_status(&t.vd, 0);
	for (unsigned i = 0; i < 4; i++, at++) {
		expect_seq(at, (const uint32_t[]){ VHU_GET_VRING_BASE }, 1);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
	}
	/* paused after the reset: no rings, nothing to ask */
	ck_assert_int_eq(device_pause(dev), 0);
	device_resume(dev);
	usleep(100000);
	ck_assert_uint_eq(be.n, at);
}
END_TEST

/* vm_snapshot of a paused VM, vm_restore into a new one (device_save and
 * device_load, over a copy of guest RAM, as they do): the new VM's netdev
 * connects, negotiates, and the transport's load (DRIVER_OK) hands each
 * ring over from the used index in the restored RAM (3 + i here), not 0. */
START_TEST(test_vu_restore_hands_rings_over_from_their_used_index)
{
	const struct snap_hdr hdr = { 0 };
	struct vm_error *err = NULL;
	struct snap_index ix;
	struct snap_w w;
	struct vm_obj *dev;
	unsigned at;
	void *ram;
	int rc;

	be.accept_more = 1;
	be_start();
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" }), &err) == 0,
		      "%s", vm_error_message(err));
	net_vm_find(&t);
	(void)net_vm_probe(&t, ~0ull, 5);
	at = 5 + 2 + 4 * RING_MSGS + 4;
	be_wait(at);
	for (unsigned i = 0; i < 4; i++) {
		uint16_t *idx = guest_ptr(&t.gm, t.ring[i].used + 2, 2);

		__atomic_store_n(idx, (uint16_t)(3 + i), __ATOMIC_RELEASE);
	}
	dev = vm_obj_find(t.vm, "net0");
	ck_assert_int_eq(device_pause(dev), 0);
	snap_w_init(&w, &hdr);
	ck_assert_int_eq(device_save(dev, &w, 0, NULL), 0);
	ck_assert_int_eq(snap_w_finish(&w), 0);
	ck_assert_int_eq(snap_index_build(&ix, w.buf, w.len, NULL), 0);
	ram = malloc(64u << 20);
	ck_assert_ptr_nonnull(ram);
	memcpy(ram, machine_mem(t.mach)->base, 64u << 20);
	net_vm_destroy(&t); /* the backend takes the next connection */
	usleep(50000);
	pthread_mutex_lock(&be.lock);
	at = be.n;
	pthread_mutex_unlock(&be.lock);
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" }), &err) == 0,
		      "%s", vm_error_message(err));
	expect_seq(at, realize_seq, 5);
	at += 5;
	memcpy(machine_mem(t.mach)->base, ram, 64u << 20);
	free(ram);
	rc = device_load(vm_obj_find(t.vm, "net0"), &ix, 0, &err);
	ck_assert_msg(rc == 0, "device_load: %s", vm_error_message(err));
	expect_seq(at, (const uint32_t[]){ VHU_SET_FEATURES,
					   VHU_SET_MEM_TABLE }, 2);
	at += 2;
	for (unsigned i = 0; i < 4; i++, at += RING_MSGS) {
		expect_seq(at, ring_seq, RING_MSGS);
		ck_assert_uint_eq(be.log[at + 1].p.state.index, i);
		ck_assert_uint_eq(be.log[at + 1].p.state.num, 3 + i);
	}
	snap_index_fini(&ix);
	snap_w_fini(&w);
}
END_TEST

static void *stop_later(void *opaque)
{
	usleep(200000);
	vm_stop(opaque);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A backend that stops answering at the guest's DRIVER_OK (here with a
 * minute's reply timeout) does not hold the vCPU: vm_stop() ends the
 * wait at once; the request fails naming the VM's stop. */
START_TEST(test_vu_vm_stop_ends_a_wait_for_a_silent_backend)
{
	struct vm_error *err = NULL;
	pthread_t th;
	double t0;

	be.fault_req = VHU_SET_FEATURES;
	be.fault = F_SILENT;
	be_start();
	ck_assert_msg(build(PROPS({ "path", sock }, { "queues", "2" },
				  { "x-reply-timeout", "60000" }), &err) == 0,
		      "%s", vm_error_message(err));
	net_vm_find(&t);
	ck_assert_int_eq(pthread_create(&th, NULL, stop_later, t.vm), 0);
	t0 = now_s();
	(void)net_vm_probe(&t, ~0ull, 5); /* DRIVER_OK waits on the backend */
	ck_assert_double_lt(now_s() - t0, 5.0);
	pthread_join(th, NULL);
	ck_assert_uint_eq(virtio_bar_rd(&t.vbar, VIO_PCI_DEVICE_OFF +
				offsetof(struct virtio_net_config, status), 2) &
			  VIRTIO_NET_S_LINK_UP, 0);
}
END_TEST

/* ---- ring errors ---- */

/* The backend signals ring 1's SET_VRING_ERR eventfd: the device shows
 * NEEDS_RESET and link down (a config interrupt), the log names the
 * netdev and the ring; the guest's reset and a new DRIVER_OK hand the
 * rings over again and the link comes back. */
START_TEST(test_vu_ring_error_needs_reset_and_link_down)
{
	uint64_t one = 1;
	unsigned msis;

	create_logged();
	run_rings(PROPS({ "path", sock }, { "queues", "2" }));
	ck_assert_int_ge(be.err1, 0);
	ck_assert(link_becomes(true));
	msis = __atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE);
	ck_assert_int_eq(write(be.err1, &one, 8), 8);
	ck_assert(link_becomes(false));
	ck_assert(virtio_drv_get_status(&t.vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_gt(__atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE), msis);
	ck_assert(logged("net0: backend error, device needs reset: netdev 'v0': ring 1: the backend reported an error"));
	virtio_drv_set_status(&t.vd, 0);
	(void)net_vm_probe(&t, ~0ull, 5);
	ck_assert(link_becomes(true));
	ck_assert(!(virtio_drv_get_status(&t.vd) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

/* A link-up for the connection that already runs the rings (the
 * monitor's, racing the guest's DRIVER_OK) sends nothing: the rings are
 * not handed over twice. */
START_TEST(test_vu_second_start_on_one_connection_is_a_no_op)
{
	run_rings(PROPS({ "path", sock }, { "queues", "2" }));
	netdev_link_changed(to_netdev(vm_obj_find(t.vm, "v0")), true);
	usleep(100000);
	pthread_mutex_lock(&be.lock);
	ck_assert_uint_eq(be.n, RUNNING_MSGS);
	pthread_mutex_unlock(&be.lock);
	ck_assert(link_becomes(true));
}
END_TEST

/* ---- wait=off ---- */

/* A server chardev with wait=off (QEMU's nowait): vm_start's phase 1
 * does not wait for the backend; the device offers the fixed wait=off
 * set and its link is down; DRIVER_OK and VQ_PAIRS_SET 2 go through with
 * no backend. When one connects: the handshake, the rings from their
 * used index with both pairs enabled, link up with a config interrupt. */
START_TEST(test_vu_server_wait_off_link_up_when_the_backend_connects)
{
	struct vm_error *err = NULL;
	unsigned msis, at = 5 + 2;
	double t0;
	uint64_t f;

	be.connect = true;
	be.features |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	create_logged();
	ck_assert_int_eq(vm_add_chardev(t.vm, "socket", "char1",
					PROPS({ "path", sock }, { "server", NULL },
					      { "wait", "off" }),
					&err), 0);
	t0 = now_s();
	ck_assert_msg(build(PROPS({ "chardev", "char1" }, { "queues", "2" }),
			    &err) == 0, "%s", vm_error_message(err));
	ck_assert_double_lt(now_s() - t0, 2.0); /* not x-connect-timeout */
	ck_assert(logged("v0: wait=off: link down until a backend connects to '"));
	net_vm_find(&t);
	ck_assert(link_becomes(false));
	f = net_vm_probe(&t, ~0ull, 5);
	ck_assert_uint_eq(f, STD_OFFER | BIT(VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert_uint_eq(net_vm_ctrl(&t, 4, "\x04\x00\x02\x00", 4),
			  VIRTIO_NET_OK);
	ck_assert(link_becomes(false));
	ck_assert_uint_eq(be.n, 0);
	msis = __atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE);
	be_start(); /* the backend connects now */
	expect_seq(0, realize_seq, 5);
	expect_seq(5, (const uint32_t[]){ VHU_SET_FEATURES, VHU_SET_MEM_TABLE }, 2);
	ck_assert_uint_eq(be.log[5].p.u64,
			  BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MQ) |
				  BIT(VIRTIO_NET_F_MRG_RXBUF) |
				  BIT(VIRTIO_RING_F_EVENT_IDX) |
				  BIT(VIRTIO_RING_F_INDIRECT_DESC) |
				  BIT(VHU_F_PROTOCOL_FEATURES));
	for (unsigned i = 0; i < 4; i++, at += RING_MSGS) {
		expect_seq(at, ring_seq, RING_MSGS);
		ck_assert_uint_eq(be.log[at].p.state.index, i);
		ck_assert_uint_eq(be.log[at + 1].p.state.num, 0);
	}
	for (unsigned i = 0; i < 4; i++, at++) { /* both pairs */
		expect_seq(at, (const uint32_t[]){ VHU_SET_VRING_ENABLE }, 1);
		ck_assert_uint_eq(be.log[at].p.state.num, 1);
	}
	ck_assert(link_becomes(true));
	ck_assert_uint_gt(__atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE), msis);
}
END_TEST

/* wait=off: a backend that lacks a feature the device offered (here
 * INDIRECT_DESC) is dropped with a log line; the link stays down. A
 * client cannot have wait=off (as in QEMU). */
START_TEST(test_vu_wait_off_drops_a_backend_without_the_features)
{
	struct vm_error *err = NULL;

	be.connect = true;
	create_logged();
	ck_assert_msg(build(PROPS({ "path", sock }, { "server", "on" },
				  { "wait", "off" }, { "queues", "2" }),
			    &err) == 0, "%s", vm_error_message(err));
	net_vm_find(&t);
	be_start();
	ck_assert(logged("netdev 'v0': the backend lacks features 0x10000000 the device offers: connection dropped"));
	ck_assert(link_becomes(false));
	net_vm_destroy(&t);
	ck_assert_int_eq(build(PROPS({ "path", sock }, { "wait", "off" }), &err),
			 -EINVAL);
	ck_assert_str_eq(vm_error_message(err),
			 "netdev 'v0': wait=off applies to server=on only");
	vm_error_free(err);
	err = NULL;
	net_vm_destroy(&t);
	net_vm_create(&t);
	ck_assert_int_eq(vm_add_chardev(t.vm, "socket", "char1",
					PROPS({ "path", sock }, { "wait", "off" }),
					&err), 0);
	ck_assert_int_eq(build(PROPS({ "chardev", "char1" }), &err), -EINVAL);
	ck_assert_msg(strstr(vm_error_message(err),
			     "chardev 'char1': wait=off applies to server=on only"),
		      "%s", vm_error_message(err));
	vm_error_free(err);
}
END_TEST

/* ---- faults at realize ---- */

static const struct fault_row {
	uint32_t req;
	enum fault fault;
	uint64_t features, protocol, queue_num; /* 0: the standard ones */
	int code;
	const char *msg;
} faults[] = {
	{ VHU_GET_FEATURES, F_WRONG_REQ, 0, 0, 0, -EPROTO,
	  "netdev 'v0': GET_FEATURES: reply to GET_FEATURES expected, got GET_QUEUE_NUM" },
	{ VHU_GET_FEATURES, F_SHORT, 0, 0, 0, -ECONNRESET,
	  "netdev 'v0': GET_FEATURES: the backend closed the connection" },
	{ VHU_GET_PROTOCOL_FEATURES, F_OVERSIZE, 0, 0, 0, -EPROTO,
	  "netdev 'v0': GET_PROTOCOL_FEATURES: oversized reply (4096 payload bytes)" },
	{ VHU_GET_QUEUE_NUM, F_SILENT, 0, 0, 0, -ETIMEDOUT,
	  "netdev 'v0': GET_QUEUE_NUM: no reply within 1000 ms" },
	{ VHU_SET_OWNER, F_NACK, 0, 0, 0, -EPROTO,
	  "netdev 'v0': SET_OWNER: the backend refused it (nack 1)" },
	{ VHU_GET_FEATURES, F_WITH_FD, 0, 0, 0, -EPROTO,
	  "netdev 'v0': GET_FEATURES: reply carries file descriptors" },
	{ 0, F_NONE, 0, 0, 1, -EINVAL,
	  "netdev 'v0': queues=2 but the backend has 1" },
	{ 0, F_NONE, 0, BIT(VHU_PROTOCOL_F_REPLY_ACK), 0, -ENOTSUP,
	  "netdev 'v0': queues=2 but the backend does not offer the MQ protocol feature" },
	{ 0, F_NONE, BIT(VIRTIO_NET_F_MRG_RXBUF), 0, 0, -ENOTSUP,
	  "netdev 'v0': the backend does not offer VIRTIO_F_VERSION_1" },
};

START_TEST(test_vu_protocol_faults_fail_realize)
{
	const struct fault_row *f = &faults[_i];
	struct vm_error *err = NULL;

	be.fault_req = f->req;
	be.fault = f->fault;
	if (f->features)
		be.features = f->features;
	if (f->protocol)
		be.protocol = f->protocol;
	if (f->queue_num)
		be.queue_num = f->queue_num;
	be_start();
	/* a second for the silent row; ample for the others' replies */
	ck_assert_int_eq(build(PROPS({ "path", sock }, { "queues", "2" },
				     { "x-reply-timeout",
				       f->fault == F_SILENT ? "1000" : "20000" }),
			       &err),
			 f->code);
	ck_assert_str_eq(vm_error_message(err), f->msg);
	vm_error_free(err);
}
END_TEST

START_TEST(test_vu_bad_paths)
{
	char longp[200];
	struct vm_error *err = NULL;

	ck_assert_int_eq(build(NULL, &err), -EINVAL);
	ck_assert_str_eq(vm_error_message(err),
			 "netdev 'v0': needs path= (or chardev=) naming the backend's socket");
	vm_error_free(err);
	err = NULL;
	net_vm_destroy(&t);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	ck_assert_int_eq(build(PROPS({ "path", longp }), &err), -ENAMETOOLONG);
	ck_assert(strstr(vm_error_message(err), "is longer than 107 bytes"));
	vm_error_free(err);
	err = NULL;
	net_vm_destroy(&t);
	/* nobody there; a server that nobody connects to times out */
	ck_assert_int_eq(build(PROPS({ "path", sock }), &err), -ENOENT);
	ck_assert(strstr(vm_error_message(err), "netdev 'v0': connect to '"));
	vm_error_free(err);
	err = NULL;
	net_vm_destroy(&t);
	ck_assert_int_eq(build(PROPS({ "path", sock }, { "server", "on" },
				     { "x-connect-timeout", "50" }), &err),
			 -ETIMEDOUT);
	ck_assert(strstr(vm_error_message(err), "no backend connected to '"));
	vm_error_free(err);
	err = NULL;
	net_vm_destroy(&t);
	/* a server never replaces a file that is not a socket */
	fclose(fopen(sock, "w"));
	ck_assert_int_eq(build(PROPS({ "path", sock }, { "server", "on" }), &err),
			 -EADDRINUSE);
	ck_assert(strstr(vm_error_message(err), "netdev 'v0': listen on '"));
	vm_error_free(err);
	ck_assert_int_eq(access(sock, F_OK), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost-user");
	TCase *codec = tcase_create("codec"), *tc = tcase_create("backend");

	tcase_add_test(codec, test_vhu_check_reply_rejects_each_fault);
	tcase_add_test(codec, test_vhu_recv_bounds);
	suite_add_tcase(s, codec);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vu_client_handshake_rings_pairs_reset);
	tcase_add_test(tc, test_vu_server_role_through_a_chardev);
	tcase_add_test(tc, test_vu_masked_vector_call_becomes_pending_bit);
	tcase_add_test(tc, test_vu_reconnect_replays_ring_state);
	tcase_add_test(tc, test_vu_stats_bytes_from_used_elements);
	tcase_add_test(tc, test_vu_pause_stops_rings_resume_restarts_from_their_base);
	tcase_add_test(tc, test_vu_restore_hands_rings_over_from_their_used_index);
	tcase_add_test(tc, test_vu_vm_stop_ends_a_wait_for_a_silent_backend);
	tcase_add_test(tc, test_vu_ring_error_needs_reset_and_link_down);
	tcase_add_test(tc, test_vu_second_start_on_one_connection_is_a_no_op);
	tcase_add_test(tc, test_vu_server_wait_off_link_up_when_the_backend_connects);
	tcase_add_test(tc, test_vu_wait_off_drops_a_backend_without_the_features);
	tcase_add_loop_test(tc, test_vu_protocol_faults_fail_realize, 0,
			    sizeof(faults) / sizeof(faults[0]));
	tcase_add_test(tc, test_vu_bad_paths);
	suite_add_tcase(s, tc);
	return check_run(s);
}
