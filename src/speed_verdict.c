/* speed_verdict.c - what the figures of speed.c mean for Windows (see
 * speed.h): a pure verdict, its words, and the figures as JSON. */
#include "wintogo/speed.h"

#include <string.h>

#include "wintogo/json.h"

const char *speed_test_name(enum speed_test t)
{
	static const char *const names[SPEED_TEST_COUNT] = {
		[SPEED_SEQ_READ] = "seq_read",
		[SPEED_RANDOM_READ] = "random_read",
		[SPEED_SEQ_WRITE] = "seq_write",
		[SPEED_RANDOM_WRITE] = "random_write",
	};

	return (unsigned)t < SPEED_TEST_COUNT ? names[t] : "?";
}

const char *speed_verdict_name(enum speed_verdict v)
{
	switch (v) {
	case SPEED_WELL: return "well";
	case SPEED_SLOWLY: return "slowly";
	default: return "painfully";
	}
}

const char *speed_verdict_sentence(enum speed_verdict v)
{
	switch (v) {
	case SPEED_WELL: return "Windows will run well on this stick";
	case SPEED_SLOWLY: return "Windows will run slowly on this stick";
	default: return "Windows will run painfully on this stick";
	}
}

const char *speed_reason_text(const char *id)
{
	static const struct { const char *id, *text; } texts[] = {
		{ "seq-read-mbps", "sequential reads" },
		{ "random-read-iops", "random 4 KiB reads" },
		{ "seq-write-mbps", "sequential writes" },
		{ "random-write-iops", "random 4 KiB writes" },
		{ "max-latency-ms", "the slowest I/O" },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!strcmp(texts[i].id, id))
			return texts[i].text;
	return id;
}

/* A figure that must reach at least threshold. */
static void at_least(struct speed_judgement *j, const char *id, double figure, double threshold)
{
	if (figure >= threshold || j->n_reasons >= SPEED_REASONS_MAX)
		return;
	j->reasons[j->n_reasons++] = (struct speed_reason){
		.id = id, .figure = figure, .threshold = threshold,
		.painful = figure < threshold * SPEED_SLOW_SHARE,
	};
}

double speed_slowest_ms(const struct speed_result *r)
{
	double max = 0;

	for (int t = 0; t < SPEED_TEST_COUNT; t++)
		if (r->phase[t].measured && (double)r->phase[t].max_ns / 1e6 > max)
			max = (double)r->phase[t].max_ns / 1e6;
	return max;
}

void speed_judge(const struct speed_result *r, struct speed_judgement *j_ret)
{
	const struct speed_phase *p = r->phase;
	struct speed_judgement j = { .verdict = SPEED_WELL, .complete = true };
	double max = speed_slowest_ms(r);

	for (int t = 0; t < SPEED_TEST_COUNT; t++)
		j.complete &= p[t].measured;
	if (p[SPEED_SEQ_READ].measured)
		at_least(&j, "seq-read-mbps", p[SPEED_SEQ_READ].mb_per_s, SPEED_MIN_SEQ_MBPS);
	if (p[SPEED_RANDOM_READ].measured)
		at_least(&j, "random-read-iops", p[SPEED_RANDOM_READ].iops, SPEED_MIN_RANDOM_IOPS);
	if (p[SPEED_SEQ_WRITE].measured)
		at_least(&j, "seq-write-mbps", p[SPEED_SEQ_WRITE].mb_per_s, SPEED_MIN_SEQ_MBPS);
	if (p[SPEED_RANDOM_WRITE].measured)
		at_least(&j, "random-write-iops", p[SPEED_RANDOM_WRITE].iops, SPEED_MIN_RANDOM_IOPS);
	/* "no I/O slower than 250 ms": 250 itself passes */
	if (max > SPEED_MAX_LATENCY_MS && j.n_reasons < SPEED_REASONS_MAX)
		j.reasons[j.n_reasons++] = (struct speed_reason){
			.id = "max-latency-ms", .figure = max, .threshold = SPEED_MAX_LATENCY_MS,
			.painful = max > SPEED_SLOW_MAX_LATENCY_MS,
		};
	for (size_t i = 0; i < j.n_reasons; i++) {
		if (j.reasons[i].painful)
			j.verdict = SPEED_PAINFULLY;
		else if (j.verdict == SPEED_WELL)
			j.verdict = SPEED_SLOWLY;
	}
	*j_ret = j;
}

static void phase_json(struct json *j, const struct speed_phase *p, const char *key)
{
	if (!p->measured) {
		json_null(j, key);
		return;
	}
	json_begin_object(j, key);
	json_uint(j, "ops", p->ops);
	json_uint(j, "bytes", p->bytes);
	json_double(j, "seconds", p->seconds);
	json_double(j, "mb_per_s", p->mb_per_s);
	json_double(j, "iops", p->iops);
	/* whole microseconds, rounded up: a fast disk's 0.4 us is not 0 */
	json_begin_object(j, "latency_us");
	json_uint(j, "p50", (p->p50_ns + 999) / 1000);
	json_uint(j, "p99", (p->p99_ns + 999) / 1000);
	json_uint(j, "max", (p->max_ns + 999) / 1000);
	json_end_object(j);
	json_end_object(j);
}

void speed_json(struct json *j, const struct speed_result *r)
{
	struct speed_judgement v;

	speed_judge(r, &v);
	json_begin_object(j, "speed");
	json_uint(j, "size", r->size);
	json_uint(j, "block_size", r->block_size);
	json_uint(j, "seq_block", SPEED_SEQ_BLOCK);
	json_uint(j, "random_block", SPEED_RANDOM_BLOCK);
	json_uint(j, "seed", r->seed);
	json_begin_object(j, "tests");
	for (int t = 0; t < SPEED_TEST_COUNT; t++)
		phase_json(j, &r->phase[t], speed_test_name((enum speed_test)t));
	json_end_object(j);
	json_double(j, "max_latency_ms", speed_slowest_ms(r));
	json_begin_object(j, "thresholds");
	json_double(j, "seq_mb_per_s", SPEED_MIN_SEQ_MBPS);
	json_double(j, "random_iops", SPEED_MIN_RANDOM_IOPS);
	json_double(j, "max_latency_ms", SPEED_MAX_LATENCY_MS);
	json_double(j, "slow_share", SPEED_SLOW_SHARE);
	json_double(j, "slow_max_latency_ms", SPEED_SLOW_MAX_LATENCY_MS);
	json_end_object(j);
	json_string(j, "verdict", speed_verdict_name(v.verdict));
	json_string(j, "sentence", speed_verdict_sentence(v.verdict));
	json_bool(j, "complete", v.complete);
	json_begin_array(j, "reasons");
	for (size_t i = 0; i < v.n_reasons; i++) {
		json_begin_object(j, NULL);
		json_string(j, "id", v.reasons[i].id);
		json_double(j, "figure", v.reasons[i].figure);
		json_double(j, "threshold", v.reasons[i].threshold);
		json_bool(j, "painful", v.reasons[i].painful);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}
