/* Unit tests of bcd_vhdx.c: the device of a partition inside a VHDX,
 * rebuilt from the fields of the elements in two stores Windows wrote
 * (fixtures/bcd-samples, read with hivex) and compared byte for byte. */
#include <errno.h>
#include <hivex.h>
#include <stdlib.h>
#include <string.h>

#include "bcd_sample.h"
#include "tap.h"
#include "wintogo/bcd_vhdx.h"

static struct bcd_device mbr(uint64_t offset, uint32_t signature)
{
	return (struct bcd_device){ .style = BCD_STYLE_MBR, .mbr_offset = offset, .mbr_signature = signature };
}

/* The sample's element, and ours from the fields vhd-device-layout.txt
 * reads in it: the same bytes. */
static void check_sample(const char *file, const char *object, const char *code, struct bcd_device inner,
			 struct bcd_device host, const char *path, size_t want_len)
{
	size_t len = 0, our_len = 0;
	char *theirs = sample_element(file, object, code, &len);
	uint8_t *ours = NULL;
	struct bcd_vhdx_device back = { 0 };

	ok(theirs && len == want_len, "the sample element has its decoded length");
	is_int(bcd_vhdx_encode(&inner, &host, path, &ours, &our_len), 0, "our encoder takes its path");
	ok(theirs && our_len == len && !memcmp(ours, theirs, len), "and writes the bytes Windows wrote");
	is_int(theirs ? bcd_vhdx_decode((uint8_t *)theirs, len, &back) : -1, 0, "Windows' element decodes");
	ok(back.path && !strcmp(back.path, path), "to its path");
	ok(back.inner.style == BCD_STYLE_MBR && back.inner.mbr_offset == inner.mbr_offset &&
	   back.inner.mbr_signature == inner.mbr_signature, "to the inner partition's offset and disk signature");
	ok(back.host.style == host.style && back.host.mbr_offset == host.mbr_offset &&
	   back.host.mbr_signature == host.mbr_signature, "to the host partition");
	bcd_vhdx_release(&back);
	free(ours);
	free(theirs);
}

static void test_samples(void)
{
	check_sample(SAMPLES "ventoy_vhdboot_BCD", "{f0ce84a1-f247-11ea-aa8a-806e6f6e6963}", "11000001",
		     mbr(0x100000, 0x9e372d8e), mbr(0x1f500000, 0xbcc2c0a9), "\\123.vhdx", 0xc4);
	check_sample(SAMPLES "vhdiso_BCD", "{5f7bf00d-9ab2-11eb-9a06-001a7dda7113}", "21000001",
		     mbr(0x100000, 0xd0733e24), mbr(0x100000, 0x96a45d1c), "\\iso\\SystemRestore.vhdx", 0xe0);
}

/* Ours: an MBR disk inside the VHDX, the host a GPT partition. */
static void test_gpt_host(void)
{
	struct bcd_device inner = mbr(0x100000, 0x1234abcd), host = { .style = BCD_STYLE_GPT }, plain_host;
	struct bcd_vhdx_device back = { 0 };
	uint8_t plain[BCD_DEVICE_SIZE], *bytes = NULL;
	size_t len = 0;

	guid_parse("166c661a-0632-4b7b-ae60-02a2e43ee4c4", &host.partition);
	guid_parse("58e7c7a4-7c40-42b3-86d3-4d397874c42c", &host.disk);
	is_int(bcd_vhdx_encode(&inner, &host, BCD_VHDX_PATH, &bytes, &len), 0, "a GPT host partition encodes");
	is_int((long long)len, 0xb0 + 2 * (strlen(BCD_VHDX_PATH) + 1), "to 0xb0 bytes and the path");
	bcd_device_encode(&host, plain);
	ok(bytes && !memcmp(bytes + 0x68, plain + 16, 0x48), "its host device is the plain partition device");
	is_int(bcd_vhdx_decode(bytes, len, &back), 0, "and decodes");
	ok(back.host.style == BCD_STYLE_GPT && !memcmp(&back.host.partition, &host.partition, 16) &&
	   !memcmp(&back.host.disk, &host.disk, 16), "to the host's partition and disk GUIDs");
	bcd_vhdx_release(&back);
	/* a plain partition device is not one, nor a damaged one */
	is_int(bcd_vhdx_decode(plain, sizeof(plain), &back), -EINVAL, "a plain partition device is not a VHDX device");
	is_int(bcd_device_decode(bytes, len, &plain_host), -EINVAL, "nor is a VHDX device a plain one");
	bytes[0x58] = 3;  /* a ramdisk, not a file */
	is_int(bcd_vhdx_decode(bytes, len, &back), -EINVAL, "a backing device that is not a file is refused");
	bytes[0x58] = 5;
	bytes[0x18]++;
	is_int(bcd_vhdx_decode(bytes, len, &back), -EINVAL, "a size that is not the element's is refused");
	bytes[0x18]--;
	is_int(bcd_vhdx_decode(bytes, len - 2, &back), -EINVAL, "a truncated element is refused");
	free(bytes);
	is_int(bcd_vhdx_encode(&inner, &host, "wintogo.vhdx", &bytes, &len), -EINVAL, "a relative path is refused");
	is_int(bcd_vhdx_encode(&inner, &host, "\\w\xc3\xa9.vhdx", &bytes, &len), -EINVAL, "a non-ASCII path is refused");
}

int main(void)
{
	plan(26);
	test_samples();
	test_gpt_host();
	return done_testing();
}
