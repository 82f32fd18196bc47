# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/snapshot/local.mk: the snapshot format (records, CRC32C).
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/snapshot/format.c lib/snapshot/format.h \
	lib/snapshot/crc32c.c lib/snapshot/source.h \
	lib/snapshot/vm-snapshot.c lib/snapshot/vm-clone.c \
	lib/snapshot/devices.c
