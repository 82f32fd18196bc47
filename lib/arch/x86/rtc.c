/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/rtc.c: CMOS RTC (see rtc.h).
 *
 * Threads: vCPU threads. Locking: ->lock guards all state; held for one
 * register access.
 */
#include <string.h>
#include <time.h>

#include "rtc.h"
#include "../../snapshot/format.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32

#define A_UIP 0x80
#define B_SET 0x80
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define D_VRT 0x80

static time_t rtc_host_now(void)
{
	return time(NULL);
}

void rtc_init(struct rtc *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->now = rtc_host_now;
	r->cmos[REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
	r->cmos[REG_B] = B_24H;
	r->cmos[REG_D] = D_VRT;
}

void rtc_fini(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
	int pm;

	if (r->cmos[REG_B] & B_24H)
		return to_reg(r, h);
	pm = h >= 12;
	h %= 12;
	return to_reg(r, h ? h : 12) | (pm ? 0x80 : 0);
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	int h;

	if (r->cmos[REG_B] & B_24H)
		return from_reg(r, v);
	h = from_reg(r, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

/*
 * The year as the registers can hold it: two digits of year (0x09) and
 * two of century (0x32), 0000..9999. The guest may write any pair: a
 * century below 19 is a year before 1900 (tm_year < 0, so tm_year % 100
 * was negative and to_reg() shifted a negative value), digits that are not
 * BCD decode to up to 165 per register, and the clock runs on from
 * whatever was set. The year is therefore reduced into 0..9999 the way a
 * four-digit counter wraps, so that every year has a valid BCD (and
 * binary) encoding in both registers.
 */
static int rtc_year(const struct tm *tm)
{
	long y = ((long)tm->tm_year + 1900) % 10000;

	return (int)(y < 0 ? y + 10000 : y);
}

/* Write the current guest time into the time registers. */
static void rtc_latch(struct rtc *r)
{
	time_t t = r->now() + (time_t)r->offset;
	struct tm tm;
	int year;

	gmtime_r(&t, &tm);
	year = rtc_year(&tm);
	r->cmos[REG_SEC] = to_reg(r, tm.tm_sec);
	r->cmos[REG_MIN] = to_reg(r, tm.tm_min);
	r->cmos[REG_HOUR] = hour_to_reg(r, tm.tm_hour);
	r->cmos[REG_WDAY] = to_reg(r, tm.tm_wday + 1);
	r->cmos[REG_MDAY] = to_reg(r, tm.tm_mday);
	r->cmos[REG_MON] = to_reg(r, tm.tm_mon + 1);
	r->cmos[REG_YEAR] = to_reg(r, year % 100);
	r->cmos[REG_CENTURY] = to_reg(r, year / 100);
}

/* Take the time registers as the new guest time. */
static void rtc_commit(struct rtc *r)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = from_reg(r, r->cmos[REG_SEC]);
	tm.tm_min = from_reg(r, r->cmos[REG_MIN]);
	tm.tm_hour = hour_from_reg(r, r->cmos[REG_HOUR]);
	tm.tm_mday = from_reg(r, r->cmos[REG_MDAY]);
	tm.tm_mon = from_reg(r, r->cmos[REG_MON]) - 1;
	tm.tm_year = from_reg(r, r->cmos[REG_CENTURY]) * 100 +
		     from_reg(r, r->cmos[REG_YEAR]) - 1900;
	t = timegm(&tm);
	if (t != (time_t)-1)
		r->offset = (int64_t)t - (int64_t)r->now();
}

static int is_time_reg(uint8_t i)
{
	return i == REG_SEC || i == REG_MIN || i == REG_HOUR ||
	       i == REG_WDAY || i == REG_MDAY || i == REG_MON ||
	       i == REG_YEAR || i == REG_CENTURY;
}

static uint8_t rtc_reg_read(struct rtc *r, uint8_t i)
{
	uint8_t v;

	switch (i) {
	case REG_A:
		return r->cmos[REG_A] & ~A_UIP;
	case REG_C:
		v = r->cmos[REG_C];
		r->cmos[REG_C] = 0;
		return v;
	case REG_D:
		return D_VRT;
	default:
		if (is_time_reg(i) && !(r->cmos[REG_B] & B_SET))
			rtc_latch(r);
		return r->cmos[i];
	}
}

static void rtc_reg_write(struct rtc *r, uint8_t i, uint8_t v)
{
	switch (i) {
	case REG_A:
		r->cmos[REG_A] = (v & ~A_UIP);
		break;
	case REG_B:
		if ((v & B_SET) && !(r->cmos[REG_B] & B_SET))
			rtc_latch(r); /* freeze: the guest edits a copy */
		if (!(v & B_SET) && (r->cmos[REG_B] & B_SET)) {
			r->cmos[REG_B] = v | B_SET; /* decode in the new format */
			rtc_commit(r);
		}
		r->cmos[REG_B] = v;
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		if (is_time_reg(i) && !(r->cmos[REG_B] & B_SET)) {
			/* Takes effect at once, as on the chip. */
			rtc_latch(r);
			r->cmos[i] = v;
			rtc_commit(r);
			break;
		}
		r->cmos[i] = v;
	}
}

static void rtc_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct rtc *r = opaque;
	uint8_t v = 0xff;

	memset(data, 0xff, size);
	pthread_mutex_lock(&r->lock);
	if (off == 1)
		v = rtc_reg_read(r, r->index);
	pthread_mutex_unlock(&r->lock);
	*(uint8_t *)data = v;
}

static void rtc_write(void *opaque, uint64_t off, const void *data,
		      unsigned size)
{
	struct rtc *r = opaque;
	uint8_t v = *(const uint8_t *)data;

	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = v & 0x7f; /* bit 7: NMI disable, not modelled */
	else
		rtc_reg_write(r, r->index, v);
	pthread_mutex_unlock(&r->lock);
}

const struct iomap_ops rtc_ops = { rtc_read, rtc_write };

/* ---- snapshot state ---- */

#define RTC_SNAP_VERSION 1

void rtc_save(struct rtc *r, struct snap_w *w)
{
	pthread_mutex_lock(&r->lock);
	snap_w_begin(w, SNAP_TAG('R', 'T', 'C', '.'), RTC_SNAP_VERSION, 0);
	snap_put_u8(w, r->index);
	snap_put(w, r->cmos, sizeof(r->cmos));
	snap_put_u64(w, (uint64_t)r->offset);
	snap_w_end(w);
	pthread_mutex_unlock(&r->lock);
}

int rtc_load(struct rtc *r, const struct snap_rec *rec, struct vm_error **errp)
{
	uint8_t cmos[sizeof(r->cmos)], index;
	struct snap_cur c;
	uint64_t off;
	int rc = snap_rec_check(rec, RTC_SNAP_VERSION, "RTC", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	index = snap_get_u8(&c);
	snap_get(&c, cmos, sizeof(cmos));
	off = snap_get_u64(&c);
	rc = snap_cur_done(&c, rec, "RTC", errp);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&r->lock);
	r->index = index & 0x7f;
	memcpy(r->cmos, cmos, sizeof(cmos));
	r->offset = (int64_t)off;
	pthread_mutex_unlock(&r->lock);
	return 0;
}
