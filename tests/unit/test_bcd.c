/* Unit tests of bcd.c and regf.c: device elements byte for byte against
 * stores Windows wrote (read with hivex), and stores that hivex reads. */
#include <errno.h>
#include <hivex.h>
#include <stdlib.h>
#include <unistd.h>

#include "bcd_sample.h"
#include "tap.h"
#include "wintogo/bcd.h"
#include "wintogo/regf.h"

static void test_devices(void)
{
	struct bcd_device gpt = { .style = BCD_STYLE_GPT }, mbr = { .style = BCD_STYLE_MBR }, back;
	uint8_t ours[BCD_DEVICE_SIZE];
	size_t len = 0;
	char *theirs;

	/* Windows2Go_BCD: {bootmgr} on the ESP {17b16537-...} of disk {60664987-...} */
	guid_parse("17b16537-abcc-4487-9792-e63a0a7dc8b4", &gpt.partition);
	guid_parse("60664987-ce0e-411b-9db7-86248b86bbb2", &gpt.disk);
	bcd_device_encode(&gpt, ours);
	theirs = sample_element(SAMPLES "Windows2Go_BCD", BCD_BOOTMGR, "11000001", &len);
	ok(theirs && len == BCD_DEVICE_SIZE && !memcmp(ours, theirs, len),
	   "a GPT partition device is byte for byte what Windows wrote");
	free(theirs);
	is_int(bcd_device_decode(ours, sizeof(ours), &back), 0, "and decodes");
	ok(!memcmp(&back.partition, &gpt.partition, 16) && !memcmp(&back.disk, &gpt.disk, 16),
	   "to the same partition and disk GUIDs");

	mbr.mbr_offset = 0x100000;
	mbr.mbr_signature = 0xddba6bbb;
	bcd_device_encode(&mbr, ours);
	is_int(bcd_device_decode(ours, sizeof(ours), &back), 0, "an MBR partition device decodes");
	ok(back.style == BCD_STYLE_MBR && back.mbr_offset == 0x100000 && back.mbr_signature == 0xddba6bbb,
	   "to its offset and disk signature");
	ours[16] = 5;
	is_int(bcd_device_decode(ours, sizeof(ours), &back), -EINVAL, "a boot device is not a partition");
	is_int(bcd_device_decode(ours, 46, &back), -EINVAL, "a short element is refused");
}

/* The MBR device elements of windeploy-linux_BCD, compared to ours. */
static void test_mbr_sample(void)
{
	hive_h *h = hivex_open(SAMPLES "windeploy-linux_BCD", 0);
	hive_node_h objects = h ? hivex_node_get_child(h, hivex_root(h), "Objects") : 0;
	hive_node_h *objs = objects ? hivex_node_children(h, objects) : NULL;
	int found = 0, same = 0;

	for (size_t i = 0; objs && objs[i]; i++) {
		hive_node_h els = hivex_node_get_child(h, objs[i], "Elements");
		hive_node_h *codes = els ? hivex_node_children(h, els) : NULL;

		for (size_t k = 0; codes && codes[k]; k++) {
			hive_value_h v = hivex_node_get_value(h, codes[k], "Element");
			struct bcd_device dev;
			uint8_t ours[BCD_DEVICE_SIZE];
			hive_type t;
			size_t len;
			char *data = v ? hivex_value_value(h, v, &t, &len) : NULL;

			if (data && bcd_device_decode((uint8_t *)data, len, &dev) == 0 &&
			    dev.style == BCD_STYLE_MBR) {
				found++;
				bcd_device_encode(&dev, ours);
				same += !memcmp(ours, data, len);
			}
			free(data);
		}
		free(codes);
	}
	free(objs);
	if (h)
		hivex_close(h);
	ok(found > 0, "windeploy-linux_BCD has MBR partition devices");
	is_int(same, found, "each re-encodes to the bytes Windows wrote");
}

static void test_stores(void)
{
	char dir[] = "/tmp/wintogo-bcd.XXXXXX";
	char empty[64], store[64], bad[64];
	struct bcd_request req = { .loader_description = "Windows 10 Pro", .locale = "de-DE", .seeded = true };
	hive_h *h;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	snprintf(store, sizeof(store), "%s/BCD", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	is_int(regf_write_empty(ctx, empty, "NewStoreRoot"), 0, "an empty hive is written");
	h = hivex_open(empty, HIVEX_OPEN_WRITE);
	ok(h != NULL, "hivex opens it for writing");
	if (h) {
		char *name = hivex_node_name(h, hivex_root(h));

		is_str(name, "NewStoreRoot", "its root key is NewStoreRoot");
		free(name);
		ok(hivex_node_add_child(h, hivex_root(h), "Objects") != 0, "hivex adds a key to it");
		hivex_close(h);
	}
	is_int(regf_write_empty(ctx, empty, "NewStoreRoot"), -WTG_ERR_TARGET_EXISTS, "an existing file is not overwritten");

	req.out_path = store;
	is_int(bcd_build(ctx, &req), 0, "a store is built from scratch");
	h = hivex_open(store, 0);
	ok(h != NULL, "hivex opens the store");
	if (h)
		hivex_close(h);

	f = fopen(bad, "w");
	fputs("regf but not really a hive", f);
	fclose(f);
	unlink(store);
	req.template_path = bad;
	is_int(bcd_build(ctx, &req) < 0, 1, "a corrupt template is an error");
	ok(access(store, F_OK) != 0, "and leaves no store behind");
	unlink(empty);
	unlink(bad);
	unlink(store);
	rmdir(dir);
}

int main(void)
{
	plan(18);
	test_devices();
	test_mbr_sample();
	test_stores();
	return done_testing();
}
