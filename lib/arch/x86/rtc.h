/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/rtc.h: MC146818 CMOS RTC at ports 0x70 (index, bit 7 = NMI
 * mask) and 0x71 (data).
 *
 * The time is the host's clock plus an offset the guest may change (by
 * setting SET in register B, writing the time registers, clearing SET),
 * in BCD or binary and 12- or 24-hour format as register B says. UIP in
 * register A always reads 0: the guest then reads a consistent time on the
 * first try (Linux's mc146818_get_time() loop, and a stock kernel given no
 * RTC at all polls for ~12 s of a nested boot). No RTC interrupts (IRQ 8):
 * register C always reads 0. Register D reads 0x80 (battery good). The
 * other 114 bytes are plain NVRAM.
 *
 * Threads: vCPU threads. Locking: ->lock guards ->index, ->cmos, ->offset.
 */
#ifndef LIB_ARCH_X86_RTC_H
#define LIB_ARCH_X86_RTC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "../../core/error.h"
#include "../../kvm/iomap.h"

#define RTC_BASE 0x70

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;           /* selected register, 0..127 */
	uint8_t cmos[128];
	int64_t offset;          /* guest time - host time, seconds */
	time_t (*now)(void);     /* host clock; tests may replace it */
};

extern const struct iomap_ops rtc_ops; /* 2 ports */

void rtc_init(struct rtc *r);
void rtc_fini(struct rtc *r);

/* Snapshot state (tag "RTC."): index, CMOS bytes and the guest's clock
 * offset (so the guest's wall time goes on from the host's clock, as
 * after a suspend). Load refuses a short/long/newer record. Any thread;
 * both take ->lock. */
struct snap_w;
struct snap_rec;
void rtc_save(struct rtc *r, struct snap_w *w);
int __must_check rtc_load(struct rtc *r, const struct snap_rec *rec,
			  struct vm_error **errp);

#endif
