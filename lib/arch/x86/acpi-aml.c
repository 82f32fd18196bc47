/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi-aml.c: AML byte-code emitter (see acpi-aml.h).
 *
 * Opcodes and encodings from ACPI 6.4 §20.2 (AML grammar); resource
 * descriptors from §6.4.2/§6.4.3.
 *
 * Threads: no shared state. Locking: none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi-aml.h"

#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP      0x10
#define AML_BUFFER_OP     0x11
#define AML_PACKAGE_OP    0x12
#define AML_METHOD_OP     0x14
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_EXT_OP        0x5b
#define AML_DEVICE_OP     0x82 /* after AML_EXT_OP */
#define AML_ROOT_CHAR     0x5c /* '\' */
#define AML_PARENT_CHAR   0x5e /* '^' */
#define AML_NOTIFY_OP     0x86
#define AML_RETURN_OP     0xa4
#define AML_ONES_OP       0xff

#define PKGLEN_RESERVE 4       /* the longest PkgLength encoding */
#define PKGLEN_MAX     0x0fffffff

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static int reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return -1;
	if (n <= a->cap - a->len)
		return 0;
	cap = a->cap ? a->cap : 256;
	while (cap - a->len < n) {
		if (cap > SIZE_MAX / 2) {
			fail(a, -ENOMEM);
			return -1;
		}
		cap *= 2;
	}
	p = realloc(a->buf, cap);
	if (!p) {
		fail(a, -ENOMEM);
		return -1;
	}
	a->buf = p;
	a->cap = cap;
	return 0;
}

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_fini(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

void aml_raw(struct aml *a, const void *p, size_t n)
{
	if (!n || reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_raw(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];
	unsigned i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_raw(a, b, n);
}

/* --- names ------------------------------------------------------------ */

static int seg_char_ok(char c, int lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!lead && c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
	uint8_t segs[255][4];
	const char *p = path;
	unsigned nsegs = 0, i;

	while (*p == '\\' || *p == '^') {
		if (*p == '\\' && p != path) {
			fail(a, -EINVAL);
			return;
		}
		aml_byte(a, *p == '\\' ? AML_ROOT_CHAR : AML_PARENT_CHAR);
		p++;
	}
	while (*p) {
		unsigned n = 0;

		if (nsegs == 255) {
			fail(a, -EINVAL);
			return;
		}
		memset(segs[nsegs], '_', 4);
		while (*p && *p != '.') {
			if (n == 4 || !seg_char_ok(*p, n == 0)) {
				fail(a, -EINVAL);
				return;
			}
			segs[nsegs][n++] = (uint8_t)*p++;
		}
		if (!n) {
			fail(a, -EINVAL);
			return;
		}
		nsegs++;
		if (*p == '.' && !*++p) {
			fail(a, -EINVAL);
			return;
		}
	}
	if (nsegs == 0) {
		aml_byte(a, AML_ZERO_OP); /* NullName */
		return;
	}
	if (nsegs == 2) {
		aml_byte(a, AML_DUAL_NAME);
	} else if (nsegs > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)nsegs);
	}
	for (i = 0; i < nsegs; i++)
		aml_raw(a, segs[i], 4);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
}

/* --- data --------------------------------------------------------------- */

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	const char *c;

	for (c = s; *c; c++) {
		/* AsciiCharList: 0x01-0x7f */
		if ((unsigned char)*c > 0x7f) {
			fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_raw(a, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* EISAID("PNP0A03"): three letters (5 bits each, 'A' = 1) and four hex
 * digits packed into 32 bits, stored big-endian, emitted as a DWord the
 * way iasl does (ACPI 6.4 §19.6.35). */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;
	unsigned i;

	if (strlen(id) != 7) {
		fail(a, -EINVAL);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, -EINVAL);
			return;
		}
		v = (v << 5) | (uint32_t)(id[i] - 0x40);
	}
	for (i = 3; i < 7; i++) {
		int h = hexval(id[i]);

		if (h < 0) {
			fail(a, -EINVAL);
			return;
		}
		v = (v << 4) | (uint32_t)h;
	}
	aml_byte(a, AML_DWORD_PREFIX);
	le(a, __builtin_bswap32(v), 4);
}

/* --- nesting -------------------------------------------------------------- */

static size_t pkg_open(struct aml *a)
{
	size_t mark = a->len;
	static const uint8_t zero[PKGLEN_RESERVE];

	aml_raw(a, zero, sizeof(zero));
	return mark;
}

