#!/bin/bash
# l1-run.sh: run a command inside an "L1" Linux that has a real /dev/kvm.
#
#   l1-run.sh --cache DIR [--payload DIR]... [--mirror DIR]... [--file SRC:DST]...
#             [--cwd DIR] [--env NAME[=VALUE]]... [--smp N] [--mem MiB]
#             [--timeout SEC] [--stall SEC] [--nudge SEC] [--log FILE]
#             [--append ARGS] [--bzimage] [--keep] -- COMMAND [ARG]...
#
# Why: on hosts whose /dev/kvm is the PVM backend (or that have none), stock
# guests cannot run at hardware speed.  Instead QEMU's TCG emulates an AMD CPU
# with SVM (-cpu EPYC,+svm,+npt); Debian's generic kernel boots on it (L1),
# loads irqbypass, kvm, ccp, kvm-amd and tun, and gets a working /dev/kvm in
# which our library can run its own (L2) guests.  What this rests on (costs,
# module order, the emulator wedge): tests/system/README.md.
#
# Options
#   --cache DIR      kit cache built by kit.sh (run here if needed). Required.
#   --payload DIR    copy DIR's contents into L1's /payload (relative paths
#                    kept; several payloads are merged).  Default cwd in L1.
#   --mirror DIR     copy DIR to the same absolute path inside L1 (so build
#                    trees with absolute paths, RPATHs, libtool wrappers work).
#   --file SRC:DST   copy file or directory SRC to DST in L1 (a relative DST
#                    is relative to /payload).
#   --cwd DIR        directory (inside L1) to run COMMAND in (created if
#                    missing); default /payload.
#   --env NAME[=VAL] export NAME in L1 (host's value when no =VAL is given).
#                    LD_LIBRARY_PATH and {A,UB,L}SAN_OPTIONS are passed on
#                    automatically when set (sanitizer colours default off).
#   --smp N          L1 vCPUs (default 1; an L1 with one CPU still runs a
#                    multi-vCPU L2).  TCG runs them round-robin in one
#                    thread (thread=single) unless L1_TCG_THREAD=multi:
#                    multi-threaded TCG with 2 vCPUs wedged L1 twice in one
#                    CI run (2026-12-01), single never did; L1's scheduler
#                    still sees 2 CPUs, so threads pinned apart in L1 run
#                    interleaved as on two CPUs.
#   --mem MiB        L1 RAM (default 2048); the initramfs lives in it.
#   (L1_KVM_AMD_PARAMS: parameters for L1's kvm-amd, e.g. "nrips=0"; L1
#   prints them as @@L1-KVM-AMD-PARAMS ...@@.)
#   --timeout SEC    kill L1 after SEC seconds in total (default 600).
#   --stall SEC      kill L1 after SEC seconds without console output
#                    (default 120) and retry (L1_RETRIES times, default
#                    once): the emulator is known to
#                    wedge now and then (README.md).  COMMAND must therefore
#                    print something at least every SEC seconds.  An L1
#                    whose kernel panics after the command started is
#                    retried the same way (L1_RETRIES in all).
#   --nudge SEC      after SEC seconds without output (default 15, or
#                    $L1_NUDGE; 0: never), and every SEC seconds while the
#                    silence lasts, send L1 an NMI through QEMU's monitor:
#                    it wakes a CPU from a lost wake-up (README.md).  L1's
#                    kernel logs each one ("NMI received for unknown
#                    reason"); that report does not count as output.
#   --log FILE       also write L1's console (and our messages) to FILE.
#   --append ARGS    extra L1 kernel command-line arguments.
#   --bzimage        boot L1 from l1/vmlinuz even when kit.sh extracted
#                    l1/vmlinux.  By default the uncompressed vmlinux is
#                    booted through its PVH entry, which skips the kernel's
#                    decompressor (2-3 s under TCG); if QEMU refuses it, the
#                    bzImage is used instead.
#   --keep           keep the work directory (initramfs, raw console log).
#
# COMMAND is run as an argv (quoted as given) by busybox sh, as root, with
# stdin </dev/null and stdout+stderr on L1's console, which is streamed here
# to our stdout (CRs stripped) as it arrives.  Use `-- sh -c '...'` for shell
# syntax.  Every ELF file in the payloads gets its shared libraries (per ldd,
# plus the dynamic loader) copied into L1 at the same absolute paths, so
# dynamically linked and ASan/UBSan-instrumented programs run as they are;
# scripts get their #! interpreter if busybox does not provide it.
#
# L1 prints these markers on its console:
#   @@L1-INIT@@         /init started (kernel boot done)
#   @@L1-KVM-OK@@       /dev/kvm is there   (or @@L1-NO-KVM ...@@)
#   @@L1-CMD@@          COMMAND starts
#   @@L1-EXIT <rc>@@    COMMAND finished with status rc; L1 powers off.
#
# Exit status: COMMAND's status; 99 if L1 never reported one (boot failure,
# wedged twice, timeout); 2 for usage errors.
set -eu -o pipefail

