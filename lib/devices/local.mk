lib_libkvm_virtio_internal_la_SOURCES += \
	lib/devices/device.c lib/devices/device.h \
	lib/devices/virtio-net.c lib/devices/virtio-net.h \
	lib/devices/virtio-net-io.c lib/devices/virtio-net-pause.c \
	lib/devices/virtio-net-state.c lib/devices/virtio-net-vhost.c \
	lib/devices/virtio-net-vhost-stats.c \
	lib/devices/net-api.c \
	lib/devices/virtio-net-pci.c
