/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/mem-state.c: guest RAM as snapshot records:
 *   "RAMS" u64 RAM size in bytes
 *   "RAM." u64 offset into RAM (the memfd's layout, lib/kvm/mem.h), then
 *          the bytes of one run of pages that are not all zero (runs of
 *          at most GMEM_SNAP_RUN bytes)
 * Pages that were never written (holes of the memfd, found with
 * SEEK_DATA/SEEK_HOLE, so reading them does not allocate them) and pages
 * of zeros are not stored: a restored VM's fresh RAM is zero there.
 *
 * Threads: the API thread, with every vCPU and I/O thread paused (save)
 * or before they run (load). Locking: none.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../snapshot/format.h"
#include "mem.h"

#define GMEM_SNAP_VERSION 1
#define GMEM_SNAP_PAGE 4096u
#define GMEM_SNAP_RUN (64u << 20)
#define TAG_RAMSIZE SNAP_TAG('R', 'A', 'M', 'S')
#define TAG_RAM SNAP_TAG('R', 'A', 'M', '.')

static int page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[256];

	for (unsigned i = 0; i < GMEM_SNAP_PAGE; i += sizeof(zero))
		if (memcmp(p + i, zero, sizeof(zero)))
			return 0;
	return 1;
}

static void save_runs(const struct gmem *m, struct snap_w *w, uint64_t from,
		      uint64_t to)
{
	uint64_t off = from;

	while (off < to) {
		uint64_t start, le;

		while (off < to && page_is_zero(m->base + off))
			off += GMEM_SNAP_PAGE;
		start = off;
		while (off < to && off - start < GMEM_SNAP_RUN &&
		       !page_is_zero(m->base + off))
			off += GMEM_SNAP_PAGE;
		if (off == start)
			break;
		le = htole64(start);
		snap_w_big(w, TAG_RAM, GMEM_SNAP_VERSION, 0, &le, sizeof(le),
			   m->base + start, off - start);
	}
}

void gmem_save(const struct gmem *m, struct snap_w *w)
{
	off_t data = 0, hole;

	snap_w_begin(w, TAG_RAMSIZE, GMEM_SNAP_VERSION, 0);
	snap_put_u64(w, m->size);
	snap_w_end(w);
	if (m->fd < 0) {
		save_runs(m, w, 0, m->size);
		return;
	}
	while ((uint64_t)data < m->size) {
		data = lseek(m->fd, data, SEEK_DATA);
		if (data < 0)
			break; /* ENXIO: no data past here */
		hole = lseek(m->fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > m->size)
			hole = (off_t)m->size;
		save_runs(m, w, ALIGN_DOWN((uint64_t)data, GMEM_SNAP_PAGE),
			  ALIGN_UP((uint64_t)hole, GMEM_SNAP_PAGE) > m->size ?
				  m->size : ALIGN_UP((uint64_t)hole, GMEM_SNAP_PAGE));
		data = hole;
	}
}

int gmem_load(struct gmem *m, const struct snap_index *ix,
	      struct vm_error **errp)
{
	const struct snap_rec *rec;
	struct snap_cur c;
	uint64_t size;
	int r = snap_need(ix, TAG_RAMSIZE, 0, "RAM size", &rec, errp);

	if (r < 0)
		return r;
	snap_cur_init(&c, rec);
	size = snap_get_u64(&c);
	r = snap_cur_done(&c, rec, "RAM size", errp);
	if (r < 0)
		return r;
	if (size != m->size)
		return verr_set(errp, -EINVAL,
				"snapshot: the guest had %llu MiB of RAM, this VM %llu MiB",
				(unsigned long long)(size >> 20),
				(unsigned long long)(m->size >> 20));
	for (unsigned i = 0; i < ix->nr; i++) {
		uint64_t off, len;

		rec = &ix->rec[i];
		if (rec->tag != TAG_RAM)
			continue;
		r = snap_rec_check(rec, GMEM_SNAP_VERSION, "RAM", errp);
		if (r < 0)
			return r;
		if (rec->len < 8)
			return verr_set(errp, -EBADMSG,
					"snapshot: RAM record at offset %zu is too short",
					rec->offset);
		memcpy(&off, rec->data, 8);
		off = le64toh(off);
		len = rec->len - 8;
		if (off > m->size || len > m->size - off)
			return verr_set(errp, -EBADMSG,
					"snapshot: RAM record at offset %zu covers [0x%llx, +0x%llx), outside the %llu MiB of RAM",
					rec->offset, (unsigned long long)off,
					(unsigned long long)len,
					(unsigned long long)(m->size >> 20));
		memcpy(m->base + off, rec->data + 8, len);
	}
	return 0;
}
