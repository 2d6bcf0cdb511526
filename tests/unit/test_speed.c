/* Unit tests of speed_verdict.c and speed_percentile: given figures at and
 * around each Windows To Go threshold -> verdict and reasons. */
#include <stdlib.h>

#include "tap.h"
#include "wintogo/speed.h"

#define MS 1000000ULL  /* ns */

/* A stick that meets every figure with room to spare. */
static struct speed_result good(void)
{
	struct speed_result r = { .size = 32ULL << 30, .block_size = 512 };

	for (int t = 0; t < SPEED_TEST_COUNT; t++)
		r.phase[t] = (struct speed_phase){ .measured = true, .ops = 1000, .bytes = 1000 * 4096,
						   .seconds = 1, .mb_per_s = 200, .iops = 5000,
						   .p50_ns = 1 * MS, .p99_ns = 5 * MS, .max_ns = 20 * MS };
	return r;
}

/* The reason ids, space-separated, "painful" ones marked with a '!'. */
static const char *ids_of(const struct speed_judgement *j)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < j->n_reasons; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s", len ? " " : "",
					j->reasons[i].painful ? "!" : "", j->reasons[i].id);
	return buf;
}

struct figure_case {
	enum speed_test test;
	bool iops;               /* the figure is IOPS, else MB/s */
	double value;
	enum speed_verdict want;
	const char *ids;
};

static void check_figure(const struct figure_case *c)
{
	struct speed_result r = good();
	struct speed_judgement j;
	char name[160];

	if (c->iops)
		r.phase[c->test].iops = c->value;
	else
		r.phase[c->test].mb_per_s = c->value;
	speed_judge(&r, &j);
	snprintf(name, sizeof(name), "%s at %g %s: %s", speed_test_name(c->test), c->value, c->iops ? "IOPS" : "MB/s",
		 speed_verdict_name(c->want));
	is_str(speed_verdict_name(j.verdict), speed_verdict_name(c->want), name);
	snprintf(name, sizeof(name), "%s at %g: reasons '%s'", speed_test_name(c->test), c->value, c->ids);
	is_str(ids_of(&j), c->ids, name);
}

static void check_latency(uint64_t max_ns, enum speed_verdict want, const char *ids)
{
	struct speed_result r = good();
	struct speed_judgement j;
	char name[160];

	/* the slowest I/O of any phase counts, here a sequential write's */
	r.phase[SPEED_SEQ_WRITE].max_ns = max_ns;
	speed_judge(&r, &j);
	snprintf(name, sizeof(name), "slowest I/O %.6f ms: %s", (double)max_ns / MS, speed_verdict_name(want));
	is_str(speed_verdict_name(j.verdict), speed_verdict_name(want), name);
	snprintf(name, sizeof(name), "slowest I/O %.6f ms: reasons '%s'", (double)max_ns / MS, ids);
	is_str(ids_of(&j), ids, name);
}

