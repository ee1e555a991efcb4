/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kallsyms arrays exactly as Linux 6.12 declares them in
 * kernel/kallsyms_internal.h. Nothing here defines them: the link adds a
 * generated table object (the SDK's, or scripts/kallsyms output).
 */
#ifndef MINIKERNEL_KALLSYMS_INTERNAL_H
#define MINIKERNEL_KALLSYMS_INTERNAL_H

#include "minikernel.h"

extern const int kallsyms_offsets[];
extern const u8 kallsyms_names[];

extern const unsigned int kallsyms_num_syms;
extern const unsigned long kallsyms_relative_base;

extern const char kallsyms_token_table[];
extern const u16 kallsyms_token_index[];

extern const unsigned int kallsyms_markers[];
extern const u8 kallsyms_seqs_of_names[];

#endif