PROG=l1-run
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
    cat >&2 <<'EOF'
usage: l1-run.sh --cache DIR [--payload DIR]... [--mirror DIR]... [--file SRC:DST]...
                 [--cwd DIR] [--env NAME[=VALUE]]... [--smp N] [--mem MiB]
                 [--timeout SEC] [--stall SEC] [--nudge SEC] [--log FILE]
                 [--append ARGS] [--bzimage] [--keep] -- COMMAND [ARG]...
EOF
    exit 2
}

# ------------------------------------------------------------ arguments
CACHE='' SMP=1 MEM=2048 TIMEOUT=600 STALL=120 NUDGE=${L1_NUDGE:-15} LOG='' CWD=/payload APPEND='' KEEP='' BZIMAGE=''
PAYLOADS=() MIRRORS=() FILES=() ENVS=()
while [ $# -gt 0 ]; do
    case $1 in
        --cache)   CACHE=${2:?}; shift 2 ;;
        --payload) PAYLOADS+=("${2:?}"); shift 2 ;;
        --mirror)  MIRRORS+=("${2:?}"); shift 2 ;;
        --file)    FILES+=("${2:?}"); shift 2 ;;
        --cwd)     CWD=${2:?}; shift 2 ;;
        --env)     ENVS+=("${2:?}"); shift 2 ;;
        --smp)     SMP=${2:?}; shift 2 ;;
        --mem)     MEM=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --stall)   STALL=${2:?}; shift 2 ;;
        --nudge)   NUDGE=${2:?}; shift 2 ;;
        --log)     LOG=${2:?}; shift 2 ;;
        --append)  APPEND=${2:?}; shift 2 ;;
        --keep)    KEEP=1; shift ;;
        --bzimage) BZIMAGE=1; shift ;;
        --)        shift; break ;;
        -h|--help) usage ;;
        *)         echo "$PROG: unknown option: $1" >&2; usage ;;
    esac
