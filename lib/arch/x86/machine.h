/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/machine.h: the x86 PC the guest sees, as one object the VM
 * drives: guest RAM + I/O maps + interrupt sink + (after realize) the KVM VM,
 * in-kernel irqchip (PIT if asked), platform devices (COM1 8250, CMOS RTC, i8042 reset
 * line, debug-exit port, ACPI power), the loaded kernel and vCPU threads.
 *
 * Life cycle, driven by lib/vm.c only (API thread unless said otherwise):
 *   machine_new()      guest RAM (memfd), empty PIO/MMIO maps and the
 *                      interrupt sink; nothing of KVM yet. Devices realized
 *                      in phase 2 register ranges on machine_pio/mmio(),
 *                      use machine_mem() and raise interrupts through
 *                      machine_irq() (calls before machine_realize() fail
 *                      with -ENODEV and are harmless).
 *   machine_realize()  open /dev/kvm, check capabilities, create the VM,
 *                      memory slots, irqchip, PIT (if cfg->pit), load
 *                      kernel/initrd/cmdline and build boot tables (e820,
 *                      ACPI), create the vCPUs. No threads yet. Fails
 *                      cleanly: machine_unrealize() is not needed after a
 *                      failure.
 *   machine_start()    one thread per vCPU.
 *   machine_stop()     any thread: kick every vCPU out of KVM_RUN.
 *   machine_pause()    any thread but the VM's vCPUs: every vCPU out of
 *   machine_resume()   KVM_RUN and parked / running again (vcpu.h).
 *   machine_wait()     join vCPU threads, report why the guest stopped.
 *   machine_detach_host() after machine_stop(), on the API thread: from
 *                      its return on, the guest reaches none of the
 *                      host's fds or callbacks (console output cut, input
 *                      thread joined); vCPU threads may still be running.
 *   machine_unrealize()stop, join, close KVM objects; back to after _new.
 *   machine_free()     unrealize if needed and free; NULL is fine.
 */
#ifndef LIB_ARCH_X86_MACHINE_H
#define LIB_ARCH_X86_MACHINE_H

#include <stdint.h>

#include "../../core/error.h"
#include "../../core/log.h"
#include "../../kvm/iomap.h"
#include "../../kvm/irq.h"
#include "../../kvm/mem.h"

struct machine_config {
	uint32_t vcpus;
	uint64_t mem_bytes;
	const char *kernel, *initrd, *cmdline; /* borrowed until machine_free */
	int console_fd, console_in_fd;
	/* If set, console output goes here instead of console_fd. */
	void (*console_fn)(void *opaque, const char *buf, size_t len);
	void *console_opaque;
	const char *mem_path;
	unsigned mem_flags;        /* GMEM_F_* */
	int pit;                   /* create the in-kernel i8254 PIT */
	int no_irqchip;            /* no in-kernel LAPIC/IOAPIC/PIC */
	int kick_signal;           /* 0: HV_KICK_SIGNAL (lib/kvm/vcpu.h) */
	/* What the VM's threads drop on themselves (lib/core/privilege.h);
	 * borrowed until machine_free, NULL: nothing. */
	const struct priv *priv;
	int restore;               /* realize for machine_load(): no kernel
				      loaded, no tables, vCPUs only get CPUID */
	int cow;                   /* with restore: RAM is a private
				      copy-on-write mapping of cow_fd */
	int cow_fd;                /* borrowed until machine_new() returns */
	int vmgenid;               /* a fresh VM gets the VM Generation ID
				      device (vmgenid.h); a restored one has
				      it if its snapshot says so */
	const struct vlog *log;    /* borrowed until machine_free */
};

struct machine;
struct pci_bus;

struct iomap *machine_pio(struct machine *m);
struct iomap *machine_mmio(struct machine *m);
struct irq_sink *machine_irq(struct machine *m);
struct gmem *machine_mem(struct machine *m);
/* PCI bus 0 (lib/pci/pci.h): devices plug their functions here. */
struct pci_bus *machine_pci(struct machine *m);

int __must_check machine_new(struct machine **mp,
			     const struct machine_config *cfg,
			     struct vm_error **errp);
int __must_check machine_realize(struct machine *m, struct vm_error **errp);

/* vm_prewarm(): keep @count KVM VMs (lib/kvm/shell.h) made in advance for
 * machines of @vcpus with/without irqchip and PIT. Returns how many are
 * ready or a negative errno. */
int machine_prewarm(uint32_t vcpus, int no_irqchip, int pit, unsigned count,
		    struct vm_error **errp);
int __must_check machine_start(struct machine *m, struct vm_error **errp);
void machine_stop(struct machine *m);
/* 0; -EINVAL not started; -EDEADLK on one of its vCPU threads;
 * -ESHUTDOWN the vCPUs stopped. */
int machine_pause(struct machine *m);
void machine_resume(struct machine *m);
/* Fills *st as the public API describes; -ETIMEDOUT after timeout_ms
 * (-1: forever); -EINVAL if not started. */
int machine_wait(struct machine *m, struct vm_status *st, int timeout_ms);
void machine_detach_host(struct machine *m);
void machine_unrealize(struct machine *m);

/* machine-snap.c. machine_save(): a paused machine's state (KVM VM,
 * vCPUs, COM1, RTC, ACPI PM, RAM) as records; -EBUSY unless paused.
 * With @with_ram 0 the RAM is left out (a clone maps it: cfg.cow).
 * machine_load(): into a machine realized with cfg.restore, before
 * machine_start(); -EXDEV when the snapshot's host id is not this host's.
 * machine_host_id(): the hash of this host's CPUID feature set (after
 * realize). API thread. */
struct snap_w;
struct snap_index;
int __must_check machine_save(struct machine *m, struct snap_w *w,
			      int with_ram, struct vm_error **errp);
int __must_check machine_load(struct machine *m, const struct snap_index *ix,
			      struct vm_error **errp);
uint64_t machine_host_id(const struct machine *m);
void machine_free(struct machine *m);

#endif
