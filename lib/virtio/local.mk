# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/virtio/local.mk: the virtio core (vio_), the split virtqueue (vq_) and
# the virtio-pci modern transport.
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/virtio/virtio.h lib/virtio/core.c \
	lib/virtio/split-queue.h lib/virtio/split-queue.c \
	lib/virtio/state.c
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/virtio/pci-modern.h lib/virtio/pci-modern.c lib/virtio/pci-state.c
