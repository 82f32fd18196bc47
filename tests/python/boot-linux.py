# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/python/boot-linux.py KERNEL INITRD CMDLINE: boot a stock Linux
kernel through the Python bindings, the console to a callable, and wait
for the guest to power off. test-linux runs it (nested where KVM cannot
boot stock kernels directly), with test-linux.cpio as the initramfs.

Prints one line "python-boot: ..." (the exit status, whether the guest's
/init said @@INIT@@, the time) and exits 0 when the guest reached /init
and powered off, 1 otherwise (the console's tail printed too)."""
import sys
import time

import kvm_virtio as kv


def main():
    kernel, initrd, cmdline = sys.argv[1:4]
    out = []
    t0 = time.monotonic()
    with kv.VM(kernel, initrd=initrd, cmdline=cmdline, mem_mib=256,
               console=out.append) as vm:
        vm.start()
        st = vm.wait(timeout=240)
    text = b"".join(out)
    init = b"@@INIT@@" in text
    print("python-boot: %r, @@INIT@@ %s, %.1f s, library %s"
          % (st, "seen" if init else "missing", time.monotonic() - t0,
             kv.version()))
    if st.reason == "poweroff" and init and not vm.console_errors:
        return 0
    sys.stdout.write(text.decode(errors="replace")[-2000:] + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
