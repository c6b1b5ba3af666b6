/* Certificate details from an X509 (see tlsinfo.h). */
#include "tlsinfo.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

static char *dup_mem(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *dup_str(const char *s)
{
	return s ? dup_mem(s, strlen(s)) : NULL;
}

/* One line, RFC 2253 order and escaping ("CN=a,O=b"), UTF-8. */
static char *name_text(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;
	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &data);
		out = dup_mem(n > 0 ? data : "", n > 0 ? (size_t)n : 0);
	}
	BIO_free(b);
	return out;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian): no timegm in C99/POSIX. */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static long long asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return days_from_civil((long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/* A SAN as text: bytes that are not printable ASCII (a NUL hidden in a
 * dNSName, say) are shown as \xNN, so the name cannot be cut short or forged
 * on display. Verification never uses this copy (OpenSSL does it). */
static char *printable_copy(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(n * 4 + 1), *o = out;
	size_t i;
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int add_san(struct mts_certinfo *ci, const char *s, size_t n)
{
	char *copy;
	if (ci->nsan >= MTS_CERT_MAX_SAN) {
		ci->nsan_dropped++;
		return 0;
	}
	copy = printable_copy(s, n);
	if (copy == NULL)
		return -1;
	ci->san[ci->nsan++] = copy;
	return 0;
}

static int read_sans(struct mts_certinfo *ci, X509 *cert)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int i, n, rc = 0;
	if (names == NULL)
		return 0;
	n = sk_GENERAL_NAME_num(names);
	ci->san = calloc(n > MTS_CERT_MAX_SAN ? MTS_CERT_MAX_SAN : (n > 0 ? n : 1), sizeof *ci->san);
	if (ci->san == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;
			rc = add_san(ci, (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			char text[INET6_ADDRSTRLEN];
			int len = ASN1_STRING_length(s);
			if ((len == 4 || len == 16) &&
			    inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text) != NULL)
				rc = add_san(ci, text, strlen(text));
		}
	}
	GENERAL_NAMES_free(names);
	return rc;
}

int mts_certinfo_from_x509(struct mts_certinfo *ci, X509 *cert, long long now)
{
	long long left;
	memset(ci, 0, sizeof *ci);
	ci->subject = name_text(X509_get_subject_name(cert));
	ci->issuer = name_text(X509_get_issuer_name(cert));
	if (ci->subject == NULL || ci->issuer == NULL || read_sans(ci, cert) != 0) {
		mts_certinfo_free(ci);
		return -1;
	}
	ci->not_before = asn1_epoch(X509_get0_notBefore(cert));
	ci->not_after = asn1_epoch(X509_get0_notAfter(cert));
	left = ci->not_after - now;
	ci->days_left = (long)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
	ci->self_signed = X509_self_signed(cert, 1) == 1;
	return 0;
}

void mts_certinfo_free(struct mts_certinfo *ci)
{
	size_t i;
	free(ci->subject);
	free(ci->issuer);
	for (i = 0; i < ci->nsan; i++)
		free(ci->san[i]);
	free(ci->san);
	memset(ci, 0, sizeof *ci);
}

int mts_certinfo_copy(struct mts_certinfo *dst, const struct mts_certinfo *src)
{
	size_t i;
	*dst = *src;
	dst->subject = dup_str(src->subject);
	dst->issuer = dup_str(src->issuer);
	dst->san = NULL;
	dst->nsan = 0;
	if (src->nsan > 0) {
		dst->san = calloc(src->nsan, sizeof *dst->san);
		for (i = 0; dst->san != NULL && i < src->nsan; i++) {
			if ((dst->san[i] = dup_str(src->san[i])) == NULL)
				break;
			dst->nsan++;
		}
	}
	if ((src->subject && !dst->subject) || (src->issuer && !dst->issuer) || dst->nsan != src->nsan) {
		mts_certinfo_free(dst);
		return -1;
	}
	return 0;
}

const char *mts_verify_error_code(long err)
{
	switch (err) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
		return "TLS_HOSTNAME";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "TLS_EXPIRED";
	default:
		return "TLS_VERIFY";
	}
}
