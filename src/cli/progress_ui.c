/* progress_ui.c - progress as the user sees it (see cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/util.h"

#define BAR_WIDTH 24
#define REDRAW_NS 100000000LL  /* a terminal bar at most 10 times a second */
#define JSON_NS 1000000000LL   /* a JSON line at most once a second */

static long long elapsed_ns(const struct timespec *from, const struct timespec *to)
{
	return (to->tv_sec - from->tv_sec) * 1000000000LL + (to->tv_nsec - from->tv_nsec);
}

void progress_ui_init(struct progress_ui *ui, struct wtg_ctx *ctx, bool json, bool quiet)
{
	*ui = (struct progress_ui){
		.json = json,
		.quiet = quiet,
		.tty = isatty(STDERR_FILENO),
		.phase = -1,
	};
	wtg_ctx_set_progress(ctx, progress_ui_update, ui);
}

static void print_json_line(const struct progress_ui *ui, double seconds)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_string(&j, "progress", progress_phase_name(ui->phase));
	json_uint(&j, "done", ui->done);
	json_uint(&j, "total", ui->total);
	json_double(&j, "seconds", seconds);
	json_end_object(&j);
	json_finish(&j);
}

static void draw_bar(const struct progress_ui *ui, double seconds)
{
	char done[SIZE_TEXT_MAX], rate[SIZE_TEXT_MAX];
	double speed = seconds > 0 ? ui->done / seconds : 0;
	char bar[BAR_WIDTH + 1];
	int filled = 0, percent = 0;

	if (ui->total) {
		percent = (int)(100.0 * ui->done / ui->total);
		filled = (int)((double)BAR_WIDTH * ui->done / ui->total);
	}
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r%-7s [%s] %3d%%  %10s  %10s/s", progress_phase_name(ui->phase),
		bar, percent, format_size(ui->done, done), format_size((uint64_t)speed, rate));
	if (ui->total && speed > 0 && ui->done < ui->total) {
		long eta = (long)((ui->total - ui->done) / speed);

		fprintf(stderr, "  ETA %ld:%02ld ", eta / 60, eta % 60);
	} else {
		fputs("             ", stderr);
	}
}

/* The phase ended: close its bar line, or say in one line that it is done. */
static void end_phase(struct progress_ui *ui)
{
	struct timespec now;
	double seconds;
	char size[SIZE_TEXT_MAX];

	if (ui->phase < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = elapsed_ns(&ui->phase_start, &now) / 1e9;
	if (ui->json) {
		print_json_line(ui, seconds);
	} else if (!ui->quiet) {
		if (ui->tty) {
			draw_bar(ui, seconds);
			fputc('\n', stderr);
		} else {
			fprintf(stderr, "%s: %s in %.1f s\n", progress_phase_name(ui->phase),
				format_size(ui->done, size), seconds);
		}
	}
	ui->phase = -1;
}

enum wtg_progress_status progress_ui_update(const struct progress *p, void *user)
{
	struct progress_ui *ui = user;
	struct timespec now;
	long long since_shown;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((int)p->phase != ui->phase) {
		end_phase(ui);
		ui->phase = p->phase;
		ui->phase_start = now;
		ui->last_shown = (struct timespec){ 0 };
	}
	ui->done = p->done;
	ui->total = p->total;
	since_shown = elapsed_ns(&ui->last_shown, &now);
	if (ui->json) {
		if (since_shown >= JSON_NS) {
			print_json_line(ui, elapsed_ns(&ui->phase_start, &now) / 1e9);
			ui->last_shown = now;
		}
	} else if (!ui->quiet && ui->tty && since_shown >= REDRAW_NS) {
		draw_bar(ui, elapsed_ns(&ui->phase_start, &now) / 1e9);
		ui->last_shown = now;
	}
	return WTG_PROGRESS_CONTINUE;
}

void progress_ui_finish(struct progress_ui *ui)
{
	end_phase(ui);
	fflush(stderr);
}

void progress_ui_abort(struct progress_ui *ui)
{
	if (ui->phase >= 0 && ui->tty && !ui->quiet && !ui->json)
		fputc('\n', stderr);
	ui->phase = -1;
	fflush(stderr);
}
