# tests/unit/local.mk: unit tests of the core, net and device layers.
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-core tests/unit/test-props
TESTS += tests/unit/test-core tests/unit/test-props
endif
tests_unit_test_core_SOURCES = tests/unit/test-core.c
tests_unit_test_core_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_core_LDADD = $(TEST_LIBS)
tests_unit_test_props_SOURCES = tests/unit/test-props.c
tests_unit_test_props_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_props_LDADD = $(TEST_LIBS)
