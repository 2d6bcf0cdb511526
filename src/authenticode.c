/* authenticode.c - who signed a PE image (see authenticode.h).
 *
 * Our own code walks only the PE headers, with every offset checked
 * against the file's size; the DER of the signature is OpenSSL's to read
 * (d2i_PKCS7, ASN1_get_object) and to verify (PKCS7_verify).
 *
 * The digest Authenticode signs is that of the whole file but three
 * parts: the optional header's CheckSum, the security data directory
 * entry, and the certificate table itself.  It is taken here in file
 * order, from the start to the certificate table; the PE/COFF
 * specification hashes the headers and then the sections in file order,
 * which is the same bytes wherever the sections follow one another, as
 * they do in the boot managers Microsoft signs (and in what sbsign
 * signs). */
#include "wintogo/authenticode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define PE32_MAGIC 0x10b
#define PE32PLUS_MAGIC 0x20b
#define PE_DIR_SECURITY 4
#define WIN_CERT_REVISION_2 0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define SPC_INDIRECT_DATA_OID "1.3.6.1.4.1.311.2.1.4"
#define SPC_NESTED_SIGNATURE_OID "1.3.6.1.4.1.311.2.4.1"
#define AUTHENTICODE_FILE_MAX (64u << 20)
/* a nested signature holds no further ones in practice; bounded anyway */
#define NESTING_MAX 2

const char *sb_ca_name(enum sb_ca ca)
{
	switch (ca) {
	case SB_CA_2011: return "2011";
	case SB_CA_2023: return "2023";
	case SB_CA_OTHER: return "other";
	default: return "none";
	}
}

