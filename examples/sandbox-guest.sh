#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# examples/sandbox-guest.sh: /test.sh of sandbox-run's guest (packed by
# tests/system/l2-initramfs.sh). The host puts the command on the kernel
# command line as sandbox.cmd=HEX (the bytes of a sh -c script, in hex, so
# that no quoting survives or breaks anything); this runs it with its
# output on the console between two markers, then prints the command's
# own exit status and powers off:
#   @@SANDBOX-OUT@@
#   ...whatever the command printed...
#   @@SANDBOX-EXIT <status>@@
read -r cmdline </proc/cmdline
hex=
for w in $cmdline; do
	case $w in sandbox.cmd=*) hex=${w#sandbox.cmd=} ;; esac
done
# Every byte becomes \xHH: printf sees no other format characters.
cmd=$(printf "$(echo "$hex" | sed 's/../\\x&/g')")
echo "@@SANDBOX-OUT@@"
sh -c "$cmd"
echo "@@SANDBOX-EXIT $?@@"
poweroff -f
