# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/python/local.mk: the Python binding tests, one TAP test
# (run-pytest.sh) that runs pytest on the build tree's library.
if ENABLE_TESTS
TESTS += tests/python/run-pytest.sh
endif
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; export PYTHON;
EXTRA_DIST += tests/python/run-pytest.sh tests/python/conftest.py \
	tests/python/test_errors.py tests/python/test_guest.py \
	tests/python/test_types.py tests/python/boot-linux.py
