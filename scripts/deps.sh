#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/deps.sh: install the Debian 12 packages the build, tests and demo
# need, only those missing (apt-get update runs once, only if needed).
set -eu
pkgs="build-essential autoconf automake libtool pkg-config linux-libc-dev
libcap-ng-dev libseccomp-dev check clang qemu-system-x86 busybox-static cpio
kmod xz-utils iproute2 binutils iperf3 ethtool python3 python3-pytest
passt"
missing=""
# libclang-rt-dev: clang's libFuzzer and sanitizer runtimes (--enable-fuzzing);
# clang only recommends it, and recommends are not installed here.
pkgs="$pkgs libclang-rt-dev"
# dpdk-dev: dpdk-testpmd, the real vhost-user backend of
# tests/unit/test-vhost-user-dpdk, test-linux's vhost-user test and
# bench/vhost-user (its net_vhost and net_tap drivers are in dpdk's libs).
pkgs="$pkgs dpdk-dev"
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
	$SUDO apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
}
