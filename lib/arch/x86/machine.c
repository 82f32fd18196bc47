/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/machine.c: the x86 PC: guest RAM, I/O maps, KVM VM with
 * in-kernel irqchip (and, when asked, PIT), platform devices, loaded
 * kernel, vCPUs.
 *
 * Platform: COM1 8250 (0x3f8, IRQ 4), CMOS RTC (0x70), i8042 (0x60/0x64),
 * debug-exit (0x501), POST port (0x80, ignored), and the ACPI PM1a block
 * (0x600), GPE0 block (0x620) and reset control register (0xcf9) of
 * acpi-pm.c and the VM Generation ID (vmgenid.h, unless turned off), which the ACPI
 * tables (acpi.c, built at realize) describe; PCI bus 0 with its host
 * bridge, config ports 0xcf8..0xcff (forwarding 0xcf9) and ECAM (pc-pci.h).
 * The devices are registered at machine_new() so that phase-2 devices
 * claiming one of their ports fail at realize with a message.
 *
 * vCPU start state: the BSP (vCPU 0) is entered in long mode at the
 * loader's entry. For Linux (bzImage/vmlinux) the APs stay in KVM's
 * wait-for-SIPI state and Linux starts them with INIT/SIPI through the
 * LAPIC. For the project's bare test ELFs every vCPU starts at the entry in
 * long mode (RSI = boot_params as on the BSP); a test guest tells vCPUs
 * apart by the APIC ID in CPUID leaf 1 (= vCPU index).
 *
 * Threads: the API thread runs new/realize/start/wait/unrealize/free;
 * machine_stop() runs on any thread (also while realize runs), so do
 * machine_pause()/machine_resume() once started; the exit
 * callback runs on vCPU threads.
 * Locking: stop/wait state lives in ->vcpus (see lib/kvm/vcpu.h); the rest
 * is set up before the vCPU threads start and read-only while they run.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../kvm/eventfd.h"
#include "../../kvm/hv.h"
#include "../../kvm/shell.h"
#include "../../kvm/vcpu.h"
#include "acpi-pm.h"
#include "acpi.h"
#include "boot.h"
#include "cpu.h"
#include "machine-internal.h"
#include "pc-pci.h"
#include "pc-ports.h"
#include "rtc.h"
#include "uart8250.h"
#include "vmgenid.h"

#define MACHINE_MAX_VCPUS 255u  /* xAPIC IDs; 0xff is the broadcast ID */
#define X86_TSS_ADDR 0xfffbd000ull
#define X86_IDENTITY_MAP_ADDR 0xfffbc000ull


struct iomap *machine_pio(struct machine *m)
{
	return &m->pio;
}

struct iomap *machine_mmio(struct machine *m)
{
	return &m->mmio;
}

struct irq_sink *machine_irq(struct machine *m)
{
	return &m->irq.sink;
}

struct gmem *machine_mem(struct machine *m)
{
	return &m->mem;
}

struct pci_bus *machine_pci(struct machine *m)
{
	return &m->pci.bus;
}

/* Devices ask for the VM to stop; the vCPU running them is the cause. */
static void machine_exit_cb(void *opaque, int reason, int code)
{
	struct machine *m = opaque;
	struct hv_vcpu *v = hv_vcpu_current();

	vlog_info(m->cfg.log, v ? v->name : "vm", "guest exit: reason %d code %d",
		  reason, code);
	hv_vcpus_request_stop(&m->vcpus, reason, code, v ? v->index : 0);
}

static void machine_power_cb(void *opaque, int reason)
{
	machine_exit_cb(opaque, reason, 0);
}

