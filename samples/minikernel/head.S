/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry point, in .head.text at _text like arch/x86/kernel/head_64.S.
 * Clears rbp so the frame-pointer walk in print_backtrace stops here.
 */
	.section .head.text, "ax"
	.globl _start
	.type _start, @function
_start:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	main
	movl	%eax, %edi
	movl	$60, %eax		/* exit(main()) */
	syscall
	hlt
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
