// SPDX-License-Identifier: GPL-2.0-only
/*
 * Just enough printk for the sample: %s %c %d %u %x %lu %lx %%, written with
 * the raw write(2) system call. Linked from lib.a, like the kernel's lib/lib.a.
 */
#include "../minikernel.h"

static long sys_write(int fd, const void *buf, unsigned long count)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(1L), "D"((long)fd), "S"(buf), "d"(count)
			 : "rcx", "r11", "memory");
	return ret;
}

struct printbuf {
	char data[1024];
	unsigned long len;
};

static void put_char(struct printbuf *pb, char c)
{
	if (pb->len < sizeof(pb->data))
		pb->data[pb->len++] = c;
}

static void put_string(struct printbuf *pb, const char *s)
{
	while (*s)
		put_char(pb, *s++);
}

static void put_number(struct printbuf *pb, unsigned long value, unsigned int base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	while (n)
		put_char(pb, digits[--n]);
}

static int vprintk(int fd, const char *fmt, va_list args)
{
	struct printbuf pb;

	pb.len = 0;	/* not an initializer: that would zero data[] with a memset call */

	for (; *fmt; fmt++) {
		int is_long = 0;

		if (*fmt != '%') {
			put_char(&pb, *fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			put_string(&pb, va_arg(args, const char *));
			break;
		case 'c':
			put_char(&pb, (char)va_arg(args, int));
			break;
		case 'd': {
			long value = is_long ? va_arg(args, long) : va_arg(args, int);

			if (value < 0) {
				put_char(&pb, '-');
				value = -value;
			}
			put_number(&pb, (unsigned long)value, 10);
			break;
		}
		case 'u':
		case 'x':
			put_number(&pb, is_long ? va_arg(args, unsigned long) : va_arg(args, unsigned int),
				   *fmt == 'x' ? 16 : 10);
			break;
		case '%':
			put_char(&pb, '%');
			break;
		default:
			/* Unsupported conversion: show it rather than guess. */
			put_char(&pb, '%');
			if (!*fmt)
				fmt--;
			else
				put_char(&pb, *fmt);
			break;
		}
	}
	sys_write(fd, pb.data, pb.len);
	return (int)pb.len;
}

int printk(const char *fmt, ...)
{
	va_list args;
	int len;

	va_start(args, fmt);
	len = vprintk(1, fmt, args);
	va_end(args);
	return len;
}

int pr_err(const char *fmt, ...)
{
	va_list args;
	int len;

	va_start(args, fmt);
	len = vprintk(2, fmt, args);
	va_end(args);
	return len;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}
