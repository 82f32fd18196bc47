# examples/local.mk: example host programs, linked to the shared library.
noinst_PROGRAMS += examples/vm-run examples/embed
examples_vm_run_SOURCES = examples/vm-run.c
examples_vm_run_LDADD = lib/libkvm-virtio.la
examples_embed_SOURCES = examples/embed.c
examples_embed_LDADD = lib/libkvm-virtio.la
