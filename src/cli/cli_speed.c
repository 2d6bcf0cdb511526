/* cli_speed.c - a disk's speed as people read it: each figure against its
 * Windows To Go threshold, the verdict and its reasons (`speed`, and
 * `write --speed-check`). */
#include <stdio.h>
#include <string.h>

#include "wintogo/cli.h"
#include "wintogo/speed.h"
#include "wintogo/util.h"

static void print_row(const char *what, const struct speed_phase *p, bool random, const char *not_why)
{
	char figure[32], needed[32];

	if (!p->measured) {
		printf("  %-20s not measured (%s)\n", what, not_why);
		return;
	}
	if (random) {
		snprintf(figure, sizeof(figure), "%.0f IOPS", p->iops);
		snprintf(needed, sizeof(needed), ">= %.0f IOPS", SPEED_MIN_RANDOM_IOPS);
	} else {
		snprintf(figure, sizeof(figure), "%.1f MB/s", p->mb_per_s);
		snprintf(needed, sizeof(needed), ">= %.0f MB/s", SPEED_MIN_SEQ_MBPS);
	}
	printf("  %-20s %14s %14s %9.3f %9.3f %9.3f  %s\n", what, figure, needed, p->p50_ns / 1e6, p->p99_ns / 1e6,
	       p->max_ns / 1e6, (random ? p->iops >= SPEED_MIN_RANDOM_IOPS : p->mb_per_s >= SPEED_MIN_SEQ_MBPS) ? "ok" : "below");
}

void cli_print_speed(const char *target, bool is_file, double seconds, const struct speed_result *r)
{
	static const char *const rows[SPEED_TEST_COUNT] = {
		"sequential read", "random 4 KiB read", "sequential write", "random 4 KiB write",
	};
	struct speed_judgement v;
	char size[SIZE_TEXT_MAX], figure[32], needed[32];
	double max = speed_slowest_ms(r);

	speed_judge(r, &v);
	printf("Speed of %s: %s %s, %u-byte blocks, %.0f s, seed %llu\n", cli_text(target),
	       is_file ? "file of" : "disk of", format_size(r->size, size), r->block_size,
	       seconds, (unsigned long long)r->seed);
	printf("  %-20s %14s %14s %9s %9s %9s\n", "TEST", "FIGURE", "NEEDED", "P50 MS", "P99 MS", "MAX MS");
	for (int i = 0; i < SPEED_TEST_COUNT; i++)
		print_row(rows[i], &r->phase[i], i == SPEED_RANDOM_READ || i == SPEED_RANDOM_WRITE, "--read-only");
	snprintf(figure, sizeof(figure), "%.1f ms", max);
	snprintf(needed, sizeof(needed), "<= %.0f ms", SPEED_MAX_LATENCY_MS);
	printf("  %-20s %14s %14s %29s  %s\n", "slowest I/O", figure, needed, "",
	       max <= SPEED_MAX_LATENCY_MS ? "ok" : "below");
	printf("verdict: %s%s\n", speed_verdict_sentence(v.verdict),
	       v.complete ? "" : " (reads only: the write tests, a stick's weak point, were not run)");
	for (size_t i = 0; i < v.n_reasons; i++) {
		const struct speed_reason *s = &v.reasons[i];
		bool latency = !strcmp(s->id, "max-latency-ms");
		const char *unit = latency ? "ms" : strstr(s->id, "mbps") ? "MB/s" : "IOPS";

		printf("  because: %s: %.*f %s, Windows To Go needs %s%.0f %s%s\n", speed_reason_text(s->id),
		       strcmp(unit, "IOPS") ? 1 : 0, s->figure, unit, latency ? "at most " : "", s->threshold, unit,
		       s->painful ? (latency ? " (over a second: painful)" : " (under a quarter: painful)") : "");
	}
}
