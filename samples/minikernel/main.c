// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikernel: resolves its own addresses through the kallsyms table that the
 * link added, and prints a symbolized backtrace. Exit status: 0 when the table
 * answers correctly, 1 when it is empty (an unpatched reservation), 2 when it
 * gives wrong answers.
 */
#include "kallsyms_internal.h"

/* Incremented by nothing; here so that the script's "jiffies = jiffies_64" alias has a target. */
unsigned long jiffies_64 __section(".data");
extern unsigned long jiffies;

static int __init console_init(void)
{
	printk("minikernel: booting, %u symbols in kallsyms table\n", kallsyms_num_syms);
	return 0;
}
initcall(console_init);

static void __init do_initcalls(void)
{
	const initcall_t *fn;

	for (fn = __initcall_start; fn < __initcall_end; fn++)
		(*fn)();
}

noinline void level2(void)
{
	print_backtrace();
	__asm__ volatile("" ::: "memory");	/* keep the call from becoming a tail call */
}

noinline void level1(void)
{
	level2();
	__asm__ volatile("" ::: "memory");
}

static unsigned int kallsyms_errors;

/*
 * Each name must resolve to its own address, and the address back to a name
 * at offset 0 (the first of its aliases, as in the kernel: jiffies before jiffies_64).
 */
static void check_symbol(const char *name, const void *address)
{
	char namebuf[KSYM_NAME_LEN];
	unsigned long addr = (unsigned long)address, size, offset;
	unsigned long found = kallsyms_lookup_name(name);
	const char *back = kallsyms_lookup(addr, &size, &offset, namebuf);

	if (found == addr && back && offset == 0 && kallsyms_lookup_name(back) == addr)
		return;
	kallsyms_errors++;
	pr_err("minikernel: kallsyms table inconsistent: %s is at 0x%lx, table says 0x%lx and 0x%lx is %s+0x%lx\n",
	       name, addr, found, addr, back ? back : "?", back ? offset : 0);
}

int main(void)
{
	static const struct {
		const char *name;
		const void *address;
	} expected[] = {
		{ "_start", (const void *)_start },
		{ "main", (const void *)main },
		{ "level1", (const void *)level1 },
		{ "level2", (const void *)level2 },
		{ "print_backtrace", (const void *)print_backtrace },
		{ "console_init", (const void *)console_init },
#ifdef CONFIG_KALLSYMS_ALL
		/* Data is in the table only with --all-symbols. */
		{ "jiffies_64", &jiffies_64 },
		{ "kallsyms_num_syms", &kallsyms_num_syms },
#endif
	};
	unsigned int i;

	if (kallsyms_num_syms == 0) {
		pr_err("minikernel: kallsyms table is empty (kallsyms_num_syms == 0): "
		       "the image was linked with an unfilled reservation and never patched\n");
		return 1;
	}

	do_initcalls();

	for (i = 0; i < ARRAY_SIZE(expected); i++)
		check_symbol(expected[i].name, expected[i].address);
	if (kallsyms_errors)
		return 2;

	level1();
	printk("minikernel: initmem %lu bytes, jiffies %lu\n",
	       (unsigned long)(__init_end - __init_begin), jiffies);
	return 0;
}
