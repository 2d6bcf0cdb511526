/* authenticode.h - who signed a boot manager: the Authenticode signature
 * of a PE image, as Secure Boot firmware reads it.
 *
 * The signature is the PE's certificate table (its security data
 * directory): WIN_CERTIFICATE entries, each a PKCS#7 SignedData (read by
 * OpenSSL) whose content, SpcIndirectDataContent, holds the digest of the
 * file; further signatures nest in the unauthenticated attribute
 * 1.3.6.1.4.1.311.2.4.1 of a signer.  For each signer this reports its
 * certificate (subject and issuer CN, validity), whether the file's own
 * digest is the one signed, and whether the signature over it verifies
 * with that certificate.  Whether the firmware trusts the certificate is
 * not decided here: that is its db and dbx.
 *
 * Secure Boot's Windows boot managers were signed under "Microsoft
 * Windows Production PCA 2011" until the 2026 change, and are now also
 * signed under "Windows UEFI CA 2023"; the signer's issuer names which. */
#ifndef WINTOGO_AUTHENTICODE_H
#define WINTOGO_AUTHENTICODE_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The CA a boot manager's signer certificate was issued by. */
enum sb_ca {
	SB_CA_NONE,     /* no signature, or none that verifies */
	SB_CA_2011,     /* Microsoft Windows Production PCA 2011 */
	SB_CA_2023,     /* Windows UEFI CA 2023 */
	SB_CA_OTHER,    /* any other issuer */
};

#define SB_CA_2011_CN "Microsoft Windows Production PCA 2011"
#define SB_CA_2023_CN "Windows UEFI CA 2023"

/* "none", "2011", "2023", "other" (the --secure-boot-ca vocabulary) */
const char *sb_ca_name(enum sb_ca ca);
/* "unsigned", "Microsoft Windows Production PCA 2011", ... for people */
const char *sb_ca_text(enum sb_ca ca);

#define AUTHENTICODE_NAME_MAX 128
#define AUTHENTICODE_SIGNERS_MAX 4

struct authenticode_signer {
	char subject[AUTHENTICODE_NAME_MAX];  /* the signing certificate's CN */
	char issuer[AUTHENTICODE_NAME_MAX];   /* its issuer's CN: the CA */
	enum sb_ca ca;                        /* from issuer */
	time_t not_before, not_after;
	char digest_alg[16];                  /* "sha256", "sha1" */
	bool digest_ok;      /* the file's digest is the one the signature holds */
	bool signature_ok;   /* the signature verifies with the certificate */
	unsigned depth;      /* 0: the first signature, 1: nested in it */
};

enum authenticode_status {
	AUTHENTICODE_UNSIGNED,   /* no certificate table */
	AUTHENTICODE_SIGNED,     /* every signature read (each signer says
				    whether it holds) */
	AUTHENTICODE_DAMAGED,    /* a certificate table that cannot be read */
};

struct authenticode {
	enum authenticode_status status;
	char damage[160];        /* what is wrong, for AUTHENTICODE_DAMAGED */
	struct authenticode_signer signers[AUTHENTICODE_SIGNERS_MAX];
	size_t n_signers;
};

/* Reads the signature of the PE image in data.  A file that is no PE
 * image: -WTG_ERR_NOT_AN_IMAGE (nothing logged: a pure parser); any PE
 * image gives 0, its signature unsigned, signed or damaged. */
int authenticode_parse(const uint8_t *data, size_t size, struct authenticode *a_ret);

/* The same for the file at path (at most 64 MiB); fails (logged) when it
 * cannot be read or is no PE image. */
int authenticode_read(struct wtg_ctx *ctx, const char *path, struct authenticode *a_ret);

/* The CAs of the signers whose digest and signature hold: the best one
 * for Secure Boot after 2026 (2023 over 2011 over other), SB_CA_NONE
 * when none holds. */
enum sb_ca authenticode_ca(const struct authenticode *a);
/* Whether a signer whose digest and signature hold was issued by ca. */
bool authenticode_has_ca(const struct authenticode *a, enum sb_ca ca);

#endif
