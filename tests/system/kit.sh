#!/bin/sh
# kit.sh CACHE_DIR
#
# Build the "guest kit" used by the system tests from Debian packages:
#
#   CACHE_DIR/l1/vmlinuz            generic Debian kernel (the nested L1 KVM host)
#   CACHE_DIR/l1/vmlinux            its uncompressed ELF image (if extractable);
#                                   has a PVH entry note, so QEMU can boot it
#                                   directly and skip the slow (TCG) decompressor
#   CACHE_DIR/l1/modules/*.ko       irqbypass kvm ccp kvm-amd tun (+ their deps)
#   CACHE_DIR/l1/modules/order      those file names, one a line, in load order
#   CACHE_DIR/l2/vmlinuz            Debian cloud kernel bzImage (the L2 test guest)
#   CACHE_DIR/l2/vmlinux            its uncompressed ELF image (if extractable;
#                                   Debian's 6.1 kernels have a PVH entry note)
#   CACHE_DIR/l2/modules/*.ko       virtio_ring ... virtio_net (+ deps)
#   CACHE_DIR/l2/modules/order      those file names, one a line, in load order
#   CACHE_DIR/busybox               static busybox
#   CACHE_DIR/bbroot/               initramfs skeleton: merged-/usr layout
#                                   (bin -> usr/bin, lib -> usr/lib, ...) with
#                                   usr/bin/busybox and all its applet links
#   CACHE_DIR/kit.stamp             written last; its presence means "done"
#   CACHE_DIR/CACHEDIR.TAG          marks CACHE_DIR as a cache directory
#
# Idempotent: when kit.stamp exists and the outputs are present, nothing is
# downloaded.  Concurrent invocations on the same CACHE_DIR serialise on
# CACHE_DIR/kit.lock (flock).  Delete CACHE_DIR (or kit.stamp) to rebuild.
#
# Needs: apt-get, dpkg-deb (always on Debian); xz/zstd/gzip only if the
# packaged modules or kernel payload are compressed that way.  Run as root on
# a fresh Debian 12 it works out of the box (apt-get update is run only if the
# package lists are missing).
set -eu

usage() { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in -h|--help) usage ;; esac

mkdir -p "$1"
CACHE=$(cd "$1" && pwd)
STAMP=$CACHE/kit.stamp

# Mark the directory as a cache (https://bford.info/cachedir/): l1-run.sh
# copies payload trees with tar --exclude-caches-all, so a kit cache living
# inside a build tree is never dragged into an L1 initramfs.
[ -f "$CACHE/CACHEDIR.TAG" ] || printf '%s\n' \
    "Signature: 8a477f597d28d172789f06886806bc55" \
    "# libkvm-virtio system-test kit (tests/system/kit.sh); safe to delete." \
    >"$CACHE/CACHEDIR.TAG"

say() { echo "kit: $*"; }
die() { echo "kit: error: $*" >&2; exit 1; }

# Modules wanted, in the order they are to be loaded.  Dependencies found in
# each module's depends= field are inserted before the module that needs them.
L1_WANT="irqbypass kvm ccp kvm-amd tun"
L2_WANT="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

kit_complete() {
    [ -f "$STAMP" ] && [ -s "$CACHE/l1/vmlinuz" ] && [ -s "$CACHE/l2/vmlinuz" ] &&
        [ -s "$CACHE/l1/modules/order" ] && [ -s "$CACHE/l2/modules/order" ] &&
        [ -x "$CACHE/busybox" ] && [ -x "$CACHE/bbroot/usr/bin/busybox" ]
}

# Fast path without taking the lock.
if kit_complete; then
    say "up to date ($(paste -sd ' ' "$STAMP"))"
    exit 0
fi

