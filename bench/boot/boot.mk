# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/boot/boot.mk: stock Debian cloud kernel, process start -> the L2
# initramfs's "@@INIT@@" marker, and the VMM's own RSS at that moment:
# ours (examples/vm-run.c) vs QEMU -M pc vs QEMU -M microvm.
#
#   make bench-boot [BENCH_BOOT_RUNS=7] [KIT_CACHE=DIR]
#     (KIT_CACHE, also from the environment, defaults to .cache/kit as
#     for the system tests)
#
# bench/boot/vm-run is examples/vm-run.c linked with the convenience
# library and, like the first-exit programs, -all-static (not with
# --enable-sanitizers): a plain binary that can be copied into the nested
# L1 as it is.  boot-timer is the fork/exec + console-marker + smaps timer.
BENCH_BOOT = bench/boot
if ENABLE_SANITIZERS
BENCH_BOOT_STATIC =
else
BENCH_BOOT_STATIC = -all-static
endif
noinst_PROGRAMS += bench/boot/vm-run bench/boot/boot-timer

bench_boot_vm_run_SOURCES = examples/vm-run.c
bench_boot_vm_run_CFLAGS = $(AM_CFLAGS)
bench_boot_vm_run_LDADD = lib/libkvm-virtio-internal.la
bench_boot_vm_run_LDFLAGS = $(AM_LDFLAGS) $(BENCH_BOOT_STATIC)

bench_boot_boot_timer_SOURCES = bench/boot/boot-timer.c
bench_boot_boot_timer_CFLAGS = $(AM_CFLAGS)
bench_boot_boot_timer_LDFLAGS = $(AM_LDFLAGS) $(BENCH_BOOT_STATIC)

BENCH_BOOT_RUNS = 7
bench-boot: $(BENCH_BOOT)/vm-run$(EXEEXT) $(BENCH_BOOT)/boot-timer$(EXEEXT)
	$(SHELL) $(srcdir)/$(BENCH_BOOT)/run.sh --bindir $(BENCH_BOOT) \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--runs $(BENCH_BOOT_RUNS) \
	--systemdir $(top_srcdir)/tests/system
.PHONY: bench-boot

EXTRA_DIST += $(BENCH_BOOT)/run.sh $(BENCH_BOOT)/README.md bench/stats.sh
bench: bench-boot
