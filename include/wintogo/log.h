/* log.h - error and warning messages on stderr.
 *
 * Modules report an error where they detect it, naming the object and the
 * reason, and then return the (negative errno-style) code they were given:
 *
 *     return log_errno(-errno, "cannot open '%s'", path);
 *
 * Messages are lowercase, have no trailing period and, for a refusal, say
 * what to do instead.  Nothing here writes to stdout.
 */
#ifndef WINTOGO_LOG_H
#define WINTOGO_LOG_H

#include <stdbool.h>

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))

/* Prints "wintogo: MESSAGE" and returns err. */
int log_error(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Prints "wintogo: MESSAGE: strerror(-err)" and returns err. */
int log_errno(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Prints "wintogo: warning: MESSAGE". */
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* A line of detail after an error ("  1  Windows 10 Home"), on stderr. */
void log_detail(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Informational lines on stderr; silenced by log_set_quiet(true). */
void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_set_quiet(bool quiet);

#endif