const char *sb_ca_text(enum sb_ca ca)
{
	switch (ca) {
	case SB_CA_2011: return SB_CA_2011_CN;
	case SB_CA_2023: return SB_CA_2023_CN;
	case SB_CA_OTHER: return "a CA that is not Microsoft's Windows CA";
	default: return "no valid signature";
	}
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the parts the digest leaves out are. */
struct pe_layout {
	size_t checksum_at;    /* 4 bytes */
	size_t secdir_at;      /* 8 bytes: the security directory entry */
	size_t certs_at;       /* the certificate table; size when none */
	size_t certs_size;
};

static void damaged(struct authenticode *a, const char *fmt, const char *detail)
{
	a->status = AUTHENTICODE_DAMAGED;
	snprintf(a->damage, sizeof(a->damage), fmt, detail ? detail : "");
}

/* 0 and the layout, or -WTG_ERR_NOT_AN_IMAGE; a certificate table that
 * lies outside the file is damage, said in a. */
static int read_layout(const uint8_t *data, size_t size, struct pe_layout *l, struct authenticode *a)
{
	size_t pe_at, opt_at, opt_len, dirs_at, count_at;
	uint32_t count, va, len;

	if (size < 64 || data[0] != 'M' || data[1] != 'Z')
		return -WTG_ERR_NOT_AN_IMAGE;
	pe_at = le32(data + 0x3c);
	if (pe_at > size || size - pe_at < 24 || memcmp(data + pe_at, "PE\0\0", 4))
		return -WTG_ERR_NOT_AN_IMAGE;
	opt_at = pe_at + 24;
	opt_len = le16(data + pe_at + 20);
	if (opt_len > size - opt_at || opt_len < 2)
		return -WTG_ERR_NOT_AN_IMAGE;
	switch (le16(data + opt_at)) {
	case PE32_MAGIC: count_at = 92; dirs_at = 96; break;
	case PE32PLUS_MAGIC: count_at = 108; dirs_at = 112; break;
	default: return -WTG_ERR_NOT_AN_IMAGE;
	}
	if (opt_len < count_at + 4)
		return -WTG_ERR_NOT_AN_IMAGE;
	l->checksum_at = opt_at + 64;
	l->secdir_at = opt_at + dirs_at + PE_DIR_SECURITY * 8;
	l->certs_at = size;
	l->certs_size = 0;
	count = le32(data + opt_at + count_at);
	/* no security entry at all: unsigned, and nothing to leave out */
	if (count <= PE_DIR_SECURITY || opt_len < dirs_at + (PE_DIR_SECURITY + 1) * 8) {
		l->secdir_at = size;
		return 0;
	}
	va = le32(data + l->secdir_at);      /* a file offset, not an RVA */
	len = le32(data + l->secdir_at + 4);
	if (!len)
		return 0;
	if (va < l->secdir_at + 8 || va > size || len > size - va) {
		damaged(a, "its certificate table (the security directory) lies outside the file%s", NULL);
		return 0;
	}
	l->certs_at = va;
	l->certs_size = len;
	return 0;
}

/* The Authenticode digest of the file with algorithm md. */
static bool file_digest(const uint8_t *data, const struct pe_layout *l, const EVP_MD *md, uint8_t *out,
			unsigned *out_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t end = l->certs_at;
	bool ok = c && EVP_DigestInit_ex(c, md, NULL);

	ok = ok && EVP_DigestUpdate(c, data, l->checksum_at);
	if (l->secdir_at < end) {
		ok = ok && EVP_DigestUpdate(c, data + l->checksum_at + 4, l->secdir_at - l->checksum_at - 4);
		ok = ok && EVP_DigestUpdate(c, data + l->secdir_at + 8, end - l->secdir_at - 8);
	} else {
		ok = ok && EVP_DigestUpdate(c, data + l->checksum_at + 4, end - l->checksum_at - 4);
	}
	ok = ok && EVP_DigestFinal_ex(c, out, out_len);
	EVP_MD_CTX_free(c);
	return ok;
}

/* The next DER element within [*p, end): its tag and contents.  False
 * when there is none there, or it runs past end. */
static bool der_next(const unsigned char **p, const unsigned char *end, int want_tag,
		     const unsigned char **body_ret, long *len_ret)
{
	const unsigned char *q = *p;
	long len;
	int tag, xclass;

	if (q >= end)
		return false;
	if (ASN1_get_object(&q, &len, &tag, &xclass, end - q) & 0x80)
		return false;
	if (tag != want_tag || xclass != V_ASN1_UNIVERSAL || len > end - q)
		return false;
	*body_ret = q;
	*len_ret = len;
	*p = q + len;
	return true;
}

/* SpcIndirectDataContent ::= SEQUENCE { data SEQUENCE {...},
 *   messageDigest SEQUENCE { SEQUENCE { algorithm OID, ... }, digest OCTET STRING } }
 * Its digest algorithm and value, and its contents (what the signature's
 * messageDigest attribute is the digest of: the SEQUENCE's body). */
struct indirect {
	const EVP_MD *md;
	const unsigned char *digest;
	long digest_len;
	const unsigned char *body;
	long body_len;
};

static bool read_indirect(const ASN1_STRING *seq, struct indirect *in)
{
	const unsigned char *p = ASN1_STRING_get0_data(seq), *end, *body, *sub, *alg;
	long len, sub_len, alg_len;
	ASN1_OBJECT *oid;
	const unsigned char *o;

	end = p + ASN1_STRING_length(seq);
	if (!der_next(&p, end, V_ASN1_SEQUENCE, &body, &len))
		return false;
	in->body = body;
	in->body_len = len;
	end = body + len;
	p = body;
	if (!der_next(&p, end, V_ASN1_SEQUENCE, &sub, &sub_len))  /* data */
		return false;
	if (!der_next(&p, end, V_ASN1_SEQUENCE, &sub, &sub_len))  /* messageDigest */
		return false;
	end = sub + sub_len;
	p = sub;
	if (!der_next(&p, end, V_ASN1_SEQUENCE, &alg, &alg_len))
		return false;
	o = alg;
	oid = d2i_ASN1_OBJECT(NULL, &o, alg_len);
	in->md = oid ? EVP_get_digestbyobj(oid) : NULL;
	ASN1_OBJECT_free(oid);
	return in->md && der_next(&p, end, V_ASN1_OCTET_STRING, &in->digest, &in->digest_len);
}

static void cn_of(const X509_NAME *name, char *buf, size_t size)
{
	if (!name || X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)size) < 0)
		snprintf(buf, size, "(no CN)");
}

static time_t time_of(const ASN1_TIME *t)
{
	struct tm tm;

	return t && ASN1_TIME_to_tm(t, &tm) ? timegm(&tm) : 0;
}

