/* exfat_dir.h - the folders in the root of an exFAT volume, read from its
 * bytes without mounting it (for probe: the NAME.utm on a stick's
 * WINTOGO-VM partition).  Only what that needs: the boot sector's
 * geometry, the root directory's cluster chain in the FAT, and its File,
 * Stream Extension and File Name entries (exFAT specification, sections
 * 3.1, 4 and 7.4 to 7.7).  Bounded: a damaged volume gives an error, never
 * a loop or an allocation it names. */
#ifndef WINTOGO_EXFAT_DIR_H
#define WINTOGO_EXFAT_DIR_H

#include <stddef.h>
#include <stdint.h>

/* The names (UTF-8, newly allocated, *n_ret of them) of the folders in
 * the root of the exFAT volume that starts at byte offset of fd and is
 * size bytes long.  Returns 0, or -EINVAL (not exFAT, or damaged), or
 * -errno of a failed read; logs nothing (the caller knows what the volume
 * is to the user). */
int exfat_root_folders(int fd, uint64_t offset, uint64_t size, char ***names_ret, size_t *n_ret);

void exfat_names_free(char **names, size_t n);

#endif
