/* A DNSSEC-validating stub/recursive resolver on libunbound, in plain C
 * (no Lua): layer 2. The Lua binding (src/lua/lresolver.c) and the HTTPS
 * fetcher share one context through this API.
 *
 * Model: libunbound runs its own thread (ub_ctx_async(ctx, 1), never a
 * fork). Results come back through one pipe whose read end is
 * mts_resolver_fd(). The owner polls that fd for reading with a timeout of
 * mts_resolver_timeout_ms() (0 instead while mts_resolver_ready() > 0, if it
 * collects with take_done), then calls mts_resolver_process(). Every query
 * has a deadline (the resolver's timeout) enforced here with ub_cancel, since
 * libunbound alone may take 17 s to give up on a dead server.
 *
 * A finished query is delivered exactly once, from mts_resolver_process()
 * (never from inside libunbound, never from submit):
 *   - if it was submitted with a callback, the callback is called;
 *   - otherwise it is queued for mts_resolver_take_done().
 * Either way the query is then detached from the resolver and belongs to
 * the caller, who frees it with mts_query_free(). Freeing a query that has
 * not finished cancels it. Freeing the resolver cancels and detaches every
 * undelivered query (their status becomes MTS_DNS_CANCELLED; they still
 * have to be freed with mts_query_free, in any order).
 *
 * Example, the fetcher resolving a host (error handling elided):
 *
 *	static void got(struct mts_query *q, void *arg) {
 *		const struct mts_dns_answer *a = mts_query_answer(q);
 *		char ip[MTS_ADDRSTRLEN];
 *		size_t i;
 *		if (a->status == MTS_DNS_OK && a->dnssec != MTS_DNSSEC_BOGUS)
 *			for (i = 0; i < a->count; i++)
 *				if (mts_answer_address(a, i, ip, sizeof ip) == 0)
 *					use(arg, ip, a->dnssec);
 *		mts_query_free(q);
 *	}
 *	mts_resolver_submit(r, "mta-sts.example.com", 1, got, ctx);   (A)
 *	mts_resolver_submit(r, "mta-sts.example.com", 28, got, ctx);  (AAAA)
 *	while (mts_resolver_pending(r) > 0) {
 *		struct pollfd p = { mts_resolver_fd(r), POLLIN, 0 };
 *		poll(&p, 1, mts_resolver_timeout_ms(r));
 *		mts_resolver_process(r);
 *	}
 *
 * Threads: a resolver and its queries must be used from one thread at a
 * time (libunbound's own thread never touches these structures). Callbacks
 * must not call mts_resolver_process() or mts_resolver_free(); they may
 * submit new queries and free any query. */
#ifndef MTS_DNS_RESOLVER_H
#define MTS_DNS_RESOLVER_H

#include <stddef.h>

#define MTS_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */

struct mts_resolver;
struct mts_query;

enum mts_dns_status {
	MTS_DNS_PENDING = 0, /* not finished (or not yet delivered) */
	MTS_DNS_OK,          /* an answer: data, NXDOMAIN, NODATA or bogus */
	MTS_DNS_TIMEOUT,     /* the deadline passed; the query was cancelled */
	MTS_DNS_SERVFAIL,    /* SERVFAIL, or another error rcode */
	MTS_DNS_REFUSED,     /* REFUSED */
	MTS_DNS_NETWORK,     /* libunbound failed (socket, pipe, init, memory) */
	MTS_DNS_BAD_NAME,    /* not a DNS name (checked before libunbound) */
	MTS_DNS_CANCELLED,   /* the resolver was freed before delivery */
	MTS_DNS_LOCAL_EMFILE, /* failed while this process was out of file descriptors */
	MTS_DNS_TOO_BIG      /* an answer libunbound could not hold: it came back
	                      * truncated (TC, no records), e.g. an RRset of
	                      * thousands of records (see classify in resolver.c) */
};

enum mts_dnssec {
	MTS_DNSSEC_UNKNOWN = 0, /* no trust anchor loaded: nothing was validated */
	MTS_DNSSEC_INSECURE,    /* no chain of trust covers the name */
	MTS_DNSSEC_SECURE,      /* proven, including a proven NXDOMAIN/NODATA */
	MTS_DNSSEC_BOGUS        /* validation failed: see why_bogus; no records */
};

/* What a finished query holds. Pointers stay valid until mts_query_free. */
struct mts_dns_answer {
	enum mts_dns_status status;
	const char *message;   /* failures: one English line; else NULL */
	const char *qname;     /* as submitted */
	int qtype;
	int rcode;             /* DNS rcode (0 NOERROR, 3 NXDOMAIN, ...) */
	enum mts_dnssec dnssec;
	const char *why_bogus; /* when bogus (may be NULL); else NULL */
	long ttl;
	const char *canonname; /* libunbound's presentation form, may be NULL */
	int nxdomain, nodata;
	size_t count;          /* number of RRs (0 when bogus, NXDOMAIN, NODATA) */
	const unsigned char *const *rdata; /* rdata[i], wire format, names uncompressed */
	const int *rdlen;
};

