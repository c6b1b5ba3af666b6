/* The HTTPS fetcher: libcurl multi + epoll + the mts_resolver. See fetch.h. */
#include "fetch.h"
#include "netutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define DEFAULT_USER_AGENT "mtasts (RFC 8461 policy fetcher)"
#define MAX_HEADER_VALUE 1024
/* an address with its port: [2001:db8::1]:443, 192.0.2.1:443 */
#define OPEN_B(a) ((a)->family == 6 ? "[" : "")
#define CLOSE_B(a) ((a)->family == 6 ? "]" : "")

enum phase { PH_DNS, PH_READY, PH_HTTPS, PH_DIAG, PH_DONE };

struct flist {
	struct mts_fetch *head, *tail;
	size_t n;
};

struct dnsinfo {
	enum mts_dns_status status;
	int nxdomain, nodata, bogus;
	char message[200];
};

struct mts_fetch {
	struct mts_fetcher *f;   /* NULL once taken */
	struct flist *list;
	struct mts_fetch *prev, *next;
	enum phase phase;
	void *arg;
	char *ca_file, *ca_path, *user_agent;
	long connect_timeout_ms;
	size_t max_size;
	char *path;              /* path and query of the URL */
	long long start_ms, deadline_ms;
	struct mts_query *q[2];  /* A, AAAA */
	struct dnsinfo dns[2];
	size_t cur;              /* address being tried */
	/* the running attempt */
	CURL *easy;
	struct curl_slist *resolve;
	char errbuf[CURL_ERROR_SIZE];
	X509 *leaf;
	int verr_set;
	long verr;
	int verr_depth;
	int too_large;
	size_t body_cap;
	struct mts_tls atls;
	/* the most telling failure so far */
	const char *fail_code;
	char fail_msg[400];
	struct mts_tls fail_tls;
	int tried;
	struct mts_fetch_result res;
};

#define CERT_CACHE 8

struct mts_fetcher {
	/* details of recently seen leaf certificates, by SHA-1 fingerprint:
	 * decoding a large SAN list again for every fetch is costly */
	struct {
		unsigned char md[EVP_MAX_MD_SIZE];
		int used;
		struct mts_certinfo ci;
	} certs[CERT_CACHE];
	int cert_next;
	struct mts_resolver *r;
	CURLM *multi;
	int epfd;
	int rfd;                 /* the resolver's fd in the epoll set, or -1 */
	long long timer;         /* curl's timer deadline (monotonic ms), -1: none */
	struct flist dns, ready, running, done;
};

/* Copies src into dst[size], truncating (no format: no truncation warnings). */
static void scopy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (lower((unsigned char)*s) != *prefix)
			return 0;
	return 1;
}

/* ---- lists */

static void list_unlink(struct mts_fetch *fe)
{
	struct flist *l = fe->list;
	if (l == NULL)
		return;
	if (fe->prev)
		fe->prev->next = fe->next;
	else
		l->head = fe->next;
	if (fe->next)
		fe->next->prev = fe->prev;
	else
		l->tail = fe->prev;
	l->n--;
	fe->prev = fe->next = NULL;
	fe->list = NULL;
}

static void list_move(struct flist *l, struct mts_fetch *fe)
{
	list_unlink(fe);
	fe->list = l;
	fe->prev = l->tail;
	if (l->tail)
		l->tail->next = fe;
	else
		l->head = fe;
	l->tail = fe;
	l->n++;
}

/* ---- TLS details */

static void tls_free(struct mts_tls *t)
{
	mts_certinfo_free(&t->cert);
	memset(t, 0, sizeof *t);
}

static void record_ssl(struct mts_tls *t, const SSL *ssl)
{
	const SSL_CIPHER *c;
	if (ssl == NULL)
		return;
	scopy(t->version, sizeof t->version, SSL_get_version(ssl));
	c = SSL_get_current_cipher(ssl);
	if (c == NULL)
		c = SSL_get_pending_cipher(ssl);
	if (c != NULL)
		scopy(t->cipher, sizeof t->cipher, SSL_CIPHER_get_name(c));
}

/* After libcurl's own settings: runs inside OpenSSL's verification, records
 * the leaf and the first error, never changes the verdict. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;
	struct mts_fetch *fe = ctx ? SSL_CTX_get_app_data(ctx) : NULL;
	if (fe == NULL)
		return ok;
	if (fe->leaf == NULL) {
		X509 *leaf = X509_STORE_CTX_get0_cert(xs);
		if (leaf != NULL && X509_up_ref(leaf) == 1)
			fe->leaf = leaf;
		fe->atls.handshake = 1;
		record_ssl(&fe->atls, ssl);
	}
	if (!ok && !fe->verr_set) {
		fe->verr_set = 1;
		fe->verr = X509_STORE_CTX_get_error(xs);
		fe->verr_depth = X509_STORE_CTX_get_error_depth(xs);
	}
	return ok;
}

static CURLcode sslctx_cb(CURL *easy, void *sslctx, void *userp)
{
	SSL_CTX *ctx = sslctx;
	struct mts_fetch *fe = userp;
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	(void)easy;
	/* RFC 8461 §3.3/§4.2 and RFC 6125: the DNS-ID in the SAN, never the CN
	 * (libcurl 7.88 alone would fall back to the CN). */
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
	                                       X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(param, fe->res.host, 0) != 1)
		return CURLE_OUT_OF_MEMORY;
	SSL_CTX_set_app_data(ctx, fe);
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), verify_cb);
	return CURLE_OK;
}

