/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/guests/start.S: entry of every test guest.
 *
 * The library enters in 64-bit long mode with paging on (identity map),
 * RSI = boot_params. Every vCPU of a test guest starts here (see
 * lib/arch/x86/machine.c); each takes the stack of its APIC ID (CPUID leaf
 * 1, EBX[31:24]) and calls guest_main(apic_id, boot_params).
 */
#define STACK_SHIFT 14 /* 16 KiB per vCPU */
#define MAX_CPUS 8

	.section .text.start, "ax"
	.globl _start
	.code64
_start:
	cld
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	and	$(MAX_CPUS - 1), %ebx
	lea	stacks_end(%rip), %rsp
	mov	%rbx, %rax
	shl	$STACK_SHIFT, %rax
	sub	%rax, %rsp
	mov	%ebx, %edi
	call	guest_main
1:	cli
	hlt
	jmp	1b

	.bss
	.balign 4096
stacks:
	.space (1 << STACK_SHIFT) * MAX_CPUS
stacks_end:
	.section .note.GNU-stack, "", @progbits
