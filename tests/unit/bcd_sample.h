/* bcd_sample.h - reading an element of a real BCD store (fixtures/bcd-samples)
 * with hivex, for the unit tests of the device encoders. */
#ifndef WINTOGO_TEST_BCD_SAMPLE_H
#define WINTOGO_TEST_BCD_SAMPLE_H

#include <hivex.h>
#include <stddef.h>

#define SAMPLES "fixtures/bcd-samples/"

/* The Element value of OBJECT\Elements\CODE in a sample store. */
static inline char *sample_element(const char *file, const char *object, const char *code, size_t *len)
{
	hive_h *h = hivex_open(file, 0);
	hive_node_h n;
	hive_value_h v;
	hive_type t;
	char *data = NULL;

	if (!h)
		return NULL;
	n = hivex_node_get_child(h, hivex_root(h), "Objects");
	n = n ? hivex_node_get_child(h, n, object) : 0;
	n = n ? hivex_node_get_child(h, n, "Elements") : 0;
	n = n ? hivex_node_get_child(h, n, code) : 0;
	v = n ? hivex_node_get_value(h, n, "Element") : 0;
	if (v)
		data = hivex_value_value(h, v, &t, len);
	hivex_close(h);
	return data;
}

#endif
