#!/bin/sh
# autogen.sh: generate configure from configure.ac (needs autoconf,
# automake, libtool, pkg-config).
set -eu
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
# The TAP driver runs the system tests' TAP scripts.
for d in /usr/share/automake-*; do
	if [ -f "$d/tap-driver.sh" ]; then
		cp -f "$d/tap-driver.sh" build-aux/
		break
	fi
done
