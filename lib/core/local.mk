lib_libkvm_virtio_internal_la_SOURCES += \
	lib/core/compiler.h \
	lib/core/error.c lib/core/error.h \
	lib/core/log.c lib/core/log.h \
	lib/core/type.c lib/core/type.h \
	lib/core/obj.c lib/core/obj.h \
	lib/core/prop.c lib/core/prop.h \
	lib/core/privilege.c lib/core/privilege.h \
	lib/core/props-parse.c \
	lib/core/version.c \
	lib/vm.c lib/vm.h lib/types.c \
	lib/realize.c lib/realize.h \
	lib/pause.c