static int machine_add_platform(struct machine *m, struct vm_error **errp)
{
	const struct x86_acpi_pm_config pmc = {
		.pm_base = X86_ACPI_PM_BASE,
		.reset_port = 0, /* 0xcf9 is forwarded by the PCI bus */
		.power = machine_power_cb,
		.opaque = m,
		/* always there: a restored guest may have the device */
		.gpe0_base = X86_ACPI_GPE0_BASE,
		.irq = &m->irq.sink,
		.sci_gsi = X86_ACPI_SCI_IRQ,
	};
	static const struct {
		uint64_t base, len;
		size_t off;      /* of the device state in struct machine */
		const struct iomap_ops *ops;
		const char *owner;
	} tbl[] = {
		{ UART8250_COM1_BASE, 8, offsetof(struct machine, com1),
		  &uart8250_ops, "uart 'com1'" },
		{ RTC_BASE, 2, offsetof(struct machine, rtc), &rtc_ops,
		  "cmos rtc" },
		{ I8042_DATA_PORT, 1, offsetof(struct machine, kbc),
		  &i8042_data_ops, "i8042" },
		{ I8042_CMD_PORT, 1, offsetof(struct machine, kbc),
		  &i8042_cmd_ops, "i8042" },
		{ DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, offsetof(struct machine, ports),
		  &debug_exit_ops, "debug-exit" },
		{ POST_PORT, 1, 0, &ignore_ops, "post port" },
	};
	unsigned i;
	int r;

	for (i = 0; i < ARRAY_SIZE(tbl); i++) {
		r = iomap_add(&m->pio, tbl[i].base, tbl[i].len, tbl[i].ops,
			      (char *)m + tbl[i].off, tbl[i].owner, errp);
		if (r < 0)
			return r;
	}
	r = x86_acpi_pm_init(&m->pm, &m->pio, &pmc, errp);
	if (r < 0)
		return r;
	return x86_pc_pci_init(&m->pci, &m->pio, &m->mmio, &m->irq.sink,
			       m->cfg.log, &m->pm, errp);
}

int machine_new(struct machine **mp, const struct machine_config *cfg,
		struct vm_error **errp)
{
	struct machine *m;
	int r;

	*mp = NULL;
	if (cfg->vcpus == 0)
		return verr_set(errp, -EINVAL, "machine: 0 vCPUs");
	if (cfg->vcpus > MACHINE_MAX_VCPUS)
		return verr_set(errp, -E2BIG,
				"machine: %u vCPUs asked, at most %u (xAPIC IDs)",
				cfg->vcpus, MACHINE_MAX_VCPUS);
	if (!cfg->kernel && !cfg->restore)
		return verr_set(errp, -EINVAL, "machine: no kernel given");
	m = calloc(1, sizeof(*m));
	if (!m)
		return verr_set(errp, -ENOMEM, "machine: out of memory");
	m->cfg = *cfg;
	m->hv.kvm_fd = m->hv.vm_fd = -1;
	hv_irq_preinit(&m->irq);
	if (cfg->restore && cfg->cow)
		r = gmem_init_cow(&m->mem, cfg->cow_fd, cfg->mem_bytes, errp);
	else
		r = gmem_init(&m->mem, cfg->mem_bytes, cfg->mem_path,
			      cfg->mem_flags, errp);
	if (r < 0) {
		free(m);
		return r;
	}
	iomap_init(&m->pio, "pio");
	iomap_init(&m->mmio, "mmio");
	hv_vcpus_preinit(&m->vcpus, &m->pio, &m->mmio, cfg->log);
	if (cfg->kick_signal)
		m->vcpus.kick_signal = cfg->kick_signal;
	m->vcpus.priv = cfg->priv;
	r = uart8250_init(&m->com1, "com1", &m->irq.sink, UART8250_COM1_IRQ,
			  cfg->console_fd, cfg->console_in_fd, cfg->log, errp);
	m->com1.out_fn = cfg->console_fn;
	m->com1.priv = cfg->priv;
	m->com1.out_opaque = cfg->console_opaque;
	rtc_init(&m->rtc);
	i8042_init(&m->kbc, machine_exit_cb, m);
	pc_ports_init(&m->ports, machine_exit_cb, m);
	if (r == 0)
		r = machine_add_platform(m, errp);
	if (r < 0) {
		machine_free(m);
		return r;
	}
	*mp = m;
	return 0;
}

