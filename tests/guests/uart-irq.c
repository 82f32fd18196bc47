/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/guests/uart-irq.c: take COM1 interrupts through the 8259 PIC.
 *
 * The PIC is programmed to vectors 0x20-0x2f with only IRQ 4 unmasked; the
 * BSP's LAPIC has LINT0 in ExtINT mode (the library sets it), so the PIC's
 * output reaches the CPU. IER enables THRE and received-data interrupts.
 * The handler drains IIR (the line is edge-triggered at the PIC, so it must
 * read until "no interrupt"). The main loop answers each THRE interrupt by
 * sending one more byte until 3 were seen, and waits for one byte of input
 * (the host writes it to console_in_fd). Exit code: (thre_count << 8) | byte.
 */
#include "guest.h"

struct __attribute__((packed)) idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

static struct idt_entry idt[256] __attribute__((aligned(16)));
static volatile uint32_t thre_count;
static volatile int rx_char = -1;

void irq4_handler(void);
void irq4_entry(void);

__asm__(".text\n"
	".globl irq4_entry\n"
	"irq4_entry:\n"
	"	push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"	push %r8\n push %r9\n push %r10\n push %r11\n"
	"	call irq4_handler\n"
	"	pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"	pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"	iretq\n");

void irq4_handler(void)
{
	uint8_t iir;

	while (!((iir = inb(COM1 + 2)) & 1)) {
		switch (iir & 0x0e) {
		case 0x02: /* THRE (reading IIR cleared it) */
			thre_count++;
			break;
		case 0x04: /* received data */
			rx_char = inb(COM1);
			break;
		default:   /* line/modem status: read them to clear */
			(void)inb(COM1 + 5);
			(void)inb(COM1 + 6);
			break;
		}
	}
	outb(0x20, 0x20); /* non-specific EOI to the master PIC */
}

static void set_gate(unsigned vec, void (*fn)(void))
{
	uint64_t a = (uint64_t)(uintptr_t)fn;

	idt[vec].off0 = (uint16_t)a;
	idt[vec].sel = 0x10;
	idt[vec].ist = 0;
	idt[vec].type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	idt[vec].off1 = (uint16_t)(a >> 16);
	idt[vec].off2 = (uint32_t)(a >> 32);
	idt[vec].zero = 0;
}

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	uint32_t sent = 0;
	unsigned v;

	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	for (v = 0x20; v < 0x30; v++)
		set_gate(v, irq4_entry);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* 8259: ICW1 edge + ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086. */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, (uint8_t)~(1u << 4));
	outb(0xa1, 0xff);

	uart_puts("uart-irq\n");
	outb(COM1 + 4, 0x08);  /* MCR.OUT2: the PC's IRQ gate */
	outb(COM1 + 1, 0x03);  /* IER: received data + THRE */

	for (;;) {
		__asm__ volatile("cli");
		if (thre_count >= 3 && rx_char >= 0)
			break;
		if (thre_count > sent && thre_count < 3) {
			sent = thre_count;
			outb(COM1, 'T');
		}
		__asm__ volatile("sti; hlt"); /* sti shadow: no lost wakeup */
	}
	outb(COM1 + 1, 0);
	uart_puts("\nirq ok\n");
	debug_exit((uint16_t)((thre_count << 8) | (uint8_t)rx_char));
}
