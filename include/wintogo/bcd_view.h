/* bcd_view.h - a BCD store read back for people: objects with their
 * well-known names ({bootmgr}, {globalsettings}...), elements with the
 * names bcdedit gives them, values decoded by format (devices included). */
#ifndef WINTOGO_BCD_VIEW_H
#define WINTOGO_BCD_VIEW_H

#include "wintogo/ctx.h"

#include <stddef.h>
#include <stdint.h>

struct bcd_view_element {
	uint32_t code;
	const char *name;       /* "device", "path"...; NULL when unknown */
	int reg_type;           /* the registry type it is stored as */
	uint8_t *data;
	size_t len;
};

struct bcd_view_object {
	char *guid;             /* as the key is named: "{9dea862c-...}" */
	const char *alias;      /* "{bootmgr}", or NULL */
	uint32_t type;
	const char *type_name;  /* "Windows Boot Manager"... or NULL */
	struct bcd_view_element *elements;
	size_t n_elements;
};

struct bcd_view {
	char *key_name;         /* Description\KeyName, or NULL */
	struct bcd_view_object *objects;
	size_t n_objects;
};

/* Reads the store at path.  Fails (logged) with -WTG_ERR_BCD_DAMAGED for
 * a file that is not a registry hive, or a hive without \Objects (a
 * file that cannot be opened: the code its errno says). */
int bcd_view_read(struct wtg_ctx *ctx, const char *path, struct bcd_view *view_ret);
void bcd_view_release(struct bcd_view *view);

/* The value as one line of text ("partition {...} on GPT disk {...}",
 * "\\Windows", "yes", "30", "{globalsettings} {hypervisorsettings}").
 * Newly allocated. */
char *bcd_view_value_text(const struct bcd_view_element *e);

/* "device", "string", "object", "objects", "integer", "boolean",
 * "integers" or "unknown": the format in bits 24-27 of the code. */
const char *bcd_view_format_name(uint32_t code);

/* The alias of a well-known object GUID ("{bootmgr}"), or NULL. */
const char *bcd_view_alias(const char *guid);

#endif