/* ---- libcurl data callbacks: record only */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct mts_fetch *fe = userp;
	size_t n = size * nmemb, need;
	if (fe->phase == PH_DIAG)
		return n; /* the diagnostic GET keeps only the status */
	need = fe->res.size + n;
	if (need > fe->max_size) {
		fe->too_large = 1;
		return 0; /* aborts with CURLE_WRITE_ERROR */
	}
	if (need + 1 > fe->body_cap) {
		size_t cap = fe->body_cap ? fe->body_cap : 4096;
		char *p;
		while (cap < need + 1)
			cap *= 2;
		p = realloc(fe->res.body, cap);
		if (p == NULL)
			return 0;
		fe->res.body = p;
		fe->body_cap = cap;
	}
	memcpy(fe->res.body + fe->res.size, data, n);
	fe->res.size = need;
	fe->res.body[need] = '\0';
	return n;
}

static void set_header(char **slot, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n > MAX_HEADER_VALUE)
		n = MAX_HEADER_VALUE;
	free(*slot);
	*slot = malloc(n + 1);
	if (*slot != NULL) {
		memcpy(*slot, v, n);
		(*slot)[n] = '\0';
	}
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct mts_fetch *fe = userp;
	size_t n = size * nmemb;
	struct mts_fetch_result *r = &fe->res;

	if (fe->phase == PH_HTTPS && fe->atls.version[0] == '\0') {
		struct curl_tlssessioninfo *ti = NULL;
		if (curl_easy_getinfo(fe->easy, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti != NULL &&
		    ti->backend == CURLSSLBACKEND_OPENSSL)
			record_ssl(&fe->atls, ti->internals);
	}
	if (fe->phase != PH_HTTPS)
		return n;
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new response: forget the last one's */
		free(r->content_type);
		free(r->location);
		r->content_type = r->location = NULL;
	} else if (n > 13 && prefix_ci(data, "content-type:")) {
		set_header(&r->content_type, data + 13, n - 13);
	} else if (n > 9 && prefix_ci(data, "location:")) {
		set_header(&r->location, data + 9, n - 9);
	} else if (n > 15 && prefix_ci(data, "content-length:")) {
		char buf[32];
		size_t k = n - 15 < sizeof buf - 1 ? n - 15 : sizeof buf - 1;
		unsigned long long len;
		memcpy(buf, data + 15, k);
		buf[k] = '\0';
		if (sscanf(buf, "%llu", &len) == 1 && len > fe->max_size) {
			fe->too_large = 1; /* refused before reading a byte of it */
			return 0;
		}
	}
	return n;
}

/* ---- libcurl multi callbacks: maintain the epoll set and the timer */

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct mts_fetcher *f = userp;
	uint32_t events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	epoll_data_t data;
	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		(void)epoll_ctl(f->epfd, EPOLL_CTL_DEL, s, NULL); /* may already be closed */
		return 0;
	}
	data.fd = s;
	if (mts_epoll_set(f->epfd, EPOLL_CTL_MOD, s, events, data) != 0 && errno == ENOENT)
		(void)mts_epoll_set(f->epfd, EPOLL_CTL_ADD, s, events, data);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct mts_fetcher *f = userp;
	(void)multi;
	f->timer = timeout_ms < 0 ? -1 : mts_monotonic_ms() + timeout_ms;
	return 0;
}

/* ---- fetcher */

int mts_fetch_check_ca(const char *ca_file, const char *ca_path, char *err, size_t errsize)
{
	const char *name = ca_file ? ca_file : ca_path;
	SSL_CTX *ctx;
	unsigned long e;
	if (ca_file == NULL && ca_path == NULL)
		return 0;
	if (ca_file != NULL) {
		FILE *fp = fopen(ca_file, "r");
		if (fp == NULL) {
			snprintf(err, errsize, "cannot read the CA store %s: %s", ca_file, strerror(errno));
			return -1;
		}
		fclose(fp);
	}
	if (ca_path != NULL) {
		DIR *d = opendir(ca_path);
		if (d == NULL) {
			snprintf(err, errsize, "cannot read the CA store %s: %s", ca_path, strerror(errno));
			return -1;
		}
		closedir(d);
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		snprintf(err, errsize, "cannot set up OpenSSL to read the CA store %s", name);
		return -1;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca_file, ca_path) != 1) {
		char e_text[160] = "no certificates in it";
		e = ERR_peek_last_error();
		if (e != 0)
			ERR_error_string_n(e, e_text, sizeof e_text);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		snprintf(err, errsize, "cannot read the CA store %s: %s", name, e_text);
		return -1;
	}
	SSL_CTX_free(ctx);
	return 0;
}

struct mts_fetcher *mts_fetcher_new(struct mts_resolver *r, char *err, size_t errsize)
{
	struct mts_fetcher *f = calloc(1, sizeof *f);
	if (f == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	f->rfd = -1;
	f->timer = -1;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0) {
		snprintf(err, errsize, "epoll_create1: %s", strerror(errno));
		free(f);
		return NULL;
	}
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		snprintf(err, errsize, "curl_multi_init failed");
		close(f->epfd);
		free(f);
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	mts_fetcher_set_resolver(f, r);
	return f;
}

static void finish(struct mts_fetch *fe);

static void drop_queries(struct mts_fetch *fe)
{
	mts_query_free(fe->q[0]);
	mts_query_free(fe->q[1]);
	fe->q[0] = fe->q[1] = NULL;
}

