# bench/boot/boot.mk: filled in by the boot benchmark
