# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/unit/boot.mk: x86 kernel loader and e820 (test-boot); ACPI tables,
# AML emitter and the ACPI PM / reset registers (test-acpi).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-boot tests/unit/test-acpi
TESTS += tests/unit/test-boot tests/unit/test-acpi
tests_unit_test_boot_SOURCES = tests/unit/test-boot.c
tests_unit_test_boot_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_boot_LDADD = $(TEST_LIBS)
tests_unit_test_acpi_SOURCES = tests/unit/test-acpi.c
tests_unit_test_acpi_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_acpi_LDADD = $(TEST_LIBS)
endif
