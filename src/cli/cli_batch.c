/* cli_batch.c - `write IMAGE TARGET...`: several targets from one stage
 * (see cli.h and write.h).  Each target has its own context: its messages
 * are printed with its name in front, its progress is one line of its own
 * on a terminal (rate and ETA each), or JSON lines with its name. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

#define REDRAW_NS 200000000LL  /* the rows at most 5 times a second */
#define JSON_NS 1000000000LL   /* a target's JSON line at most once a second */
#define BAR_WIDTH 20

/* The terminal and stdout are one for all threads. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

struct batch_ui;

/* One target as the user sees it. */
struct target_view {
	struct batch_ui *ui;
	const char *name;
	struct wtg_ctx ctx;
	bool active;             /* planned: it has a row */
	int phase;               /* -1 before the first message */
	uint64_t done, total;
	struct timespec phase_start, last_json;
};

struct batch_ui {
	struct wtg_ctx *ctx;     /* the batch's: the first target's messages too */
	struct target_view *views;
	size_t n;
	bool json, quiet, tty;
	struct progress_ui *bar; /* the batch's own (the apply), ended when the */
	bool bar_ended;          /* first stream begins */
	size_t rows_drawn;       /* rows on the terminal to move back over */
	struct timespec last_drawn;
};

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

/* A target's message: the batch's log with the target's name in front. */
static void on_target_log(enum wtg_log_level level, enum wtg_err code, const char *message, void *user)
{
	struct target_view *v = user;
	struct wtg_ctx *ctx = v->ui->ctx;
	char *line = xasprintf("%s: %s", v->name, message);

	pthread_mutex_lock(&out_lock);
	/* a message after the rows: they are drawn again below it */
	if (v->ui->rows_drawn) {
		fputc('\n', stderr);
		v->ui->rows_drawn = 0;
	}
	if (ctx->log_fn)
		ctx->log_fn(level, code, line, ctx->log_user);
	pthread_mutex_unlock(&out_lock);
	free(line);
}

static void draw_row(const struct target_view *v, const struct timespec *now)
{
	char done[SIZE_TEXT_MAX], rate[SIZE_TEXT_MAX], bar[BAR_WIDTH + 1];
	double seconds = v->phase < 0 ? 0 : ns_between(&v->phase_start, now) / 1e9;
	double speed = seconds > 0 ? v->done / seconds : 0;
	int filled = v->total ? (int)((double)BAR_WIDTH * v->done / v->total) : 0;

	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\033[2K%-14.14s %-7s [%s] %3d%% %10s %10s/s", cli_text(v->name),
		v->phase < 0 ? "waiting" : progress_phase_name(v->phase), bar,
		v->total ? (int)(100.0 * v->done / v->total) : 0, format_size(v->done, done),
		format_size((uint64_t)speed, rate));
	if (v->total && speed > 0 && v->done < v->total) {
		long eta = (long)((v->total - v->done) / speed);

		fprintf(stderr, "  ETA %ld:%02ld", eta / 60, eta % 60);
	}
	fputc('\n', stderr);
}

/* Every target's row, over the ones drawn before. */
static void draw_rows(struct batch_ui *ui, const struct timespec *now)
{
	if (ui->rows_drawn)
		fprintf(stderr, "\033[%zuA", ui->rows_drawn);
	ui->rows_drawn = 0;
	for (size_t i = 0; i < ui->n; i++) {
		if (!ui->views[i].active)
			continue;
		draw_row(&ui->views[i], now);
		ui->rows_drawn++;
	}
	ui->last_drawn = *now;
	fflush(stderr);
}

static void json_progress(const struct target_view *v, const struct timespec *now)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_string(&j, "target", v->name);
	json_string(&j, "progress", progress_phase_name(v->phase));
	json_uint(&j, "done", v->done);
	json_uint(&j, "total", v->total);
	json_double(&j, "seconds", ns_between(&v->phase_start, now) / 1e9);
	json_end_object(&j);
	json_finish(&j);
}