static enum sb_ca ca_of(const char *issuer)
{
	if (!strcmp(issuer, SB_CA_2011_CN))
		return SB_CA_2011;
	if (!strcmp(issuer, SB_CA_2023_CN))
		return SB_CA_2023;
	return SB_CA_OTHER;
}

static void read_signature(const uint8_t *data, const struct pe_layout *l, const unsigned char *der, long len,
			   unsigned depth, struct authenticode *a);

/* The signature of p7 over the body of its SpcIndirectDataContent, by the
 * certificates it carries.  The content goes in through a buffering BIO
 * on top of the memory one: given a memory BIO itself, PKCS7_verify of
 * OpenSSL 3.0 makes a copy that it leaks when the signature is malformed
 * (found by fuzz_pe). */
static bool verify(PKCS7 *p7, const struct indirect *in)
{
	BIO *mem = BIO_new_mem_buf(in->body, (int)in->body_len);
	BIO *buf = mem ? BIO_new(BIO_f_buffer()) : NULL;
	bool ok = false;

	if (buf) {
		BIO_push(buf, mem);
		ok = PKCS7_verify(p7, NULL, NULL, buf, NULL, PKCS7_NOVERIFY | PKCS7_BINARY) == 1;
		BIO_free_all(buf);
	} else {
		BIO_free(mem);
	}
	return ok;
}

/* The signatures nested in si's unauthenticated attributes. */
static void read_nested(const uint8_t *data, const struct pe_layout *l, PKCS7_SIGNER_INFO *si, unsigned depth,
			struct authenticode *a)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = si->unauth_attr;
	char oid[64];

	for (int i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		X509_ATTRIBUTE *attr = sk_X509_ATTRIBUTE_value(attrs, i);

		if (OBJ_obj2txt(oid, sizeof(oid), X509_ATTRIBUTE_get0_object(attr), 1) <= 0 ||
		    strcmp(oid, SPC_NESTED_SIGNATURE_OID))
			continue;
		for (int k = 0; k < X509_ATTRIBUTE_count(attr); k++) {
			ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(attr, k);

			if (t && t->type == V_ASN1_SEQUENCE)
				read_signature(data, l, ASN1_STRING_get0_data(t->value.sequence),
					       ASN1_STRING_length(t->value.sequence), depth + 1, a);
		}
	}
}

/* One PKCS#7 SignedData: each of its signers into a, then those nested. */
static void read_signature(const uint8_t *data, const struct pe_layout *l, const unsigned char *der, long len,
			   unsigned depth, struct authenticode *a)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	STACK_OF(PKCS7_SIGNER_INFO) *infos;
	struct indirect in;
	char oid[64];
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	bool digest_ok;

	if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents) {
		damaged(a, "its signature is not a PKCS#7 SignedData%s", NULL);
		goto out;
	}
	if (OBJ_obj2txt(oid, sizeof(oid), p7->d.sign->contents->type, 1) <= 0 ||
	    strcmp(oid, SPC_INDIRECT_DATA_OID) || !p7->d.sign->contents->d.other ||
	    p7->d.sign->contents->d.other->type != V_ASN1_SEQUENCE ||
	    !read_indirect(p7->d.sign->contents->d.other->value.sequence, &in)) {
		damaged(a, "its signature holds no Authenticode digest (SpcIndirectDataContent)%s", NULL);
		goto out;
	}
	digest_ok = file_digest(data, l, in.md, digest, &digest_len) && (long)digest_len == in.digest_len &&
		    !memcmp(digest, in.digest, digest_len);
	infos = PKCS7_get_signer_info(p7);
	for (int i = 0; i < sk_PKCS7_SIGNER_INFO_num(infos); i++) {
		PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(infos, i);
		X509 *cert = PKCS7_cert_from_signer_info(p7, si);
		struct authenticode_signer *s;

		if (a->n_signers == AUTHENTICODE_SIGNERS_MAX)
			break;
		s = &a->signers[a->n_signers++];
		memset(s, 0, sizeof(*s));
		s->depth = depth;
		s->digest_ok = digest_ok;
		snprintf(s->digest_alg, sizeof(s->digest_alg), "%s", EVP_MD_get0_name(in.md));
		for (char *c = s->digest_alg; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		if (!cert) {
			snprintf(s->subject, sizeof(s->subject), "(no certificate)");
			snprintf(s->issuer, sizeof(s->issuer), "(unknown)");
			s->ca = SB_CA_OTHER;
		} else {
			cn_of(X509_get_subject_name(cert), s->subject, sizeof(s->subject));
			cn_of(X509_get_issuer_name(cert), s->issuer, sizeof(s->issuer));
			s->ca = ca_of(s->issuer);
			s->not_before = time_of(X509_get0_notBefore(cert));
			s->not_after = time_of(X509_get0_notAfter(cert));
		}
		/* the signature over the signed attributes, whose messageDigest
		 * is that of SpcIndirectDataContent's body; the chain is the
		 * firmware's to judge (its db), not checked here */
		s->signature_ok = cert && verify(p7, &in);
		if (depth < NESTING_MAX)
			read_nested(data, l, si, depth, a);
	}
	if (a->status != AUTHENTICODE_DAMAGED)
		a->status = AUTHENTICODE_SIGNED;
out:
	ERR_clear_error();  /* OpenSSL's queue says nothing the fields do not */
	PKCS7_free(p7);
}

