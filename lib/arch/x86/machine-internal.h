/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/machine-internal.h: struct machine, shared by machine.c
 * (life cycle) and machine-snap.c (snapshot state). Threads and locking:
 * see machine.c.
 */
#ifndef LIB_ARCH_X86_MACHINE_INTERNAL_H
#define LIB_ARCH_X86_MACHINE_INTERNAL_H

#include "../../kvm/hv.h"
#include "../../kvm/vcpu.h"
#include "acpi-pm.h"
#include "boot.h"
#include "cpu.h"
#include "machine.h"
#include "pc-pci.h"
#include "pc-ports.h"
#include "rtc.h"
#include "uart8250.h"

struct machine {
	struct machine_config cfg;
	struct gmem mem;
	struct iomap pio, mmio;
	struct hv_irq irq;
	struct hv_vcpus vcpus;
	struct hv hv;
	struct x86_cpuid cpuid;
	struct x86_boot boot;
	int realized, started;
	int from_shell;            /* its KVM VM was prewarmed (shell.h) */
	struct uart8250 com1;
	struct rtc rtc;
	struct i8042 kbc;
	struct pc_ports ports;
	struct x86_acpi_pm pm;
	struct x86_pc_pci pci;   /* bus 0; owns 0xcf8..0xcff (pc-pci.h) */
	uint64_t vmgenid_gpa;    /* the generation ID (vmgenid.h); 0: none */
};

#endif
