/* source.c - a WIM file or a Windows ISO, chosen by content (see source.h). */
#include "wintogo/source.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "wintogo/input.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

struct source {
	struct iso_source *iso;   /* NULL: a WIM file */
	struct wim_source *wim;
};

int source_check_path(struct wtg_ctx *ctx, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	if (S_ISDIR(sb.st_mode))
		return log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is a folder; give a WIM, ESD, SWM, ISO or VHDX file", path);
	return 0;
}

int source_open(struct wtg_ctx *ctx, const char *path, const struct source_options *opt, struct source **source_ret)
{
	struct source *source = xcalloc(1, sizeof(*source));
	int ret;

	enum input_kind kind = input_kind_of(path);

	/* wimlib would call a folder a damaged WIM */
	if (kind == INPUT_DIRECTORY) {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is a folder; give a WIM, ESD, SWM, ISO or VHDX file", path);
	} else if (kind == INPUT_ISO || kind == INPUT_BLOCK_DEVICE) {
		/* a disc in a drive too: iso_open refuses it with what to do */
		ret = iso_open(ctx, path, opt->wim_path, stage_default_parent(ctx),
			       &source->iso);
		if (!ret)
			ret = wim_source_open_as(ctx, iso_source_staged(source->iso),
						 iso_source_prefix(source->iso), &source->wim);
	} else if (opt->wim_path) {
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is not an ISO, so --wim-path has nothing to look in; leave it out for a WIM, ESD or SWM file",
				path);
	} else {
		ret = wim_source_open(ctx, path, &source->wim);
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

int source_fetch(struct wtg_ctx *ctx, struct source *source)
{
	int ret;

	if (!source->iso || !iso_fetch_bytes(source->iso))
		return 0;
	ret = iso_fetch(ctx, source->iso);
	return ret ? ret : wim_source_reopen(ctx, source->wim);
}
