/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/irq-rec.h: a recording interrupt sink for device unit tests.
 * Keeps the current level of every line, the number of rising edges and
 * the last MSI.
 */
#ifndef TESTS_UNIT_IRQ_REC_H
#define TESTS_UNIT_IRQ_REC_H

#include <string.h>

#include "kvm/irq.h"

struct irq_rec {
	struct irq_sink sink;
	int level[32];
	unsigned raised[32];    /* 0 -> 1 transitions */
	unsigned calls;
	uint64_t msi_addr;
	uint32_t msi_data;
	unsigned msis;
};

static inline int irq_rec_set_line(struct irq_sink *s, uint32_t gsi, int level)
{
	struct irq_rec *r = (struct irq_rec *)s;

	if (gsi >= 32)
		return -22;
	if (level && !r->level[gsi])
		r->raised[gsi]++;
	r->level[gsi] = level;
	r->calls++;
	return 0;
}

static inline int irq_rec_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	struct irq_rec *r = (struct irq_rec *)s;

	r->msi_addr = addr;
	r->msi_data = data;
	r->msis++;
	return 0;
}

static const struct irq_sink_ops irq_rec_ops = {
	.set_line = irq_rec_set_line,
	.msi = irq_rec_msi,
};

static inline void irq_rec_init(struct irq_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->sink.ops = &irq_rec_ops;
}

#endif
