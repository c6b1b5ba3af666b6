/* The libunbound wrapper: deadlines, delivery lists, answer classification.
 * See resolver.h for the model. */
#include "resolver.h"
#include "rdata.h"
#include "../pure/clock.h"
#include "../pure/list.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#define DEFAULT_TIMEOUT_MS 5000

struct mts_query {
	struct mts_resolver *r;        /* NULL once detached (delivered or resolver gone) */
	struct mts_list *list;         /* the list of r holding it, or NULL */
	struct mts_link link;
	int async_id;
	int in_flight;                 /* async_id is live in libunbound */
	long long submitted, deadline; /* monotonic ms */
	long long elapsed;             /* ms from submit to finish, once finished */
	mts_query_cb *cb;
	void *arg;
	struct ub_result *res;
	struct mts_dns_answer ans;
	char msg[160];
	char qname[]; /* flexible array member: the name as submitted */
};

struct mts_resolver {
	struct ub_ctx *ctx;
	struct mts_list flight; /* in libunbound, sorted by deadline */
	struct mts_list fire;   /* finished, with a callback, to call at process() */
	struct mts_list ready;  /* finished, without callback, for take_done() */
	long timeout_ms;
	int has_ta;
	int finalized;
	char err[256];
};

#define QUERY(l) MTS_CONTAINER(l, struct mts_query, link)

/* ---- the lists (src/pure/list.h); a query knows the list holding it */

static struct mts_query *first(const struct mts_list *l)
{
	return l->head ? QUERY(l->head) : NULL;
}

static void list_unlink(struct mts_query *q)
{
	if (q->list == NULL)
		return;
	mts_list_remove(q->list, &q->link);
	q->list = NULL;
}

static void list_append(struct mts_list *l, struct mts_query *q)
{
	q->list = l;
	mts_list_append(l, &q->link);
}

/* Inserts by deadline; with one timeout per resolver this is an append. */
static void list_insert_sorted(struct mts_list *l, struct mts_query *q)
{
	struct mts_link *after = l->tail;
	while (after != NULL && QUERY(after)->deadline > q->deadline)
		after = after->prev;
	q->list = l;
	mts_list_insert_after(l, after, &q->link);
}

/* ---- configuration */

static int set_err(struct mts_resolver *r, const char *what, int ubrc)
{
	snprintf(r->err, sizeof r->err, "%s: %s", what, ub_strerror(ubrc));
	return -1;
}

struct mts_resolver *mts_resolver_new(void)
{
	struct mts_resolver *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		free(r);
		return NULL;
	}
	if (ub_ctx_async(r->ctx, 1) != 0) {
		ub_ctx_delete(r->ctx);
		free(r);
		return NULL;
	}
	r->timeout_ms = DEFAULT_TIMEOUT_MS;
	return r;
}

const char *mts_resolver_error(const struct mts_resolver *r)
{
	return r->err;
}

int mts_resolver_add_ta(struct mts_resolver *r, const char *ta)
{
	int rc = ub_ctx_add_ta(r->ctx, ta);
	if (rc != 0)
		return set_err(r, "trust anchor", rc);
	r->has_ta = 1;
	return 0;
}

int mts_resolver_add_ta_file(struct mts_resolver *r, const char *path)
{
	int rc;
	FILE *f = fopen(path, "r"); /* libunbound would only notice at the first query */
	if (f == NULL) {
		snprintf(r->err, sizeof r->err, "trust anchor file %s: %s", path, strerror(errno));
		return -1;
	}
	fclose(f);
	rc = ub_ctx_add_ta_file(r->ctx, path);
	if (rc != 0)
		return set_err(r, "trust anchor file", rc);
	r->has_ta = 1;
	return 0;
}

int mts_resolver_set_root_hints(struct mts_resolver *r, const char *path)
{
	int rc;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(r->err, sizeof r->err, "root hints %s: %s", path, strerror(errno));
		return -1;
	}
	fclose(f);
	rc = ub_ctx_set_option(r->ctx, "root-hints:", path);
	if (rc != 0)
		return set_err(r, "root hints", rc);
	return 0;
}

int mts_resolver_add_forwarder(struct mts_resolver *r, const char *addr)
{
	int rc = ub_ctx_set_fwd(r->ctx, addr);
	if (rc != 0)
		return set_err(r, addr, rc);
	return 0;
}

int mts_resolver_set_resolvconf(struct mts_resolver *r, const char *path)
{
	int rc = ub_ctx_resolvconf(r->ctx, path);
	if (rc != 0) {
		if (rc == UB_READFILE)
			snprintf(r->err, sizeof r->err, "resolv.conf %s: %s", path ? path : "/etc/resolv.conf",
			         errno ? strerror(errno) : "cannot read it");
		else
			set_err(r, "resolv.conf", rc);
		return -1;
	}
	return 0;
}

