# examples/local.mk: example host programs, linked to the shared library.
noinst_PROGRAMS += examples/vm-run examples/embed examples/boot-linux \
	examples/net-tap
examples_vm_run_SOURCES = examples/vm-run.c
examples_vm_run_LDADD = lib/libkvm-virtio.la
# Runs in place without a libtool wrapper (RPATH to lib/.libs), so the
# demo can copy it into the nested L1.
examples_vm_run_LDFLAGS = -no-install
examples_embed_SOURCES = examples/embed.c
examples_embed_LDADD = lib/libkvm-virtio.la
# The two smallest programs a new user copies (tests/system/run-examples.sh
# runs them).
examples_boot_linux_SOURCES = examples/boot-linux.c
examples_boot_linux_LDADD = lib/libkvm-virtio.la
examples_boot_linux_LDFLAGS = -no-install
examples_net_tap_SOURCES = examples/net-tap.c
examples_net_tap_LDADD = lib/libkvm-virtio.la
examples_net_tap_LDFLAGS = -no-install
EXTRA_DIST += examples/demo-guest.sh examples/demo-net.sh
# sandbox-run: one VM per request (its guest: sandbox-guest.sh as the
# /test.sh of tests/system/l2-initramfs.sh). -no-install: runs in place,
# so tests can copy it into a nested L1.
noinst_PROGRAMS += examples/sandbox-run
examples_sandbox_run_SOURCES = examples/sandbox-run.c
examples_sandbox_run_LDADD = lib/libkvm-virtio.la
examples_sandbox_run_LDFLAGS = -no-install
EXTRA_DIST += examples/sandbox-guest.sh
# net-passt: unprivileged networking through passt (a "stream" netdev).
noinst_PROGRAMS += examples/net-passt
examples_net_passt_SOURCES = examples/net-passt.c
examples_net_passt_LDADD = lib/libkvm-virtio.la
examples_net_passt_LDFLAGS = -no-install
# vhost-user: the seed's chardev + vhost-user netdev + virtio-net-pci, the
# packet path in a backend process (run-examples.sh: DPDK's testpmd).
noinst_PROGRAMS += examples/vhost-user
examples_vhost_user_SOURCES = examples/vhost-user.c
examples_vhost_user_LDADD = lib/libkvm-virtio.la
examples_vhost_user_LDFLAGS = -no-install
