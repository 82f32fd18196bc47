#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/python/run-pytest.sh: run the Python binding tests (pytest, from
# Debian's python3-pytest) against the library of this build tree, as one
# TAP test for automake: one TAP line per pytest test (conftest.py writes
# them), so each test is a PASS, FAIL or SKIP (with its reason) in the
# summary. The whole run is a SKIP, saying why, only when no Python with
# pytest is found.
#
# The interpreter: $PYTHON (configure's) if it imports pytest, else
# python3, else /usr/bin/python3 (Debian's, where python3-pytest lives).
# The package is imported from the source tree; the library is the build
# tree's (KVM_VIRTIO_BUILDDIR, see bindings/python/kvm_virtio/_lib.py).
#
# Sanitizer builds (--enable-sanitizers): the library needs the ASan
# runtime loaded first, which python is not built with. The runtime the
# library was linked against is LD_PRELOADed (found with ldd), and leak
# detection is turned off for the python process only: CPython keeps
# allocations until exit that LeakSanitizer would report as leaks. The
# library's own leaks are checked by the C tests of the same build, which
# keep detect_leaks as scripts/test.sh sets it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
so=$top_builddir/lib/.libs/libkvm-virtio.so.0

py=''
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
	[ -n "$cand" ] && [ "$cand" != : ] || continue
	if "$cand" -c 'import pytest' >/dev/null 2>&1; then
		py=$cand
		break
	fi
done
if [ -z "$py" ]; then
	echo "1..0 # SKIP no python3 with pytest (Debian python3-pytest; scripts/deps.sh installs it)"
	exit 0
fi
if [ ! -e "$so" ]; then
	echo "1..1"
	echo "not ok 1 $so not built"
	exit 0
fi

preload=''
if nm -D --undefined-only "$so" 2>/dev/null | grep -q ' __asan_init'; then
	preload=$(ldd "$so" | awk '/libasan\.so/ { print $3; exit }')
	if [ -z "$preload" ] || [ ! -e "$preload" ]; then
		echo "1..0 # SKIP sanitizer build: cannot find the ASan runtime the library needs, to preload it into python"
		exit 0
	fi
	echo "# sanitizer build: LD_PRELOAD=$preload, detect_leaks=0 for python"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])') -m pytest $top_srcdir/tests/python"
rc=0
env ${preload:+LD_PRELOAD="$preload"} \
	PYTHONPATH="$top_srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
	PYTHONDONTWRITEBYTECODE=1 \
	KVM_VIRTIO_BUILDDIR="$top_builddir" \
	KVM_VIRTIO_GUEST_DIR="$top_builddir/tests/guests" \
	KVM_VIRTIO_TAP="$tmp/tap" \
	"$py" -m pytest -p no:cacheprovider -rs -v "$top_srcdir/tests/python" \
	>"$tmp/log" 2>&1 || rc=$?
sed 's/^/# /' "$tmp/log"
touch "$tmp/tap"
cat "$tmp/tap"
n=$(grep -c -E '^(ok|not ok) ' "$tmp/tap")
# 0: all passed, 1: some failed (their "not ok" lines are above); anything
# else (internal error, usage, no tests collected) is a failure of its own.
case $rc in
	0|1) ;;
	*) n=$((n + 1)); echo "not ok $n pytest exited with status $rc" ;;
esac
if [ "$n" -eq 0 ]; then
	n=1
	echo "not ok 1 pytest ran no test"
fi
echo "1..$n"
exit 0
