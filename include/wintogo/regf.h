/* regf.h - the smallest registry hive that hivex can open and edit.
 *
 * hivex edits hives but cannot create one, so a store built from scratch
 * starts from this: a 4 KiB base block and one 4 KiB hbin holding the root
 * key, its security descriptor and one free cell (layout in the header of
 * regf.c).  The cells tile the hbin with no gap, or hivex refuses it. */
#ifndef WINTOGO_REGF_H
#define WINTOGO_REGF_H

#include "wintogo/ctx.h"

#include <stdint.h>

/* Writes an empty hive whose root key is root_name (e.g. "NewStoreRoot",
 * at most 32 ASCII characters) to path, which must not exist. */
int regf_write_empty(struct wtg_ctx *ctx, const char *path, const char *root_name);

#endif
