/* macmodels.c - the table of Mac models (see macmodels.h). */
#include "wintogo/macmodels.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#ifndef WINTOGO_DATADIR
#define WINTOGO_DATADIR "/usr/local/share/wintogo"
#endif

enum column { COL_IDENTIFIER, COL_NAME, COL_FAMILY, COL_CHIP, COL_SOC, COL_BOARD, COL_COUNT };

static const char *const column_names[COL_COUNT] = {
	"identifier", "marketing_name", "cpu_family", "chip", "soc", "board",
};

static const char *const family_names[] = {
	[MAC_FAMILY_UNKNOWN] = "unknown",
	[MAC_FAMILY_APPLE_SILICON] = "apple-silicon",
	[MAC_FAMILY_INTEL_T2] = "intel-t2",
	[MAC_FAMILY_INTEL] = "intel",
};

const char *mac_family_name(enum mac_family family)
{
	return family_names[family];
}

static enum mac_family family_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(family_names); i++)
		if (!strcmp(name, family_names[i]))
			return (enum mac_family)i;
	return MAC_FAMILY_UNKNOWN;
}

static char *readable(char *path)
{
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* The first of the candidate places that holds the table. */
char *mac_models_path(const struct wtg_ctx *ctx)
{
	const char *env = ctx->datadir;
	char exe[PATH_MAX], *found;
	ssize_t n;
	char *slash;

	if (env && *env)
		return readable(xasprintf("%s/" MAC_MODELS_FILE, env));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	found = slash ? readable(xasprintf("%s/../share/wintogo/" MAC_MODELS_FILE, exe)) : NULL;
	if (!found)
		found = readable(xstrdup(WINTOGO_DATADIR "/" MAC_MODELS_FILE));
	if (!found && slash)
		found = readable(xasprintf("%s/../data/" MAC_MODELS_FILE, exe));
	return found;
}

/* Splits line (its newline removed) at tabs into at most max fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (line && n < max)
		fields[n++] = strsep(&line, "\t");
	return n;
}

#define MAX_FIELDS 32

/* Which field each column is in, from the header line. */
static int read_header(struct wtg_ctx *ctx, char *line, const char *path, int index_ret[COL_COUNT])
{
	char *fields[MAX_FIELDS];
	size_t n = split_tabs(line, fields, MAX_FIELDS);

	for (int c = 0; c < COL_COUNT; c++) {
		index_ret[c] = -1;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(fields[i], column_names[c]))
				index_ret[c] = (int)i;
		if (index_ret[c] < 0)
			return log_error(ctx, WTG_ERR_FAILED, "the Mac model table '%s' has no column '%s' in its header line; install it again (make install)",
					 path, column_names[c]);
	}
	return 0;
}

static void copy_field(char *dest, size_t size, char **fields, size_t n, int index)
{
	snprintf(dest, size, "%s", (size_t)index < n ? fields[index] : "");
}

int mac_models_find(struct wtg_ctx *ctx, const char *path, const char *column, const char *key,
		    struct mac_model *model_ret)
{
	FILE *f = fopen(path, "re");
	int col[COL_COUNT], key_col = -1, ret = -WTG_ERR_NOT_FOUND;
	bool header = true;
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return log_syserr(ctx, errno, "cannot open the Mac model table '%s'", path);
	while (getline(&line, &cap, f) > 0) {
		char *fields[MAX_FIELDS];
		size_t n;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (header) {
			header = false;
			ret = read_header(ctx, line, path, col);
			for (int c = 0; c < COL_COUNT && !ret; c++)
				if (!strcmp(column, column_names[c]))
					key_col = col[c];
			if (!ret && key_col < 0)
				ret = log_error(ctx, WTG_ERR_INTERNAL, "the Mac model table has no column '%s' to look up", column);
			if (ret < 0)
				goto out;
			ret = -WTG_ERR_NOT_FOUND;
			continue;
		}
		n = split_tabs(line, fields, MAX_FIELDS);
		if ((size_t)key_col >= n || !*key || strcasecmp(fields[key_col], key))
			continue;
		*model_ret = (struct mac_model){ .family = MAC_FAMILY_UNKNOWN };
		copy_field(model_ret->identifier, sizeof(model_ret->identifier), fields, n, col[COL_IDENTIFIER]);
		copy_field(model_ret->marketing_name, sizeof(model_ret->marketing_name), fields, n, col[COL_NAME]);
		copy_field(model_ret->chip, sizeof(model_ret->chip), fields, n, col[COL_CHIP]);
		copy_field(model_ret->soc, sizeof(model_ret->soc), fields, n, col[COL_SOC]);
		copy_field(model_ret->board, sizeof(model_ret->board), fields, n, col[COL_BOARD]);
		if ((size_t)col[COL_FAMILY] < n)
			model_ret->family = family_from_name(fields[col[COL_FAMILY]]);
		ret = 0;
		break;
	}
	if (ferror(f))
		ret = log_syserr(ctx, EIO, "cannot read the Mac model table '%s'", path);
out:
	free(line);
	fclose(f);
	return ret;
}

/* "<N>,<M>" and nothing more: N is returned, or -1. */
static long model_number(const char *s)
{
	char *end;
	long major;

	if (!isdigit((unsigned char)*s))
		return -1;
	major = strtol(s, &end, 10);
	if (*end != ',' || !isdigit((unsigned char)end[1]))
		return -1;
	strtol(end + 1, &end, 10);
	return *end ? -1 : major;
}

enum mac_family mac_model_guess(const char *identifier)
{
	if (!strncasecmp(identifier, "Mac", 3) && model_number(identifier + 3) >= 13)
		return MAC_FAMILY_APPLE_SILICON;
	return MAC_FAMILY_UNKNOWN;
}
