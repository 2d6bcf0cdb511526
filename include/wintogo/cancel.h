/* cancel.h - Ctrl-C (SIGINT), SIGTERM and SIGHUP end long work cleanly:
 * the signal only sets a flag; long loops and wimlib's progress callback
 * check it and unwind through their normal cleanup, so nothing staged or
 * half-written is left behind. */
#ifndef WINTOGO_CANCEL_H
#define WINTOGO_CANCEL_H

#include <stdbool.h>

void cancel_install_handlers(void);
bool cancel_requested(void);

#endif