# Serialise concurrent builders (e.g. `make -j check`).  flock is part of
# util-linux, which Debian always has; without it we just go ahead.
if [ -z "${KIT_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    KIT_LOCKED=1 exec flock "$CACHE/kit.lock" "$0" "$CACHE"
fi
if kit_complete; then    # someone else built it while we waited
    say "up to date ($(paste -sd ' ' "$STAMP"))"
    exit 0
fi

DEBS=$CACHE/debs
PKGS=$CACHE/pkgs
mkdir -p "$DEBS" "$PKGS"

# fetch PKG: download PKG's candidate .deb into $DEBS (once); sets DEB to it.
# apt-get download as root would warn that the _apt sandbox user cannot write
# here; running it unsandboxed is what happens anyway, so say so up front.
apt_download() {
    (cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "$1") >"$DEBS/apt.log" 2>&1
}
fetch() {
    _pkg=$1
    _ver=$(apt-cache policy "$_pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$_ver" ] || [ "$_ver" = "(none)" ]; then
        say "no package lists for $_pkg: running apt-get update"
        apt-get -q update >"$DEBS/apt.log" 2>&1 || { cat "$DEBS/apt.log" >&2; die "apt-get update failed"; }
        _ver=$(apt-cache policy "$_pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        if [ -z "$_ver" ] || [ "$_ver" = "(none)" ]; then die "package $_pkg not found"; fi
    fi
    # apt-get download names the file PKG_VERSION_ARCH.deb with ':' as %3a.
    _vfile=$(printf '%s' "$_ver" | sed 's/:/%3a/g')
    for DEB in "$DEBS/${_pkg}_${_vfile}"_*.deb; do
        if [ -s "$DEB" ]; then return 0; fi
    done
    say "downloading $_pkg $_ver"
    if ! apt_download "$_pkg"; then
        # Stale lists (the mirror dropped that version) also end up here.
        say "download failed; running apt-get update and retrying"
        apt-get -q update >"$DEBS/apt.log" 2>&1 || { cat "$DEBS/apt.log" >&2; die "apt-get update failed"; }
        _ver=$(apt-cache policy "$_pkg" | sed -n 's/^ *Candidate: *//p')
        _vfile=$(printf '%s' "$_ver" | sed 's/:/%3a/g')
        apt_download "$_pkg" || { cat "$DEBS/apt.log" >&2; die "apt-get download $_pkg failed"; }
    fi
    for DEB in "$DEBS/${_pkg}_${_vfile}"_*.deb; do
        if [ -s "$DEB" ]; then return 0; fi
    done
    die "apt-get download $_pkg produced no ${_pkg}_${_vfile}_*.deb"
}

# unpack DEB NAME: extract DEB into $PKGS/NAME (fresh).
unpack() {
    rm -rf "${PKGS:?}/$2"
    mkdir -p "$PKGS/$2"
    dpkg-deb -x "$1" "$PKGS/$2"
}

# kernel_dep META_DEB FLAVOUR_REGEX: the versioned image package a meta
# package depends on, e.g. linux-image-6.1.0-56-cloud-amd64.
kernel_dep() {
    dpkg-deb -f "$1" Depends | tr '|' ',' | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
        grep -E "^linux-image-[0-9][^ ]*-$2\$" | head -n 1
}

# ---------------------------------------------------------------- busybox
fetch busybox-static
bb_deb=$DEB
unpack "$bb_deb" busybox-static
cp "$PKGS/busybox-static/bin/busybox" "$CACHE/busybox.new"
chmod 755 "$CACHE/busybox.new"
mv -f "$CACHE/busybox.new" "$CACHE/busybox"

# The skeleton both initramfs scripts start from (cp -a of it is one process;
# making the ~400 applet links one `ln` at a time is not, and forks are slow
# on a PVM guest).  Same merged-/usr layout as Debian 12, so files copied at
# host paths like /lib/x86_64-linux-gnu/libc.so.6 land in usr/lib.
rm -rf "$CACHE/bbroot"
mkdir -p "$CACHE/bbroot/usr/bin" "$CACHE/bbroot/usr/sbin" \
    "$CACHE/bbroot/usr/lib" "$CACHE/bbroot/usr/lib64"
for _d in bin sbin lib lib64; do ln -s "usr/$_d" "$CACHE/bbroot/$_d"; done
cp "$CACHE/busybox" "$CACHE/bbroot/usr/bin/busybox"
"$CACHE/busybox" --list-full | while read -r _a; do
    case $_a in */busybox|linuxrc) continue ;; esac
    [ -L "$CACHE/bbroot/$_a" ] || ln -s /usr/bin/busybox "$CACHE/bbroot/$_a"
done

# mod_depends FILE: the module's depends= field, comma-separated.  kmod's
# modinfo if installed; otherwise read the NUL-separated .modinfo strings
# directly (busybox modinfo insists on /lib/modules/$(uname -r)/modules.dep).
mod_depends() {
    if command -v modinfo >/dev/null 2>&1; then
        modinfo -F depends "$1"
    else
        tr '\000' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1
    fi
}

# ---------------------------------------------------------------- modules
# find_mod MODDIR NAME: path of module NAME (dashes and underscores are
# interchangeable in module names; files may be .ko, .ko.xz, .ko.zst, .ko.gz).
find_mod() {
    _n1=$(printf '%s' "$2" | tr '-' '_')
    _n2=$(printf '%s' "$2" | tr '_' '-')
    find "$1/kernel" -type f \( -name "$_n1.ko" -o -name "$_n1.ko.*" \
        -o -name "$_n2.ko" -o -name "$_n2.ko.*" \) | sort | head -n 1
}

# is_builtin MODDIR NAME: true if NAME is compiled into the kernel.
is_builtin() {
    _n1=$(printf '%s' "$2" | tr '-' '_')
    _n2=$(printf '%s' "$2" | tr '_' '-')
    [ -f "$1/modules.builtin" ] &&
        grep -Eq "/($_n1|$_n2)\.ko\$" "$1/modules.builtin"
}

# copy_mod SRC DSTDIR: copy one module into DSTDIR as plain NAME.ko (our
# initramfs insmod is busybox's, which is happiest with uncompressed files);
# prints the resulting file name.
copy_mod() {
    _b=$(basename "$1")
    case $_b in
        *.ko)     cp "$1" "$2/$_b"; echo "$_b" ;;
        *.ko.xz)  xz -dc "$1" >"$2/${_b%.xz}"; echo "${_b%.xz}" ;;
        *.ko.zst) zstd -qdc "$1" >"$2/${_b%.zst}"; echo "${_b%.zst}" ;;
        *.ko.gz)  gzip -dc "$1" >"$2/${_b%.gz}"; echo "${_b%.gz}" ;;
        *) die "unknown module file type: $1" ;;
    esac
}

