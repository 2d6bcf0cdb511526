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

static int no_op_entry(const struct wimlib_dir_entry *entry, void *arg)
{
	(void)entry;
	(void)arg;
	return 0;
}

int boot_files_check_pcat(struct wtg_ctx *ctx, struct wim_source *source, int index)
{
	const char *wim_path = wim_source_file(source)->path;
	int err = wimlib_iterate_dir_tree(wim_source_handle(source), index, BOOT_PCAT_BOOTMGR, 0, no_op_entry,
					  NULL);

	if (err == WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		return log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "image %d of '%s' has no %s, the boot manager PCs start from BIOS: it cannot make an MBR disk; use --partition-table gpt",
				 index, wim_path, &BOOT_PCAT_BOOTMGR[1]);
	if (err)
		return wim_error(ctx, err, wim_path, "read the BIOS boot manager of");
	return 0;
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
	static const char *const efi_ex[] = { "Windows", "Boot", "EFI_EX" };
	static const char *const fonts_ex[] = { "Windows", "Boot", "Fonts_EX" };
	static const char *const resources[] = { "Windows", "Boot", "Resources" };
	static const char *const bcd_template[] = { "Windows", "System32", "config", "BCD-Template" };
	static const char *const pcat[] = { "Windows", "Boot", "PCAT" };
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
		ret = extract(ctx, source, index, "/Windows/Boot/EFI_EX", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/Fonts", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/Fonts_EX", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/Resources", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/System32/config/BCD-Template", dest, false);
	if (!ret)
		ret = extract(ctx, source, index, "/Windows/Boot/PCAT", dest, false);
	if (!ret)
		ret = check_plain(ctx, dest, wim_path, index);
	if (ret < 0)
		goto out;

	f.efi_dir = find_path(dest, efi, ARRAY_SIZE(efi));
	f.fonts_dir = find_path(dest, fonts, ARRAY_SIZE(fonts));
	f.efi_ex_dir = find_path(dest, efi_ex, ARRAY_SIZE(efi_ex));
	f.fonts_ex_dir = find_path(dest, fonts_ex, ARRAY_SIZE(fonts_ex));
	f.resources_dir = find_path(dest, resources, ARRAY_SIZE(resources));
	f.bcd_template = find_path(dest, bcd_template, ARRAY_SIZE(bcd_template));
	f.pcat_dir = find_path(dest, pcat, ARRAY_SIZE(pcat));
	f.pcat_bootmgr = f.pcat_dir ? find_entry(f.pcat_dir, "bootmgr") : NULL;
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
	free(f->efi_ex_dir);
	free(f->fonts_ex_dir);
	free(f->pcat_dir);
	free(f->pcat_bootmgr);
	*f = (struct boot_files){ 0 };
}

/* name without its "_EX" before the extension ("bootmgfw_EX.efi" ->
 * "bootmgfw.efi"), or a copy of name when it has none. */
static char *without_ex(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot ? (size_t)(dot - name) : strlen(name);

	if (stem >= 3 && !strncasecmp(name + stem - 3, "_EX", 3))
		return xasprintf("%.*s%s", (int)(stem - 3), name, dot ? dot : "");
	return xstrdup(name);
}

/* Moves every file of from_dir into to_dir under its name without _EX,
 * replacing what is there in any case. */
static int overlay(struct wtg_ctx *ctx, const char *from_dir, const char *to_dir)
{
	DIR *d = opendir(from_dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return log_syserr(ctx, errno, "cannot read '%s'", from_dir);
	while (!ret && (e = readdir(d))) {
		char *from, *name, *old, *to;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		from = xasprintf("%s/%s", from_dir, e->d_name);
		name = without_ex(e->d_name);
		/* the file it replaces keeps its own spelling, as on Windows */
		old = find_entry(to_dir, name);
		to = old ? old : xasprintf("%s/%s", to_dir, name);
		/* a language folder (en-US) of EFI_EX: its files overlay that one */
		if (lstat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!old && mkdir(to, 0700) < 0)
				ret = log_syserr(ctx, errno, "cannot make '%s'", to);
			if (!ret)
				ret = overlay(ctx, from, to);
		} else if (rename(from, to) < 0) {
			ret = log_syserr(ctx, errno, "cannot put '%s' in the place of '%s'", from, to);
		}
		free(from);
		free(name);
		free(to);
	}
	closedir(d);
	return ret;
}

int boot_files_use_ex(struct wtg_ctx *ctx, struct boot_files *f)
{
	int ret;

	if (!f->efi_ex_dir)
		return log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "the image has no Windows\\Boot\\EFI_EX");
	ret = overlay(ctx, f->efi_ex_dir, f->efi_dir);
	if (!ret && f->fonts_ex_dir && !f->fonts_dir) {
		/* Fonts_EX alone: it becomes the ESP's Fonts folder */
		f->fonts_dir = xasprintf("%s/Fonts", f->fonts_ex_dir);
		if (mkdir(f->fonts_dir, 0700) < 0)
			ret = log_syserr(ctx, errno, "cannot make '%s'", f->fonts_dir);
	}
	if (!ret && f->fonts_ex_dir)
		ret = overlay(ctx, f->fonts_ex_dir, f->fonts_dir);
	return ret;
}

