/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi-aml.h: a tiny AML byte-code emitter for the DSDT.
 *
 * Covers what a VM's DSDT needs (ACPI 6.4 §20 "ACPI Machine Language
 * Specification"): names, integers, strings, EISA IDs, packages, buffers,
 * scopes, devices, methods returning a value, and the resource
 * descriptors of a _CRS template (§6.4). Nested objects use
 * *_begin()/aml_end(): begin reserves room for the PkgLength, end writes
 * the shortest encoding.
 *
 *     struct aml a;  size_t dev;
 *     aml_init(&a);
 *     dev = aml_device_begin(&a, "PCI0");
 *       aml_name(&a, "_HID"); aml_eisaid(&a, "PNP0A03");
 *     aml_end(&a, dev);
 *     if (a.err) ...;   // sticky: -ENOMEM, -EINVAL (bad name), -E2BIG
 *
 * Errors are sticky in ->err so that emitting code stays linear; check it
 * once at the end. Threads: no shared state. Locking: none.
 */
#ifndef LIB_ARCH_X86_ACPI_AML_H
#define LIB_ARCH_X86_ACPI_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;  /* heap; aml_fini() frees */
	size_t len, cap;
	int err;       /* first error, negative errno; 0 if none */
};

void aml_init(struct aml *a);
void aml_fini(struct aml *a);

/* Raw bytes. */
void aml_byte(struct aml *a, uint8_t b);
void aml_raw(struct aml *a, const void *p, size_t n);

/* NameString: "\\" root or "^" parent prefixes, then dot-separated
 * segments of 1..4 characters (padded with '_'): "\\_S5", "_SB.PCI0". */
void aml_namestring(struct aml *a, const char *path);

/* Data objects. */
void aml_integer(struct aml *a, uint64_t v);   /* shortest encoding */
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id); /* "PNP0A03" */
void aml_buffer(struct aml *a, const void *data, size_t len);

/* Name(<name>, <object>): emits NameOp and the name; the object follows. */
void aml_name(struct aml *a, const char *name);

/* Return(<term>): emits ReturnOp; the term follows. */
void aml_return(struct aml *a);

/* Notify(<path>, <value>) (ACPI 6.4 §19.6.94), e.g. Notify(\_SB.VGEN, 0x80). */
void aml_notify(struct aml *a, const char *path, uint64_t value);

/* Nested objects; each returns a mark for aml_end(). */
size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
size_t aml_method_begin(struct aml *a, const char *name, unsigned nargs,
			int serialized);
size_t aml_package_begin(struct aml *a, unsigned nelems); /* <= 255 */
void aml_end(struct aml *a, size_t mark);

/* Resource descriptors (ACPI 6.4 §6.4), appended to a separate struct aml
 * that becomes a Buffer: end the template with aml_res_end(). */
#define AML_RES_MEM_NONCACHE 0
#define AML_RES_MEM_CACHE    1
#define AML_RES_MEM_WC       2
#define AML_RES_MEM_PREFETCH 3
void aml_res_io(struct aml *a, uint16_t base, uint16_t len); /* fixed */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, unsigned cache, uint32_t min,
		       uint32_t max);
void aml_res_qword_mem(struct aml *a, unsigned cache, uint64_t min,
		       uint64_t max);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_end(struct aml *a);

#endif
