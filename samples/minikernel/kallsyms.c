// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reads the kallsyms table the way Linux 6.12 kernel/kallsyms.c does; the
 * functions keep the kernel's names and structure so the two can be compared.
 */
#include "kallsyms_internal.h"

/*
 * Expand a compressed symbol data into the resulting uncompressed string,
 * truncated to maxlen, given the offset to where the symbol is in the
 * compressed stream. Returns the offset of the next symbol.
 */
static unsigned int kallsyms_expand_symbol(unsigned int off,
					   char *result, unsigned long maxlen)
{
	int len, skipped_first = 0;
	const char *tptr;
	const u8 *data;

	/* Get the compressed symbol length from the first symbol byte. */
	data = &kallsyms_names[off];
	len = *data;
	data++;
	off++;

	/* If MSB is 1, it is a "big" symbol, so needs an additional byte. */
	if ((len & 0x80) != 0) {
		len = (len & 0x7F) | (*data << 7);
		data++;
		off++;
	}

	off += len;

	/* Every byte of the compressed symbol is an index into the token table. */
	while (len) {
		tptr = &kallsyms_token_table[kallsyms_token_index[*data]];
		data++;
		len--;

		while (*tptr) {
			/* The first character is the type letter, not part of the name. */
			if (skipped_first) {
				if (maxlen <= 1)
					goto tail;
				*result = *tptr;
				result++;
				maxlen--;
			} else
				skipped_first = 1;
			tptr++;
		}
	}

tail:
	if (maxlen)
		*result = '\0';

	return off;
}

/* Offset in kallsyms_names of symbol pos: from the nearest marker (one per 256 symbols), skip forward. */
static unsigned int get_symbol_offset(unsigned long pos)
{
	const u8 *name;
	unsigned int i;
	int len;

	name = &kallsyms_names[kallsyms_markers[pos >> 8]];

	for (i = 0; i < (pos & 0xFF); i++) {
		len = *name;

		/* A "big" symbol has a second length byte to skip too. */
		if ((len & 0x80) != 0)
			len = ((len & 0x7F) | (name[1] << 7)) + 1;

		name = name + len + 1;
	}

	return name - kallsyms_names;
}

static unsigned long kallsyms_sym_address(int idx)
{
	/* Values are unsigned offsets if --absolute-percpu is not in effect. */
#ifndef CONFIG_KALLSYMS_ABSOLUTE_PERCPU
	return kallsyms_relative_base + (unsigned int)kallsyms_offsets[idx];
#else
	/* ...otherwise, positive offsets are absolute values */
	if (kallsyms_offsets[idx] >= 0)
		return kallsyms_offsets[idx];

	/* ...and negative offsets are relative to kallsyms_relative_base - 1 */
	return kallsyms_relative_base - 1 - kallsyms_offsets[idx];
#endif
}

/* Index of the symbol that is index-th in name order (3 bytes big-endian). */
static unsigned int get_symbol_seq(int index)
{
	unsigned int i, seq = 0;

	for (i = 0; i < 3; i++)
		seq = (seq << 8) | kallsyms_seqs_of_names[3 * index + i];

	return seq;
}

/* Binary search over the names, in the order kallsyms_seqs_of_names gives. */
unsigned long kallsyms_lookup_name(const char *name)
{
	char namebuf[KSYM_NAME_LEN];
	int low, mid, high, ret;
	unsigned int seq;

	if (!*name)
		return 0;

	low = 0;
	high = (int)kallsyms_num_syms - 1;

	while (low <= high) {
		mid = low + (high - low) / 2;
		seq = get_symbol_seq(mid);
		kallsyms_expand_symbol(get_symbol_offset(seq), namebuf, ARRAY_SIZE(namebuf));
		ret = strcmp(name, namebuf);
		if (ret > 0)
			low = mid + 1;
		else if (ret < 0)
			high = mid - 1;
		else
			return kallsyms_sym_address(seq);
	}

	return 0;
}

static int is_kernel_inittext(unsigned long addr)
{
	return addr >= (unsigned long)_sinittext && addr < (unsigned long)_einittext;
}

static int is_ksym_addr(unsigned long addr)
{
#ifdef CONFIG_KALLSYMS_ALL
	return addr >= (unsigned long)_stext && addr < (unsigned long)_end;
#else
	return (addr >= (unsigned long)_stext && addr < (unsigned long)_etext) ||
	       is_kernel_inittext(addr);
#endif
}

/* Binary search on the sorted kallsyms_offsets: the symbol containing addr. */
static unsigned long get_symbol_pos(unsigned long addr,
				    unsigned long *symbolsize,
				    unsigned long *offset)
{
	unsigned long symbol_start = 0, symbol_end = 0;
	unsigned long i, low, high, mid;

	low = 0;
	high = kallsyms_num_syms;

	while (high - low > 1) {
		mid = low + (high - low) / 2;
		if (kallsyms_sym_address(mid) <= addr)
			low = mid;
		else
			high = mid;
	}

	/* Search for the first aliased symbol (same address). */
	while (low && kallsyms_sym_address(low - 1) == kallsyms_sym_address(low))
		--low;

	symbol_start = kallsyms_sym_address(low);

	/* Search for next non-aliased symbol. */
	for (i = low + 1; i < kallsyms_num_syms; i++) {
		if (kallsyms_sym_address(i) > symbol_start) {
			symbol_end = kallsyms_sym_address(i);
			break;
		}
	}

	/* If we found no next symbol, we use the end of the section. */
	if (!symbol_end) {
		if (is_kernel_inittext(addr))
			symbol_end = (unsigned long)_einittext;
#ifdef CONFIG_KALLSYMS_ALL
		else
			symbol_end = (unsigned long)_end;
#else
		else
			symbol_end = (unsigned long)_etext;
#endif
	}

	*symbolsize = symbol_end - symbol_start;
	*offset = addr - symbol_start;

	return low;
}

/* Name, size and offset of the symbol containing addr; NULL outside the image. */
const char *kallsyms_lookup(unsigned long addr, unsigned long *symbolsize,
			    unsigned long *offset, char *namebuf)
{
	unsigned long pos;

	if (!kallsyms_num_syms || !is_ksym_addr(addr))
		return 0;

	pos = get_symbol_pos(addr, symbolsize, offset);
	kallsyms_expand_symbol(get_symbol_offset(pos), namebuf, KSYM_NAME_LEN);
	return namebuf;
}

/*
 * One line per frame, walking the frame-pointer chain (saved rbp, then the
 * return address) up to _start, which cleared rbp. Return addresses are looked
 * up one byte back, as the kernel's %pB does, so a call that ends a function
 * still names the caller.
 */
noinline void print_backtrace(void)
{
	const unsigned long *frame = __builtin_frame_address(0);
	char namebuf[KSYM_NAME_LEN];
	unsigned long here, size, offset;

	__asm__ volatile("lea 0(%%rip), %0" : "=r"(here));
	printk("Call Trace:\n");
	if (kallsyms_lookup(here, &size, &offset, namebuf))
		printk(" %s+0x%lx/0x%lx\n", namebuf, offset, size);

	for (; frame; frame = (const unsigned long *)frame[0]) {
		unsigned long ret = frame[1];

		if (kallsyms_lookup(ret - 1, &size, &offset, namebuf))
			printk(" %s+0x%lx/0x%lx\n", namebuf, offset + 1, size);
		else
			printk(" 0x%lx (no symbol)\n", ret);
	}
}