/*
 * The order of the VM-wide KVM calls is chosen by measurement, because on
 * some hosts one call pays for another (bench/first-exit, `ours -t`; 6.18
 * PVM host, medians of 20, bench/README.md): KVM_SET_USER_MEMORY_REGION
 * issued after KVM_CREATE_IRQCHIP took ~7.5 ms, before it ~0.06 ms. With
 * the slot first, the VM fd's last close sleeps ~15 ms instead (CPU time
 * ~0.1 ms: a grace period, not work); vm_destroy() leaves that close to
 * the release threads (lib/release.c), off the caller's path. The PIT
 * costs ~0.5-1.4 ms to create and ~6 ms more at close: it is created only
 * when machine_config.pit asks for it (VM_CONFIG_F_PIT). The irqchip
 * itself starts a grace period of ~15 ms that the next memory-slot change
 * or the VM's destruction waits for (measured: a close 20 ms after
 * KVM_CREATE_IRQCHIP takes 0.2 ms): a guest that takes no interrupts can
 * go without (machine_config.no_irqchip, VM_CONFIG_F_NO_IRQCHIP) and then
 * costs what a bare KVM program does.
 */
/* Before guest RAM and the first vCPU: Intel (VMX) needs, harmless
 * elsewhere. The pages sit just below the BIOS area at the top of 4 GiB,
 * inside the PCI hole, never RAM. */
static int machine_vm_early(int vm_fd, struct vm_error **errp)
{
	uint64_t idmap = X86_IDENTITY_MAP_ADDR;
	int r;

	r = hv_ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_IDENTITY_MAP_ADDR");
	r = hv_ioctl(vm_fd, KVM_SET_TSS_ADDR, (void *)(unsigned long)X86_TSS_ADDR);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_TSS_ADDR");
	return 0;
}

static int machine_vm_irqchip(int kvm_fd, int vm_fd, int with_pit,
			      struct vm_error **errp)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r;

	r = hv_ioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_CREATE_IRQCHIP");
	if (!with_pit)
		return 0;
	r = hv_ioctl(kvm_fd, KVM_CHECK_EXTENSION, (void *)(unsigned long)KVM_CAP_PIT2);
	if (r <= 0)
		return verr_set(errp, -ENOTSUP,
				"machine: a PIT was asked for (VM_CONFIG_F_PIT) but KVM lacks KVM_CAP_PIT2");
	r = hv_ioctl(vm_fd, KVM_CREATE_PIT2, &pit);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_CREATE_PIT2");
	return 0;
}

/* A prewarmed shell (lib/kvm/shell.h): all of the above but the slots,
 * in the order a shell can have it (irqchip first: by the time the shell
 * is taken, its grace period is over). */
static int machine_shell_build(int kvm_fd, int vm_fd,
			       const struct hv_shape *shape,
			       struct vm_error **errp)
{
	int r = machine_vm_early(vm_fd, errp);

	if (r == 0 && shape->irqchip)
		r = machine_vm_irqchip(kvm_fd, vm_fd, shape->pit, errp);
	return r;
}

static struct hv_shape machine_shape(uint32_t vcpus, int no_irqchip, int pit)
{
	return (struct hv_shape){ .vcpus = vcpus, .irqchip = !no_irqchip,
				  .pit = !no_irqchip && pit };
}

int machine_prewarm(uint32_t vcpus, int no_irqchip, int pit, unsigned count,
		    struct vm_error **errp)
{
	struct hv_shape shape = machine_shape(vcpus, no_irqchip, pit);

	if (no_irqchip && pit)
		return verr_set(errp, -EINVAL,
				"machine: a PIT needs the irqchip (VM_CONFIG_F_PIT with VM_CONFIG_F_NO_IRQCHIP)");
	return hv_shells_set(&shape, count, machine_shell_build, errp);
}

/* A VM of its own (@shell false) or a prewarmed shell's: slots, irqchip
 * and PIT. For a VM of its own, the order is chosen as described above. */
static int machine_vm_setup(struct machine *m, bool shell,
			    struct vm_error **errp)
{
	int r = shell ? 0 : machine_vm_early(m->hv.vm_fd, errp);

