# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/kvm/local.mk: the KVM layer: range maps, guest RAM, VM fd, vCPU
# threads, interrupt sink, eventfd/ioeventfd/irqfd.
lib_libkvm_virtio_internal_la_SOURCES += \
	lib/kvm/iomap.c lib/kvm/iomap.h \
	lib/kvm/mem.c lib/kvm/mem.h \
	lib/kvm/hv.c lib/kvm/hv.h \
	lib/kvm/vcpu.c lib/kvm/vcpu.h \
	lib/kvm/irq.c lib/kvm/irq.h \
	lib/kvm/eventfd.c lib/kvm/eventfd.h \
	lib/kvm/release.c lib/kvm/release.h \
	lib/kvm/shell.c lib/kvm/shell.h \
	lib/kvm/vcpu-state.c lib/kvm/vm-state.c lib/kvm/mem-state.c