void mts_fetcher_set_resolver(struct mts_fetcher *f, struct mts_resolver *r)
{
	if (f->rfd >= 0)
		(void)epoll_ctl(f->epfd, EPOLL_CTL_DEL, f->rfd, NULL);
	f->rfd = -1;
	if (r == NULL) {
		/* the queries were detached by the resolver (or are about to be) */
		while (f->dns.head != NULL) {
			struct mts_fetch *fe = f->dns.head;
			drop_queries(fe);
			fe->res.code = "DNS_SERVFAIL";
			snprintf(fe->res.message, sizeof fe->res.message, "%s: the resolver was closed",
			         fe->res.host);
			finish(fe);
		}
	} else {
		int fd = mts_resolver_fd(r);
		epoll_data_t data;
		data.fd = fd;
		if (fd >= 0 && (mts_epoll_set(f->epfd, EPOLL_CTL_ADD, fd, EPOLLIN, data) == 0 || errno == EEXIST))
			f->rfd = fd;
	}
	f->r = r;
}

static void release_attempt(struct mts_fetch *fe)
{
	if (fe->easy != NULL) {
		if (fe->f != NULL)
			curl_multi_remove_handle(fe->f->multi, fe->easy);
		curl_easy_cleanup(fe->easy);
		fe->easy = NULL;
	}
	curl_slist_free_all(fe->resolve);
	fe->resolve = NULL;
	if (fe->leaf != NULL) {
		X509_free(fe->leaf);
		fe->leaf = NULL;
	}
}

void mts_fetch_free(struct mts_fetch *fe)
{
	if (fe == NULL)
		return;
	drop_queries(fe);
	release_attempt(fe);
	list_unlink(fe);
	tls_free(&fe->atls);
	tls_free(&fe->fail_tls);
	tls_free(&fe->res.tls);
	free(fe->res.url);
	free(fe->res.host);
	free(fe->res.content_type);
	free(fe->res.location);
	free(fe->res.body);
	free(fe->ca_file);
	free(fe->ca_path);
	free(fe->user_agent);
	free(fe->path);
	free(fe);
}

void mts_fetcher_free(struct mts_fetcher *f)
{
	struct flist *lists[4];
	size_t i;
	if (f == NULL)
		return;
	lists[0] = &f->dns;
	lists[1] = &f->ready;
	lists[2] = &f->running;
	lists[3] = &f->done;
	for (i = 0; i < 4; i++)
		while (lists[i]->head != NULL)
			mts_fetch_free(lists[i]->head); /* removes its easy handle from the multi */
	for (i = 0; i < CERT_CACHE; i++)
		mts_certinfo_free(&f->certs[i].ci);
	curl_multi_cleanup(f->multi);
	close(f->epfd);
	free(f);
}

int mts_fetcher_fd(const struct mts_fetcher *f)
{
	return f->epfd;
}

size_t mts_fetcher_pending(const struct mts_fetcher *f)
{
	return f->dns.n + f->ready.n + f->running.n + f->done.n;
}

int mts_fetcher_timeout_ms(const struct mts_fetcher *f)
{
	long long now, next = -1;
	const struct mts_fetch *fe;
	int rt;
	if (f->done.n > 0 || f->ready.n > 0)
		return 0;
	now = mts_monotonic_ms();
	if (f->timer >= 0)
		next = f->timer;
	for (fe = f->dns.head; fe != NULL; fe = fe->next)
		if (next < 0 || fe->deadline_ms < next)
			next = fe->deadline_ms;
	if (f->r != NULL && f->dns.n > 0 && (rt = mts_resolver_timeout_ms(f->r)) >= 0 &&
	    (next < 0 || now + rt < next))
		next = now + rt;
	if (next < 0)
		return -1;
	if (next <= now)
		return 0;
	return next - now > 0x7fffffff ? 0x7fffffff : (int)(next - now);
}

/* ---- one fetch */

static void finish(struct mts_fetch *fe)
{
	struct mts_fetcher *f = fe->f;
	release_attempt(fe);
	fe->phase = PH_DONE;
	fe->res.done = 1;
	fe->res.ok = fe->res.code == NULL;
	fe->res.elapsed_ms = (long)(mts_monotonic_ms() - fe->start_ms);
	if (f != NULL)
		list_move(&f->done, fe);
}

static void fail_now(struct mts_fetch *fe, const char *code, const char *fmt, const char *detail)
{
	fe->res.code = code;
	snprintf(fe->res.message, sizeof fe->res.message, fmt, detail);
	finish(fe);
}

/* Splits url ("https://host[:port][/path]") into the result's host, port
 * and fe->path. Returns NULL or why it is not usable. */