	if (r == 0)
		r = hv_map_gmem(&m->hv, &m->mem, errp); /* before the irqchip */
	if (r < 0)
		return r;
	if (m->cfg.no_irqchip)
		return 0; /* the sink stays at -ENODEV: no interrupts at all */
	if (!shell) {
		r = machine_vm_irqchip(m->hv.kvm_fd, m->hv.vm_fd, m->cfg.pit,
				       errp);
		if (r < 0)
			return r;
	}
	return hv_irq_init(&m->irq, &m->hv, errp);
}

static int machine_vcpu_setup(struct machine *m, struct hv_vcpu *v,
			      struct vm_error **errp)
{
	int bsp = v->index == 0;
	int r;

	r = x86_cpuid_set(&m->cpuid, v->fd, v->index, m->cfg.vcpus, errp);
	if (r < 0 || m->cfg.restore)
		return r; /* the rest comes from the snapshot */
	if (!m->cfg.no_irqchip) { /* no LAPIC without the irqchip */
		r = x86_vcpu_set_lint(v->fd, bsp, errp);
		if (r < 0)
			return r;
	}
	if (!bsp && m->boot.is_linux)
		return 0; /* waits for INIT/SIPI */
	r = x86_vcpu_set_fpu_msrs(v->fd, errp);
	if (r < 0)
		return r;
	r = x86_vcpu_set_long_mode(v->fd, &m->boot, errp);
	if (r < 0)
		return r;
	if (!bsp)
		r = x86_vcpu_set_runnable(v->fd, errp);
	return r;
}

int machine_realize(struct machine *m, struct vm_error **errp)
{
	struct x86_boot_config bc = {
		.kernel = m->cfg.kernel,
		.initrd = m->cfg.initrd,
		.cmdline = m->cfg.cmdline,
		.vcpus = m->cfg.vcpus,
	};
	struct x86_acpi_config ac = {
		.vcpus = m->cfg.vcpus,
		.pm_base = X86_ACPI_PM_BASE,
	};
	struct hv_shell *shell;
	struct hv_shape shape;
	uint32_t i;
	int r;

	if (m->realized)
		return verr_set(errp, -EBUSY, "machine: already realized");
	if (m->cfg.no_irqchip && m->cfg.pit)
		return verr_set(errp, -EINVAL,
				"machine: a PIT needs the irqchip (VM_CONFIG_F_PIT with VM_CONFIG_F_NO_IRQCHIP)");
	shape = machine_shape(m->cfg.vcpus, m->cfg.no_irqchip, m->cfg.pit);
	shell = hv_shell_take(&shape);
	m->from_shell = shell != NULL;
	r = shell ? hv_open_shell(&m->hv, shell, errp)
		  : hv_open(&m->hv, NULL, errp);
	if (r < 0)
		return r;
	if (m->cfg.vcpus > m->hv.max_vcpus) {
		r = verr_set(errp, -E2BIG,
			     "machine: %u vCPUs asked, this KVM supports at most %u",
			     m->cfg.vcpus, m->hv.max_vcpus);
		goto fail;
	}
	r = x86_cpuid_init(&m->cpuid, m->hv.kvm_fd, errp);
	if (r < 0)
		goto fail;
	r = machine_vm_setup(m, m->from_shell, errp);
	if (r < 0)
		goto fail;
	/* Restoring: RAM (tables and kernel included) comes from the
	 * snapshot (machine-snap.c). */
	if (m->cfg.vmgenid && !m->cfg.restore) {
		ac.vmgenid_gpa = X86_VMGENID_ADDR;
		ac.gpe0_base = X86_ACPI_GPE0_BASE;
	}
	r = m->cfg.restore ? 0 : x86_pc_pci_acpi(&m->pci, &ac, errp);
	if (r == 0 && !m->cfg.restore)
		r = x86_acpi_build(&m->mem, &ac, &bc.acpi_rsdp, errp);
	bc.gbpages = x86_cpuid_has_gbpages(&m->cpuid);
	if (r == 0 && !m->cfg.restore)
		r = x86_boot_load(&m->mem, &bc, &m->boot, errp);
	if (r == 0 && ac.vmgenid_gpa)
		r = x86_vmgenid_renew(&m->mem, ac.vmgenid_gpa, errp);
	if (r < 0)
		goto fail;
	m->vmgenid_gpa = ac.vmgenid_gpa;
	r = hv_vcpus_create(&m->vcpus, &m->hv, m->cfg.vcpus, errp);
	if (r < 0)
		goto fail;
	for (i = 0; i < m->vcpus.nr; i++) {
		r = machine_vcpu_setup(m, &m->vcpus.v[i], errp);
		if (r < 0) {
			verr_prefix(errp, "vCPU %u: ", i);
			goto fail;
		}
	}
	vlog_dbg(m->cfg.log, "vm",
		 "realized: %u vCPU(s), %llu MiB, entry 0x%llx, %s kernel%s%s",
		 m->cfg.vcpus, (unsigned long long)(m->mem.size >> 20),
		 (unsigned long long)m->boot.entry,
		 m->boot.is_linux ? "Linux" : "bare",
		 m->hv.is_pvm ? ", host KVM is PVM" : "",
		 shell ? ", on a prewarmed KVM VM" : "");
	m->realized = 1;
	return 0;
fail:
	hv_vcpus_destroy(&m->vcpus);
	x86_cpuid_fini(&m->cpuid);
	hv_irq_fini(&m->irq);
	hv_close(&m->hv);
	return r;
}