/* One boot manager of the image: extracted, its signature read.  false
 * when the image has none there (or it is no plain file). */
static int read_manager(struct wtg_ctx *ctx, struct wim_source *source, int index, const char *wim_path,
			const char *stage, bool *present_ret, struct authenticode *sig_ret, struct pe_info *pe_ret)
{
	const char *paths[] = { wim_path };
	char *file = stage_path(stage, strrchr(wim_path, '/') + 1);
	struct wtg_ctx quiet;
	struct stat st;
	int err = wimlib_extract_paths(wim_source_handle(source), index, stage, paths, 1,
				       WIMLIB_EXTRACT_FLAG_NO_PRESERVE_DIR_STRUCTURE | WIMLIB_EXTRACT_FLAG_NORPFIX);
	int ret = 0;

	*present_ret = false;
	if (err && err != WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		ret = wim_error(ctx, err, wim_source_file(source)->path, "read the boot managers of");
	else if (!err) {
		/* a file that is no PE image: unsigned and of no machine, for the
		 * firmware too; a link (a reparse point) is not followed out of
		 * the stage */
		*present_ret = true;
		*sig_ret = (struct authenticode){ .status = AUTHENTICODE_UNSIGNED };
		*pe_ret = (struct pe_info){ 0 };
		wtg_ctx_init(&quiet);
		if (lstat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			if (authenticode_read(&quiet, file, sig_ret) < 0)
				*sig_ret = (struct authenticode){ .status = AUTHENTICODE_UNSIGNED };
			if (pe_read_info(&quiet, file, pe_ret) < 0)
				*pe_ret = (struct pe_info){ 0 };
		}
		wtg_ctx_release(&quiet);
	}
	free(file);
	return ret;
}

int boot_managers_choose(struct wtg_ctx *ctx, struct wim_source *source, int index, enum sb_choice choice,
			 struct boot_managers *bm_ret)
{
	const char *wim_path = wim_source_file(source)->path;
	struct boot_managers bm = { 0 };
	struct pe_info efi_pe = { 0 }, ex_pe = { 0 };
	bool ex_2023;
	char *stage = NULL;
	int ret = stage_create(ctx, stage_default_parent(ctx), &stage);

	if (!ret)
		ret = read_manager(ctx, source, index, "/Windows/Boot/EFI/bootmgfw.efi", stage, &bm.efi, &bm.efi_sig,
				   &efi_pe);
	if (!ret)
		ret = read_manager(ctx, source, index, "/Windows/Boot/EFI_EX/bootmgfw_EX.efi", stage, &bm.ex,
				   &bm.ex_sig, &ex_pe);
	stage_remove(stage);
	if (ret < 0)
		return ret;
	ex_2023 = bm.ex && authenticode_has_ca(&bm.ex_sig, SB_CA_2023);
	if (choice == SB_CHOICE_2023 && !ex_2023)
		return log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED,
				 bm.ex ? "--secure-boot-ca 2023: Windows\\Boot\\EFI_EX\\bootmgfw_EX.efi of image %d of '%s' is not signed under " SB_CA_2023_CN " (it is: %s); use another image, or --secure-boot-ca 2011"
				       : "--secure-boot-ca 2023: image %d of '%s' has no 2023-signed boot manager (Windows\\Boot\\EFI_EX)%s; write it from a newer Windows image, or choose --secure-boot-ca 2011",
				 index, wim_path, bm.ex ? sb_ca_text(authenticode_ca(&bm.ex_sig)) : "");
	bm.use_ex = choice != SB_CHOICE_2011 && ex_2023;
	bm.machine = bm.use_ex ? ex_pe.machine : efi_pe.machine;
	bm.subsystem = bm.use_ex ? ex_pe.subsystem : efi_pe.subsystem;
	bm.ca = authenticode_ca(bm.use_ex ? &bm.ex_sig : &bm.efi_sig);
	if (bm.efi && !bm.use_ex && bm.ca == SB_CA_2011 && !authenticode_has_ca(&bm.efi_sig, SB_CA_2023))
		log_warn(ctx, "the boot manager of image %d of '%s' is signed only under " SB_CA_2011_CN ": PCs that took Microsoft's 2026 Secure Boot updates refuse it (with Secure Boot off it boots anywhere); %s",
			 index, wim_path, choice == SB_CHOICE_2011 && ex_2023 ? "--secure-boot-ca auto would use the image's 2023-signed one" : "a newer Windows image has 2023-signed ones (Windows\\Boot\\EFI_EX)");
	*bm_ret = bm;
	return 0;
}

const char *boot_managers_set_name(const struct boot_managers *bm)
{
	return bm->use_ex ? "Windows\\Boot\\EFI_EX" : "Windows\\Boot\\EFI";
}
