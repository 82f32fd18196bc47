# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/stats.sh: the statistics both benchmarks print, sourced by
# bench/*/run.sh (POSIX sh, busybox awk: it also runs inside the nested L1).
# Sample files hold one run per line, space-separated columns.

# median FILE COL: median of column COL, rounded; na if FILE is empty.
median() {
    if [ ! -s "$1" ]; then echo na; return; fi
    cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 }
        END { if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2
              printf "%.0f\n", m }'
}

# minmax FILE COL DIV [FMT]: "min-max" of column COL divided by DIV.
minmax() {
    if [ ! -s "$1" ]; then echo "-"; return; fi
    cut -d' ' -f"$2" "$1" | sort -n | awk -v d="$3" -v f="${4:-%.2f}" '{ a[NR] = $1 }
        END { printf f "-" f, a[1] / d, a[NR] / d }'
}

# ratio A B: A / B with two decimals, or na.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "na" || b == "na" || b == 0) print "na"; else printf "%.2f", a / b }'; }