int mts_resolver_set_option(struct mts_resolver *r, const char *name, const char *value)
{
	int rc = ub_ctx_set_option(r->ctx, name, value);
	if (rc != 0) {
		snprintf(r->err, sizeof r->err, "option %s %s: %s", name, value, ub_strerror(rc));
		return -1;
	}
	return 0;
}

void mts_resolver_set_timeout_ms(struct mts_resolver *r, long ms)
{
	r->timeout_ms = ms > 0 ? ms : 1;
}

long mts_resolver_get_timeout_ms(const struct mts_resolver *r)
{
	return r->timeout_ms;
}

int mts_resolver_has_trust_anchor(const struct mts_resolver *r)
{
	return r->has_ta;
}

struct ub_ctx *mts_resolver_ub(struct mts_resolver *r)
{
	return r->ctx;
}

int mts_resolver_finalize(struct mts_resolver *r)
{
	int rc;
	if (r->finalized)
		return 0;
	/* libunbound has no public "finalize"; removing a local zone that does
	 * not exist runs it, so that configuration errors show up now. */
	rc = ub_ctx_zone_remove(r->ctx, "mtasts-finalize.invalid.");
	if (rc != 0)
		return set_err(r, "configuration", rc);
	r->finalized = 1;
	return 0;
}

/* ---- finishing and delivering */

static void detach_all(struct mts_list *l, const char *why)
{
	struct mts_query *q;
	while ((q = first(l)) != NULL) {
		list_unlink(q);
		q->r = NULL;
		q->in_flight = 0;
		if (q->ans.status == MTS_DNS_PENDING) {
			q->ans.status = MTS_DNS_CANCELLED;
			q->ans.message = why;
			q->elapsed = mts_monotonic_ms() - q->submitted;
		}
	}
}

void mts_resolver_free(struct mts_resolver *r)
{
	if (r == NULL)
		return;
	/* ub_ctx_delete stops the thread and drops every outstanding query
	 * without calling back. */
	ub_ctx_delete(r->ctx);
	detach_all(&r->flight, "the resolver was closed");
	detach_all(&r->fire, NULL); /* finished: they keep their answers */
	detach_all(&r->ready, NULL);
	free(r);
}

/* Moves a finished query to the list it is delivered from. */
static void finish(struct mts_resolver *r, struct mts_query *q)
{
	list_unlink(q);
	q->in_flight = 0;
	q->elapsed = mts_monotonic_ms() - q->submitted;
	list_append(q->cb ? &r->fire : &r->ready, q);
}

static void fail(struct mts_query *q, enum mts_dns_status st, const char *fmt, const char *detail)
{
	q->ans.status = st;
	snprintf(q->msg, sizeof q->msg, fmt, detail);
	q->ans.message = q->msg;
}

/* A failure while the process cannot open one more descriptor (libunbound
 * could not open its socket: EMFILE, ENFILE) is this process's, not the
 * name's: it becomes MTS_DNS_LOCAL_EMFILE. */
static void local_check(struct mts_query *q)
{
	char why[100];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno != EMFILE && errno != ENFILE)
		return;
	snprintf(why, sizeof why, "%s", q->ans.message ? q->ans.message : "lookup failed");
	fail(q, MTS_DNS_LOCAL_EMFILE, "this process is out of file descriptors (%s)", why);
}

