/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/format.h: the snapshot file format: a fixed header, then
 * tagged, versioned, length-prefixed and CRC32C-checked records (TLV),
 * then an END record. All integers little-endian.
 *
 *   header (SNAP_HDR_SIZE = 64 bytes)
 *     0  magic "KVMVSNP\n"
 *     8  u32 format version (SNAP_FORMAT_VERSION)
 *    12  u32 header size (64; a reader takes a larger one, skipping the rest)
 *    16  u32 library version that wrote it (VM_VERSION_HEX)
 *    20  u32 flags (SNAP_F_*)
 *    24  u64 host id: a hash of the writer's CPUID feature set; a restore
 *            on a host whose id differs is refused
 *    32  u32 vCPUs    36 u32 guest RAM in MiB
 *    40  u64 config id: a hash of what else must match (devices, ...)
 *    48  12 bytes reserved (0)
 *    60  u32 CRC32C of bytes 0..59
 *   record
 *     0  u32 tag (four characters, SNAP_TAG())
 *     4  u16 version of that record's layout
 *     6  u16 instance (vCPU index, queue index, ...; 0 if single)
 *     8  u64 payload length L
 *    16  L bytes payload
 *    16+L u32 CRC32C of the 16 header bytes and the payload
 *   END record: tag "END.", payload = u64 number of records before it.
 *
 * A reader refuses (with a message naming the offset and the record): a
 * bad magic, an unknown format version, a bad header or record checksum,
 * a record running past the end, a missing END, an END whose count
 * disagrees. Payload parsing goes through struct snap_cur, whose reads past
 * the payload set ->bad instead of reading further.
 *
 * Threads: none of its own; a writer or reader belongs to its caller.
 */
#ifndef LIB_SNAPSHOT_FORMAT_H
#define LIB_SNAPSHOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

#define SNAP_MAGIC "KVMVSNP\n"
#define SNAP_FORMAT_VERSION 1u
#define SNAP_HDR_SIZE 64u
#define SNAP_REC_HDR 16u

#define SNAP_TAG(a, b, c, d)                                                  \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |           \
	 (uint32_t)(d) << 24)
#define SNAP_TAG_END SNAP_TAG('E', 'N', 'D', '.')

/* Header flags: the machine's shape, which a restore takes over. */
#define SNAP_F_PIT (1u << 0)
#define SNAP_F_NO_IRQCHIP (1u << 1)

struct snap_hdr {
	uint32_t format_version;
	uint32_t lib_version;
	uint32_t flags;
	uint64_t host_id;
	uint32_t vcpus, mem_mib;
	uint64_t config_id;
};

/* CRC32C (Castagnoli), reflected, as iSCSI/ext4: crc32c(0, "123456789", 9)
 * = 0xe3069283. Chain calls by passing the previous result. */
uint32_t snap_crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- writing: into a growing memory buffer ---- */

struct snap_w {
	int fd;            /* >= 0: records are flushed to it as they end */
	uint64_t flushed;  /* bytes already written to ->fd */
	uint8_t *buf;
	size_t len, cap;
	size_t rec;        /* offset of the open record's header */
	bool open;
	unsigned nrec;     /* records ended so far */
	int err;           /* first error (-ENOMEM), sticky */
};

void snap_w_init(struct snap_w *w, const struct snap_hdr *h);
/* Same, but every ended record goes to @fd (borrowed) once the buffer
 * holds SNAP_W_FLUSH bytes, and at snap_w_finish(); write errors are
 * sticky in ->err (negative errno). */
void snap_w_init_fd(struct snap_w *w, int fd, const struct snap_hdr *h);
#define SNAP_W_FLUSH (1u << 20)
void snap_w_fini(struct snap_w *w);
void snap_w_begin(struct snap_w *w, uint32_t tag, uint16_t version,
		  uint16_t instance);
void snap_put(struct snap_w *w, const void *p, size_t n);
void snap_put_u8(struct snap_w *w, uint8_t v);
void snap_put_u16(struct snap_w *w, uint16_t v);
void snap_put_u32(struct snap_w *w, uint32_t v);
void snap_put_u64(struct snap_w *w, uint64_t v);
void snap_w_end(struct snap_w *w);
/* A whole record whose payload is @p/@n, in one call. */
void snap_w_record(struct snap_w *w, uint32_t tag, uint16_t version,
		   uint16_t instance, const void *p, size_t n);
/* A record of @pre (a small prefix) then @data, written straight to the
 * fd of a snap_w_init_fd() writer without copying @data into the buffer
 * (memory writers copy). For guest RAM. */
void snap_w_big(struct snap_w *w, uint32_t tag, uint16_t version,
		uint16_t instance, const void *pre, size_t npre,
		const void *data, size_t n);
/* Append END; 0 or the first error. A memory writer's file is
 * ->buf/->len; an fd writer has written everything to its fd. */
int __must_check snap_w_finish(struct snap_w *w);

/* ---- reading: in place, from memory (e.g. an mmap of the file) ---- */

struct snap_rec {
	uint32_t tag;
	uint16_t version, instance;
	const uint8_t *data;
	uint64_t len;
	size_t offset;     /* of the record header in the file */
};

struct snap_r {
	const uint8_t *buf;
	size_t len, off;
	unsigned nrec;
	bool done;
};

/* Check the header; fills *h. */
int __must_check snap_r_open(struct snap_r *r, const void *buf, size_t len,
			     struct snap_hdr *h, struct vm_error **errp);
/* The next record (1), the END reached and checked (0), or an error. */
int __must_check snap_r_next(struct snap_r *r, struct snap_rec *rec,
			     struct vm_error **errp);
/* Every record of a file, read and checked up front (restore looks state
 * up by tag and instance). */
struct snap_index {
	struct snap_rec *rec;
	unsigned nr;
	struct snap_hdr hdr;
};

int __must_check snap_index_build(struct snap_index *ix, const void *buf,
				  size_t len, struct vm_error **errp);
void snap_index_fini(struct snap_index *ix);
/* The record @tag/@instance, or NULL. */
const struct snap_rec *snap_find(const struct snap_index *ix, uint32_t tag,
				 uint16_t instance);
/* Same, but a missing record is -EBADMSG naming @what. */
int __must_check snap_need(const struct snap_index *ix, uint32_t tag,
			   uint16_t instance, const char *what,
			   const struct snap_rec **rec, struct vm_error **errp);

/* "UART", for messages (a static buffer per call site is the caller's). */
void snap_tag_name(uint32_t tag, char out[5]);

/* A cursor over one record's payload. */
struct snap_cur {
	const uint8_t *p;
	uint64_t len, off;
	bool bad;          /* a read went past the payload */
};

void snap_cur_init(struct snap_cur *c, const struct snap_rec *rec);
void snap_get(struct snap_cur *c, void *p, size_t n);
uint8_t snap_get_u8(struct snap_cur *c);
uint16_t snap_get_u16(struct snap_cur *c);
uint32_t snap_get_u32(struct snap_cur *c);
uint64_t snap_get_u64(struct snap_cur *c);
/* 0 if every byte was read and nothing more; -EBADMSG with a message
 * naming @what and the record otherwise. */
int __must_check snap_cur_done(struct snap_cur *c, const struct snap_rec *rec,
			       const char *what, struct vm_error **errp);
/* -ENOTSUP with a message unless rec->version <= @max (a newer layout). */
int __must_check snap_rec_check(const struct snap_rec *rec, uint16_t max,
				const char *what, struct vm_error **errp);

#endif