# add_mod MODDIR DSTDIR NAME: add NAME and (first) its dependencies to DSTDIR,
# appending file names to DSTDIR/order.  Already-added modules are skipped.
add_mod() {
    _name=$(printf '%s' "$3" | tr '-' '_')
    grep -qx "$_name" "$2/.names" 2>/dev/null && return 0
    _src=$(find_mod "$1" "$3")
    if [ -z "$_src" ]; then
        if is_builtin "$1" "$3"; then
            say "  $3 is built into the kernel"
            echo "$_name" >>"$2/.names"
            return 0
        fi
        die "module $3 not found in $1"
    fi
    _file=$(copy_mod "$_src" "$2")
    echo "$_name" >>"$2/.names"     # before recursing: a cycle would stop here
    # Recursion in sh has no locals: save what we need on the "stack" (args).
    set -- "$1" "$2" "$_name" "$_file" "$(mod_depends "$2/$_file" | tr ',' ' ')"
    for _d in $5; do
        add_mod "$1" "$2" "$_d"
    done
    echo "$4" >>"$2/order"            # after its dependencies: load order
}

# build_modules MODDIR DSTDIR WANT...: fresh DSTDIR with modules + order file.
build_modules() {
    _md=$1 _dst=$2; shift 2
    rm -rf "$_dst"; mkdir -p "$_dst"
    : >"$_dst/order"
    for _m in "$@"; do add_mod "$_md" "$_dst" "$_m"; done
    rm -f "$_dst/.names"
}

