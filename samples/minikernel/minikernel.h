/* SPDX-License-Identifier: GPL-2.0-only */
/* The few kernel-isms the sample needs, without libc. */
#ifndef MINIKERNEL_H
#define MINIKERNEL_H

#include <stdarg.h>

typedef unsigned char u8;
typedef unsigned short u16;

#define KSYM_NAME_LEN 512
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

#define __section(s) __attribute__((__section__(s)))
#define __used __attribute__((__used__))
#define noinline __attribute__((__noinline__))

/* Code that runs once at boot, placed between _sinittext and _einittext. */
#define __init __section(".init.text") noinline

typedef int (*initcall_t)(void);
/* Registers fn in .initcall.init, which the linker script brackets with __initcall_start/__initcall_end. */
#define initcall(fn) \
	static const initcall_t __initcall_##fn __used __section(".initcall.init") = fn

void _start(void);		/* head.S */

/* Symbols assigned by minikernel.lds. */
extern char _text[], _stext[], _etext[];
extern char _sinittext[], _einittext[];
extern char __init_begin[], __init_end[];
extern char _end[];
extern const initcall_t __initcall_start[], __initcall_end[];

/* lib/printk.c */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int strcmp(const char *a, const char *b);

/* kallsyms.c */
unsigned long kallsyms_lookup_name(const char *name);
const char *kallsyms_lookup(unsigned long addr, unsigned long *symbolsize,
			    unsigned long *offset, char *namebuf);
void print_backtrace(void);

#endif
