/* The SMTP STARTTLS probe (layer 3): connecting to an MX host the way an
 * enforcing sender would, many hosts at once, on non-blocking sockets and
 * OpenSSL. Plain C, no Lua: the binding is src/lua/lprobe.c.
 *
 * One probe of a host: resolve its A and AAAA and the TLSA RRset at
 * _25._tcp.<host> (RFC 7672 §2.2.3) through an mts_resolver; then, for
 * every address at once: connect, read the banner, EHLO, STARTTLS, a TLS
 * handshake with SNI = host (TLS >= 1.2), QUIT. Every phase has its own
 * deadline; replies are bounded in line length and line count.
 *
 * One handshake gives both verdicts:
 *   - DANE through OpenSSL's own support (SSL_dane_enable/SSL_dane_tlsa_add,
 *     DANE_FLAG_NO_DANE_EE_NAMECHECKS), only when the MX RRset (opts), the
 *     address RRset and the TLSA RRset are all DNSSEC-secure;
 *   - PKIX by verifying the presented chain against the CA store after the
 *     handshake (X509_STORE_CTX, host checked by OpenSSL with
 *     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS).
 * The handshake never aborts on a verification failure (SSL_VERIFY_NONE).
 * When the handshake fails at the default settings, the address is tried
 * once more on a fresh connection allowing TLS 1.0/1.1 at security level 0,
 * to tell "too old" (TLS_OLD) from "broken" (TLS_HANDSHAKE).
 *
 * Pollable: the sockets and the resolver's fd sit behind one epoll fd,
 * mts_prober_fd(). Poll it for reading with a timeout of
 * mts_prober_timeout_ms(), then call mts_prober_step(). Finished probes are
 * collected with mts_prober_take_done(); nothing calls back into the owner.
 *
 * Threads: a prober, its resolver and its probes are used from one thread
 * at a time. */
#ifndef MTS_NET_SMTP_PROBE_H
#define MTS_NET_SMTP_PROBE_H

#include <stddef.h>

#include "../dns/resolver.h"
#include "tlsinfo.h"

#define MTS_PROBE_DEFAULT_TIMEOUT_MS 30000L /* per phase */
#define MTS_PROBE_MAX_ADDRS 16              /* per host; more are ignored */
#define MTS_PROBE_MAX_TLSA 32               /* TLSA records kept; more are ignored */
#define MTS_PROBE_MAX_CHAIN 16              /* certificates of the presented chain kept */
#define MTS_SMTP_MAX_LINE 2048              /* octets per reply line, CRLF included */
#define MTS_SMTP_MAX_LINES 100              /* lines per reply */

struct mts_prober;
struct mts_probe;

struct mts_probe_opts {
	const char *ca_file;       /* NULL (with ca_path NULL): OpenSSL's default store */
	const char *ca_path;
	const char *ehlo_name;     /* NULL: "localhost" */
	long timeout_ms;           /* per phase (> 0) */
	int port;                  /* 25 */
};