int machine_start(struct machine *m, struct vm_error **errp)
{
	int r;

	if (!m->realized)
		return verr_set(errp, -EINVAL, "machine: not realized");
	if (m->started)
		return verr_set(errp, -EBUSY, "machine: already started");
	/* A restored VM or a clone is a new generation: a new ID, and the
	 * guest told (GPE 0 -> SCI -> Notify) when it runs. */
	if (m->cfg.restore && m->vmgenid_gpa) {
		r = x86_vmgenid_renew(&m->mem, m->vmgenid_gpa, errp);
		if (r < 0)
			return r;
		x86_acpi_pm_gpe_raise(&m->pm, X86_VMGENID_GPE);
	}
	r = uart8250_start(&m->com1, errp);
	if (r < 0)
		return r;
	r = hv_vcpus_start(&m->vcpus, errp);
	m->started = 1; /* even on failure: threads that did start are joined */
	if (m->from_shell)
		hv_shells_refill(); /* behind this VM's start, not before it */
	return r;
}

void machine_stop(struct machine *m)
{
	if (m)
		hv_vcpus_stop(&m->vcpus);
}

int machine_pause(struct machine *m)
{
	int r;

	if (!m->started)
		return -EINVAL;
	r = hv_vcpus_pause(&m->vcpus);
	if (r == 0) /* a save of this pause has the clocks as they are now */
		hv_time_freeze(&m->vcpus);
	return r;
}

void machine_resume(struct machine *m)
{
	if (m->started) {
		hv_time_thaw(&m->vcpus);
		hv_vcpus_resume(&m->vcpus);
	}
}

int machine_wait(struct machine *m, struct vm_status *st, int timeout_ms)
{
	int r;

	if (!m->started)
		return -EINVAL;
	r = hv_vcpus_wait(&m->vcpus, st, timeout_ms);
	if (r == 0)
		uart8250_stop(&m->com1);
	return r;
}

void machine_detach_host(struct machine *m)
{
	uart8250_detach(&m->com1);
}

void machine_unrealize(struct machine *m)
{
	if (!m->realized)
		return;
	hv_vcpus_destroy(&m->vcpus); /* stops and joins if running */
	uart8250_stop(&m->com1);
	x86_cpuid_fini(&m->cpuid);
	hv_irq_fini(&m->irq);
	hv_close(&m->hv);
	m->realized = 0;
	m->started = 0;
}

void machine_free(struct machine *m)
{
	if (!m)
		return;
	machine_unrealize(m);
	uart8250_fini(&m->com1);
	rtc_fini(&m->rtc);
	i8042_fini(&m->kbc);
	x86_pc_pci_fini(&m->pci);
	x86_acpi_pm_fini(&m->pm);
	hv_vcpus_fini(&m->vcpus);
	iomap_fini(&m->mmio);
	iomap_fini(&m->pio);
	gmem_fini(&m->mem);
	free(m);
}
