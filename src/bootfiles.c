/* bootfiles.c - the image's boot files, extracted into the stage
 * (see bootfiles.h). */
#include "wintogo/bootfiles.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <wimlib.h>

#include "wintogo/log.h"
#include "wintogo/pe.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

/* The entry of dir named name in any case (Windows names are case-blind),
 * or NULL. */
static char *find_entry(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	if (!d)
		return NULL;
	while ((e = readdir(d)) && !found)
		if (!strcasecmp(e->d_name, name))
			found = xasprintf("%s/%s", dir, e->d_name);
	closedir(d);
	return found;
}

static char *find_path(const char *root, const char *const parts[], size_t n)
{
	char *path = xstrdup(root);

	for (size_t i = 0; i < n && path; i++) {
		char *next = find_entry(path, parts[i]);

		free(path);
		path = next;
	}
	return path;
}

static int extract(struct wtg_ctx *ctx, struct wim_source *source, int index, const char *wim_path,
		   const char *dest, bool required)
{
	const char *paths[] = { wim_path };
	int err = wimlib_extract_paths(wim_source_handle(source), index, dest, paths, 1,
				       WIMLIB_EXTRACT_FLAG_NORPFIX);

	if (err == WIMLIB_ERR_PATH_DOES_NOT_EXIST && !required)
		return 0;
	if (err == WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		return log_error(ctx, WTG_ERR_NO_WINDOWS, "image %d of '%s' has no %s: it is not a bootable Windows image (choose another with --index)",
				 index, wim_source_file(source)->path, wim_path);
	if (err)
		return wim_error(ctx, err, wim_source_file(source)->path, "extract the boot files from");
	return 0;
}

/* The first thing under dir that is neither a plain file nor a folder,
 * or NULL (nftw with FTW_PHYS: links are looked at, never followed). */
static char *odd_entry;

static int note_odd(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || (type == FTW_F && S_ISREG(sb->st_mode)))
		return 0;
	odd_entry = xstrdup(path);
	return 1;
}

/* What goes to the ESP must be plain files: an image's reparse point is a
 * symlink here, and mcopy would copy what it points to on this machine
 * (a host file) or hang on a FIFO. */
static int check_plain(struct wtg_ctx *ctx, const char *dest, const char *wim_path, int index)
{
	int ret = 0;

	odd_entry = NULL;
	if (nftw(dest, note_odd, 16, FTW_PHYS) != 0 && odd_entry)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "image %d of '%s' has a link or special file among its boot files ('%s'); wintogo puts only plain files on the ESP: use another image",
				index, wim_path, odd_entry + strlen(dest) + 1);
	free(odd_entry);
	odd_entry = NULL;
	return ret;
}

uint16_t boot_machine_of(enum wim_arch arch)
{
	switch (arch) {
	case WIM_ARCH_X64: return PE_MACHINE_AMD64;
	case WIM_ARCH_ARM64: return PE_MACHINE_ARM64;
	case WIM_ARCH_X86: return PE_MACHINE_I386;
	default: return 0;
	}
}

enum wim_arch boot_arch_of(uint16_t machine)
{
	switch (machine) {
	case PE_MACHINE_AMD64: return WIM_ARCH_X64;
	case PE_MACHINE_ARM64: return WIM_ARCH_ARM64;
	case PE_MACHINE_I386: return WIM_ARCH_X86;
	default: return WIM_ARCH_UNKNOWN;
	}
}

const char *boot_fallback_name(uint16_t machine)
{
	switch (machine) {
	case PE_MACHINE_AMD64: return "bootx64.efi";
	case PE_MACHINE_ARM64: return "bootaa64.efi";
	case PE_MACHINE_I386: return "bootia32.efi";
	default: return NULL;
	}
}

int boot_files_extract(struct wtg_ctx *ctx, struct wim_source *source, int index, enum wim_arch arch,
		       const char *stage_dir, struct boot_files *files_ret)
{
	static const char *const efi[] = { "Windows", "Boot", "EFI" };
	static const char *const fonts[] = { "Windows", "Boot", "Fonts" };
	static const char *const resources[] = { "Windows", "Boot", "Resources" };
	static const char *const bcd_template[] = { "Windows", "System32", "config", "BCD-Template" };
	const char *wim_path = wim_source_file(source)->path;
	char *dest = stage_path(stage_dir, "boot");
	struct boot_files f = { 0 };
	uint16_t want;
	int ret;

	if (mkdir(dest, 0700) < 0) {
		ret = log_syserr(ctx, errno, "cannot make '%s'", dest);
		goto out;
	}
	ret = extract(ctx, source, index, "/Windows/Boot/EFI", dest, true);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/Fonts", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/Resources", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/System32/config/BCD-Template", dest, false);
	if (!ret)
		ret = check_plain(ctx, dest, wim_path, index);
	if (ret < 0)
		goto out;

	f.efi_dir = find_path(dest, efi, ARRAY_SIZE(efi));
	f.fonts_dir = find_path(dest, fonts, ARRAY_SIZE(fonts));
	f.resources_dir = find_path(dest, resources, ARRAY_SIZE(resources));
	f.bcd_template = find_path(dest, bcd_template, ARRAY_SIZE(bcd_template));
	f.bootmgfw = f.efi_dir ? find_entry(f.efi_dir, "bootmgfw.efi") : NULL;
	if (!f.bootmgfw) {
		ret = log_error(ctx, WTG_ERR_NO_WINDOWS, "image %d of '%s' has no Windows/Boot/EFI/bootmgfw.efi: it cannot boot by UEFI (choose another with --index)",
				index, wim_path);
		goto out;
	}
	ret = pe_read_machine(ctx, f.bootmgfw, &f.machine);
	if (ret < 0)
		goto out;
	want = boot_machine_of(arch);
	if (want && f.machine != want) {
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "image %d of '%s' says it is %s but its boot manager is built for %s; the image is inconsistent, use another",
				index, wim_path, wim_arch_name(arch), pe_machine_name(f.machine));
		goto out;
	}
	f.fallback_name = boot_fallback_name(f.machine);
	if (!f.fallback_name) {
		ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "the boot manager of image %d of '%s' is for machine type 0x%04x, which UEFI PCs do not run",
				index, wim_path, f.machine);
		goto out;
	}
	*files_ret = f;
	f = (struct boot_files){ 0 };
out:
	boot_files_release(&f);
	free(dest);
	return ret;
}

void boot_files_release(struct boot_files *f)
{
	free(f->efi_dir);
	free(f->fonts_dir);
	free(f->resources_dir);
	free(f->bootmgfw);
	free(f->bcd_template);
	*f = (struct boot_files){ 0 };
}
