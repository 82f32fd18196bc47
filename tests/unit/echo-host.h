/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/echo-host.h: a host that exists only as frames: it answers
 * ARP requests for its IPv4 address and ICMP echo requests to it, the way
 * a host program behind a "callback" netdev would. Also builds the
 * guest's requests for the mock-driver tests. Pure functions, no state.
 */
#ifndef TESTS_UNIT_ECHO_HOST_H
#define TESTS_UNIT_ECHO_HOST_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ECHO_ETH_LEN 14u
#define ECHO_IP_LEN 20u
#define ECHO_ICMP_LEN 8u

static const uint8_t echo_host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* RFC 1071 checksum of @len bytes. */
static inline uint16_t echo_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void echo_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t echo_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The answer of host @ip (network order) to frame @in, into @out (at least
 * @len bytes, at most 1514 used); returns its length, 0 for no answer. */
static inline size_t echo_answer(uint32_t ip, const uint8_t *in, size_t len,
				 uint8_t *out)
{
	uint16_t type;

	if (len < ECHO_ETH_LEN + 28 || len > 1514)
		return 0;
	type = echo_get16(in + 12);
	memcpy(out, in + 6, 6); /* to the sender */
	memcpy(out + 6, echo_host_mac, 6);
	echo_put16(out + 12, type);
	if (type == 0x0806) { /* ARP: Ethernet/IPv4 request for us */
		const uint8_t *a = in + ECHO_ETH_LEN;
		uint8_t *r = out + ECHO_ETH_LEN;

		if (echo_get16(a) != 1 || echo_get16(a + 2) != 0x0800 ||
		    echo_get16(a + 6) != 1 || memcmp(a + 24, &ip, 4))
			return 0;
		memcpy(r, a, 6);          /* htype, ptype, hlen, plen */
		echo_put16(r + 6, 2);     /* reply */
		memcpy(r + 8, echo_host_mac, 6);
		memcpy(r + 14, &ip, 4);
		memcpy(r + 18, a + 8, 10); /* the asker's MAC and IP */
		return ECHO_ETH_LEN + 28;
	}
	if (type == 0x0800) { /* IPv4 ICMP echo request to us */
		const uint8_t *ih = in + ECHO_ETH_LEN;
		size_t ihl = (size_t)(ih[0] & 15) * 4, tot = echo_get16(ih + 2);
		uint8_t *oh = out + ECHO_ETH_LEN, *ic;

		if ((ih[0] >> 4) != 4 || ihl < ECHO_IP_LEN || ih[9] != 1 ||
		    tot < ihl + ECHO_ICMP_LEN || ECHO_ETH_LEN + tot > len ||
		    memcmp(ih + 16, &ip, 4) || ih[ihl] != 8)
			return 0;
		memcpy(oh, ih, tot);
		memcpy(oh + 12, ih + 16, 4); /* swap addresses */
		memcpy(oh + 16, ih + 12, 4);
		oh[8] = 64;                  /* TTL */
		echo_put16(oh + 10, 0);
		echo_put16(oh + 10, echo_csum(oh, ihl));
		ic = oh + ihl;
		ic[0] = 0;                   /* echo reply */
		echo_put16(ic + 2, 0);
		echo_put16(ic + 2, echo_csum(ic, tot - ihl));
		return ECHO_ETH_LEN + tot;
	}
	return 0;
}

/* An ICMP echo request from @smac/@sip to @dmac/@dip with id and @seq and
 * @plen payload bytes into @out; returns the frame's length. */
static inline size_t echo_request(uint8_t *out, const uint8_t smac[6],
				  uint32_t sip, const uint8_t dmac[6],
				  uint32_t dip, uint16_t seq, size_t plen)
{
	uint8_t *ih = out + ECHO_ETH_LEN, *ic = ih + ECHO_IP_LEN;
	size_t tot = ECHO_IP_LEN + ECHO_ICMP_LEN + plen;

	memcpy(out, dmac, 6);
	memcpy(out + 6, smac, 6);
	echo_put16(out + 12, 0x0800);
	memset(ih, 0, tot);
	ih[0] = 0x45;
	echo_put16(ih + 2, (uint16_t)tot);
	ih[8] = 64;
	ih[9] = 1;
	memcpy(ih + 12, &sip, 4);
	memcpy(ih + 16, &dip, 4);
	echo_put16(ih + 10, echo_csum(ih, ECHO_IP_LEN));
	ic[0] = 8;
	echo_put16(ic + 4, 0x4b56);
	echo_put16(ic + 6, seq);
	for (size_t i = 0; i < plen; i++)
		ic[ECHO_ICMP_LEN + i] = (uint8_t)(seq + i);
	echo_put16(ic + 2, echo_csum(ic, ECHO_ICMP_LEN + plen));
	return ECHO_ETH_LEN + tot;
}

/* Is @f an echo reply to echo_request(..., @seq, @plen) from @ip, with
 * valid checksums? */
static inline bool echo_is_reply(const uint8_t *f, size_t len, uint32_t ip,
				 uint16_t seq, size_t plen)
{
	const uint8_t *ih = f + ECHO_ETH_LEN, *ic = ih + ECHO_IP_LEN;
	size_t tot = ECHO_IP_LEN + ECHO_ICMP_LEN + plen;

	if (len != ECHO_ETH_LEN + tot || echo_get16(f + 12) != 0x0800 ||
	    echo_csum(ih, ECHO_IP_LEN) != 0 || memcmp(ih + 12, &ip, 4) ||
	    ic[0] != 0 || echo_get16(ic + 6) != seq ||
	    echo_csum(ic, ECHO_ICMP_LEN + plen) != 0)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (ic[ECHO_ICMP_LEN + i] != (uint8_t)(seq + i))
			return false;
	return true;
}

#endif
