/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/first-exit/exit-guest.S: the trivial guest booted by `ours`.
 *
 * A freestanding ELF64 linked at 0x100000 (1 MiB) whose first instruction
 * writes 0x2a to the library's debug-exit port 0x501, so that vm_wait()
 * reports VM_EXIT_DEBUG with code 0x2a.  The library enters ELF test guests
 * in 64-bit mode; the same bytes also decode the same way in 32-bit
 * protected mode.  Linked with exit-guest.ld.
 */
	.code64
	.text
	.globl	_start
_start:
	movb	$0x2a, %al
	movw	$0x501, %dx
	outb	%al, %dx
1:	hlt
	jmp	1b
	.section .note.GNU-stack, "", @progbits
