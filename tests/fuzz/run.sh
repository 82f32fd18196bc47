#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/fuzz/run.sh: run one libFuzzer target as an automake test (TAP):
#   run.sh tests/fuzz/NAME.fuzz
# fuzzes for $FUZZ_SECONDS (default 30) starting from the seeds in
# $top_srcdir/tests/fuzz/corpus/NAME; inputs that find new coverage go to
# $top_builddir/tests/fuzz/NAME.corpus (kept between runs, so `make fuzz`
# campaigns build on each other; the seed corpus in the tree is never
# written). A crash, leak, timeout or out-of-memory is a failed test; the
# input is saved as tests/fuzz/NAME-crash-<sha1> (or -leak-, ...) in the
# build tree and the report is shown. Reproduce with
#   tests/fuzz/NAME.fuzz tests/fuzz/NAME-crash-<sha1>
set -u
prog=$1
name=$(basename "$prog" .fuzz)
: "${top_srcdir:=.}" "${top_builddir:=.}" "${FUZZ_SECONDS:=30}"
seeds="$top_srcdir/tests/fuzz/corpus/$name"
work="$top_builddir/tests/fuzz/$name.corpus"
log="$top_builddir/tests/fuzz/$name.fuzzer-log"
mkdir -p "$work"
echo "1..1"
# Per-target limits: the loader reads whole kernel headers and program
# header tables, the others take short operation streams.
case $name in
loader) max_len=16384 ;;
*) max_len=4096 ;;
esac
# -rss_limit_mb: every target keeps its state bounded; more is a leak.
# -timeout: one input taking 10 s is a hang worth reporting.
"$prog" -max_total_time="$FUZZ_SECONDS" -max_len="$max_len" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$top_builddir/tests/fuzz/$name-" \
	"$work" "$seeds" >"$log" 2>&1
rc=$?
# libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/..." (or the
# last pulse before a crash).
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
summary="$name: ${execs:-?} execs in ${FUZZ_SECONDS} s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - $summary"
	exit 0
fi
tail -n 60 "$log" | sed 's/^/# /'
echo "not ok 1 - $summary: fuzzer exited $rc (full log: $log)"
exit 1