int main(void)
{
	static const struct figure_case figures[] = {
		{ SPEED_SEQ_READ, false, 80.0, SPEED_WELL, "" },
		{ SPEED_SEQ_READ, false, 79.99, SPEED_SLOWLY, "seq-read-mbps" },
		{ SPEED_SEQ_READ, false, 20.0, SPEED_SLOWLY, "seq-read-mbps" },
		{ SPEED_SEQ_READ, false, 19.99, SPEED_PAINFULLY, "!seq-read-mbps" },
		{ SPEED_SEQ_WRITE, false, 80.0, SPEED_WELL, "" },
		{ SPEED_SEQ_WRITE, false, 79.99, SPEED_SLOWLY, "seq-write-mbps" },
		{ SPEED_SEQ_WRITE, false, 20.0, SPEED_SLOWLY, "seq-write-mbps" },
		{ SPEED_SEQ_WRITE, false, 19.99, SPEED_PAINFULLY, "!seq-write-mbps" },
		{ SPEED_RANDOM_READ, true, 2000, SPEED_WELL, "" },
		{ SPEED_RANDOM_READ, true, 1999.9, SPEED_SLOWLY, "random-read-iops" },
		{ SPEED_RANDOM_READ, true, 500, SPEED_SLOWLY, "random-read-iops" },
		{ SPEED_RANDOM_READ, true, 499.9, SPEED_PAINFULLY, "!random-read-iops" },
		{ SPEED_RANDOM_WRITE, true, 2000, SPEED_WELL, "" },
		{ SPEED_RANDOM_WRITE, true, 1999.9, SPEED_SLOWLY, "random-write-iops" },
		{ SPEED_RANDOM_WRITE, true, 500, SPEED_SLOWLY, "random-write-iops" },
		{ SPEED_RANDOM_WRITE, true, 499.9, SPEED_PAINFULLY, "!random-write-iops" },
		{ SPEED_RANDOM_WRITE, true, 0, SPEED_PAINFULLY, "!random-write-iops" },
	};
	struct speed_result r;
	struct speed_judgement j;
	uint64_t lat[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		check_figure(&figures[i]);

	check_latency(250 * MS, SPEED_WELL, "");
	check_latency(250 * MS + 1, SPEED_SLOWLY, "max-latency-ms");
	check_latency(1000 * MS, SPEED_SLOWLY, "max-latency-ms");
	check_latency(1000 * MS + 1, SPEED_PAINFULLY, "!max-latency-ms");

	/* a typical cheap stick: fast enough to read, hopeless at small writes */
	r = good();
	r.phase[SPEED_RANDOM_WRITE].iops = 12;
	r.phase[SPEED_SEQ_WRITE].mb_per_s = 25;
	r.phase[SPEED_RANDOM_WRITE].max_ns = 1800 * MS;
	speed_judge(&r, &j);
	is_str(speed_verdict_name(j.verdict), "painfully", "a cheap stick: painfully");
	is_str(ids_of(&j), "seq-write-mbps !random-write-iops !max-latency-ms",
	       "a cheap stick: every missed figure is a reason, in order");
	ok(j.complete, "all four tests measured: complete");
	ok(j.reasons[1].figure == 12 && j.reasons[1].threshold == SPEED_MIN_RANDOM_IOPS,
	   "a reason carries the figure and its threshold");

	/* only slow misses: slowly, even with several */
	r = good();
	r.phase[SPEED_RANDOM_READ].iops = 1500;
	r.phase[SPEED_SEQ_READ].mb_per_s = 60;
	speed_judge(&r, &j);
	is_str(speed_verdict_name(j.verdict), "slowly", "two slow misses: slowly");
	is_str(ids_of(&j), "seq-read-mbps random-read-iops", "two slow misses: both named");

	/* --read-only: the write phases are not judged */
	r = good();
	r.phase[SPEED_SEQ_WRITE] = (struct speed_phase){ 0 };
	r.phase[SPEED_RANDOM_WRITE] = (struct speed_phase){ .iops = 1, .max_ns = 5000 * MS };
	speed_judge(&r, &j);
	is_str(speed_verdict_name(j.verdict), "well", "read-only: write figures not measured are not judged");
	ok(!j.complete, "read-only: not complete");

	is_str(speed_verdict_sentence(SPEED_WELL), "Windows will run well on this stick", "the sentence for well");
	is_str(speed_verdict_sentence(SPEED_SLOWLY), "Windows will run slowly on this stick", "for slowly");
	is_str(speed_verdict_sentence(SPEED_PAINFULLY), "Windows will run painfully on this stick", "for painfully");
	is_str(speed_reason_text("random-write-iops"), "random 4 KiB writes", "a reason's words");

	/* nearest rank */
	is_int((long long)speed_percentile(lat, 10, 0.5), 5, "p50 of 1..10 is 5");
	is_int((long long)speed_percentile(lat, 10, 0.99), 10, "p99 of 1..10 is 10");
	is_int((long long)speed_percentile(lat, 10, 1.0), 10, "p100 is the maximum");
	is_int((long long)speed_percentile(lat, 10, 0.0), 1, "p0 is the minimum");
	is_int((long long)speed_percentile(lat, 1, 0.5), 1, "one value is every percentile");
	is_int((long long)speed_percentile(lat, 0, 0.5), 0, "no values: 0");
	is_int((long long)speed_percentile(lat, 3, 0.5), 2, "p50 of 1..3 is 2");

	printf("1..%d\n", tap_count);
	return done_testing();
}