/* The end of a target's phase, off a terminal: one line, as for one target. */
static void phase_done(const struct target_view *v, const struct timespec *now)
{
	char size[SIZE_TEXT_MAX];

	if (v->ui->json)
		json_progress(v, now);
	else if (!v->ui->quiet && !v->ui->tty)
		fprintf(stderr, "%s: %s: %s in %.1f s\n", cli_text(v->name), progress_phase_name(v->phase),
			format_size(v->done, size), ns_between(&v->phase_start, now) / 1e9);
}

static enum wtg_progress_status on_target_progress(const struct progress *p, void *user)
{
	struct target_view *v = user;
	struct batch_ui *ui = v->ui;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&out_lock);
	/* the shared stage is built: its bar's line ends before the rows */
	if (p->phase >= PROGRESS_WRITE && ui->bar && !ui->bar_ended) {
		progress_ui_finish(ui->bar);
		ui->bar_ended = true;
	}
	if ((int)p->phase != v->phase) {
		if (v->phase >= 0)
			phase_done(v, &now);
		v->phase = p->phase;
		v->phase_start = now;
		v->last_json = now;
	}
	v->done = p->done;
	v->total = p->total;
	if (ui->json && ns_between(&v->last_json, &now) >= JSON_NS) {
		json_progress(v, &now);
		v->last_json = now;
	} else if (!ui->json && !ui->quiet && ui->tty && p->phase >= PROGRESS_WRITE &&
		   ns_between(&ui->last_drawn, &now) >= REDRAW_NS) {
		draw_rows(ui, &now);
	}
	pthread_mutex_unlock(&out_lock);
	/* Ctrl-C reaches the batch's context; every target stops with it */
	return ui->ctx->abort_requested ? WTG_PROGRESS_ABORT : WTG_PROGRESS_CONTINUE;
}

static void batch_ui_finish(struct batch_ui *ui)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&out_lock);
	if (!ui->json && !ui->quiet && ui->tty)
		draw_rows(ui, &now);
	for (size_t i = 0; i < ui->n; i++)
		if (ui->views[i].phase >= 0 && (ui->json || !ui->tty))
			phase_done(&ui->views[i], &now);
	pthread_mutex_unlock(&out_lock);
	fflush(stderr);
}