static const char *parse_url(struct mts_fetch *fe, const char *url)
{
	const char *p = url + 8, *h = p, *end;
	size_t hn, i;
	long port = 443;
	if (!prefix_ci(url, "https://"))
		return "not an https:// URL";
	while (*p && *p != '/' && *p != '?' && *p != '#' && *p != ':' && *p != '@')
		p++;
	hn = (size_t)(p - h);
	if (*p == '@')
		return "user names or passwords in the URL are not supported";
	if (hn == 0)
		return "no host in the URL";
	if (*h == '[')
		return "IP address literals are not supported (a host name is needed for the certificate check)";
	if (*p == ':') {
		char *e;
		port = strtol(p + 1, &e, 10);
		if (e == p + 1 || port < 1 || port > 65535 || (*e && *e != '/' && *e != '?' && *e != '#'))
			return "bad port in the URL";
		p = e;
	}
	for (i = 0; i < hn; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.' || c == '_'))
			return c >= 0x80 ? "the host is not ASCII (use its A-label form, xn--...)"
			                 : "the host contains a character not allowed in a host name";
	}
	{
		size_t label = 0;
		for (i = 0; i < hn; i++) {
			if (h[i] == '.') {
				if (label == 0)
					return "the host has an empty label";
				label = 0;
			} else if (++label > 63) {
				return "the host has a label longer than 63 characters";
			}
		}
		if (hn > 254 || (hn == 254 && h[hn - 1] != '.'))
			return "the host is longer than 253 characters";
	}
	for (end = p; *end; end++)
		if ((unsigned char)*end <= 0x20 || (unsigned char)*end == 0x7f)
			return "the URL contains a space or control character";
	if (*p == '#')
		p = end; /* a fragment is not sent */
	fe->res.host = malloc(hn + 1);
	fe->path = malloc(strlen(p) + 2);
	if (fe->res.host == NULL || fe->path == NULL)
		return "out of memory";
	for (i = 0; i < hn; i++)
		fe->res.host[i] = (char)lower((unsigned char)h[i]);
	fe->res.host[hn] = '\0';
	if (hn > 1 && fe->res.host[hn - 1] == '.')
		fe->res.host[hn - 1] = '\0'; /* the certificate names the host without the dot */
	snprintf(fe->path, strlen(p) + 2, "%s%s", *p == '/' ? "" : "/", p);
	{
		char *hash = strchr(fe->path, '#');
		if (hash)
			*hash = '\0';
	}
	fe->res.port = (int)port;
	return NULL;
}

static void dns_cb(struct mts_query *q, void *arg)
{
	struct mts_fetch *fe = arg;
	const struct mts_dns_answer *a = mts_query_answer(q);
	int k = q == fe->q[0] ? 0 : 1;
	struct dnsinfo *d = &fe->dns[k];
	size_t i;

	d->status = a->status;
	d->nxdomain = a->nxdomain;
	d->nodata = a->nodata;
	d->bogus = a->status == MTS_DNS_OK && a->dnssec == MTS_DNSSEC_BOGUS;
	if (d->bogus)
		scopy(d->message, sizeof d->message, a->why_bogus ? a->why_bogus : "validation failed");
	else if (a->message)
		scopy(d->message, sizeof d->message, a->message);
	if (a->status == MTS_DNS_OK && !d->bogus) {
		for (i = 0; i < a->count && fe->res.naddrs < MTS_FETCH_MAX_ADDRS; i++) {
			struct mts_fetch_addr *ad = &fe->res.addrs[fe->res.naddrs];
			if (mts_answer_address(a, i, ad->ip, sizeof ad->ip) == 0) {
				ad->family = a->qtype == 28 ? 6 : 4;
				ad->dnssec = a->dnssec;
				fe->res.naddrs++;
			}
		}
	}
	fe->q[k] = NULL;
	mts_query_free(q);
	if (fe->q[0] == NULL && fe->q[1] == NULL && fe->f != NULL && fe->phase == PH_DNS) {
		fe->phase = PH_READY;
		list_move(&fe->f->ready, fe);
	}
}

struct mts_fetch *mts_fetcher_submit(struct mts_fetcher *f, const char *url, int policy,
                                     const struct mts_fetch_opts *o, void *arg)
{
	struct mts_fetch *fe = calloc(1, sizeof *fe);
	const char *bad;
	if (fe == NULL)
		return NULL;
	fe->f = f;
	fe->arg = arg;
	fe->start_ms = mts_monotonic_ms();
	fe->deadline_ms = fe->start_ms + (o->timeout_ms > 0 ? o->timeout_ms : MTS_FETCH_DEFAULT_TIMEOUT_MS);
	fe->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : MTS_FETCH_DEFAULT_CONNECT_MS;
	/* Unless told otherwise, one dead address (an unanswered IPv6, say) may use
	 * at most half the total, so that the next address still gets its turn. */
	if (o->connect_timeout_ms <= 0 && fe->connect_timeout_ms > (fe->deadline_ms - fe->start_ms) / 2)
		fe->connect_timeout_ms = (fe->deadline_ms - fe->start_ms) / 2;
	fe->max_size = o->max_size;
	fe->res.policy = policy;
	fe->res.url = mts_strdup(url);
	fe->ca_file = mts_strdup(o->ca_file);
	fe->ca_path = mts_strdup(o->ca_path);
	fe->user_agent = mts_strdup(o->user_agent ? o->user_agent : DEFAULT_USER_AGENT);
	if (fe->res.url == NULL || fe->user_agent == NULL || (o->ca_file && !fe->ca_file) ||
	    (o->ca_path && !fe->ca_path)) {
		mts_fetch_free(fe);
		return NULL;
	}
	fe->phase = PH_DNS;
	list_move(&f->dns, fe);
	bad = parse_url(fe, url);
	if (bad != NULL) {
		fe->res.code = "BAD_NAME";
		snprintf(fe->res.message, sizeof fe->res.message, "%.300s: %s", url, bad);
		finish(fe);
		return fe;
	}
	if (f->r == NULL) {
		fail_now(fe, "DNS_SERVFAIL", "%s: no resolver", fe->res.host);
		return fe;
	}
	fe->q[0] = mts_resolver_submit(f->r, fe->res.host, 1, dns_cb, fe);
	fe->q[1] = mts_resolver_submit(f->r, fe->res.host, 28, dns_cb, fe);
	if (fe->q[0] == NULL || fe->q[1] == NULL) {
		drop_queries(fe);
		fail_now(fe, "DNS_SERVFAIL", "%s: out of memory", fe->res.host);
	}
	return fe;
}

