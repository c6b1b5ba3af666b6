/* Certificate details a mail admin needs to see, from an OpenSSL X509:
 * subject, issuer, subjectAltNames, validity (epoch seconds), days left and
 * whether it is self-signed. Plain C, no Lua, no I/O: shared by the HTTPS
 * fetcher (src/net/fetch.c) and the SMTP STARTTLS probe. */
#ifndef MTS_NET_TLSINFO_H
#define MTS_NET_TLSINFO_H

#include <stddef.h>
#include <openssl/x509.h>

#define MTS_CERT_MAX_SAN 64 /* more are counted in nsan_dropped, not kept */

struct mts_certinfo {
	char *subject;          /* RFC 2253 form, e.g. "CN=mta-sts.example.com,O=Example" */
	char *issuer;
	char **san;             /* DNS names as written; IP addresses as text */
	size_t nsan;
	size_t nsan_dropped;
	long long not_before;   /* seconds since the epoch (UTC) */
	long long not_after;
	long days_left;         /* floor((not_after - now) / 86400): negative once expired */
	int self_signed;        /* issuer == subject and the signature verifies with its own key */
};

/* Fills *ci from cert (all pointers owned by *ci). now: seconds since the
 * epoch, for days_left. Returns 0, or -1 when out of memory (then *ci is
 * freed and zeroed). */
int mts_certinfo_from_x509(struct mts_certinfo *ci, X509 *cert, long long now);
/* Frees what *ci owns and zeroes it. Idempotent. */
void mts_certinfo_free(struct mts_certinfo *ci);
/* Copies src into dst (deep). 0 or -1 (out of memory, dst zeroed). */
int mts_certinfo_copy(struct mts_certinfo *dst, const struct mts_certinfo *src);

/* "TLS_HOSTNAME", "TLS_EXPIRED" or "TLS_VERIFY" for an X509_V_ERR_* code. */
const char *mts_verify_error_code(long x509_err);

#endif