done
if [ -z "$CACHE" ] || [ $# -eq 0 ]; then usage; fi
[[ $NUDGE =~ ^[0-9]+$ ]] || { echo "$PROG: --nudge: not a number: $NUDGE" >&2; exit 2; }
for n in "$SMP" "$MEM" "$TIMEOUT" "$STALL"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$PROG: not a positive integer: $n" >&2; exit 2; }
done

# ------------------------------------------------------------ helpers
# Our own messages go to stderr and, when asked, to the log.
msg() {
    echo "$PROG: $*" >&2
    if [ -n "$LOG" ]; then echo "$PROG: $*" >>"$LOG"; fi
}
die() { msg "error: $*"; exit 99; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }   # ms -> "s.cc"
since() { if [ -n "$1" ] && [ -n "$2" ]; then echo "$(secs $(($1 - $2)))s"; else echo "-"; fi; }

# Tools: install what a fresh Debian lacks (root only).
need() {   # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "$1 not found (install package $2)"
    fi
    msg "installing $2"
    apt-get install -y -q "$2" >/dev/null 2>&1 ||
        { apt-get -q update >/dev/null 2>&1 && apt-get install -y -q "$2" >/dev/null 2>&1; } ||
        die "apt-get install $2 failed"
}
need qemu-system-x86_64 qemu-system-x86
need cpio cpio

if [ -n "$LOG" ]; then : >"$LOG"; fi
"$HERE/kit.sh" "$CACHE" >&2 || die "kit.sh $CACHE failed"
CACHE=$(cd "$CACHE" && pwd)

mkdir -p "$CACHE/tmp"
# Leftovers of runs that were killed outright (SIGKILL: no cleanup).
find "$CACHE/tmp" -mindepth 1 -maxdepth 1 -name 'l1-run.*' -mmin +720 -exec rm -rf {} + 2>/dev/null || true
WORK=$(mktemp -d "$CACHE/tmp/l1-run.XXXXXX")
QPID='' SPID=''
cleanup() {
    if [ -n "$QPID" ]; then kill "$QPID" 2>/dev/null || true; fi
    if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; fi
    if [ -z "$KEEP" ]; then rm -rf "$WORK"; else echo "$PROG: kept $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ initramfs
T0=$(now_ms)
ROOT=$WORK/root
# kit.sh's skeleton: busybox + applet links in Debian 12's merged-/usr layout
# (bin -> usr/bin, lib -> usr/lib, lib64 -> usr/lib64), so a library ldd
# reports as /lib/x86_64-linux-gnu/libc.so.6 and one under /usr/lib/... land
# in the same place.
mkdir -p "$ROOT"
cp -a "$CACHE/bbroot/." "$ROOT/"
mkdir -p "$ROOT"/{dev,proc,sys,tmp,run,etc,payload,root,lib/modules}
cp "$CACHE/l1/modules/"*.ko "$CACHE/l1/modules/order" "$ROOT/lib/modules/"
# L1_KVM_AMD_PARAMS: module parameters for L1's kvm-amd (e.g. "nrips=0").
printf '%s\n' "${L1_KVM_AMD_PARAMS:-}" >"$ROOT/etc/l1-kvm-amd-params"

# Trivia some programs look up (getpwuid, localhost).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
printf '127.0.0.1 localhost l1\n::1 localhost\n' >"$ROOT/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$ROOT/etc/nsswitch.conf"
if [ -f /etc/ld.so.cache ]; then cp /etc/ld.so.cache "$ROOT/etc/"; fi

# copy_tree SRC DST: copy directory SRC's contents into DST; directories
# tagged CACHEDIR.TAG (such as the kit cache and this very work directory)
# are left out.
copy_tree() {
    mkdir -p "$2"
    tar -C "$1" --exclude-caches-all -cf - . | tar -C "$2" -xf -
}

SCAN=()   # what was put in L1 (copies inside $ROOT), for the ELF/library scan
for d in ${PAYLOADS[@]+"${PAYLOADS[@]}"}; do
    [ -d "$d" ] || die "--payload $d: not a directory"
    copy_tree "$d" "$ROOT/payload"
    SCAN+=("$ROOT/payload")
done
for d in ${MIRRORS[@]+"${MIRRORS[@]}"}; do
    [ -d "$d" ] || die "--mirror $d: not a directory"
    d=$(cd "$d" && pwd)
    copy_tree "$d" "$ROOT$d"
    SCAN+=("$ROOT$d")
done
for f in ${FILES[@]+"${FILES[@]}"}; do
    src=${f%%:*} dst=${f#*:}
    if [ "$src" = "$f" ] || [ -z "$dst" ]; then die "--file $f: expected SRC:DST"; fi
    [ -e "$src" ] || die "--file $f: $src does not exist"
    case $dst in /*) ;; *) dst=/payload/$dst ;; esac
    if [ -d "$src" ]; then
        copy_tree "$src" "$ROOT$dst"
    else
        mkdir -p "$(dirname "$ROOT$dst")"
        cp -L "$src" "$ROOT$dst"
    fi
    SCAN+=("$ROOT$dst")
done

# add_host_file PATH: copy host file PATH (following symlinks) to the same
# path inside L1, unless something is already there.
add_host_file() {
    if [ -L "$ROOT$1" ] || [ -e "$ROOT$1" ]; then return 0; fi
    mkdir -p "$(dirname "$ROOT$1")"
    cp -L "$1" "$ROOT$1"
}

# add_libs ELF: copy the dynamic loader and every library ldd lists.
add_libs() {
    local out line lib
    out=$(ldd "$1" 2>/dev/null </dev/null) || return 0      # static or not loadable here
    while IFS= read -r line; do
        case $line in
            *"=> not found"*)
                msg "warning: ${1#"$ROOT"}: ${line%% =>*} not found on the host (set LD_LIBRARY_PATH?)"
                continue ;;
            *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
            *[[:space:]]/*) lib=${line#"${line%%/*}"}; lib=${lib%% (*} ;;
            *) continue ;;                        # linux-vdso.so.1 etc.
        esac
        # Already inside L1's tree ($ORIGIN-relative RUNPATH), or absent.
        case $lib in "$ROOT"/*) continue ;; esac
        [ -e "$lib" ] || continue
        add_host_file "$lib"
    done <<<"$out"
}

# Scan: ELF executables and shared objects get their libraries; #! scripts
# get their interpreter (when busybox does not provide it) and its libraries.
nelf=0
if [ ${#SCAN[@]} -gt 0 ]; then
    # The list comes in on fd 3: ldd and friends must not eat it from stdin.
    while IFS= read -r -d '' f <&3; do
        magic=$(head -c 4 "$f" | od -An -c | tr -d ' ')
        case $magic in
            177ELF)
                add_libs "$f"; nelf=$((nelf + 1)) ;;
            '#!'*)
                read -r interp _ < <(head -n 1 "$f" | sed 's/^#! *//')
                case $interp in /*) ;; *) continue ;; esac
                if ! [ -L "$ROOT$interp" ] && ! [ -e "$ROOT$interp" ] && [ -f "$interp" ]; then
                    add_host_file "$interp"
                    add_libs "$interp"
                fi ;;
        esac
    done 3< <(find ${SCAN[@]+"${SCAN[@]}"} -type f \( -perm /111 -o -name '*.so' -o -name '*.so.*' \) -print0 2>/dev/null)
fi

# The command file: environment, cwd, and COMMAND quoted as an argv.
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
    echo "# generated by l1-run.sh"
    echo "export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp"
    # Passed on when set here.  Sanitizer reports default to no ANSI colours
    # (L1's stdout is a tty, but it ends up in log files).
    for name in LD_LIBRARY_PATH ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        if [ -n "${!name:-}" ]; then echo "export $name=$(q "${!name}")"; fi
    done
    if [ -z "${ASAN_OPTIONS:-}" ]; then echo "export ASAN_OPTIONS=color=never"; fi
    if [ -z "${UBSAN_OPTIONS:-}" ]; then echo "export UBSAN_OPTIONS=color=never"; fi
    for e in ${ENVS[@]+"${ENVS[@]}"}; do
        name=${e%%=*}
        [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env $e: bad name"
        if [ "$name" = "$e" ]; then
            [ -n "${!name+x}" ] || continue
            val=${!name}
        else
            val=${e#*=}
        fi
        echo "export $name=$(q "$val")"
    done
    echo "mkdir -p $(q "$CWD") && cd $(q "$CWD") || exit 127"
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    printf '\n'
} >"$ROOT/etc/l1-command"

cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# L1 /init (generated by tests/system/l1-run.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# tmpfs on /tmp and /run, unless payload was mirrored there (the initramfs
# root is in RAM and writable anyway).
[ -n "$(ls -A /tmp)" ] || mount -t tmpfs -o mode=1777 tmpfs /tmp
[ -n "$(ls -A /run)" ] || mount -t tmpfs -o mode=755 tmpfs /run
chmod 1777 /tmp
# The initramfs root (tmpfs) is 1777: as on a host, 755 (DPDK's EAL, for
# one, refuses plugins below a world-writable directory).
chmod 755 /
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
echo @@L1-INIT@@
# Comparable RSS figures: no transparent huge pages.
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
while read -r m; do
    p=
    case $m in kvm-amd.ko) p=$(cat /etc/l1-kvm-amd-params) ;; esac
    # shellcheck disable=SC2086 # the parameters are words
    insmod "/lib/modules/$m" $p || echo "@@L1-INSMOD-FAIL $m $p@@"
done </lib/modules/order
[ -z "$(cat /etc/l1-kvm-amd-params)" ] ||
    echo "@@L1-KVM-AMD-PARAMS $(cat /etc/l1-kvm-amd-params)@@"
if [ -c /dev/kvm ]; then
    echo @@L1-KVM-OK@@
else
    echo "@@L1-NO-KVM: /dev/kvm missing after loading kvm-amd (svm: $(grep -c -w svm /proc/cpuinfo) cpus)@@"
fi
ip link set lo up 2>/dev/null
hostname l1
echo @@L1-CMD@@
sh /etc/l1-command
echo "@@L1-EXIT $?@@"
sync
poweroff -f
EOF
chmod 755 "$ROOT/init"

(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$WORK/l1.cpio"
rm -rf "$ROOT"
msg "initramfs: $(( $(stat -c %s "$WORK/l1.cpio") / 1048576 )) MiB, $nelf ELF files scanned, built in $(secs $(($(now_ms) - T0)))s"

# ------------------------------------------------------------ run L1
RAW=$WORK/console.raw
KERNEL=$CACHE/l1/vmlinuz
if [ -z "$BZIMAGE" ] && [ -s "$CACHE/l1/vmlinux" ]; then KERNEL=$CACHE/l1/vmlinux; fi

# scan_markers TIME: look for markers in the part of the console log that is
# new since the last call (plus a little overlap, for a marker split across
# two polls), so that chatty tests stay cheap; stamp new ones with TIME.
# Works on run_once's locals (bash scoping is dynamic).
scan_markers() {
    local size new
    size=$(stat -c %s "$RAW" 2>/dev/null || echo 0)
    [ "$size" != "$last_size" ] || return 1
    new=$(tail -c "+$((last_size > 32 ? last_size - 31 : 1))" "$RAW" | tr -d '\r\000')
    fresh=$(tail -c "+$((last_size + 1))" "$RAW" | tr -d '\r\000')   # no overlap
    last_size=$size
    if [ -z "$t_init" ] && [[ $new == *@@L1-INIT@@* ]]; then t_init=$1; fi
    if [ -z "$t_cmd" ] && [[ $new == *@@L1-CMD@@* ]]; then t_cmd=$1; fi
    if [ -z "$t_exit" ] && [[ $new == *"@@L1-EXIT "* ]]; then t_exit=$1; fi
    return 0
}

# monitor_dump: where a wedged L1 is, from QEMU's monitor, into our
# messages: the vCPUs' registers sampled three times a second apart (a
# moving RIP is a livelock, a fixed one a hang; CR3 tells L1's own code
# from an L2 it runs under emulated SVM) and the local APIC (a timer
# interrupt pending in IRR but never taken points at the emulator), for
# every CPU.
monitor_dump() {
    command -v python3 >/dev/null 2>&1 || { msg "(no python3: no monitor dump)"; return 0; }
    python3 - "$WORK/monitor.sock" "$SMP" <<'PY' 2>&1 | sed 's/^/l1-run: monitor: /' >&2 || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
def cmd(c):
    s.sendall(c.encode() + b"\n")
    out, t0 = b"", time.time()
    while not out.endswith(b"(qemu) ") and time.time() - t0 < 5:
        try:
            out += s.recv(65536)
        except socket.timeout:
            break
    return out.decode(errors="replace")
cmd("")
keep = ("RIP=", "RAX=", "RBX=", "RSP=", "CS =", "CR0=", "EFER=", "CPU#", "HLT")
for i in range(3):
    for line in cmd("info registers -a").splitlines():
        if line.startswith(keep):
            print(f"[{i}] {line}")
    time.sleep(1)
for line in cmd("info cpus").splitlines():
    if "CPU #" in line:
        print(line.strip())
for apic in range(int(sys.argv[2])):
    for line in cmd("info lapic %d" % apic).splitlines():
        if any(k in line for k in ("IRR", "ISR", "Timer", "PPR", "dumping")):
            print(line)
PY
}

# monitor_cmd CMD: one HMP command to L1's QEMU, its output discarded.
monitor_cmd() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 - "$WORK/monitor.sock" "$1" <<'PY' >/dev/null 2>&1 || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.recv(65536)
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.5)
PY
}

# L1's kernel runs with highres=off nohz=off: its local APIC timer then
# ticks periodically on every CPU, idle or not (250 Hz), instead of being
# re-armed one-shot from the interrupt handler. The wedge is an interrupt
# left in IRR without the CPU being told (README.md); every tick sets the
# timer's IRR bit again, which makes QEMU's APIC tell the CPU, so a lost
# wake-up lasts one tick instead of for ever.
# run_once: boot L1 once.  Sets OUTCOME (exit|stall|timeout|died) and
# EXIT_RC (from the @@L1-EXIT@@ marker), and prints the timings.
run_once() {
    local start last_change last_size=0 t t_init='' t_cmd='' t_exit='' line
    local nudged_at=0 nudges=0 woke=0 fresh=''
    : >"$RAW"
    OUTCOME='' EXIT_RC=''
    start=$(now_ms)
    last_change=$start
    qemu-system-x86_64 \
        -accel "tcg,thread=${L1_TCG_THREAD:-single}" -cpu EPYC,+svm,+npt -smp "$SMP" -m "$MEM" \
        -M pc -nodefaults -no-user-config -display none -nic none \
        -chardev file,id=con,path="$RAW" -serial chardev:con \
        -monitor "unix:$WORK/monitor.sock,server=on,wait=off" \
        -no-reboot -kernel "$KERNEL" -initrd "$WORK/l1.cpio" \
        -append "console=ttyS0 quiet panic=-1 mitigations=off highres=off nohz=off ${APPEND}" \
        </dev/null >"$WORK/qemu.out" 2>"$WORK/qemu.err" &
    QPID=$!
    # Stream the console file as it grows (-F: qemu truncates it on open).
    if [ -n "$LOG" ]; then
        tail -c +1 -F -s 0.1 --pid="$QPID" "$RAW" 2>/dev/null | sed -u 's/\r//g' | tee -a "$LOG" &
    else
        tail -c +1 -F -s 0.1 --pid="$QPID" "$RAW" 2>/dev/null | sed -u 's/\r//g' &
    fi
    SPID=$!
    # Watchdog: poll the console file's size and look for markers.
    while kill -0 "$QPID" 2>/dev/null; do
        sleep 0.1
        t=$(now_ms)
        # Output counts when it is more than L1's kernel talking: its
        # printk lines ("[  123.456] ...": our NMIs reported, its CPUs
        # stuck in soft lockup inside an L2 that never exits, seen after
        # test-linux's vm_pause, issue 12; RCU stall reports, which come
        # every ~60 s and so kept a wedged L1 "alive" until the timeout
        # in CI on 2026-12-01). The commands print their own lines (the
        # tests: one a minute at least while a guest runs).
        if scan_markers "$t" && grep -qvE '^ *\[ *[0-9]+\.[0-9]+\]|^ *$' <<<"$fresh"; then
            if [ "$nudged_at" -gt 0 ] && [ "$nudged_at" -gt "$last_change" ]; then
                woke=$((woke + 1))
            fi
            last_change=$t
        fi
        if [ -n "$t_exit" ] && [ $((t - t_exit)) -gt 15000 ]; then
            msg "L1 did not power off 15s after the command ended; killing it"
            break
        elif [ -z "$t_exit" ] && [ $((t - last_change)) -gt $((STALL * 1000)) ]; then
            OUTCOME=stall
            monitor_dump
            break
        elif [ -z "$t_exit" ] && [ "$NUDGE" -gt 0 ] &&
             [ $((t - last_change)) -gt $((NUDGE * 1000)) ] &&
             [ $((t - nudged_at)) -gt $((NUDGE * 1000)) ]; then
            # The wedge seen so far is a wake-up the emulator lost
            # (README.md): an NMI wakes a halted CPU and takes one out of
            # an L2 guest. Harmless to a busy L1; its kernel logs it.
            monitor_cmd nmi
            nudged_at=$t
            nudges=$((nudges + 1))
        elif [ $((t - start)) -gt $((TIMEOUT * 1000)) ]; then
            OUTCOME=timeout; break
        fi
    done
    kill "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
    QPID=
    wait "$SPID" 2>/dev/null || true   # tail exits once qemu is gone
    SPID=
    t=$(now_ms)
    scan_markers "$t" || true          # output of the last poll interval
    line=$(tr -d '\r' <"$RAW" | grep -a -o '@@L1-EXIT [0-9]*@@' | tail -n 1 || true)
    if [ -n "$line" ]; then
        OUTCOME='exit'
        EXIT_RC=${line#@@L1-EXIT }; EXIT_RC=${EXIT_RC%@@}
    elif [ -z "$OUTCOME" ]; then
        OUTCOME=died
    fi
    msg "timing: L1 /init at $(since "$t_init" "$start")," \
        "command started at $(since "$t_cmd" "$start")," \
        "command ran $(since "$t_exit" "$t_cmd"), L1 total $(since "$t" "$start")"
    if [ "$nudges" -gt 0 ]; then
        msg "L1 was sent $nudges NMI(s) after ${NUDGE}s of silence; output followed $woke of them"
    fi
    if [ -n "${t_cmd}" ] && ! grep -aqF '@@L1-KVM-OK@@' "$RAW"; then
        msg "warning: L1 has no /dev/kvm (see @@L1-NO-KVM@@ above)"
    fi
}

# qemu_errors: qemu's stderr minus the harmless "TCG doesn't support
# requested feature" warnings.
qemu_errors() { grep -v "doesn't support requested feature" "$WORK/qemu.err" || true; }

# L1_RETRIES: how many times a wedged or crashed L1 is booted again
# (default 1).
retries=${L1_RETRIES:-1} retried=0
while :; do
    run_once
    case $OUTCOME in
        exit)
            msg "command exited with status $EXIT_RC (total wall time $(secs $(($(now_ms) - T0)))s)"
            exit "$EXIT_RC" ;;
        stall)
            if [ "$retried" -lt "$retries" ]; then
                retried=$((retried + 1))
                msg "L1 wedged (no output for ${STALL}s), retry $retried of $retries"
                continue
            fi
            die "L1 wedged again (no output for ${STALL}s); giving up after $retried retries" ;;
        timeout)
            die "timeout: L1 still running after ${TIMEOUT}s; killed" ;;
        died)
            if [ "$KERNEL" != "$CACHE/l1/vmlinuz" ] && grep -q 'PVH' "$WORK/qemu.err"; then
                msg "QEMU cannot boot l1/vmlinux via PVH; using l1/vmlinuz"
                KERNEL=$CACHE/l1/vmlinuz
                continue
            fi
            qemu_errors >&2
            # L1's own kernel panicked (seen: "BUG: TASK stack guard page
            # was hit" in a vCPU thread, under TCG's emulated SVM): like a
            # wedge, once more from the start.
            if grep -aqF "@@L1-CMD@@" "$RAW" && grep -aq "Kernel panic - not syncing" "$RAW"; then
                if [ "$retried" -lt "$retries" ]; then
                    retried=$((retried + 1))
                    msg "L1 crashed (its kernel panicked, see the console above), retry $retried of $retries"
                    continue
                fi
                die "L1 crashed again (its kernel panicked); giving up after $retried retries"
            fi
            die "L1 stopped without reporting an exit status (boot failure or crash; see console output above)" ;;
    esac
done
