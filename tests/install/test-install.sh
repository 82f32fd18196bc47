#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/install/test-install.sh: install into a scratch DESTDIR, build
# examples/embed.c outside the tree with pkg-config only, run it, check
# that the shared library exports nothing but vm_* symbols (and every
# symbol the header declares), and that the installed Python package
# imports and finds the installed library. TAP output.
set -eu
: "${top_builddir:?}" "${top_srcdir:?}" "${MAKE:=make}" "${CC:=cc}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..6"

if $MAKE -C "$top_builddir" install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1; then
	echo "ok 1 make install DESTDIR"
else
	cat "$tmp/install.log" | sed 's/^/# /'
	echo "not ok 1 make install DESTDIR"
	exit 1
fi

pc=$(find "$tmp/root" -name libkvm-virtio.pc | head -n 1)
so=$(find "$tmp/root" -name 'libkvm-virtio.so.*' -type f | head -n 1)
if [ -z "$pc" ] || [ -z "$so" ]; then
	echo "not ok 2 installed .pc and .so found"
	exit 1
fi
# --define-prefix relocates the installed .pc to where DESTDIR put it.
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-prefix --cflags libkvm-virtio)
libs=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-prefix --libs libkvm-virtio)
# shellcheck disable=SC2086
if $CC $cflags -o "$tmp/embed" "$top_srcdir/examples/embed.c" $libs \
	$LDFLAGS_EXTRA 2>"$tmp/cc.log"; then
	echo "ok 2 embed.c builds with pkg-config --cflags --libs libkvm-virtio"
else
	sed 's/^/# /' "$tmp/cc.log"
	echo "not ok 2 embed.c builds with pkg-config"
	exit 1
fi

out=$(LD_LIBRARY_PATH=$(dirname "$so") "$tmp/embed" 2>&1) || true
echo "$out" | sed 's/^/# /'
if echo "$out" | grep -q "^device net1 type=virtio-net-pci" &&
   echo "$out" | grep -q "^netdev mynet3 type=vhost-user"; then
	echo "ok 3 installed library runs the embed example"
else
	echo "not ok 3 installed library runs the embed example"
	exit 1
fi

bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^vm_' | grep -v -E '^VM_0(\.[0-9]+)?$' || true)
if [ -z "$bad" ]; then
	echo "ok 4 only vm_* symbols exported ($(nm -D --defined-only "$so" | grep -c ' vm_') symbols, SONAME $(objdump -p "$so" | awk '/SONAME/{print $2}'))"
else
	echo "$bad" | sed 's/^/# exported: /'
	echo "not ok 4 only vm_* symbols exported"
	exit 1
fi

# Every function the header declares VM_EXPORT is in the library: a doc
# block must never describe a symbol that cannot be linked.
declared=$(sed -n 's/^VM_EXPORT[^(]*[ *]\(vm_[a-z0-9_]*\)(.*/\1/p' \
	"$top_srcdir/include/kvm-virtio.h" | sort -u)
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sed 's/@.*//' | sort -u)
missing=$(printf '%s\n' "$declared" | comm -23 - "$(printf '%s\n' "$exported" >"$tmp/exp"; echo "$tmp/exp")")
if [ -n "$declared" ] && [ -z "$missing" ]; then
	echo "ok 5 every VM_EXPORT function of kvm-virtio.h is exported ($(printf '%s\n' "$declared" | wc -l))"
else
	printf '%s\n' "$missing" | sed 's/^/# declared, not exported: /'
	echo "not ok 5 every VM_EXPORT function of kvm-virtio.h is exported"
	exit 1
fi

# The Python package, installed under $(pythondir), imports with PYTHONPATH
# and loads the installed library (found by its soname; _config.py names
# the non-DESTDIR libdir). Sanitizer builds preload the ASan runtime.
init=$(find "$tmp/root" -path '*/kvm_virtio/__init__.py' | head -n 1)
if [ "${PYTHON:-:}" = : ]; then
	echo "ok 6 # SKIP configure found no Python: bindings not installed"
elif [ -z "$init" ]; then
	echo "not ok 6 kvm_virtio installed under the python site directory"
	exit 1
else
	site=$(dirname "$(dirname "$init")")
	preload=''
	if nm -D --undefined-only "$so" | grep -q ' __asan_init'; then
		preload=$(ldd "$so" | awk '/libasan\.so/ { print $3; exit }')
	fi
	if out=$(cd "$tmp" && env ${preload:+LD_PRELOAD="$preload"} \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		PYTHONPATH="$site" LD_LIBRARY_PATH=$(dirname "$so") "$PYTHON" -c '
import kvm_virtio, kvm_virtio._config as c
print(kvm_virtio.__file__, kvm_virtio.version(), kvm_virtio.library_path(), c.LIBDIR)' 2>&1); then
		echo "# $out"
		echo "ok 6 python3 -c 'import kvm_virtio' with PYTHONPATH=${site#"$tmp/root"}"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok 6 python3 -c 'import kvm_virtio' from the installed site directory"
		exit 1
	fi
fi
