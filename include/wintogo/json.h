/* json.h - a small streaming JSON writer.
 *
 * Keys are given with each value; inside arrays (and at the top level) the
 * key is NULL.  Strings are written as UTF-8 with the escapes JSON requires.
 * A pretty writer indents by two spaces (documents such as `info --json`);
 * a compact one writes one line per document (progress lines, JSON Lines).
 */
#ifndef WINTOGO_JSON_H
#define WINTOGO_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	bool pretty;
	int depth;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *out, bool pretty);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
/* A NULL value is written as null. */
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline and flushes it. */
void json_finish(struct json *j);

/* Writes s as a quoted JSON string. */
void json_write_quoted(FILE *out, const char *s);

#endif
