# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/stats.sh: what the bench/*/run.sh scripts share, sourced by them
# (POSIX sh, busybox awk: it also runs inside the nested L1): their option
# parser and the statistics they print.
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

# bench_opts "$@": the options of bench/*/run.sh, each setting the
# variable it names (the script gives the defaults and its own usage(),
# which an unknown option calls). A script ignores what it does not use.
bench_opts() {
    while [ $# -gt 0 ]; do
        case $1 in
            --bindir)    BINDIR=${2:?}; shift 2 ;;
            --runs)      RUNS=${2:?}; shift 2 ;;
            --seconds)   SECS=${2:?}; shift 2 ;;
            --cache)     CACHE=${2:?}; shift 2 ;;
            --systemdir) SYSTEMDIR=${2:?}; shift 2 ;;
            --srcdir)    SRCDIR=${2:?}; shift 2 ;;
            --qemu)      QEMU=${2:?}; shift 2 ;;
            --smp)       SMP=${2:?}; shift 2 ;;
            --guest)     GUEST=${2:?}; shift 2 ;;
            --iters)     ITERS=${2:?}; shift 2 ;;
            --rounds)    ROUNDS=${2:?}; shift 2 ;;
            --cpu)       CPU=${2:?}; shift 2 ;;
            --backend)   BACKEND=${2:?}; shift 2 ;;
            --inner)     INNER=1; shift ;;
            --kernel)    KERNEL=${2:?}; shift 2 ;;
            --initrd)    INITRD=${2:?}; shift 2 ;;
            *)           usage ;;
        esac
    done
}

# bench_path [kvm-path.sh args]: where this benchmark runs, as
# tests/system/kvm-path.sh decides (needs $SYSTEMDIR and the script's
# say()): sets $path to direct or nested, and says why; no KVM: exit 77.
bench_path() {
    decision=$("$SYSTEMDIR/kvm-path.sh" --reason "$@") || exit 2
    path=${decision%% *}
    say "path=$path ${decision#* }"
    case $path in none) say "SKIP: no KVM"; exit 77 ;; esac
}