static void classify(struct mts_resolver *r, struct mts_query *q, struct ub_result *res)
{
	struct mts_dns_answer *a = &q->ans;
	const char *rname;

	a->rcode = res->rcode;
	a->ttl = res->ttl;
	a->canonname = res->canonname;
	if (!r->has_ta)
		a->dnssec = MTS_DNSSEC_UNKNOWN;
	else if (res->secure)
		a->dnssec = MTS_DNSSEC_SECURE;
	else if (res->bogus)
		a->dnssec = MTS_DNSSEC_BOGUS;
	else
		a->dnssec = MTS_DNSSEC_INSECURE;

	/* An answer libunbound cannot hold (an RRset of thousands of records):
	 * it hands back a truncated message (TC set, no records) with rcode
	 * NOERROR, and with a trust anchor also "bogus" (the validator cannot
	 * canonicalize the RRset). Read as it is, that is NODATA: "no MX". */
	if (!res->havedata && mts_wire_truncated(res->answer_packet, (size_t)(res->answer_len > 0 ? res->answer_len : 0))) {
		fail(q, MTS_DNS_TOO_BIG, "%s: the answer is too big for the resolver to hold (it came back truncated)",
		     q->qname);
		return;
	}
	if (res->bogus) {
		/* libunbound hands back the data of bogus answers: never show it. */
		a->status = MTS_DNS_OK;
		a->why_bogus = res->why_bogus;
		a->dnssec = MTS_DNSSEC_BOGUS;
		return;
	}
	switch (res->rcode) {
	case 0: /* NOERROR */
	case 3: /* NXDOMAIN */
		a->status = MTS_DNS_OK;
		a->nxdomain = res->rcode == 3;
		if (res->havedata && res->data != NULL) {
			size_t n = 0;
			while (res->data[n] != NULL)
				n++;
			a->count = n;
			a->rdata = (const unsigned char *const *)(void *)res->data;
			a->rdlen = res->len;
		}
		a->nodata = res->rcode == 0 && a->count == 0;
		return;
	case 5:
		fail(q, MTS_DNS_REFUSED, "%s: the server refused the query (REFUSED)", q->qname);
		return;
	case 2:
		fail(q, MTS_DNS_SERVFAIL, "%s: server failure (SERVFAIL)", q->qname);
		local_check(q);
		return;
	default:
		rname = mts_rcode_name(res->rcode);
		snprintf(q->msg, sizeof q->msg, "%s: the server answered %s", q->qname, rname ? rname : "an unknown rcode");
		q->ans.status = MTS_DNS_SERVFAIL;
		q->ans.message = q->msg;
		local_check(q);
		return;
	}
}

/* libunbound's callback, run inside ub_process: records, never calls out. */
static void on_result(void *mydata, int err, struct ub_result *res)
{
	struct mts_query *q = mydata;
	struct mts_resolver *r = q->r;

	q->in_flight = 0;
	if (err != 0 || res == NULL) {
		fail(q, MTS_DNS_NETWORK, "resolver failure: %s", ub_strerror(err ? err : UB_NOMEM));
		local_check(q);
		if (res)
			ub_resolve_free(res);
	} else {
		q->res = res;
		classify(r, q, res);
	}
	finish(r, q);
}

static void expire(struct mts_resolver *r, long long now)
{
	struct mts_query *q;
	while ((q = first(&r->flight)) != NULL && q->deadline <= now) {
		if (q->in_flight)
			ub_cancel(r->ctx, q->async_id);
		snprintf(q->msg, sizeof q->msg, "%s: no answer within %ld ms", q->qname, r->timeout_ms);
		q->ans.status = MTS_DNS_TIMEOUT;
		q->ans.message = q->msg;
		local_check(q);
		finish(r, q);
	}
}

int mts_resolver_process(struct mts_resolver *r)
{
	size_t before = r->fire.n + r->ready.n, n;
	int finished;

	if (r->flight.n > 0) {
		if (ub_poll(r->ctx))
			ub_process(r->ctx);
		expire(r, mts_monotonic_ms());
	}
	finished = (int)(r->fire.n + r->ready.n - before);
	/* Deliver only what is there now: callbacks may submit (and a bad name
	 * finishes at once) or free other queries. */
	for (n = r->fire.n; n > 0 && r->fire.head != NULL; n--) {
		struct mts_query *q = first(&r->fire);
		list_unlink(q);
		q->r = NULL;
		q->cb(q, q->arg);
	}
	return finished;
}

int mts_resolver_timeout_ms(const struct mts_resolver *r)
{
	long long left;
	/* Only what process() has to do counts: an answer waiting for
	 * take_done() is the owner's to collect, and counting it made every
	 * loop that waits on DNS meanwhile (a blocking query, the fetcher, the
	 * prober) spin at full CPU until its own answer came. */
	if (r->fire.n > 0)
		return 0;
	if (r->flight.head == NULL)
		return -1;
	left = first(&r->flight)->deadline - mts_monotonic_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int mts_resolver_wait(struct mts_resolver *r, int timeout_ms)
{
	int next = mts_resolver_timeout_ms(r);
	if (next != 0 && r->flight.n > 0) {
		struct pollfd p;
		if (timeout_ms >= 0 && (next < 0 || timeout_ms < next))
			next = timeout_ms;
		p.fd = ub_fd(r->ctx);
		p.events = POLLIN;
		p.revents = 0;
		if (p.fd >= 0)
			(void)poll(&p, 1, next);
	}
	return mts_resolver_process(r);
}

int mts_resolver_fd(struct mts_resolver *r)
{
	return ub_fd(r->ctx);
}

struct mts_query *mts_resolver_take_done(struct mts_resolver *r)
{
	struct mts_query *q = first(&r->ready);
	if (q != NULL) {
		list_unlink(q);
		q->r = NULL;
	}
	return q;
}

size_t mts_resolver_ready(const struct mts_resolver *r)
{
	return r->ready.n;
}

size_t mts_resolver_pending(const struct mts_resolver *r)
{
	return r->flight.n + r->fire.n + r->ready.n;
}

/* ---- queries */

/* A DNS name as libunbound takes it, without escapes: printable ASCII,
 * labels of 1-63 octets, at most 255 octets on the wire; "." is the root. */
static const char *name_problem(const char *s)
{
	size_t len = strlen(s), label = 0, i;
	if (len == 0)
		return "empty";
	if (len == 1 && s[0] == '.')
		return NULL;
	if (s[len - 1] == '.')
		len--;
	if (len + 2 > 255)
		return "longer than 253 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return "an empty label";
			label = 0;
		} else if (c <= 0x20 || c >= 0x7f) {
			return c >= 0x80 ? "not ASCII (use the A-label form, xn--...)" : "a space or control character";
		} else if (c == '\\') {
			return "a backslash";
		} else if (++label > 63) {
			return "a label longer than 63 characters";
		}
	}
	if (label == 0)
		return "an empty label";
	return NULL;
}

