# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/arch/x86/local.mk: the x86 PC (machine, CPUID/registers, platform
# devices). The loader and its tables are in boot.mk.
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/arch/x86/machine.c lib/arch/x86/machine.h \
	lib/arch/x86/machine-internal.h lib/arch/x86/machine-snap.c \
	lib/arch/x86/cpu.h lib/arch/x86/cpuid.c lib/arch/x86/regs.c \
	lib/arch/x86/uart8250.c lib/arch/x86/uart8250.h \
	lib/arch/x86/rtc.c lib/arch/x86/rtc.h \
	lib/arch/x86/i8042.c lib/arch/x86/i8042-state.c lib/arch/x86/pc-ports.c lib/arch/x86/pc-ports.h \
	lib/arch/x86/pc-pci.c lib/arch/x86/pc-pci.h
