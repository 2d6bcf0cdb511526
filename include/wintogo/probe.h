/* probe.h - will a Windows To Go disk boot on a machine, and why not.
 *
 * probe_run() is pure reasoning: a host (host.h) and what an image or a
 * disk offers (bootfacts.h) give a verdict and every reason behind it.
 * Each reason has a stable id (scripts match on it), a severity, the rule,
 * the fact found here that triggers it, and what to do:
 *
 *   blocker    the disk cannot boot there      -> "cannot boot"
 *   condition  it boots once something is done -> "boots with conditions"
 *   note       worth knowing, changes nothing  -> "boots"
 *
 * On an Apple Silicon Mac nothing boots from an external disk; the way out
 * is a virtual machine, and the result carries the `wintogo vm` command
 * that makes one from this image. */
#ifndef WINTOGO_PROBE_H
#define WINTOGO_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "wintogo/bootfacts.h"
#include "wintogo/host.h"

/* Windows 10 1703 (Creators Update): from this build on, Windows mounts
 * every partition of a disk that reports itself removable. */
#define PROBE_BUILD_1703 15063

enum probe_verdict { PROBE_BOOTS, PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT };
enum probe_severity { PROBE_NOTE, PROBE_CONDITION, PROBE_BLOCKER };

struct probe_reason {
	const char *id;              /* "apple-silicon-no-uefi", "arch-mismatch"... */
	enum probe_severity severity;
	const char *message;         /* the rule */
	char *fact;                  /* what was found that triggers it */
	char *action;                /* what to do; NULL when nothing */
};

#define PROBE_REASONS_MAX 16
#define PROBE_VM_ARGS_MAX 10

/* A virtual machine instead: `wintogo vm [--index N] --utm . SOURCE
 * OUT.qcow2`.  Options come first, so any getopt reads them. */
struct probe_vm {
	bool suggested;
	const char *argv[PROBE_VM_ARGS_MAX];  /* NULL-terminated */
	char *out;                   /* the OUT.qcow2 in argv */
	char index[16];              /* the N of --index N in argv */
	enum wim_arch arch;          /* the guest's; unknown without an image */
	bool virtualize;             /* arm64: UTM virtualizes; else it emulates */
	bool placeholders;           /* argv holds IMAGE or N for the user to fill */
	bool from_image;             /* the disk cannot start a VM either: the
					command takes the Windows image instead */
};

struct probe_result {
	enum probe_verdict verdict;
	struct probe_reason reasons[PROBE_REASONS_MAX];
	size_t n_reasons;
	struct probe_vm vm;
};

/* Reasons about host and input (NULL: no image, the host alone, as for a
 * disk wintogo would write for the host's own architecture).  The result
 * points into itself and into input: do not copy it, and keep input until
 * it is released. */
void probe_run(const struct host *host, const struct boot_facts *input,
	       struct probe_result *result_ret);
void probe_result_release(struct probe_result *result);

/* "boots", "boots with conditions", "cannot boot". */
const char *probe_verdict_name(enum probe_verdict verdict);
/* "note", "condition", "blocker". */
const char *probe_severity_name(enum probe_severity severity);

#endif