int authenticode_parse(const uint8_t *data, size_t size, struct authenticode *a_ret)
{
	struct authenticode a = { .status = AUTHENTICODE_UNSIGNED };
	struct pe_layout l;
	size_t at, end;
	int ret = read_layout(data, size, &l, &a);

	if (ret < 0)
		return ret;
	end = l.certs_at + l.certs_size;
	/* WIN_CERTIFICATE entries, each 8-byte aligned */
	for (at = l.certs_at; a.status != AUTHENTICODE_DAMAGED && l.certs_size && end - at >= 8;) {
		uint32_t len = le32(data + at);

		if (len < 8 || len > end - at) {
			damaged(&a, "a certificate entry runs past its table%s", NULL);
			break;
		}
		if (le16(data + at + 4) == WIN_CERT_REVISION_2 &&
		    le16(data + at + 6) == WIN_CERT_TYPE_PKCS_SIGNED_DATA)
			read_signature(data, &l, data + at + 8, (long)(len - 8), 0, &a);
		len = (len + 7) & ~7u;
		if (len > end - at)
			break;
		at += len;
	}
	if (a.status == AUTHENTICODE_UNSIGNED && l.certs_size)
		damaged(&a, "its certificate table holds no PKCS#7 signature%s", NULL);
	*a_ret = a;
	return 0;
}

int authenticode_read(struct wtg_ctx *ctx, const char *path, struct authenticode *a_ret)
{
	struct stat st;
	uint8_t *data = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = log_syserr(ctx, errno, "cannot read '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > AUTHENTICODE_FILE_MAX) {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a boot manager (not a file of at most 64 MiB)",
				path);
		goto out;
	}
	data = xmalloc(st.st_size ? (size_t)st.st_size : 1);
	ret = pread_all(fd, data, (size_t)st.st_size, 0);
	if (ret < 0) {
		ret = log_syserr(ctx, -ret, "cannot read '%s'", path);
		goto out;
	}
	ret = authenticode_parse(data, (size_t)st.st_size, a_ret);
	if (ret < 0)
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a PE image", path);
out:
	free(data);
	close(fd);
	return ret;
}

static int rank(enum sb_ca ca)
{
	return ca == SB_CA_2023 ? 3 : ca == SB_CA_2011 ? 2 : ca == SB_CA_OTHER ? 1 : 0;
}

enum sb_ca authenticode_ca(const struct authenticode *a)
{
	enum sb_ca best = SB_CA_NONE;

	for (size_t i = 0; i < a->n_signers; i++)
		if (a->signers[i].digest_ok && a->signers[i].signature_ok && rank(a->signers[i].ca) > rank(best))
			best = a->signers[i].ca;
	return best;
}

bool authenticode_has_ca(const struct authenticode *a, enum sb_ca ca)
{
	for (size_t i = 0; i < a->n_signers; i++)
		if (a->signers[i].digest_ok && a->signers[i].signature_ok && a->signers[i].ca == ca)
			return true;
	return false;
}
