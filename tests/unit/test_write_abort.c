/* A write driven through the core API, as a front end other than the CLI
 * would drive it: a progress callback that answers "abort" in the middle
 * of the apply stops the job, which returns the interrupted code and
 * leaves nothing behind (no stage, no .partial, no target, no manifest). */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

#include "tap.h"
#include "wintogo/write.h"

static int entries(const char *dir);

struct watch {
	const char *stage, *out;
	int staged_at_abort;      /* entries in the staging folder then */
	int out_at_abort;         /* and in the target's folder */
	int apply_messages;
	int after_abort;          /* apply messages after the abort */
	uint64_t done_at_abort, total_at_abort;
	bool aborted;
};

static enum wtg_progress_status abort_in_apply(const struct progress *p, void *user)
{
	struct watch *w = user;

	if (p->phase != PROGRESS_APPLY)
		return WTG_PROGRESS_CONTINUE;
	w->apply_messages++;
	if (w->aborted)
		w->after_abort++;
	if (!w->aborted && p->done > 0) {
		w->aborted = true;
		w->done_at_abort = p->done;
		w->total_at_abort = p->total;
		w->staged_at_abort = entries(w->stage);
		w->out_at_abort = entries(w->out);
		return WTG_PROGRESS_ABORT;
	}
	return WTG_PROGRESS_CONTINUE;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return d ? n : -1;
}

int main(void)
{
	const char *fixtures = getenv("FIXTURES");
	char work[] = "/tmp/wintogo-abort.XXXXXX", stage[64], out[64], target[96], image[512];
	struct write_options opt = { 0 };
	struct write_job *job = NULL;
	struct write_result result;
	struct watch w = { 0 };
	struct wtg_ctx job_ctx;
	int ret;

	snprintf(image, sizeof(image), "%s/x64.wim", fixtures ? fixtures : ".");
	if (!fixtures || access(image, R_OK) != 0) {
		printf("1..0 # skip no FIXTURES with x64.wim (make fixtures)\n");
		return 0;
	}
	plan(9);
	if (!mkdtemp(work))
		return 1;
	snprintf(stage, sizeof(stage), "%s/stage", work);
	snprintf(out, sizeof(out), "%s/out", work);
	snprintf(target, sizeof(target), "%s/windows.img", out);
	mkdir(stage, 0700);
	mkdir(out, 0700);
	wimlib_global_init(WIMLIB_INIT_FLAG_DEFAULT_CASE_INSENSITIVE);

	w.stage = stage;
	w.out = out;
	wtg_ctx_init(&job_ctx);
	wtg_ctx_set_log(&job_ctx, test_log, NULL);
	wtg_ctx_set_progress(&job_ctx, abort_in_apply, &w);
	wtg_ctx_set_tmpdir(&job_ctx, stage);
	opt.image_path = image;
	opt.target = target;
	opt.seeded = true;
	opt.seed = 7;
	opt.tool = "test_write_abort";
	opt.sink_kind = SINK_RAW_FILE;

	ret = write_job_prepare(&job_ctx, &opt, &job);
	is_int(ret, 0, "the job is planned");
	ret = job ? write_job_run(&job_ctx, job, &result) : ret;
	is_int(ret, -WTG_ERR_INTERRUPTED, "an abort from the progress callback fails the job as interrupted");
	is_str(wtg_err_name(wtg_ctx_error(&job_ctx)), "interrupted", "and the context's error is interrupted");
	ok(w.aborted && w.done_at_abort < w.total_at_abort, "the abort came in the middle of the apply");
	printf("# aborted at %llu of %llu bytes, after %d apply messages\n",
	       (unsigned long long)w.done_at_abort, (unsigned long long)w.total_at_abort,
	       w.apply_messages);
	is_int(w.after_abort, 0, "no apply progress after the abort");
	ok(w.staged_at_abort == 1 && w.out_at_abort >= 1,
	   "when it was aborted, the job had its stage in the folder given and its .partial beside the target");
	is_int(entries(stage), 0, "nothing is left in the staging folder");
	is_int(entries(out), 0, "no target, no .partial, no manifest");
	write_job_free(job);

	wtg_ctx_clear_error(&job_ctx);
	is_int(wtg_ctx_error(&job_ctx), WTG_OK, "the context can be cleared for the next job");
	wtg_ctx_release(&job_ctx);
	wimlib_global_cleanup();
	rmdir(stage);
	rmdir(out);
	rmdir(work);
	return done_testing();
}