/* A target that failed, as its JSON result line. */
static void failure_json(const struct write_target *t)
{
	enum wtg_err code = wtg_ctx_error(t->ctx);
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_begin_object(&j, "result");
	json_string(&j, "target", t->job ? t->job->opt.target : "");
	json_bool(&j, "ok", false);
	json_begin_object(&j, "error");
	json_string(&j, "code", wtg_err_name(code == WTG_OK ? WTG_ERR_FAILED : code));
	json_string(&j, "message", wtg_ctx_error_message(t->ctx) ? wtg_ctx_error_message(t->ctx) : "failed");
	json_end_object(&j);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* The batch's failure is its first target's that failed: its code gives
 * the exit status, as for one target. */
static void adopt_error(struct wtg_ctx *ctx, const struct wtg_ctx *from)
{
	if (ctx->error != WTG_OK || from->error == WTG_OK)
		return;
	ctx->error = from->error;
	ctx->error_message = from->error_message ? xstrdup(from->error_message) : NULL;
}

static void view_init(struct target_view *v, struct batch_ui *ui, struct wtg_ctx *main_ctx, const char *name)
{
	v->ui = ui;
	v->name = name;
	v->phase = -1;
	wtg_ctx_init(&v->ctx);
	v->ctx.tmpdir = main_ctx->tmpdir;
	v->ctx.datadir = main_ctx->datadir;
	v->ctx.hooks = main_ctx->hooks;
	wtg_ctx_set_log(&v->ctx, on_target_log, v);
	wtg_ctx_set_progress(&v->ctx, on_target_progress, v);
}

int cli_run_batch(struct wtg_ctx *ctx, const struct write_options *opt, const char *const *names, size_t n,
		  const struct cli_batch_steps *steps)
{
	struct batch_ui ui = { .ctx = ctx, .n = n, .json = steps->json, .quiet = steps->quiet,
			       .tty = isatty(STDERR_FILENO) };
	struct write_target *targets = xcalloc(n, sizeof(*targets));
	struct write_options first_opt = *opt;
	struct progress_ui bar;
	size_t failed = 0, written = 0, live = 0;
	struct write_job *first = NULL;
	int ret;

	if (write_targets_distinct(ctx, names, n) < 0) {
		free(targets);
		return EXIT_FAILED;
	}
	ui.views = xcalloc(n, sizeof(*ui.views));
	for (size_t i = 0; i < n; i++) {
		view_init(&ui.views[i], &ui, ctx, names[i]);
		targets[i].ctx = &ui.views[i].ctx;
	}
	/* the first target holds the image: opening it, and copying an ISO's
	 * install image, come before the plan */
	progress_ui_init(&bar, ctx, steps->json, steps->quiet);
	first_opt.target = names[0];
	ret = write_job_prepare(targets[0].ctx, &first_opt, &first);
	if (ret < 0) {
		progress_ui_abort(&bar);
		adopt_error(ctx, targets[0].ctx);
		goto out;
	}
	progress_ui_finish(&bar);
	targets[0].job = first;
	/* a target refused now is left out; the others are planned */
	for (size_t i = 1; i < n; i++)
		if (write_job_add_target(targets[i].ctx, first, names[i], i, &targets[i].job) < 0)
			failed++;
	for (size_t i = 0; i < n; i++) {
		ui.views[i].active = targets[i].job != NULL;
		if (targets[i].job)
			targets[live++] = targets[i];
	}
	ret = write_batch_plan(ctx, targets, live);
	if (!ret && steps->planned)
		ret = steps->planned(ctx, first, steps->user);
	for (size_t i = 0; i < live && !ret && (!steps->quiet || steps->json); i++)
		cli_print_plan(targets[i].job, steps->json);
	if (!ret && failed && !steps->dry_run)
		log_warn(ctx, "%zu of the %zu targets cannot be written (see above); the %zu other%s will be", failed, n,
			 live, live == 1 ? "" : "s");
	if (!ret && !steps->dry_run && steps->confirm)
		ret = steps->confirm(ctx, targets, live, steps->user);
	if (ret || steps->dry_run)
		goto out;
	progress_ui_init(&bar, ctx, steps->json, steps->quiet);
	ui.bar = &bar;
	/* what it returns is in the targets' own ret too (a failure they
	 * share is copied into each), and the tally below reads those */
	(void)write_batch_run(ctx, targets, live);
	if (!ui.bar_ended)
		progress_ui_finish(&bar);
	batch_ui_finish(&ui);
	for (size_t i = 0; i < live; i++) {
		if (!targets[i].ret) {
			written++;
			if (!steps->quiet || steps->json)
				cli_print_result(targets[i].job, &targets[i].result, steps->json);
			continue;
		}
		failed++;
		if (steps->json)
			failure_json(&targets[i]);
		if (targets[i].ret == -WTG_ERR_INTERRUPTED && targets[i].job->device && targets[i].job->target_touched)
			log_warn(targets[i].ctx, "%s is now incomplete and will not boot; write it again before using it",
				 targets[i].job->device->path);
	}
	for (size_t i = 0; i < live; i++)
		if (targets[i].ret)
			adopt_error(ctx, targets[i].ctx);
	if (failed)
		log_error(ctx, wtg_ctx_error(ctx) != WTG_OK ? wtg_ctx_error(ctx) : WTG_ERR_FAILED,
			  "%zu of %zu targets written; %zu failed (see above)", written, n, failed);
	ret = failed ? -WTG_ERR_FAILED : 0;
out:
	/* the first target's job owns the image the others borrow: it goes last */
	for (size_t i = live ? live : n; i-- > 0;)
		if (targets[i].job != first)
			write_job_free(targets[i].job);
	write_job_free(first);
	for (size_t i = 0; i < n; i++)
		wtg_ctx_release(&ui.views[i].ctx);
	free(ui.views);
	free(targets);
	return ret < 0 || failed ? EXIT_FAILED : EXIT_OK;
}
