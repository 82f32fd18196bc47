/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/format.c: writing and reading the snapshot format
 * (layout in format.h).
 *
 * Threads/Locking: none; each writer, reader and cursor has one user.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "format.h"

/* ---- writer ---- */

static void *w_grow(struct snap_w *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->err = -ENOMEM;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *b;

		while (cap < w->len + n)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = b;
		w->cap = cap;
	}
	w->len += n;
	return w->buf + w->len - n;
}

void snap_put(struct snap_w *w, const void *p, size_t n)
{
	void *d = w_grow(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void snap_put_u8(struct snap_w *w, uint8_t v)
{
	snap_put(w, &v, 1);
}

void snap_put_u16(struct snap_w *w, uint16_t v)
{
	v = htole16(v);
	snap_put(w, &v, 2);
}

void snap_put_u32(struct snap_w *w, uint32_t v)
{
	v = htole32(v);
	snap_put(w, &v, 4);
}

void snap_put_u64(struct snap_w *w, uint64_t v)
{
	v = htole64(v);
	snap_put(w, &v, 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint16_t get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

void snap_w_init(struct snap_w *w, const struct snap_hdr *h)
{
	uint8_t *p;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	p = w_grow(w, SNAP_HDR_SIZE);
	if (!p)
		return;
	memset(p, 0, SNAP_HDR_SIZE);
	memcpy(p, SNAP_MAGIC, 8);
	put_le32(p + 8, SNAP_FORMAT_VERSION);
	put_le32(p + 12, SNAP_HDR_SIZE);
	put_le32(p + 16, h->lib_version);
	put_le32(p + 20, h->flags);
	put_le64(p + 24, h->host_id);
	put_le32(p + 32, h->vcpus);
	put_le32(p + 36, h->mem_mib);
	put_le64(p + 40, h->config_id);
	put_le32(p + 60, snap_crc32c(0, p, 60));
}

void snap_w_init_fd(struct snap_w *w, int fd, const struct snap_hdr *h)
{
	snap_w_init(w, h);
	w->fd = fd;
}

void snap_w_fini(struct snap_w *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

/* Write all of @iov to the fd (short writes and EINTR retried). */
static void w_writev(struct snap_w *w, struct iovec *iov, int cnt)
{
	while (!w->err && cnt > 0) {
		ssize_t n = writev(w->fd, iov, cnt > 64 ? 64 : cnt);

		if (n < 0) {
			if (errno != EINTR)
				w->err = -errno;
			continue;
		}
		if (n == 0) {
			w->err = -EIO;
			return;
		}
		w->flushed += (uint64_t)n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
}

static void w_flush(struct snap_w *w)
{
	struct iovec iov = { w->buf, w->len };

	if (w->fd < 0 || w->open || !w->len)
		return;
	w_writev(w, &iov, 1);
	w->len = 0;
}

void snap_w_begin(struct snap_w *w, uint32_t tag, uint16_t version,
		  uint16_t instance)
{
	uint8_t h[SNAP_REC_HDR] = { 0 };

	if (w->open) { /* a caller's bug: keep the file consistent */
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	put_le32(h, tag);
	memcpy(h + 4, &(uint16_t){ htole16(version) }, 2);
	memcpy(h + 6, &(uint16_t){ htole16(instance) }, 2);
	w->rec = w->len;
	snap_put(w, h, sizeof(h));
	w->open = !w->err;
}

void snap_w_end(struct snap_w *w)
{
	uint8_t c[4];

	if (!w->open) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	w->open = false;
	if (w->err)
		return;
	put_le64(w->buf + w->rec + 8, w->len - w->rec - SNAP_REC_HDR);
	put_le32(c, snap_crc32c(0, w->buf + w->rec, w->len - w->rec));
	snap_put(w, c, 4);
	w->nrec++;
	if (w->len >= SNAP_W_FLUSH)
		w_flush(w);
}

void snap_w_big(struct snap_w *w, uint32_t tag, uint16_t version,
		uint16_t instance, const void *pre, size_t npre,
		const void *data, size_t n)
{
	uint8_t h[SNAP_REC_HDR], c[4];
	uint32_t crc;
	struct iovec iov[4];

	if (w->fd < 0 || w->err || w->open) {
		snap_w_begin(w, tag, version, instance);
		snap_put(w, pre, npre);
		snap_put(w, data, n);
		snap_w_end(w);
		return;
	}
	w_flush(w);
	put_le32(h, tag);
	memcpy(h + 4, &(uint16_t){ htole16(version) }, 2);
	memcpy(h + 6, &(uint16_t){ htole16(instance) }, 2);
	put_le64(h + 8, (uint64_t)npre + n);
	crc = snap_crc32c(0, h, sizeof(h));
	crc = snap_crc32c(crc, pre, npre);
	crc = snap_crc32c(crc, data, n);
	put_le32(c, crc);
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ (void *)pre, npre };
	iov[2] = (struct iovec){ (void *)data, n };
	iov[3] = (struct iovec){ c, 4 };
	w_writev(w, iov, 4);
	w->nrec++;
}

void snap_w_record(struct snap_w *w, uint32_t tag, uint16_t version,
		   uint16_t instance, const void *p, size_t n)
{
	snap_w_begin(w, tag, version, instance);
	snap_put(w, p, n);
	snap_w_end(w);
}

int snap_w_finish(struct snap_w *w)
{
	unsigned n = w->nrec;

	if (w->open)
		w->err = w->err ? w->err : -EINVAL;
	snap_w_begin(w, SNAP_TAG_END, 1, 0);
	snap_put_u64(w, n);
	snap_w_end(w);
	w_flush(w);
	return w->err;
}

/* ---- reader ---- */

void snap_tag_name(uint32_t tag, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char ch = (char)(tag >> (8 * i));

		out[i] = ch >= 0x20 && ch < 0x7f ? ch : '?';
	}
	out[4] = '\0';
}

int snap_r_open(struct snap_r *r, const void *buf, size_t len,
		struct snap_hdr *h, struct vm_error **errp)
{
	const uint8_t *p = buf;
	uint32_t hsize;

	memset(r, 0, sizeof(*r));
	memset(h, 0, sizeof(*h));
	if (len < SNAP_HDR_SIZE || memcmp(p, SNAP_MAGIC, 8) != 0)
		return verr_set(errp, -EINVAL,
				"snapshot: not a libkvm-virtio snapshot (%s)",
				len < SNAP_HDR_SIZE ? "shorter than its header" :
						      "bad magic");
	h->format_version = get_le32(p + 8);
	if (h->format_version != SNAP_FORMAT_VERSION)
		return verr_set(errp, -ENOTSUP,
				"snapshot: format version %u, this library reads version %u",
				h->format_version, SNAP_FORMAT_VERSION);
	hsize = get_le32(p + 12);
	if (get_le32(p + 60) != snap_crc32c(0, p, 60))
		return verr_set(errp, -EBADMSG,
				"snapshot: header checksum mismatch (corrupted)");
	if (hsize < SNAP_HDR_SIZE || hsize > len)
		return verr_set(errp, -EBADMSG,
				"snapshot: header size %u does not fit the file (%zu bytes)",
				hsize, len);
	h->lib_version = get_le32(p + 16);
	h->flags = get_le32(p + 20);
	h->host_id = get_le64(p + 24);
	h->vcpus = get_le32(p + 32);
	h->mem_mib = get_le32(p + 36);
	h->config_id = get_le64(p + 40);
	r->buf = p;
	r->len = len;
	r->off = hsize;
	return 0;
}

int snap_r_next(struct snap_r *r, struct snap_rec *rec, struct vm_error **errp)
{
	const uint8_t *p;
	size_t left;
	char tn[5];

	memset(rec, 0, sizeof(*rec));
	if (r->done)
		return 0;
	left = r->len - r->off;
	if (left < SNAP_REC_HDR + 4)
		return verr_set(errp, -EBADMSG,
				"snapshot: truncated at offset %zu (no END record)",
				r->off);
	p = r->buf + r->off;
	rec->tag = get_le32(p);
	rec->version = get_le16(p + 4);
	rec->instance = get_le16(p + 6);
	rec->len = get_le64(p + 8);
	rec->offset = r->off;
	snap_tag_name(rec->tag, tn);
	if (rec->len > left - SNAP_REC_HDR - 4)
		return verr_set(errp, -EBADMSG,
				"snapshot: record '%s' at offset %zu: %llu bytes run past the end (truncated)",
				tn, r->off, (unsigned long long)rec->len);
	rec->data = p + SNAP_REC_HDR;
	if (get_le32(rec->data + rec->len) !=
	    snap_crc32c(0, p, SNAP_REC_HDR + rec->len))
		return verr_set(errp, -EBADMSG,
				"snapshot: record '%s' at offset %zu: checksum mismatch (corrupted)",
				tn, r->off);
	r->off += SNAP_REC_HDR + rec->len + 4;
	if (rec->tag != SNAP_TAG_END) {
		r->nrec++;
		return 1;
	}
	r->done = true;
	if (rec->len != 8 || get_le64(rec->data) != r->nrec)
		return verr_set(errp, -EBADMSG,
				"snapshot: END record at offset %zu counts %llu records, %u were read",
				rec->offset,
				rec->len == 8 ? (unsigned long long)get_le64(rec->data) : 0ull,
				r->nrec);
	return 0;
}

/* ---- index ---- */

int snap_index_build(struct snap_index *ix, const void *buf, size_t len,
		     struct vm_error **errp)
{
	struct snap_r r;
	struct snap_rec rec;
	unsigned cap = 0;
	int rc;

	memset(ix, 0, sizeof(*ix));
	rc = snap_r_open(&r, buf, len, &ix->hdr, errp);
	while (rc == 0 && (rc = snap_r_next(&r, &rec, errp)) == 1) {
		if (ix->nr == cap) {
			unsigned ncap = cap ? 2 * cap : 64;
			struct snap_rec *n = ncap > cap ?
				reallocarray(ix->rec, ncap, sizeof(*n)) : NULL;

			if (!n) {
				rc = verr_set(errp, -ENOMEM, "snapshot: out of memory");
				break;
			}
			ix->rec = n;
			cap = ncap;
		}
		ix->rec[ix->nr++] = rec;
		rc = 0;
	}
	if (rc < 0)
		snap_index_fini(ix);
	return rc < 0 ? rc : 0;
}

void snap_index_fini(struct snap_index *ix)
{
	free(ix->rec);
	ix->rec = NULL;
	ix->nr = 0;
}

const struct snap_rec *snap_find(const struct snap_index *ix, uint32_t tag,
				 uint16_t instance)
{
	for (unsigned i = 0; i < ix->nr; i++)
		if (ix->rec[i].tag == tag && ix->rec[i].instance == instance)
			return &ix->rec[i];
	return NULL;
}

int snap_need(const struct snap_index *ix, uint32_t tag, uint16_t instance,
	      const char *what, const struct snap_rec **rec,
	      struct vm_error **errp)
{
	char tn[5];

	*rec = snap_find(ix, tag, instance);
	if (*rec)
		return 0;
	snap_tag_name(tag, tn);
	return verr_set(errp, -EBADMSG,
			"snapshot: no %s state (record '%s' #%u) in the file",
			what, tn, instance);
}

/* ---- payload cursor ---- */

void snap_cur_init(struct snap_cur *c, const struct snap_rec *rec)
{
	c->p = rec->data;
	c->len = rec->len;
	c->off = 0;
	c->bad = false;
}

void snap_get(struct snap_cur *c, void *p, size_t n)
{
	if (c->bad || n > c->len - c->off) {
		c->bad = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, c->p + c->off, n);
	c->off += n;
}

uint8_t snap_get_u8(struct snap_cur *c)
{
	uint8_t v;

	snap_get(c, &v, 1);
	return v;
}

uint16_t snap_get_u16(struct snap_cur *c)
{
	uint16_t v;

	snap_get(c, &v, 2);
	return le16toh(v);
}

uint32_t snap_get_u32(struct snap_cur *c)
{
	uint32_t v;

	snap_get(c, &v, 4);
	return le32toh(v);
}

uint64_t snap_get_u64(struct snap_cur *c)
{
	uint64_t v;

	snap_get(c, &v, 8);
	return le64toh(v);
}

int snap_cur_done(struct snap_cur *c, const struct snap_rec *rec,
		  const char *what, struct vm_error **errp)
{
	if (!c->bad && c->off == c->len)
		return 0;
	return verr_set(errp, -EBADMSG,
			"snapshot: %s (record at offset %zu): %llu payload bytes, %s",
			what, rec->offset, (unsigned long long)c->len,
			c->bad ? "too short for its fields" :
				 "more than its fields");
}

int snap_rec_check(const struct snap_rec *rec, uint16_t max, const char *what,
		   struct vm_error **errp)
{
	if (rec->version >= 1 && rec->version <= max)
		return 0;
	return verr_set(errp, -ENOTSUP,
			"snapshot: %s state version %u, this library reads 1..%u",
			what, rec->version, max);
}
