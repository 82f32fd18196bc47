# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/local.mk: benchmarks.  They never assert times: each prints ratios
# against a peer measured in the same run, last line "RESULT <name> ...".
#
#   make bench-first-exit [BENCH_RUNS=21] [KIT_CACHE=DIR]
#     (KIT_CACHE, also from the environment, defaults to .cache/kit as
#     for the system tests)
#     process start -> first guest exit of a trivial guest, and peak RSS:
#     floor (bare KVM program) vs ours (public API) vs QEMU microvm.
#     Runs here where KVM runs the tiny guest (hardware or PVM), else
#     inside a nested L1 (tests/system/kvm-path.sh --guest tiny).
#
#   make bench-churn [BENCH_CHURN_ITERS=300] [BENCH_CHURN_ROUNDS=7]
#     VMs per second on one core: create/start/wait/destroy loops, bare
#     KVM vs ours (tiny guest) vs ours with a virtio-net-pci.
#
#   make bench-clone [BENCH_CLONES=100] [BENCH_RUNS=21]
#     a paused template (tests/guests/tick.elf) cloned BENCH_CLONES times:
#     call -> first guest byte and -> first line after resuming, p50/p99,
#     RSS per live clone; against vm_restore() from a file and a cold
#     vm_create()+vm_start() of the same guest, in the same run. Runs
#     where KVM runs the tiny guest (direct); prints SKIP otherwise.
#
#   make bench-clone-linux [BENCH_LINUX_CLONES=30] [BENCH_LINUX_RUNS=3]
#     the same with a stock Linux template booted to userspace (eth0 up
#     on the virtio-net-pci): clone vs restore vs a cold boot to the same
#     marker; on the host when its KVM boots Linux, else nested.
#
# floor, ours and timeit are linked -all-static (except with
# --enable-sanitizers): plain binaries (no libtool wrapper, no ld.so) that
# start alike and can be copied into L1 as they are.
# ours links the convenience library like the unit tests do (statically);
# the shared-library variant is ours-shared (libtool wrapper; run
# bench/first-exit/.libs/ours-shared with LD_LIBRARY_PATH=lib/.libs).
BENCH_FE = bench/first-exit
# Sanitizer runtimes cannot be linked statically: dynamic then.
if ENABLE_SANITIZERS
BENCH_STATIC =
else
BENCH_STATIC = -all-static
endif
noinst_PROGRAMS += bench/first-exit/floor bench/first-exit/ours \
	bench/first-exit/timeit bench/first-exit/ours-shared bench/churn/churn \
	bench/clone/clone

bench_first_exit_floor_SOURCES = bench/first-exit/floor.c
bench_first_exit_floor_CFLAGS = $(AM_CFLAGS)
bench_first_exit_floor_LDFLAGS = $(AM_LDFLAGS) $(BENCH_STATIC)

bench_first_exit_timeit_SOURCES = bench/first-exit/timeit.c
bench_first_exit_timeit_CFLAGS = $(AM_CFLAGS)
bench_first_exit_timeit_LDFLAGS = $(AM_LDFLAGS) $(BENCH_STATIC)

bench_first_exit_ours_SOURCES = bench/first-exit/ours.c
bench_first_exit_ours_CFLAGS = $(AM_CFLAGS)
bench_first_exit_ours_LDADD = lib/libkvm-virtio-internal.la
bench_first_exit_ours_LDFLAGS = $(AM_LDFLAGS) $(BENCH_STATIC)

bench_first_exit_ours_shared_SOURCES = bench/first-exit/ours.c
bench_first_exit_ours_shared_CFLAGS = $(AM_CFLAGS)
bench_first_exit_ours_shared_LDADD = lib/libkvm-virtio.la

# The two guests: flat 64 KiB BIOS image for QEMU microvm, ELF64 for ours.
# Built with the project's compiler and linker but none of its flags.
BENCH_FE_GUESTS = $(BENCH_FE)/tiny.bin $(BENCH_FE)/exit-guest
$(BENCH_FE)/tiny.bin: $(srcdir)/$(BENCH_FE)/tiny.S $(srcdir)/$(BENCH_FE)/tiny.ld
	$(AM_V_GEN)$(MKDIR_P) $(BENCH_FE) && $(CC) -nostdlib -static \
	-Wl,--build-id=none -Wl,-T,$(srcdir)/$(BENCH_FE)/tiny.ld -o $@ \
	$(srcdir)/$(BENCH_FE)/tiny.S
