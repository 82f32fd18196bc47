# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/arch/x86/boot.mk: kernel loading (bzImage, ELF64), e820, ACPI tables
# (with the AML emitter) and the ACPI PM1a / reset-register PIO device.
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/arch/x86/boot.c lib/arch/x86/boot.h \
	lib/arch/x86/e820.c lib/arch/x86/e820.h \
	lib/arch/x86/acpi.c lib/arch/x86/acpi.h \
	lib/arch/x86/acpi-aml.c lib/arch/x86/acpi-aml.h \
	lib/arch/x86/acpi-pm.c lib/arch/x86/acpi-pm.h \
	lib/arch/x86/vmgenid.c lib/arch/x86/vmgenid.h
