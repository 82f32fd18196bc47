#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/test.sh: everything CI checks, from a fresh clone on Debian 12:
#   1. gcc, -Werror: build, `make distcheck` (unit, install and system
#      tests from the tarball);
#   2. clang, -Werror: build and all tests;
#   3. gcc with ASan+UBSan: unit and system tests (leaks fail the tests).
# System tests boot guests under KVM: directly on a hardware-KVM host,
# else inside a nested L1 (see tests/system/README). Prints a summary line
# "N passed, N failed, N skipped" at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/deps.sh"
[ -x configure ] || ./autogen.sh >/dev/null

export KIT_CACHE="$top/.cache/kit"   # guest kernels, shared by all builds
jobs=$(nproc)
logs="$top/.cache/test-logs"
rm -rf "$logs"
mkdir -p "$logs" "$KIT_CACHE"
status=0

build() { # name configure-args...
	name=$1
	shift
	dir="$top/build/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "=== $name: configure $*"
	(cd "$dir" && "$top/configure" -q --enable-werror "$@" >/dev/null) || return 1
	echo "=== $name: make"
	make -C "$dir" -j"$jobs" -s >/dev/null || return 1
}

collect() { # name dir
	for f in $(find "$2" -name '*.trs' 2>/dev/null); do
		cp "$f" "$logs/$1-$(echo "${f#$2/}" | tr / _)"
	done
}

check() { # name target [make args]
	name=$1
	target=$2
	shift 2
	dir="$top/build/$name"
	echo "=== $name: make $target"
	if ! make -C "$dir" -j"$jobs" "$target" "$@"; then
		status=1
		find "$dir" -name test-suite.log -exec cat {} \; | tail -n 200
	fi
}

if build gcc CC=gcc; then
	check gcc distcheck DISTCHECK_CONFIGURE_FLAGS="--enable-werror CC=gcc"
	collect gcc "$top/build/gcc"
else status=1; fi

if build clang CC=clang; then
	check clang check
	collect clang "$top/build/clang"
else status=1; fi

if build asan CC=gcc --enable-sanitizers; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 check asan check
	collect asan "$top/build/asan"
else status=1; fi

pass=$(cat "$logs"/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
fail=$(cat "$logs"/*.trs 2>/dev/null | grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' || true)
skip=$(cat "$logs"/*.trs 2>/dev/null | grep -c '^:test-result: SKIP' || true)
echo "=== skipped tests and why:"
grep -l '^:test-result: SKIP' "$logs"/*.trs 2>/dev/null | while read -r t; do
	echo "  ${t##*/}"
done
[ "$fail" -eq 0 ] || status=1
echo "test: $pass passed, $fail failed, $skip skipped"
exit $status