struct mts_fetch *mts_fetcher_fail(struct mts_fetcher *f, const char *url, int policy, const char *code,
                                   const char *message, void *arg)
{
	struct mts_fetch *fe = calloc(1, sizeof *fe);
	if (fe == NULL)
		return NULL;
	fe->f = f;
	fe->arg = arg;
	fe->start_ms = mts_monotonic_ms();
	fe->res.policy = policy;
	fe->res.url = mts_strdup(url);
	if (fe->res.url == NULL) {
		free(fe);
		return NULL;
	}
	list_move(&f->dns, fe);
	fail_now(fe, code, "%s", message);
	return fe;
}

/* No usable address: the DNS failure, most telling first. */
static void dns_failed(struct mts_fetch *fe)
{
	const struct dnsinfo *a = &fe->dns[0], *b = &fe->dns[1], *d;
	const char *h = fe->res.host;
	struct mts_fetch_result *r = &fe->res;
	if (a->status == MTS_DNS_BAD_NAME || b->status == MTS_DNS_BAD_NAME) {
		d = a->status == MTS_DNS_BAD_NAME ? a : b;
		r->code = "BAD_NAME";
		snprintf(r->message, sizeof r->message, "%s: %s", h, d->message);
	} else if (a->bogus || b->bogus) {
		d = a->bogus ? a : b;
		r->code = "DNS_BOGUS";
		snprintf(r->message, sizeof r->message, "%s: DNSSEC validation failed (bogus): %s", h, d->message);
	} else if (a->nxdomain || b->nxdomain) {
		r->code = "DNS_NXDOMAIN";
		snprintf(r->message, sizeof r->message, "%s: no such domain (NXDOMAIN)", h);
	} else if (a->status == MTS_DNS_LOCAL_EMFILE || b->status == MTS_DNS_LOCAL_EMFILE) {
		d = a->status == MTS_DNS_LOCAL_EMFILE ? a : b;
		r->code = "LOCAL_EMFILE";
		scopy(r->message, sizeof r->message, d->message);
	} else if (a->status == MTS_DNS_TIMEOUT || b->status == MTS_DNS_TIMEOUT) {
		d = a->status == MTS_DNS_TIMEOUT ? a : b;
		r->code = "DNS_TIMEOUT";
		scopy(r->message, sizeof r->message, d->message);
	} else if (a->status != MTS_DNS_OK || b->status != MTS_DNS_OK) {
		d = a->status != MTS_DNS_OK ? a : b;
		r->code = "DNS_SERVFAIL";
		scopy(r->message, sizeof r->message, d->message[0] ? d->message : "DNS failure");
	} else {
		r->code = "DNS_NODATA";
		snprintf(r->message, sizeof r->message, "%s: no address (neither A nor AAAA records)", h);
	}
	finish(fe);
}

static int start_attempt(struct mts_fetch *fe);
static void attempt_done(struct mts_fetch *fe, CURLcode rc);

/* The next address to try from fe->cur on; 0 when started. */
static int try_from(struct mts_fetch *fe, size_t i)
{
	for (; i < fe->res.naddrs; i++) {
		fe->cur = i;
		if (start_attempt(fe) == 0)
			return 0;
	}
	return -1;
}

static int start_attempt(struct mts_fetch *fe)
{
	struct mts_fetch_result *r = &fe->res;
	struct mts_fetch_addr *a = &r->addrs[fe->cur];
	long long left = fe->deadline_ms - mts_monotonic_ms();
	int diag = fe->phase == PH_DIAG;
	int port = diag ? 80 : r->port;
	char entry[MTS_ADDRSTRLEN + 300], url[2100];
	CURL *e;

	if (left <= 0)
		return -1;
	if (strlen(r->host) > 253 || strlen(fe->path) > 2000) {
		snprintf(a->message, sizeof a->message, "the URL is too long");
		a->error = "BAD_NAME";
		return -1;
	}
	snprintf(entry, sizeof entry, "%s:%d:%s%s%s", r->host, port, a->family == 6 ? "[" : "", a->ip,
	         a->family == 6 ? "]" : "");
	if (port == (diag ? 80 : 443))
		snprintf(url, sizeof url, "%s://%s%s", diag ? "http" : "https", r->host, fe->path);
	else
		snprintf(url, sizeof url, "https://%s:%d%s", r->host, port, fe->path);
	e = curl_easy_init();
	fe->resolve = curl_slist_append(NULL, entry);
	if (e == NULL || fe->resolve == NULL) {
		if (e)
			curl_easy_cleanup(e);
		return -1;
	}
	fe->easy = e;
	fe->errbuf[0] = '\0';
	fe->verr_set = 0;
	fe->verr = 0;
	fe->too_large = 0;
	tls_free(&fe->atls);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_RESOLVE, fe->resolve);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, diag ? "http" : "https");
	curl_easy_setopt(e, CURLOPT_PROXY, "");          /* never an environment proxy */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* §3.3: MUST NOT follow */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L); /* a full handshake: the certificate is seen */
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L); /* until sslctx_cb is known to run, below */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, fe->connect_timeout_ms < left ? fe->connect_timeout_ms : (long)left);
	curl_easy_setopt(e, CURLOPT_USERAGENT, fe->user_agent);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, fe);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, fe);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, fe->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, fe);
	if (!diag) {
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, fe);
		/* With sslctx_cb in place OpenSSL checks the name during verification
		 * (NEVER_CHECK_SUBJECT, stricter than curl; a mismatch fails the
		 * handshake), so curl's own second scan of every SAN is only cost:
		 * bench/fetch 625 -> 662 domains/s with a 1,000-name certificate. SNI
		 * is still sent; the wrong-name and CN-only specs keep this honest.
		 * A libcurl without SSL_CTX_FUNCTION keeps curl's check. */
		if (curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, sslctx_cb) == CURLE_OK)
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		if (fe->ca_file)
			curl_easy_setopt(e, CURLOPT_CAINFO, fe->ca_file);
		if (fe->ca_path)
			curl_easy_setopt(e, CURLOPT_CAPATH, fe->ca_path);
	}
	if (curl_multi_add_handle(fe->f->multi, e) != CURLM_OK) {
		release_attempt(fe);
		return -1;
	}
	fe->tried++;
	return 0;
}

