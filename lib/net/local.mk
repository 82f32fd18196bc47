lib_libkvm_virtio_internal_la_SOURCES += \
	lib/net/netdev.c lib/net/netdev.h lib/net/backends.h \
	lib/net/host.c lib/net/null.c lib/net/stream.c lib/net/stream.h \
	lib/net/stream-reconnect.c lib/net/tap.c \
	lib/net/vhost-user.c lib/net/vhost-user.h lib/net/vhost-user-rings.c \
	lib/net/vhost-user-monitor.c \
	lib/net/vhost-user-proto.c lib/net/vhost-user-proto.h
