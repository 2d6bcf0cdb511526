/* source.c - a WIM file or a Windows ISO, chosen by content (see source.h). */
#include "wintogo/source.h"

#include <errno.h>
#include <stdlib.h>

#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

struct source {
	struct iso_source *iso;   /* NULL: a WIM file */
	struct wim_source *wim;
};

int source_open(const char *path, const struct source_options *opt,
		const struct progress_sink *progress, struct source **source_ret)
{
	struct source *source = xcalloc(1, sizeof(*source));
	int ret;

	if (iso_detect(path)) {
		ret = iso_open(path, opt->wim_path, stage_default_parent(opt->tmpdir), progress,
			       &source->iso);
		if (!ret)
			ret = wim_source_open_as(iso_source_staged(source->iso),
						 iso_source_prefix(source->iso), &source->wim);
	} else if (opt->wim_path) {
		ret = log_error(-EINVAL, "'%s' is not an ISO, so --wim-path has nothing to look in; leave it out for a WIM, ESD or SWM file",
				path);
	} else {
		ret = wim_source_open(path, &source->wim);
	}
	if (ret < 0) {
		source_free(source);
		return ret;
	}
	*source_ret = source;
	return 0;
}

void source_free(struct source *source)
{
	if (!source)
		return;
	wim_source_free(source->wim);
	iso_source_free(source->iso);
	free(source);
}

struct wim_source *source_wim(const struct source *source)
{
	return source->wim;
}

const struct iso_info *source_iso(const struct source *source)
{
	return source->iso ? iso_source_info(source->iso) : NULL;
}

uint64_t source_fetch_bytes(const struct source *source)
{
	return source->iso ? iso_fetch_bytes(source->iso) : 0;
}

int source_fetch(struct source *source, const struct progress_sink *progress)
{
	int ret;

	if (!source->iso || !iso_fetch_bytes(source->iso))
		return 0;
	ret = iso_fetch(source->iso, progress);
	return ret ? ret : wim_source_reopen(source->wim);
}
