/* Unit tests of json.c: documents as a reader sees them. */
#include <stdlib.h>

#include "tap.h"
#include "wintogo/json.h"

/* Runs fill() on a compact writer into memory and returns the text. */
static char *render(void (*fill)(struct json *), bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f, pretty);
	fill(&j);
	json_finish(&j);
	fclose(f);
	return buf;
}

static void nested(struct json *j)
{
	json_begin_object(j, NULL);
	json_string(j, "name", "Windows \"10\"\\Pro\n\x01");
	json_uint(j, "size", 18446744073709551615ULL);
	json_int(j, "neg", -3);
	json_bool(j, "ok", true);
	json_null(j, "none");
	json_string(j, "missing", NULL);
	json_begin_array(j, "list");
	json_string(j, NULL, "Ünï");
	json_uint(j, NULL, 1);
	json_end_array(j);
	json_begin_array(j, "empty");
	json_end_array(j);
	json_begin_object(j, "obj");
	json_end_object(j);
	json_end_object(j);
}

int main(void)
{
	char *compact = render(nested, false);
	char *pretty = render(nested, true);

	plan(3);
	is_str(compact,
	       "{\"name\":\"Windows \\\"10\\\"\\\\Pro\\n\\u0001\",\"size\":18446744073709551615,"
	       "\"neg\":-3,\"ok\":true,\"none\":null,\"missing\":null,\"list\":[\"Ünï\",1],"
	       "\"empty\":[],\"obj\":{}}\n",
	       "compact document, escapes and nesting");
	ok(strstr(pretty, "{\n  \"name\": ") != NULL, "pretty document indents by two");
	ok(strstr(pretty, "\"list\": [\n    \"Ünï\",\n    1\n  ],") != NULL,
	   "pretty arrays put one item per line");
	free(compact);
	free(pretty);
	return done_testing();
}
