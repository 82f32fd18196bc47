# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/guests/local.mk: small freestanding ELF64 test guests, built with the
# project's compiler but none of its flags (no sanitizers, no libc, no PIE):
# linked at 1 MiB (guest.ld), entered in long mode by lib/arch/x86/boot.c.
# Explicit rules rather than pattern rules keep automake's portability
# checks quiet.
GUEST_CC_FLAGS = -std=gnu11 -O2 -g0 -Wall -Wextra -ffreestanding \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mno-sse -mno-mmx \
	-mno-80387 -fno-asynchronous-unwind-tables -fcf-protection=none
GUEST_LD_FLAGS = -nostdlib -static -Wl,-T,$(srcdir)/tests/guests/guest.ld \
	-Wl,--build-id=none
GUEST_DEPS = $(srcdir)/tests/guests/guest.ld $(srcdir)/tests/guests/start.S \
	$(srcdir)/tests/guests/guest.h
GUEST_LINK = $(AM_V_GEN)$(MKDIR_P) tests/guests && \
	$(CC) $(GUEST_CC_FLAGS) $(GUEST_LD_FLAGS) -o $@ \
	$(srcdir)/tests/guests/start.S

GUEST_ELFS = tests/guests/hello.elf tests/guests/spin.elf \
	tests/guests/triple-fault.elf tests/guests/smp.elf \
	tests/guests/high-mem.elf tests/guests/uart-irq.elf \
	tests/guests/flood.elf tests/guests/exit.elf tests/guests/halt.elf \
	tests/guests/count.elf tests/guests/tick.elf tests/guests/net-echo.elf

tests/guests/hello.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/hello.c
	$(GUEST_LINK) $(srcdir)/tests/guests/hello.c
tests/guests/spin.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/spin.c
	$(GUEST_LINK) $(srcdir)/tests/guests/spin.c
tests/guests/triple-fault.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/triple-fault.c
	$(GUEST_LINK) $(srcdir)/tests/guests/triple-fault.c
tests/guests/smp.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/smp.c
	$(GUEST_LINK) $(srcdir)/tests/guests/smp.c
tests/guests/high-mem.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/high-mem.c
	$(GUEST_LINK) $(srcdir)/tests/guests/high-mem.c
tests/guests/uart-irq.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/uart-irq.c
	$(GUEST_LINK) $(srcdir)/tests/guests/uart-irq.c

tests/guests/flood.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/flood.c
	$(GUEST_LINK) $(srcdir)/tests/guests/flood.c

tests/guests/exit.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/exit.c
	$(GUEST_LINK) $(srcdir)/tests/guests/exit.c
tests/guests/halt.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/halt.c
	$(GUEST_LINK) $(srcdir)/tests/guests/halt.c

tests/guests/count.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/count.c
	$(GUEST_LINK) $(srcdir)/tests/guests/count.c

tests/guests/tick.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/tick.c
	$(GUEST_LINK) $(srcdir)/tests/guests/tick.c

tests/guests/net-echo.elf: $(GUEST_DEPS) $(srcdir)/tests/guests/net-echo.c
	$(GUEST_LINK) $(srcdir)/tests/guests/net-echo.c

check_SCRIPTS += $(GUEST_ELFS)
CLEANFILES += $(GUEST_ELFS)
EXTRA_DIST += $(GUEST_DEPS) tests/guests/hello.c tests/guests/spin.c \
	tests/guests/triple-fault.c tests/guests/smp.c tests/guests/high-mem.c \
	tests/guests/uart-irq.c tests/guests/flood.c tests/guests/exit.c \
	tests/guests/halt.c tests/guests/count.c tests/guests/tick.c \
	tests/guests/net-echo.c
