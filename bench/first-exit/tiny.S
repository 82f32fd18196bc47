/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/first-exit/tiny.S: a 64 KiB "BIOS" for QEMU's microvm, the QEMU
 * peer of the first-exit benchmark.
 *
 * QEMU maps a -bios image just below 4 GiB and the CPU resets at
 * 0xFFFFFFF0, i.e. 16 bytes before the end of the image.  The code there
 * writes 0x2a to the debug-exit port 0x501 (the port the library uses;
 * QEMU needs -device isa-debug-exit,iobase=0x501,iosize=2 and then exits
 * with status (0x2a << 1) | 1 = 85), then halts.
 *
 * Its .text is the whole image, linked flat by tiny.ld:
 *   $(CC) -nostdlib -static -Wl,-T,tiny.ld -o tiny.bin tiny.S
 */
	.code16
	.text
	.globl	tiny_bios
tiny_bios:
	.fill	0xfff0, 1, 0xff		/* nothing but the reset vector */
reset_vector:				/* image offset 0xfff0 */
	movb	$0x2a, %al
	movw	$0x501, %dx
	outb	%al, %dx
1:	hlt
	jmp	1b
	.fill	0x10000 - (. - tiny_bios), 1, 0xff
	.section .note.GNU-stack, "", @progbits
