/* macmodels.h - the table of Mac models (data/mac-models.tsv, installed
 * as PREFIX/share/wintogo/mac-models.tsv): model identifier ("Mac14,2",
 * "MacBookPro16,1"), marketing name, CPU family (Apple Silicon, Intel with
 * a T2 chip, Intel), chip, SoC and Apple Silicon board ("J413").
 *
 * The table is a tab-separated file with a header line naming its columns;
 * lines starting with '#' are comments.  Where it does not know a model,
 * mac_model_guess() applies the naming rule Apple has kept since 2022. */
#ifndef WINTOGO_MACMODELS_H
#define WINTOGO_MACMODELS_H

#include "wintogo/ctx.h"

#define MAC_MODELS_FILE "mac-models.tsv"

enum mac_family {
	MAC_FAMILY_UNKNOWN,
	MAC_FAMILY_APPLE_SILICON,  /* "apple-silicon" */
	MAC_FAMILY_INTEL_T2,       /* "intel-t2" */
	MAC_FAMILY_INTEL,          /* "intel": no T2 chip */
};

struct mac_model {
	char identifier[32];
	char marketing_name[160];
	enum mac_family family;
	char chip[32];             /* "M2", "M1 Max", "Intel" */
	char soc[32];              /* "T8112", "T8012 (T2)" */
	char board[16];            /* "J413"; "" for Intel Macs */
};

/* Where the table is: $WINTOGO_DATADIR/mac-models.tsv when that variable
 * is set, else the first of ../share/wintogo/ next to the running binary
 * (an installed wintogo, wherever its PREFIX), the DATADIR it was built
 * for (PREFIX/share/wintogo), ../data/ next to the binary (a build in the
 * source tree).  Newly allocated; NULL when there is none. */
char *mac_models_path(const struct wtg_ctx *ctx);

/* Finds in the table at path the row whose column ("identifier" or
 * "board") equals key, ignoring case.  Returns 0, -WTG_ERR_NOT_FOUND when there is no
 * such row (not logged), or another negative code (logged) when the table
 * cannot be read or lacks a column. */
int mac_models_find(struct wtg_ctx *ctx, const char *path, const char *column, const char *key,
		    struct mac_model *model_ret);

/* The family by the naming rule alone, for models newer than the table:
 * every "Mac<N>,<M>" with N >= 13 is Apple Silicon.  The older names
 * ("MacBookPro18,1", "MacBookAir9,1") say nothing sure (Intel, Intel with
 * T2 or Apple Silicon): MAC_FAMILY_UNKNOWN for them and anything else. */
enum mac_family mac_model_guess(const char *identifier);

/* "apple-silicon", "intel-t2", "intel" or "unknown". */
const char *mac_family_name(enum mac_family family);

#endif
