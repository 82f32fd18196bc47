/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/crc32c.c: CRC32C (Castagnoli, polynomial 0x1EDC6F41,
 * reflected 0x82F63B78), the checksum of the snapshot format. Byte-wise
 * with a 256-entry table built on first use; a snapshot checksums its
 * state records and, when RAM is stored inline, the RAM once per write
 * and once per restore.
 *
 * Threads: any; the table is built under pthread_once.
 */
#include <pthread.h>

#include "format.h"

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t snap_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&crc_once, crc_table_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
