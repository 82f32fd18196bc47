/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-vhost-user.c: what a hostile vhost-user backend can send
 * the frontend: the input is the byte stream on the socket, closed after
 * it. vhu_recv() takes messages from it until it fails, and each one is
 * checked with vhu_check_reply() as the reply to every request the
 * frontend makes.
 *
 * Invariants: vhu_recv() returns -ECONNRESET, -EMSGSIZE (a payload larger
 * than any message) or the bytes of one whole message, header plus its
 * size, never more than struct vhu_msg holds; no fds ever come; a reply
 * accepted by vhu_check_reply() is of the request asked, has the reply
 * flag and version 1 and exactly the payload size asked for.
 *
 * Threads: one. Locking: none.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/vhost-user-proto.h"
#include "fuzz.h"

static const uint32_t reqs[] = {
	VHU_GET_FEATURES, VHU_GET_PROTOCOL_FEATURES, VHU_GET_QUEUE_NUM,
	VHU_GET_VRING_BASE, VHU_SET_MEM_TABLE, VHU_SET_OWNER,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];

	if (size > 65536 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	FUZZ_CHECK(write(sv[1], data, size) == (ssize_t)size);
	close(sv[1]);
	for (unsigned k = 0; k < 4096; k++) {
		struct vhu_msg m;
		unsigned nfds = 7;
		ssize_t got = vhu_recv(sv[0], &m, 1000, -1, &nfds);

		if (got < 0) {
			FUZZ_CHECK(got == -ECONNRESET || got == -EMSGSIZE);
			break;
		}
		FUZZ_CHECK(nfds == 0);
		FUZZ_CHECK((size_t)got == VHU_HDR_SIZE + m.size);
		FUZZ_CHECK(m.size <= sizeof(m.p));
		for (unsigned i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
			size_t want = vhu_reply_size(reqs[i]);
			char buf[96];

			if (!want)
				want = sizeof(uint64_t); /* the REPLY_ACK u64 */
			if (vhu_check_reply(&m, (size_t)got, nfds, reqs[i], want,
					    buf, sizeof(buf)))
				continue;
			FUZZ_CHECK(m.request == reqs[i] && m.size == want);
			FUZZ_CHECK((m.flags & VHU_VERSION_MASK) == VHU_VERSION &&
				   (m.flags & VHU_FLAG_REPLY));
		}
	}
	close(sv[0]);
	return 0;
}
