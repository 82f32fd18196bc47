# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/pci/local.mk: PCI bus 0: host bridge and config mechanisms (bus.c),
# config space and capabilities (cfg.c), BARs (bar.c), MSI-X (msix.c).
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/pci/pci.h lib/pci/pci-internal.h \
	lib/pci/bus.c lib/pci/cfg.c lib/pci/bar.c lib/pci/msix.c \
	lib/pci/state.c
