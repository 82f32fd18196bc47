# examples/local.mk: example host programs, linked to the shared library.
noinst_PROGRAMS += examples/vm-run examples/embed
examples_vm_run_SOURCES = examples/vm-run.c
examples_vm_run_LDADD = lib/libkvm-virtio.la
# Runs in place without a libtool wrapper (RPATH to lib/.libs), so the
# demo can copy it into the nested L1.
examples_vm_run_LDFLAGS = -no-install
examples_embed_SOURCES = examples/embed.c
examples_embed_LDADD = lib/libkvm-virtio.la
EXTRA_DIST += examples/demo-guest.sh examples/demo-net.sh
