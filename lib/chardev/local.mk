lib_libkvm_virtio_internal_la_SOURCES += \
	lib/chardev/chardev.h lib/chardev/socket.c
