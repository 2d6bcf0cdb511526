/* regf.c - an empty registry hive, written from nothing (see regf.h).
 *
 *   file 0x0000  base block "regf": sequence numbers, version 1.3, root
 *                cell offset, hbin data size, checksum at 0x1fc
 *   file 0x1000  hbin header (32 bytes)
 *   hive 0x0020  root key cell (nk), flags HIVE_ENTRY|NO_DELETE|COMP_NAME
 *   hive ....    security cell (sk), linked to itself, refcount 1
 *   hive ....    one free cell, the rest of the hbin
 *
 * "hive" offsets count from the first hbin, as the format does.  Cells
 * are 8-byte aligned, their size negative while allocated.  The field
 * values follow what Windows writes into a new BCD store. */
#include "wintogo/regf.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define REGF_BLOCK 4096
#define HBIN_HEADER 32
#define CELL_ALIGN 8

struct regf_base {
	char signature[4];        /* "regf" */
	uint32_t sequence1, sequence2;  /* equal: the hive is clean */
	uint64_t timestamp;
	uint32_t major, minor;    /* 1.3, as every Windows-written BCD */
	uint32_t type;            /* 0: primary file */
	uint32_t format;          /* 1: memory image */
	uint32_t root_cell;       /* hive offset of the root nk */
	uint32_t hbins_size;
	uint32_t clustering;
	uint16_t file_name[32];   /* informational */
	uint8_t reserved[396];
	uint32_t checksum;        /* XOR of the 127 dwords before it */
} __attribute__((packed));
static_assert(sizeof(struct regf_base) == 512, "regf base block header is 512 bytes");

struct hbin_header {
	char signature[4];        /* "hbin" */
	uint32_t offset;          /* from the first hbin */
	uint32_t size;
	uint64_t reserved;
	uint64_t timestamp;
	uint32_t spare;
} __attribute__((packed));
static_assert(sizeof(struct hbin_header) == HBIN_HEADER, "hbin header is 32 bytes");

struct nk_cell {
	int32_t size;             /* negative: allocated */
	char signature[2];        /* "nk" */
	uint16_t flags;
	uint64_t timestamp;
	uint32_t access_bits;
	uint32_t parent;
	uint32_t subkeys, volatile_subkeys;
	uint32_t subkey_list, volatile_subkey_list;
	uint32_t values, value_list;
	uint32_t security;        /* hive offset of the sk cell */
	uint32_t class_name;
	uint32_t max_subkey_name, max_class_name, max_value_name, max_value_data;
	uint32_t work_var;
	uint16_t name_length, class_length;
	char name[];              /* ASCII: KEY_COMP_NAME */
} __attribute__((packed));
static_assert(sizeof(struct nk_cell) == 4 + 0x4c, "nk cell header is 0x4c bytes");

struct sk_cell {
	int32_t size;
	char signature[2];        /* "sk" */
	uint16_t reserved;
	uint32_t flink, blink;    /* the list of sk cells: only this one */
	uint32_t refcount;
	uint32_t descriptor_length;
	uint8_t descriptor[];
} __attribute__((packed));
static_assert(sizeof(struct sk_cell) == 24, "sk cell header is 20 bytes after its size");

#define NK_HIVE_ENTRY 0x0004
#define NK_NO_DELETE 0x0008
#define NK_COMP_NAME 0x0020
#define NO_CELL 0xffffffffu

/* Self-relative security descriptor of a bcdboot-made store's root key:
 * owner Administrators, group SYSTEM, DACL allowing Administrators
 * 0x00060019 and SYSTEM KEY_ALL_ACCESS. */
static const uint8_t root_descriptor[] = {
	0x01, 0x00, 0x04, 0x80, 0x48, 0x00, 0x00, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x34, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x00, 0x19, 0x00, 0x06, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20,
	0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x3f, 0x00, 0x0f, 0x00,
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00,
};

static uint32_t cell_size(size_t bytes)
{
	return (uint32_t)((bytes + CELL_ALIGN - 1) / CELL_ALIGN * CELL_ALIGN);
}

static uint64_t filetime_now(void)
{
	/* 100 ns units since 1601-01-01 */
	return ((uint64_t)time(NULL) + UINT64_C(11644473600)) * 10000000;
}

static void fill_base(uint8_t *block, uint32_t root_cell, uint64_t now)
{
	struct regf_base base = {
		.signature = "regf", .sequence1 = 1, .sequence2 = 1, .timestamp = now,
		.major = 1, .minor = 3, .type = 0, .format = 1, .root_cell = root_cell,
		.hbins_size = REGF_BLOCK, .clustering = 1,
	};
	const char *name = "\\EFI\\Microsoft\\Boot\\BCD";
	uint32_t words[127], sum = 0;

	for (size_t i = 0; name[i] && i < 32; i++)
		base.file_name[i] = (uint16_t)name[i];
	memcpy(words, &base, sizeof(words));
	for (size_t i = 0; i < 127; i++)
		sum ^= words[i];
	base.checksum = sum == 0xffffffffu ? 0xfffffffeu : sum == 0 ? 1 : sum;
	memcpy(block, &base, sizeof(base));
}

int regf_write_empty(struct wtg_ctx *ctx, const char *path, const char *root_name)
{
	static uint8_t file[2 * REGF_BLOCK];
	uint8_t *bin = file + REGF_BLOCK;
	size_t name_len = strlen(root_name);
	uint32_t nk_at = HBIN_HEADER, nk_size, sk_at, sk_size, free_at;
	uint64_t now = filetime_now();
	struct hbin_header header = { .signature = "hbin", .size = REGF_BLOCK, .timestamp = now };
	struct nk_cell *nk;
	struct sk_cell *sk;
	int fd, ret = 0;

	if (name_len == 0 || name_len > 32)
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: hive root name '%s'", root_name);
	memset(file, 0, sizeof(file));
	nk_size = cell_size(sizeof(*nk) + name_len);
	sk_at = nk_at + nk_size;
	sk_size = cell_size(sizeof(*sk) + sizeof(root_descriptor));
	free_at = sk_at + sk_size;

	memcpy(bin, &header, sizeof(header));
	nk = (struct nk_cell *)(bin + nk_at);
	*nk = (struct nk_cell){
		.size = -(int32_t)nk_size, .signature = "nk",
		.flags = NK_HIVE_ENTRY | NK_NO_DELETE | NK_COMP_NAME, .timestamp = now,
		.subkey_list = NO_CELL, .volatile_subkey_list = NO_CELL, .value_list = NO_CELL,
		.security = sk_at, .class_name = NO_CELL, .name_length = (uint16_t)name_len,
	};
	memcpy(nk->name, root_name, name_len);
	sk = (struct sk_cell *)(bin + sk_at);
	*sk = (struct sk_cell){
		.size = -(int32_t)sk_size, .signature = "sk", .flink = sk_at, .blink = sk_at,
		.refcount = 1, .descriptor_length = sizeof(root_descriptor),
	};
	memcpy(sk->descriptor, root_descriptor, sizeof(root_descriptor));
	/* the free cell: positive size, up to the end of the hbin */
	*(int32_t *)(bin + free_at) = (int32_t)(REGF_BLOCK - free_at);
	fill_base(file, nk_at, now);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_syserr(ctx, errno, "cannot create '%s'", path);
	ret = write_all(fd, file, sizeof(file));
	if (ret < 0)
		ret = log_syserr(ctx, -ret, "cannot write '%s'", path);
	close(fd);
	return ret;
}
