/* guid.c - random and seeded GUIDs (see guid.h). */
#include "wintogo/guid.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "wintogo/log.h"

int guid_make(struct wtg_ctx *ctx, struct guid *guid_ret, bool seeded, uint64_t seed, const char *purpose)
{
	struct guid g;

	if (seeded) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int len = 0;
		EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
		char seed_text[32];

		snprintf(seed_text, sizeof(seed_text), "%llu:", (unsigned long long)seed);
		if (!md_ctx || !EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) ||
		    !EVP_DigestUpdate(md_ctx, seed_text, strlen(seed_text)) ||
		    !EVP_DigestUpdate(md_ctx, purpose, strlen(purpose)) ||
		    !EVP_DigestFinal_ex(md_ctx, md, &len)) {
			EVP_MD_CTX_free(md_ctx);
			return log_error(ctx, WTG_ERR_FAILED, "cannot derive a GUID: SHA-256 failed");
		}
		EVP_MD_CTX_free(md_ctx);
		memcpy(g.bytes, md, sizeof(g.bytes));
	} else if (getrandom(g.bytes, sizeof(g.bytes), 0) != sizeof(g.bytes)) {
		return log_syserr(ctx, errno, "cannot make a random GUID");
	}
	g.bytes[6] = (g.bytes[6] & 0x0f) | 0x40;  /* version 4 */
	g.bytes[8] = (g.bytes[8] & 0x3f) | 0x80;  /* RFC 4122 variant */
	*guid_ret = g;
	return 0;
}

void guid_format(const struct guid *g, char out[GUID_STR_LEN])
{
	const uint8_t *b = g->bytes;

	snprintf(out, GUID_STR_LEN,
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
		 b[11], b[12], b[13], b[14], b[15]);
}

static int hex_value(char c)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int guid_parse(const char *text, struct guid *guid_ret)
{
	struct guid g;
	size_t n = 0;

	if (*text == '{')
		text++;
	for (const char *p = text; *p && *p != '}'; p++) {
		int hi, lo;

		if (*p == '-' && (p - text == 8 || p - text == 13 || p - text == 18 || p - text == 23))
			continue;
		hi = hex_value(p[0]);
		lo = p[1] ? hex_value(p[1]) : -1;
		if (hi < 0 || lo < 0 || n == sizeof(g.bytes))
			return -EINVAL;
		g.bytes[n++] = (uint8_t)(hi << 4 | lo);
		p++;
	}
	if (n != sizeof(g.bytes))
		return -EINVAL;
	*guid_ret = g;
	return 0;
}

void guid_to_mixed_endian(const struct guid *g, uint8_t out[16])
{
	const uint8_t *b = g->bytes;
	const uint8_t mixed[16] = { b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
				    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15] };

	memcpy(out, mixed, sizeof(mixed));
}