struct mts_query *mts_resolver_submit(struct mts_resolver *r, const char *name, int qtype,
                                      mts_query_cb *cb, void *arg)
{
	size_t len = strlen(name);
	struct mts_query *q = calloc(1, sizeof *q + len + 1);
	const char *bad;
	int rc;

	if (q == NULL)
		return NULL;
	memcpy(q->qname, name, len + 1);
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->ans.status = MTS_DNS_PENDING;
	q->ans.qname = q->qname;
	q->ans.qtype = qtype;
	q->submitted = mts_monotonic_ms();
	q->deadline = q->submitted + r->timeout_ms;

	bad = len > 1024 ? "far too long" : name_problem(name);
	if (bad != NULL || qtype < 0 || qtype > 65535) {
		snprintf(q->msg, sizeof q->msg, "not a DNS name: %s", bad ? bad : "bad query type");
		q->ans.status = MTS_DNS_BAD_NAME;
		q->ans.message = q->msg;
		list_append(cb ? &r->fire : &r->ready, q);
		return q;
	}
	list_insert_sorted(&r->flight, q);
	rc = ub_resolve_async(r->ctx, name, qtype, 1 /* IN */, q, on_result, &q->async_id);
	if (rc != 0) {
		set_err(r, "submit", rc);
		fail(q, MTS_DNS_NETWORK, "resolver failure: %s", ub_strerror(rc));
		local_check(q);
		finish(r, q);
		return q;
	}
	r->finalized = 1;
	q->in_flight = 1;
	return q;
}

const struct mts_dns_answer *mts_query_answer(const struct mts_query *q)
{
	return &q->ans;
}

long long mts_query_elapsed_ms(const struct mts_query *q)
{
	if (q->ans.status == MTS_DNS_PENDING)
		return mts_monotonic_ms() - q->submitted;
	return q->elapsed;
}

void *mts_query_arg(const struct mts_query *q)
{
	return q->arg;
}

void mts_query_free(struct mts_query *q)
{
	if (q == NULL)
		return;
	if (q->r != NULL) {
		if (q->in_flight)
			ub_cancel(q->r->ctx, q->async_id);
		list_unlink(q);
	}
	if (q->res)
		ub_resolve_free(q->res);
	free(q);
}

/* ---- reading */

int mts_answer_address(const struct mts_dns_answer *a, size_t i, char *buf, size_t size)
{
	if (i >= a->count)
		return -1;
	if (a->qtype == 1 && a->rdlen[i] == 4)
		return inet_ntop(AF_INET, a->rdata[i], buf, (socklen_t)size) ? 0 : -1;
	if (a->qtype == 28 && a->rdlen[i] == 16)
		return inet_ntop(AF_INET6, a->rdata[i], buf, (socklen_t)size) ? 0 : -1;
	return -1;
}

const char *mts_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		                                 "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
		                                 "NOTAUTH", "NOTZONE" };
	if (rcode < 0 || (size_t)rcode >= sizeof names / sizeof names[0])
		return NULL;
	return names[rcode];
}

const char *mts_dnssec_name(enum mts_dnssec s)
{
	switch (s) {
	case MTS_DNSSEC_SECURE: return "secure";
	case MTS_DNSSEC_INSECURE: return "insecure";
	case MTS_DNSSEC_BOGUS: return "bogus";
	case MTS_DNSSEC_UNKNOWN: break;
	}
	return "unknown";
}
