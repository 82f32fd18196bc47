# tests/unit/local.mk: unit tests of the core, net and device layers.
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-core tests/unit/test-props tests/unit/test-tap
TESTS += tests/unit/test-core tests/unit/test-props tests/unit/test-tap
endif
tests_unit_test_core_SOURCES = tests/unit/test-core.c tests/unit/vm-fixture.h
tests_unit_test_core_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_core_LDADD = $(TEST_LIBS)
tests_unit_test_props_SOURCES = tests/unit/test-props.c
tests_unit_test_props_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_props_LDADD = $(TEST_LIBS)
tests_unit_test_tap_SOURCES = tests/unit/test-tap.c
tests_unit_test_tap_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tap_LDADD = $(TEST_LIBS)

# The installed library, seen from outside through pkg-config.
TESTS += tests/install/test-install.sh
EXTRA_DIST += tests/install/test-install.sh examples/embed.c
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)' \
	top_srcdir='$(abs_top_srcdir)' MAKE='$(MAKE)' CC='$(CC)' \
	LDFLAGS_EXTRA='$(LDFLAGS)' KIT_CACHE="$${KIT_CACHE:-$(abs_top_builddir)/.cache/kit}"; \
	export top_builddir top_srcdir MAKE CC LDFLAGS_EXTRA KIT_CACHE;
EXTRA_DIST += tests/unit/check-main.h

# The "stream" netdev (QEMU's -netdev stream framing) against sockets.
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-stream
TESTS += tests/unit/test-stream
endif
tests_unit_test_stream_SOURCES = tests/unit/test-stream.c
tests_unit_test_stream_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_stream_LDADD = $(TEST_LIBS)
