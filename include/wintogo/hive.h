/* hive.h - small helpers for editing registry hives with hivex: text as
 * the registry stores it (UTF-16LE with a terminating NUL) and keys found
 * or made by their path ("ControlSet001\Services\partmgr\Parameters").
 * hivex reads text back itself (hivex_value_string gives UTF-8). */
#ifndef WINTOGO_HIVE_H
#define WINTOGO_HIVE_H

#include <hivex.h>
#include <stdbool.h>
#include <stddef.h>

/* UTF-8 to UTF-16LE with a terminating NUL; *len_ret counts that NUL.
 * Bytes that are not UTF-8 are taken as Latin-1.  Newly allocated. */
char *hive_utf16(const char *text, size_t *len_ret);

/* The key at path below node (parts separated by backslashes).  With
 * create, missing keys are added; without, a missing key gives 0 with
 * errno 0.  On a hivex error returns 0 with errno set. */
hive_node_h hive_path(hive_h *h, hive_node_h node, const char *path, bool create);

#endif