static int is_text_plain(const char *ct)
{
	size_t n;
	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (!prefix_ci(ct, "text/plain"))
		return 0;
	ct += 10;
	for (n = 0; ct[n] == ' ' || ct[n] == '\t'; n++)
		;
	return ct[n] == '\0' || ct[n] == ';';
}

/* Remembers a failure of the current address; keeps the most telling one
 * (anything past CONNECT beats CONNECT; else the first). */
static void address_failed(struct mts_fetch *fe, const char *code, const char *msg)
{
	struct mts_fetch_addr *a = &fe->res.addrs[fe->cur];
	a->error = code;
	scopy(a->message, sizeof a->message, msg);
	if (fe->fail_code == NULL || strcmp(code, "LOCAL_EMFILE") == 0 ||
	    (strcmp(fe->fail_code, "CONNECT") == 0 && strcmp(code, "CONNECT") != 0)) {
		fe->fail_code = code;
		scopy(fe->fail_msg, sizeof fe->fail_msg, msg);
		tls_free(&fe->fail_tls);
		fe->fail_tls = fe->atls;
		memset(&fe->atls, 0, sizeof fe->atls);
	}
}

static void give_up(struct mts_fetch *fe)
{
	struct mts_fetch_result *r = &fe->res;
	size_t i, connect_only = 1;
	tls_free(&r->tls);
	r->tls = fe->fail_tls;
	memset(&fe->fail_tls, 0, sizeof fe->fail_tls);
	r->code = fe->fail_code ? fe->fail_code : "CONNECT";
	if (fe->tried > 1)
		snprintf(r->message, sizeof r->message, "%s (%d addresses tried, all failed: see addresses)",
		         fe->fail_msg, fe->tried);
	else if (fe->fail_code)
		scopy(r->message, sizeof r->message, fe->fail_msg);
	else
		snprintf(r->message, sizeof r->message, "%s: the fetch timed out before any address was tried",
		         r->host);
	for (i = 0; i < r->naddrs; i++)
		if (r->addrs[i].error == NULL || strcmp(r->addrs[i].error, "CONNECT") != 0)
			connect_only = 0;
	/* §3.3 needs HTTPS; tell "HTTP only" apart from "nothing there" */
	if (r->policy && connect_only && r->naddrs > 0 && fe->f != NULL) {
		fe->phase = PH_DIAG;
		if (try_from(fe, 0) == 0) {
			r->http_status = -1; /* until it answers */
			return;
		}
	}
	finish(fe);
}

static void diag_done(struct mts_fetch *fe, CURLcode rc)
{
	long status = 0;
	curl_off_t connected = 0;
	curl_easy_getinfo(fe->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(fe->easy, CURLINFO_CONNECT_TIME_T, &connected);
	release_attempt(fe);
	if (status > 0) {
		fe->res.http_status = status;
	} else if (connected == 0 && rc != CURLE_OK && try_from(fe, fe->cur + 1) == 0) {
		return;
	}
	finish(fe);
}

/* The leaf's details, from the fetcher's cache when it was seen lately. */
static int cert_details(struct mts_fetcher *f, struct mts_certinfo *out, X509 *leaf)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	long long now = (long long)time(NULL), left;
	int i, slot;
	if (f == NULL || X509_digest(leaf, EVP_sha1(), md, &mdlen) != 1 || mdlen != 20)
		return mts_certinfo_from_x509(out, leaf, now);
	for (i = 0; i < CERT_CACHE; i++) {
		if (f->certs[i].used && memcmp(f->certs[i].md, md, 20) == 0) {
			if (mts_certinfo_copy(out, &f->certs[i].ci) != 0)
				return -1;
			left = out->not_after - now;
			out->days_left = (long)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
			return 0;
		}
	}
	if (mts_certinfo_from_x509(out, leaf, now) != 0)
		return -1;
	slot = f->cert_next;
	f->cert_next = (slot + 1) % CERT_CACHE;
	mts_certinfo_free(&f->certs[slot].ci);
	f->certs[slot].used = mts_certinfo_copy(&f->certs[slot].ci, out) == 0;
	memcpy(f->certs[slot].md, md, 20);
	return 0;
}