# --------------------------------------------------------------- vmlinux
# extract_vmlinux BZIMAGE OUT: decompress the kernel payload of a bzImage
# (boot protocol >= 2.08: payload_offset at 0x248, payload_length at 0x24c,
# relative to the protected-mode code which starts at (setup_sects+1)*512).
# Returns non-zero (and leaves no OUT) if it cannot.
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
extract_vmlinux() {
    _setup=$(od -An -tu1 -j 497 -N1 "$1" | tr -d ' ')
    [ "$_setup" -eq 0 ] && _setup=4
    _off=$(( (_setup + 1) * 512 + $(le32 "$1" 584) ))
    _len=$(le32 "$1" 588)
    _magic=$(od -An -tx1 -j "$_off" -N6 "$1" | tr -d ' \n')
    case $_magic in 02214c18*) _magic=02214c18 ;; esac
    # All formats but gzip carry a 4-byte size trailer after the stream.
    _payload() { tail -c "+$((_off + 1))" "$1" | head -c "$2"; }
    case $_magic in
        1f8b*)         _payload "$1" "$_len" | gzip -dc >"$2.tmp" 2>/dev/null || true ;;
        fd377a585a00)  _payload "$1" "$((_len - 4))" | xz -dc --single-stream >"$2.tmp" 2>/dev/null ;;
        28b52ffd*)     _payload "$1" "$((_len - 4))" | zstd -qdc >"$2.tmp" 2>/dev/null ;;
        5d00*)         _payload "$1" "$((_len - 4))" | xz -dc --format=lzma >"$2.tmp" 2>/dev/null ;;
        02214c18)      # LZ4 legacy frame (Debian's cloud kernel); needs lz4(1)
                       command -v lz4 >/dev/null 2>&1 || return 1
                       _payload "$1" "$((_len - 4))" | lz4 -qdc >"$2.tmp" 2>/dev/null ;;
        *)             return 1 ;;
    esac
    if [ "$(od -An -tx1 -N4 "$2.tmp" | tr -d ' \n')" = 7f454c46 ]; then
        mv -f "$2.tmp" "$2"
    else
        rm -f "$2.tmp"; return 1
    fi
}

# ---------------------------------------------------------------- kernels
# kernel FLAVOUR_META FLAVOUR_SUFFIX OUTDIR WANT...: fetch, unpack, install;
# sets IMG to the versioned image package name.
kernel() {
    fetch "$1"
    IMG=$(kernel_dep "$DEB" "$2")
    [ -n "$IMG" ] || die "cannot find the linux-image-*-$2 dependency of $1"
    fetch "$IMG"
    say "unpacking $IMG"
    unpack "$DEB" "$IMG"
    _root=$PKGS/$IMG
    _vmlinuz=$(find "$_root/boot" -name 'vmlinuz-*' | head -n 1)
    [ -n "$_vmlinuz" ] || die "no /boot/vmlinuz-* in $IMG"
    _kver=${_vmlinuz##*/vmlinuz-}
    _md=$(find "$_root" -maxdepth 3 -type d -path "*/lib/modules/$_kver" | head -n 1)
    [ -n "$_md" ] || die "no lib/modules/$_kver in $IMG"
    _out=$3; shift 3
    rm -rf "$_out"; mkdir -p "$_out"
    cp "$_vmlinuz" "$_out/vmlinuz"
    echo "$_kver" >"$_out/version"
    build_modules "$_md" "$_out/modules" "$@"
    say "$(basename "$_out"): kernel $_kver, modules: $(paste -sd ' ' "$_out/modules/order")"
}

# shellcheck disable=SC2086 # word splitting of the module lists is intended
kernel linux-image-amd64 amd64 "$CACHE/l1" $L1_WANT
l1_img=$IMG
# shellcheck disable=SC2086
kernel linux-image-cloud-amd64 cloud-amd64 "$CACHE/l2" $L2_WANT
l2_img=$IMG

# try_tool CMD PKG: make CMD available if we can (root + apt-get); quietly
# give up otherwise (vmlinux is optional).
try_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || return 0
    say "installing $2 (for vmlinux extraction)"
    apt-get install -y -q "$2" >"$DEBS/apt.log" 2>&1 || say "could not install $2"
}
try_tool xz xz-utils      # the generic kernel's payload
try_tool lz4 lz4          # the cloud kernel's payload

for _l in l1 l2; do
    if extract_vmlinux "$CACHE/$_l/vmlinuz" "$CACHE/$_l/vmlinux"; then
        say "$_l: extracted vmlinux"
    else
        say "$_l: vmlinux not extracted (optional; lz4/xz/zstd missing or unknown format)"
    fi
done

# The unpacked packages are only needed to build the outputs above; keep the
# .debs (small enough, and they make a rebuild offline-capable).
rm -rf "$PKGS"

printf '%s\n' "l1=$l1_img" "l2=$l2_img" "busybox=$(basename "$bb_deb")" >"$STAMP.new"
mv -f "$STAMP.new" "$STAMP"
say "done: $CACHE"