struct mts_tlsa {
	int usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

struct mts_probe_tls {
	int handshake;             /* 1: the handshake completed */
	char version[16];          /* "TLSv1.3" */
	char cipher[64];
	int pkix_ok;               /* chain to the CA store, dates and SAN DNS-ID all good */
	long verify_result;        /* X509_V_OK or X509_V_ERR_* of the PKIX verification */
	char verify_error[160];    /* "" when pkix_ok */
	int hostname_ok;           /* X509_check_host(host), SAN DNS-IDs only */
	int have_cert;
	struct mts_certinfo cert;  /* the leaf */
	struct mts_certinfo chain[MTS_PROBE_MAX_CHAIN]; /* as presented, leaf first */
	size_t nchain;
};

struct mts_probe_dane {
	int usable;                /* 1: DANE applies to this address (all secure, usable TLSA) */
	int checked;               /* 1: a handshake was made with the TLSA records */
	int ok;                    /* 1: a TLSA record matched (only when checked) */
	int bogus;                 /* 1: the TLSA lookup failed while DANE would apply */
	char reason[320];          /* why not usable, or why it failed; "" when ok */
	int match_usage, match_selector, match_mtype, match_depth; /* when ok */
};

struct mts_probe_addr {
	char ip[MTS_ADDRSTRLEN];
	int family;                /* 4 or 6 */
	enum mts_dnssec dnssec;    /* of the A or AAAA RRset it came from */
	int ok;                    /* passed every check that applies (see smtp_probe.c) */
	const char *code;          /* NULL when ok; else "CONNECT", "TLS_VERIFY", ... */
	char message[320];
	char *banner;              /* the greeting reply, lines joined with "\n"; NULL if none */
	char **ehlo;               /* EHLO keyword lines (after the greeting line) */
	size_t nehlo;
	int ehlo_done;             /* 1: an EHLO reply was read */
	int starttls;              /* 1: STARTTLS was offered in the EHLO reply */
	int legacy;                /* 1: the TLS details come from the TLS 1.0/1.1 retry */
	struct mts_probe_tls tls;
	struct mts_probe_dane dane;
	long elapsed_ms;
};

struct mts_probe_result {
	int done;
	int resolved;              /* 0: the name did not resolve (code, message say why) */
	const char *code;          /* when !resolved: "DNS_NXDOMAIN", "BAD_NAME", ... */
	char message[256];
	char *host;               /* without a trailing dot */
	int port;
	enum mts_dnssec mx_dnssec; /* as given to submit */
	struct mts_probe_addr addrs[MTS_PROBE_MAX_ADDRS];
	size_t naddrs;
	/* the TLSA RRset at _25._tcp.<host> */
	enum mts_dnssec tlsa_dnssec;
	int tlsa_failed;           /* 1: bogus, SERVFAIL, timeout... (tlsa_error says which) */
	char tlsa_error[160];
	struct mts_tlsa tlsa[MTS_PROBE_MAX_TLSA];
	size_t ntlsa;
	long elapsed_ms;
};

/* NULL when out of memory or when OpenSSL/epoll cannot be set up, or the
 * CA store cannot be read (err gets one line). The resolver is not owned:
 * it must outlive the prober, or be detached first with
 * mts_prober_set_resolver(p, NULL). The strings in opts are copied. */
struct mts_prober *mts_prober_new(struct mts_resolver *r, const struct mts_probe_opts *opts, char *err,
                                  size_t errsize);
/* Cancels and frees every probe still owned by the prober (not the ones
 * taken with take_done), then frees it. NULL ok. */
void mts_prober_free(struct mts_prober *p);
/* Changes the resolver. With NULL (the resolver is going away), probes
 * still resolving fail with DNS_SERVFAIL ("the resolver was closed"). */
void mts_prober_set_resolver(struct mts_prober *p, struct mts_resolver *r);

/* Starts probing host (a DNS name). mx_dnssec: the DNSSEC status of the MX
 * RRset that named it (MTS_DNSSEC_UNKNOWN makes DANE unusable). A bad name
 * finishes at the next step with BAD_NAME. NULL only when out of memory. */
struct mts_probe *mts_prober_submit(struct mts_prober *p, const char *host, enum mts_dnssec mx_dnssec,
                                    void *arg);

int mts_prober_fd(const struct mts_prober *p);
/* ms until step() must run even if the fd stays quiet; 0: now; -1: idle. */
int mts_prober_timeout_ms(const struct mts_prober *p);
/* Non-blocking. Returns the number of probes that finished (see take_done). */
int mts_prober_step(struct mts_prober *p);
/* Probes submitted and not yet taken. */
size_t mts_prober_pending(const struct mts_prober *p);
/* The next finished probe, detached from the prober; NULL if none. */
struct mts_probe *mts_prober_take_done(struct mts_prober *p);

const struct mts_probe_result *mts_probe_result(const struct mts_probe *pr);
void *mts_probe_arg(const struct mts_probe *pr);
/* Cancels (if still running), detaches and frees. NULL ok. */
void mts_probe_free(struct mts_probe *pr);

#endif