static void attempt_done(struct mts_fetch *fe, CURLcode rc)
{
	struct mts_fetch_result *r = &fe->res;
	struct mts_fetch_addr *a = &r->addrs[fe->cur];
	long status = 0, vres = X509_V_OK;
	curl_off_t connect_t = 0, app_t = 0;
	char msg[400];
	const char *code = NULL;
	int next = 0; /* try the next address */
	int unwanted, local = 0;

	if (fe->phase == PH_DIAG) {
		diag_done(fe, rc);
		return;
	}
	curl_easy_getinfo(fe->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(fe->easy, CURLINFO_CONNECT_TIME_T, &connect_t);
	curl_easy_getinfo(fe->easy, CURLINFO_APPCONNECT_TIME_T, &app_t);
	curl_easy_getinfo(fe->easy, CURLINFO_SSL_VERIFYRESULT, &vres);
	if (fe->leaf != NULL) {
		X509 *leaf = fe->leaf;
		fe->leaf = NULL;
		if (cert_details(fe->f, &fe->atls.cert, leaf) == 0)
			fe->atls.have_cert = 1;
		X509_free(leaf);
	}
	if (fe->verr_set && fe->verr != X509_V_OK)
		vres = fe->verr;
	if (fe->atls.handshake) {
		fe->atls.verify_result = vres;
		fe->atls.verified = vres == X509_V_OK && rc != CURLE_PEER_FAILED_VERIFICATION;
		if (vres != X509_V_OK)
			snprintf(fe->atls.verify_error, sizeof fe->atls.verify_error, "%s%s",
			         X509_verify_cert_error_string(vres),
			         fe->verr_set && fe->verr_depth > 0 ? " (in the chain)" : "");
	}
	msg[0] = '\0';

	/* A status that fails the fetch anyway (a redirect, a 404) decides the code
	 * even when its body was refused as too large or broke off. */
	unwanted = status > 0 && (r->policy ? status != 200 : (status < 200 || status > 299));
	if (rc == CURLE_OK || (status > 0 && (unwanted || !fe->too_large) && rc != CURLE_OPERATION_TIMEDOUT)) {
		/* an HTTP answer */
		scopy(r->connected_ip, sizeof r->connected_ip, a->ip);
		r->status = status;
		tls_free(&r->tls);
		r->tls = fe->atls;
		memset(&fe->atls, 0, sizeof fe->atls);
		if (status >= 300 && status < 400) {
			code = "HTTP_REDIRECT";
			snprintf(msg, sizeof msg, "%s: HTTP %ld redirect to %s, not followed (RFC 8461 §3.3)", r->host,
			         status, r->location ? r->location : "(no Location)");
		} else if (unwanted) {
			code = "HTTP_STATUS";
			snprintf(msg, sizeof msg, "%s: HTTP status %ld%s", r->host, status,
			         r->policy ? ", the policy needs 200 (RFC 8461 §3.3)" : "");
		} else if (rc != CURLE_OK) {
			code = "HTTP_STATUS";
			snprintf(msg, sizeof msg, "%s: the response broke off: %s", r->host,
			         fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc));
		} else if (r->policy && !is_text_plain(r->content_type)) {
			code = "CONTENT_TYPE";
			snprintf(msg, sizeof msg, "%s: Content-Type %s%s%s, not text/plain (RFC 8461 §3.2)", r->host,
			         r->content_type ? "'" : "", r->content_type ? r->content_type : "missing",
			         r->content_type ? "'" : "");
		}
		if (code != NULL) {
			a->error = code;
			scopy(a->message, sizeof a->message, msg);
			r->code = code;
			scopy(r->message, sizeof r->message, msg);
		}
		finish(fe);
		return;
	}
	if (fe->too_large) {
		scopy(r->connected_ip, sizeof r->connected_ip, a->ip);
		r->status = status;
		tls_free(&r->tls);
		r->tls = fe->atls;
		memset(&fe->atls, 0, sizeof fe->atls);
		r->code = a->error = "TOO_LARGE";
		snprintf(r->message, sizeof r->message, "%s: the body is larger than %lu bytes (RFC 8461 §3.3: 64 KB)",
		         r->host, (unsigned long)fe->max_size);
		scopy(a->message, sizeof a->message, r->message);
		finish(fe);
		return;
	}
	if (fe->atls.handshake && (vres != X509_V_OK || rc == CURLE_PEER_FAILED_VERIFICATION)) {
		code = vres != X509_V_OK ? mts_verify_error_code(vres) : "TLS_HOSTNAME";
		snprintf(msg, sizeof msg, "%s%s%s:%d: certificate verification failed: %s", OPEN_B(a), a->ip, CLOSE_B(a), r->port,
		         vres != X509_V_OK ? fe->atls.verify_error : (fe->errbuf[0] ? fe->errbuf : "name mismatch"));
		if (vres == X509_V_OK)
			scopy(fe->atls.verify_error, sizeof fe->atls.verify_error,
			         fe->errbuf[0] ? fe->errbuf : "name mismatch");
		fe->atls.verified = 0;
		next = 1;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		if (app_t > 0) {
			code = "HTTP_TIMEOUT";
			snprintf(msg, sizeof msg, "%s%s%s:%d: no complete response within the timeout", OPEN_B(a), a->ip, CLOSE_B(a), r->port);
			scopy(r->connected_ip, sizeof r->connected_ip, a->ip);
			r->status = status;
		} else if (connect_t > 0) {
			code = "HTTP_TIMEOUT";
			snprintf(msg, sizeof msg, "%s%s%s:%d: the TLS handshake timed out", OPEN_B(a), a->ip, CLOSE_B(a), r->port);
			next = 1;
		} else {
			code = "CONNECT";
			snprintf(msg, sizeof msg, "%s%s%s:%d: connection timed out", OPEN_B(a), a->ip, CLOSE_B(a), r->port);
			next = 1;
		}
	} else if (connect_t == 0 && app_t == 0 && rc != CURLE_SSL_CONNECT_ERROR) {
		long oserr = 0;
		curl_easy_getinfo(fe->easy, CURLINFO_OS_ERRNO, &oserr);
		local = oserr == EMFILE || oserr == ENFILE;
		code = "CONNECT";
		snprintf(msg, sizeof msg, "%s%s%s:%d: cannot connect: %s", OPEN_B(a), a->ip, CLOSE_B(a), r->port,
		         oserr != 0 ? strerror((int)oserr) : fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc));
		next = 1;
	} else if (app_t == 0) {
		code = "TLS_HANDSHAKE";
		snprintf(msg, sizeof msg, "%s%s%s:%d: TLS handshake failed: %s", OPEN_B(a), a->ip, CLOSE_B(a), r->port,
		         fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc));
		next = 1;
	} else {
		code = "HTTP_STATUS";
		snprintf(msg, sizeof msg, "%s%s%s:%d: no valid HTTP response: %s", OPEN_B(a), a->ip, CLOSE_B(a), r->port,
		         fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc));
		scopy(r->connected_ip, sizeof r->connected_ip, a->ip);
	}
	release_attempt(fe);
	/* out of descriptors (socket, the CA file...): the run's fault, not the
	 * host's; no other address is tried */
	if (local || mts_fds_exhausted()) {
		code = "LOCAL_EMFILE";
		snprintf(msg, sizeof msg, "%s%s%s:%d: this process is out of file descriptors (%s)", OPEN_B(a), a->ip,
		         CLOSE_B(a), r->port, fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc));
		next = 0;
	}
	address_failed(fe, code, msg);
	if (next && try_from(fe, fe->cur + 1) == 0)
		return;
	give_up(fe);
}

