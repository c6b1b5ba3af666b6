/* The HTTPS fetcher (layer 3): GETs done the RFC 8461 §3.3 way, many at
 * once, on libcurl's multi interface and OpenSSL. Plain C, no Lua: the
 * binding is src/lua/lfetch.c.
 *
 * One fetch: resolve the URL's host (A and AAAA, with their DNSSEC status)
 * through an mts_resolver, then try each address in turn, IPv6 addresses
 * first, with a fresh connection pinned to that address (CURLOPT_RESOLVE, so
 * libcurl never resolves anything itself): TLS >= 1.2, the certificate
 * verified against the host (SubjectAltName only, OpenSSL's X509_check_host),
 * redirects never followed, the body refused past max_size while streaming.
 * A failure before any HTTP answer (CONNECT, TLS_*, a timeout during the
 * handshake) moves on to the next address while time is left; every address
 * records how it failed.
 *
 * Pollable: everything (the curl sockets and the resolver's fd) sits behind
 * one epoll fd, mts_fetcher_fd(). Poll it for reading with a timeout of
 * mts_fetcher_timeout_ms(), then call mts_fetcher_step(). Finished fetches
 * are collected with mts_fetcher_take_done(); nothing calls back into the
 * owner from libcurl or libunbound.
 *
 * Threads: a fetcher, its resolver and its fetches are used from one thread
 * at a time. */
#ifndef MTS_NET_FETCH_H
#define MTS_NET_FETCH_H

#include <stddef.h>

#include "../dns/resolver.h"
#include "tlsinfo.h"

#define MTS_FETCH_DEFAULT_TIMEOUT_MS 60000L     /* RFC 8461 §3.3 suggests one minute */
#define MTS_FETCH_DEFAULT_CONNECT_MS 10000L
#define MTS_FETCH_DEFAULT_MAX_SIZE 65536        /* §3.3: 64 KB */
#define MTS_FETCH_MAX_ADDRS 32

struct mts_fetcher;
struct mts_fetch;

struct mts_fetch_opts {
	const char *ca_file;     /* NULL: OpenSSL's default */
	const char *ca_path;
	const char *user_agent;  /* NULL: "mtasts/<version>" */
	long timeout_ms;         /* total, DNS included (> 0) */
	long connect_timeout_ms; /* per address: TCP + TLS handshake (> 0) */
	size_t max_size;         /* body limit in bytes */
};

struct mts_fetch_addr {
	char ip[MTS_ADDRSTRLEN];
	int family;              /* 4 or 6 */
	enum mts_dnssec dnssec;  /* of the A or AAAA answer it came from */
	const char *error;       /* code of this address's failure; NULL: not tried, or it answered */
	char message[256];
};

struct mts_tls {
	int handshake;           /* 1: a TLS handshake got as far as the certificate */
	char version[16];        /* "TLSv1.3" */
	char cipher[64];
	int verified;            /* 1: chain and name verified */
	long verify_result;      /* X509_V_OK or X509_V_ERR_* */
	char verify_error[160];  /* "" when verified */
	int have_cert;
	struct mts_certinfo cert;
};

struct mts_fetch_result {
	int done;
	int ok;
	const char *code;        /* NULL when ok; else "CONNECT", "TLS_VERIFY", ... ("LOCAL_EMFILE":
	                          * this process ran out of file descriptors, not the host's fault) */
	char message[512];
	char *url;
	char *host;
	int port;
	int policy;              /* fetched with the policy rules */
	struct mts_fetch_addr addrs[MTS_FETCH_MAX_ADDRS];
	size_t naddrs;
	char connected_ip[MTS_ADDRSTRLEN]; /* the address that answered over HTTPS */
	long status;             /* HTTP status, 0 if none */
	char *content_type;
	char *location;
	char *body;
	size_t size;
	long elapsed_ms;
	struct mts_tls tls;
	long http_status;        /* policy: the diagnostic GET on port 80; 0 not sent, -1 no answer */
};

/* NULL when out of memory or when libcurl/epoll cannot be set up (err gets
 * one line). The resolver is not owned: it must outlive the fetcher, or be
 * detached first with mts_fetcher_set_resolver(f, NULL). */
struct mts_fetcher *mts_fetcher_new(struct mts_resolver *r, char *err, size_t errsize);
/* Checks a CA store before any fetch uses it (libcurl would read it per
 * connection and every fetch would fail as CONNECT or TLS_*): ca_file must
 * be a readable file of PEM certificates, ca_path a readable directory.
 * Both NULL: OpenSSL's default store, not checked. Returns 0, or -1 with
 * "cannot read the CA store <name>: <why>" in err. */
int mts_fetch_check_ca(const char *ca_file, const char *ca_path, char *err, size_t errsize);
/* Cancels and frees every fetch still owned by the fetcher (not the ones
 * taken with take_done), then frees it. NULL ok. */
void mts_fetcher_free(struct mts_fetcher *f);
/* Changes the resolver. With NULL (the resolver is going away), fetches
 * still resolving fail with DNS_SERVFAIL. */
void mts_fetcher_set_resolver(struct mts_fetcher *f, struct mts_resolver *r);

/* Starts a GET. url must start with "https://" (checked by the caller); a
 * bad host finishes at once with BAD_NAME. policy: the fetch_policy rules
 * (status 200 only, Content-Type text/plain, diagnostic HTTP GET when no
 * HTTPS connection could be made). The strings in opts are copied. NULL only
 * when out of memory. */
struct mts_fetch *mts_fetcher_submit(struct mts_fetcher *f, const char *url, int policy,
                                     const struct mts_fetch_opts *opts, void *arg);

/* A fetch that fails at once with code and message (e.g. a domain the
 * caller found invalid: "BAD_NAME"), delivered like any other. */
struct mts_fetch *mts_fetcher_fail(struct mts_fetcher *f, const char *url, int policy, const char *code,
                                   const char *message, void *arg);

int mts_fetcher_fd(const struct mts_fetcher *f);
/* ms until step() must run even if the fd stays quiet; 0: now; -1: idle. */
int mts_fetcher_timeout_ms(const struct mts_fetcher *f);
/* Non-blocking. Returns the number of fetches that finished (see take_done). */
int mts_fetcher_step(struct mts_fetcher *f);
/* Fetches submitted and not yet taken. */
size_t mts_fetcher_pending(const struct mts_fetcher *f);
/* The next finished fetch, detached from the fetcher; NULL if none. */
struct mts_fetch *mts_fetcher_take_done(struct mts_fetcher *f);

const struct mts_fetch_result *mts_fetch_result(const struct mts_fetch *fe);
void *mts_fetch_arg(const struct mts_fetch *fe);
/* Cancels (if still running), detaches and frees. NULL ok. */
void mts_fetch_free(struct mts_fetch *fe);

#endif
