#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/test.sh: everything CI checks, from a fresh clone on Debian 12:
#   1. gcc, -Werror: build, `make distcheck` (unit, install and system
#      tests from the tarball);
#   2. clang, -Werror: build and all tests;
#   3. gcc with ASan+UBSan: unit and system tests (leaks fail the tests);
#   4. clang --enable-fuzzing: every CI libFuzzer target (tests/fuzz) runs
#      for $FUZZ_SECONDS (default 30) on its seed corpus, as automake
#      tests (a crash fails one); about 3 minutes on 2 cores.
# System tests boot guests under KVM: directly on a hardware-KVM host,
# else inside a nested L1 (see tests/system/README.md). Prints a summary line
# "N passed, N failed, N skipped" at the end, summed over the four
# builds (the first three run every test, the fourth the fuzz targets).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/deps.sh"
[ -x configure ] || ./autogen.sh >/dev/null

export KIT_CACHE="${KIT_CACHE:-$top/.cache/kit}"   # guest kernels, shared by all builds
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

check() { # name target [make args]: runs the tests, keeps the summary
	name=$1
	target=$2
	shift 2
	dir="$top/build/$name"
	echo "=== $name: make $target"
	if ! make -C "$dir" -j"$jobs" "$target" "$@" 2>&1 | tee "$logs/$name.out"; then
		status=1
	fi
	# make's status is lost in the pipe: the summary lines decide.
	if ! grep -q '^# TOTAL:' "$logs/$name.out" ||
	   grep -q -E '^# (FAIL|ERROR): +[1-9]' "$logs/$name.out" ||
	   grep -q -E '^make(\[[0-9]+\])?: \*\*\*' "$logs/$name.out"; then
		status=1
		find "$dir" -name test-suite.log -exec cat {} \; | tail -n 200
	fi
}

sum() { # field: adds up "# FIELD: N" over every build's summary
	cat "$logs"/*.out 2>/dev/null | awk -v f="# $1:" '
		index($0, f) == 1 { n += $NF } END { print n + 0 }'
}

if build gcc CC=gcc; then
	check gcc distcheck DISTCHECK_CONFIGURE_FLAGS="--enable-werror CC=gcc"
else status=1; fi

# test-linux's nested traffic tests (minutes of a hot L1 each, and L1s
# wedge now and then: tests/system/README.md) run in the gcc build only.
if build clang CC=clang; then
	TEST_LINUX_NET=0 check clang check
else status=1; fi

if build asan CC=gcc --enable-sanitizers; then
	TEST_LINUX_NET=0 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 check asan check
else status=1; fi

# --disable-tests: fuzz-check runs only the fuzz targets, so the unit and
# system test programs need not be built a fourth time.
if build fuzz CC=clang --enable-fuzzing --disable-tests; then
	check fuzz fuzz-check FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
else status=1; fi

pass=$(sum PASS)
fail=$(( $(sum FAIL) + $(sum ERROR) + $(sum XPASS) ))
skip=$(sum SKIP)
echo "=== per build: $(grep -H '^# TOTAL:' "$logs"/*.out | sed 's|.*/||; s|\.out:# TOTAL:| |' | tr '\n' ' ')"
echo "=== skipped tests and why:"
if grep -q '^SKIP:' "$logs"/*.out 2>/dev/null; then
	grep -h '^SKIP:' "$logs"/*.out | sort | uniq -c
else
	echo "  none"
fi
[ "$fail" -eq 0 ] || status=1
echo "test: $pass passed, $fail failed, $skip skipped"
exit $status