void aml_end(struct aml *a, size_t mark)
{
	size_t body, n, total;
	uint8_t *p;

	if (a->err)
		return;
	if (mark > a->len || a->len - mark < PKGLEN_RESERVE) {
		fail(a, -EINVAL);
		return;
	}
	body = a->len - mark - PKGLEN_RESERVE;
	/* PkgLength counts its own bytes (§20.2.4). */
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= PKGLEN_MAX)
		n = 4;
	else {
		fail(a, -E2BIG);
		return;
	}
	total = body + n;
	p = a->buf + mark;
	memmove(p + n, p + PKGLEN_RESERVE, body);
	a->len -= PKGLEN_RESERVE - n;
	if (n == 1) {
		p[0] = (uint8_t)total;
		return;
	}
	p[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
	p[1] = (uint8_t)(total >> 4);
	if (n > 2)
		p[2] = (uint8_t)(total >> 12);
	if (n > 3)
		p[3] = (uint8_t)(total >> 20);
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = pkg_open(a);
	aml_namestring(a, name);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_EXT_OP);
	aml_byte(a, AML_DEVICE_OP);
	mark = pkg_open(a);
	aml_namestring(a, name);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *name, unsigned nargs,
			int serialized)
{
	size_t mark;

	if (nargs > 7)
		fail(a, -EINVAL);
	aml_byte(a, AML_METHOD_OP);
	mark = pkg_open(a);
	aml_namestring(a, name);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
	return mark;
}

size_t aml_package_begin(struct aml *a, unsigned nelems)
{
	size_t mark;

	if (nelems > 255)
		fail(a, -EINVAL);
	aml_byte(a, AML_PACKAGE_OP);
	mark = pkg_open(a);
	aml_byte(a, (uint8_t)nelems);
	return mark;
}

void aml_buffer(struct aml *a, const void *data, size_t len)
{
	size_t mark;

	aml_byte(a, AML_BUFFER_OP);
	mark = pkg_open(a);
	aml_integer(a, len);
	aml_raw(a, data, len);
	aml_end(a, mark);
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_RETURN_OP);
}

void aml_notify(struct aml *a, const char *path, uint64_t value)
{
	aml_byte(a, AML_NOTIFY_OP);
	aml_namestring(a, path);
	aml_integer(a, value);
}

/* --- resource descriptors -------------------------------------------------- */

#define RES_IO_PORT     0x47 /* small: I/O port, 7 data bytes */
#define RES_END_TAG     0x79 /* small: end tag, 1 data byte */
#define RES_MEM32_FIXED 0x86
#define RES_DWORD_ADDR  0x87
#define RES_WORD_ADDR   0x88
#define RES_QWORD_ADDR  0x8a

#define RES_TYPE_MEM 0
#define RES_TYPE_IO  1
#define RES_TYPE_BUS 2

/* General flags of an address space descriptor as a root bridge
 * produces them: ResourceProducer, PosDecode, MinFixed, MaxFixed. */
#define RES_ADDR_FLAGS 0x0c

void aml_res_io(struct aml *a, uint16_t base, uint16_t len)
{
	if (len > 0xff) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_IO_PORT);
	aml_byte(a, 1);          /* 16-bit decode */
	le(a, base, 2);          /* minimum */
	le(a, base, 2);          /* maximum */
	aml_byte(a, 1);          /* alignment */
	aml_byte(a, (uint8_t)len);
}

/* Address space descriptor (§6.4.3.5): granularity, min, max,
 * translation 0, length = max - min + 1, each @width bytes. */
static void res_addr(struct aml *a, uint8_t tag, unsigned width,
		     uint8_t type, uint8_t tflags, uint64_t min, uint64_t max)
{
	if (max < min) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, tag);
	le(a, 3 + 5 * width, 2); /* length of what follows */
	aml_byte(a, type);
	aml_byte(a, RES_ADDR_FLAGS);
	aml_byte(a, tflags);
	le(a, 0, width);         /* granularity */
	le(a, min, width);
	le(a, max, width);
	le(a, 0, width);         /* translation offset */
	le(a, max - min + 1, width);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, RES_WORD_ADDR, 2, RES_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, RES_WORD_ADDR, 2, RES_TYPE_IO, 3 /* EntireRange */, min,
		 max);
}

void aml_res_dword_mem(struct aml *a, unsigned cache, uint32_t min,
		       uint32_t max)
{
	res_addr(a, RES_DWORD_ADDR, 4, RES_TYPE_MEM,
		 (uint8_t)(1 | ((cache & 3) << 1)), min, max);
}

void aml_res_qword_mem(struct aml *a, unsigned cache, uint64_t min,
		       uint64_t max)
{
	res_addr(a, RES_QWORD_ADDR, 8, RES_TYPE_MEM,
		 (uint8_t)(1 | ((cache & 3) << 1)), min, max);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	aml_byte(a, RES_MEM32_FIXED);
	le(a, 9, 2);
	aml_byte(a, 1);          /* read/write */
	le(a, base, 4);
	le(a, len, 4);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, RES_END_TAG);
	aml_byte(a, 0);          /* checksum 0: "treated as correct" */
}