static void start_ready(struct mts_fetcher *f)
{
	struct mts_fetch *fe;
	while ((fe = f->ready.head) != NULL) {
		struct mts_fetch_addr *ad = fe->res.addrs;
		size_t n = fe->res.naddrs, i, j, k = 0;
		struct mts_fetch_addr tmp[MTS_FETCH_MAX_ADDRS];
		/* IPv6 first, then IPv4, each in the order the DNS gave */
		for (j = 0; j < 2; j++)
			for (i = 0; i < n; i++)
				if (ad[i].family == (j == 0 ? 6 : 4))
					tmp[k++] = ad[i];
		memcpy(ad, tmp, k * sizeof *ad);
		if (n == 0) {
			dns_failed(fe);
			continue;
		}
		fe->phase = PH_HTTPS;
		list_move(&f->running, fe);
		if (try_from(fe, 0) != 0)
			give_up(fe);
	}
}

static void expire_dns(struct mts_fetcher *f, long long now)
{
	struct mts_fetch *fe = f->dns.head, *next;
	for (; fe != NULL; fe = next) {
		next = fe->next;
		if (fe->deadline_ms <= now) {
			drop_queries(fe);
			fail_now(fe, "DNS_TIMEOUT", "%s: no DNS answer within the fetch timeout", fe->res.host);
		}
	}
}

static void read_info(struct mts_fetcher *f)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct mts_fetch *fe = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)(void *)&fe);
		if (fe != NULL && fe->easy == m->easy_handle)
			attempt_done(fe, m->data.result);
	}
}

int mts_fetcher_step(struct mts_fetcher *f)
{
	struct epoll_event ev[64];
	size_t before = f->done.n;
	int n, i, running, round, resolver_ready = 0;

	for (round = 0; round < 8; round++) {
		n = epoll_wait(f->epfd, ev, 64, 0);
		for (i = 0; i < n; i++) {
			int mask = 0;
			if (ev[i].data.fd == f->rfd) {
				resolver_ready = 1;
				continue;
			}
			if (ev[i].events & EPOLLIN)
				mask |= CURL_CSELECT_IN;
			if (ev[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (ev[i].events & (EPOLLERR | EPOLLHUP))
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(f->multi, ev[i].data.fd, mask, &running);
		}
		if (n < 64)
			break;
	}
	if (f->r != NULL && (resolver_ready || f->dns.n > 0))
		mts_resolver_process(f->r);
	expire_dns(f, mts_monotonic_ms());
	start_ready(f);
	for (round = 0; round < 8; round++) {
		if (f->timer >= 0 && f->timer <= mts_monotonic_ms()) {
			f->timer = -1;
			curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		read_info(f);
		if (!(f->timer >= 0 && f->timer <= mts_monotonic_ms()))
			break;
	}
	return (int)(f->done.n - before);
}

struct mts_fetch *mts_fetcher_take_done(struct mts_fetcher *f)
{
	struct mts_fetch *fe = f->done.head;
	if (fe != NULL) {
		list_unlink(fe);
		fe->f = NULL;
	}
	return fe;
}

const struct mts_fetch_result *mts_fetch_result(const struct mts_fetch *fe)
{
	return &fe->res;
}

void *mts_fetch_arg(const struct mts_fetch *fe)
{
	return fe->arg;
}