$(BENCH_FE)/exit-guest: $(srcdir)/$(BENCH_FE)/exit-guest.S \
		$(srcdir)/$(BENCH_FE)/exit-guest.ld
	$(AM_V_GEN)$(MKDIR_P) $(BENCH_FE) && $(CC) -nostdlib -static \
	-Wl,--build-id=none -Wl,-T,$(srcdir)/$(BENCH_FE)/exit-guest.ld -o $@ \
	$(srcdir)/$(BENCH_FE)/exit-guest.S

bench_churn_churn_SOURCES = bench/churn/churn.c
bench_churn_churn_CFLAGS = $(AM_CFLAGS)
bench_churn_churn_LDADD = lib/libkvm-virtio-internal.la
bench_churn_churn_LDFLAGS = $(AM_LDFLAGS) $(BENCH_STATIC)

bench_clone_clone_SOURCES = bench/clone/clone.c
bench_clone_clone_CFLAGS = $(AM_CFLAGS)
bench_clone_clone_LDADD = lib/libkvm-virtio-internal.la
bench_clone_clone_LDFLAGS = $(AM_LDFLAGS) $(BENCH_STATIC)

BENCH_RUNS = 21
bench-first-exit: $(BENCH_FE)/floor$(EXEEXT) $(BENCH_FE)/ours$(EXEEXT) \
		$(BENCH_FE)/timeit$(EXEEXT) $(BENCH_FE_GUESTS)
	$(SHELL) $(srcdir)/$(BENCH_FE)/run.sh --bindir $(BENCH_FE) \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--runs $(BENCH_RUNS) \
	--systemdir $(top_srcdir)/tests/system
# make bench-churn [BENCH_CHURN_ITERS=300] [BENCH_CHURN_ROUNDS=7]
BENCH_CHURN_ITERS = 300
BENCH_CHURN_ROUNDS = 7
bench-churn: bench/churn/churn$(EXEEXT) $(BENCH_FE)/exit-guest
	$(SHELL) $(srcdir)/bench/churn/run.sh --bindir bench/churn \
	--guest $(BENCH_FE)/exit-guest \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--iters $(BENCH_CHURN_ITERS) --rounds $(BENCH_CHURN_ROUNDS) \
	--systemdir $(top_srcdir)/tests/system
BENCH_CLONES = 100
bench-clone: bench/clone/clone$(EXEEXT) tests/guests/tick.elf
	bench/clone/clone tests/guests/tick.elf $(BENCH_CLONES) $(BENCH_RUNS)
bench: bench-first-exit bench-churn bench-clone
.PHONY: bench bench-first-exit bench-churn bench-clone
BENCH_LINUX_CLONES = 30
BENCH_LINUX_RUNS = 3
bench-clone-linux: bench/clone/clone$(EXEEXT)
	$(SHELL) $(srcdir)/bench/clone/run.sh --bindir bench/clone \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--iters $(BENCH_LINUX_CLONES) --runs $(BENCH_LINUX_RUNS) \
	--systemdir $(top_srcdir)/tests/system --srcdir $(top_srcdir)
.PHONY: bench-clone-linux
EXTRA_DIST += bench/clone/run.sh bench/clone/linux-tick.sh

CLEANFILES += $(BENCH_FE_GUESTS)
EXTRA_DIST += $(BENCH_FE)/run.sh $(BENCH_FE)/tiny.S $(BENCH_FE)/tiny.ld \
	$(BENCH_FE)/exit-guest.S $(BENCH_FE)/exit-guest.ld bench/README.md \
	bench/churn/run.sh

# make bench-sandbox-run [BENCH_SANDBOX_RUNS=11] [KIT_CACHE=DIR]
#   examples/sandbox-run's request cycle (create, boot, `true`, status,
#   destroy) against QEMU -M pc doing the same with the same kernel and
#   initramfs, interleaved; nested where KVM cannot run stock guests.
BENCH_SANDBOX_RUNS = 11
bench-sandbox-run: examples/sandbox-run$(EXEEXT) bench/boot/boot-timer$(EXEEXT)
	mkdir -p bench/sandbox-run && cp examples/sandbox-run \
	bench/boot/boot-timer bench/sandbox-run/
	$(SHELL) $(srcdir)/bench/sandbox-run/run.sh --bindir bench/sandbox-run \
	--cache "$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}" \
	--runs $(BENCH_SANDBOX_RUNS) --systemdir $(top_srcdir)/tests/system \
	--srcdir $(top_srcdir)
.PHONY: bench-sandbox-run
EXTRA_DIST += bench/sandbox-run/run.sh
bench: bench-sandbox-run
CLEANFILES += bench/sandbox-run/sandbox-run bench/sandbox-run/boot-timer