/* ---- creating and configuring. Configuration calls must come before the
 * first submit. They return 0, or -1 with mts_resolver_error() set. */

/* NULL when out of memory. The context has threads on and a 5 s timeout;
 * nothing else is set (no trust anchor: see mts_resolver_add_ta*). */
struct mts_resolver *mts_resolver_new(void);
/* The last configuration or submit error, "" if none. */
const char *mts_resolver_error(const struct mts_resolver *r);
int mts_resolver_add_ta(struct mts_resolver *r, const char *ds_or_dnskey);
int mts_resolver_add_ta_file(struct mts_resolver *r, const char *path);
int mts_resolver_set_root_hints(struct mts_resolver *r, const char *path);
int mts_resolver_add_forwarder(struct mts_resolver *r, const char *ip_at_port);
/* path NULL: /etc/resolv.conf */
int mts_resolver_set_resolvconf(struct mts_resolver *r, const char *path);
/* name with its colon, e.g. ("local-zone:", "test. transparent") */
int mts_resolver_set_option(struct mts_resolver *r, const char *name, const char *value);
void mts_resolver_set_timeout_ms(struct mts_resolver *r, long ms);
long mts_resolver_get_timeout_ms(const struct mts_resolver *r);
/* Optional: applies the configuration now (reading trust anchor files and
 * so on) so that errors show up here rather than at the first query. After
 * it (or after the first submit) configuration calls fail. */
int mts_resolver_finalize(struct mts_resolver *r);
/* 1 once a trust anchor was added: answers then say secure/insecure/bogus. */
int mts_resolver_has_trust_anchor(const struct mts_resolver *r);
/* For experts: the libunbound context (do not delete it, do not resolve
 * through it directly: results would bypass the deadline machinery). */
struct ub_ctx *mts_resolver_ub(struct mts_resolver *r);

/* Cancels and detaches every undelivered query, deletes the context. NULL ok. */
void mts_resolver_free(struct mts_resolver *r);

/* ---- queries */

typedef void mts_query_cb(struct mts_query *q, void *arg);

/* Starts resolving name (presentation form, trailing dot optional) for the
 * RR type qtype (class IN). cb may be NULL (then use take_done). Returns NULL
 * only when out of memory. A bad name or a libunbound refusal is not an
 * error here: the query finishes at once with MTS_DNS_BAD_NAME or
 * MTS_DNS_NETWORK and is delivered by the next mts_resolver_process(). */
struct mts_query *mts_resolver_submit(struct mts_resolver *r, const char *name, int qtype,
                                      mts_query_cb *cb, void *arg);

/* The fd to poll for reading (the libunbound result pipe); -1 if unusable. */
int mts_resolver_fd(struct mts_resolver *r);
/* Milliseconds until process() must run even if the fd stays quiet: 0 when
 * a callback is due or a deadline passed, -1 when nothing is in flight
 * (poll's convention). Queries waiting for take_done() do not count: they
 * need no process(), and whoever collects them checks mts_resolver_ready()
 * (so a loop waiting on one query never spins because of another's answer). */
int mts_resolver_timeout_ms(const struct mts_resolver *r);
/* Non-blocking: reads libunbound's results, cancels overdue queries as
 * MTS_DNS_TIMEOUT, calls the callbacks of finished queries. Returns the
 * number of queries that finished during this call. */
int mts_resolver_process(struct mts_resolver *r);
/* Like process(), first waiting up to timeout_ms (-1: until the next
 * deadline) for the fd. */
int mts_resolver_wait(struct mts_resolver *r, int timeout_ms);
/* The next finished query submitted without a callback, detached; NULL if
 * none. */
struct mts_query *mts_resolver_take_done(struct mts_resolver *r);
/* Finished queries without a callback waiting for take_done(). */
size_t mts_resolver_ready(const struct mts_resolver *r);
/* Queries submitted and not yet delivered (in flight or waiting in take_done). */
size_t mts_resolver_pending(const struct mts_resolver *r);

/* The answer so far: status MTS_DNS_PENDING until delivered. */
const struct mts_dns_answer *mts_query_answer(const struct mts_query *q);
/* Milliseconds from submit to finish (or to its cancel by the resolver's
 * free); for a query not yet finished, to now. */
long long mts_query_elapsed_ms(const struct mts_query *q);
/* The user pointer given to submit. */
void *mts_query_arg(const struct mts_query *q);
/* Cancels (if in flight), detaches and frees. NULL ok. */
void mts_query_free(struct mts_query *q);

/* ---- reading answers */

/* rdata i of an A or AAAA answer as text into buf (>= MTS_ADDRSTRLEN):
 * 0, or -1 if it is neither. */
int mts_answer_address(const struct mts_dns_answer *a, size_t i, char *buf, size_t size);

/* "NOERROR", "NXDOMAIN", "SERVFAIL", ... or NULL for an unnamed code. */
const char *mts_rcode_name(int rcode);
/* "secure", "insecure", "bogus", "unknown". */
const char *mts_dnssec_name(enum mts_dnssec s);
/* The failure codes (mts_dns_status_code, mts_dns_failure) are in dns_code.h. */

#endif
