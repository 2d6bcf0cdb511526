/* guid.h - GUIDs for disks and partitions: random, or derived from a seed
 * so that tests and reproducible builds get the same GUIDs every run. */
#ifndef WINTOGO_GUID_H
#define WINTOGO_GUID_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#define GUID_STR_LEN 37  /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */

struct guid {
	uint8_t bytes[16];  /* in text order, as in the string form */
};

/* A version-4 GUID: random, or the SHA-256 of (seed, purpose) when
 * seeded is true.  Returns 0 or a negative code. */
int guid_make(struct wtg_ctx *ctx, struct guid *guid_ret, bool seeded, uint64_t seed, const char *purpose);

/* Upper-case text form, as GPT tools and Windows print GUIDs. */
void guid_format(const struct guid *guid, char out[GUID_STR_LEN]);
int guid_parse(const char *text, struct guid *guid_ret);

/* The 16 bytes as Windows stores a GUID on disk (GPT entries, BCD device
 * elements): the first three fields little-endian. */
void guid_to_mixed_endian(const struct guid *guid, uint8_t out[16]);

#endif
