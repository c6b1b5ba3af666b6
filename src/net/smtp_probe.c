/* The SMTP STARTTLS probe (see smtp_probe.h).
 *
 * Each probe owns one connection state machine per address:
 *
 *   CONNECT -> BANNER -> EHLO -> STARTTLS -> HANDSHAKE -> QUIT -> done
 *
 * driven by epoll readiness (level-triggered) and a deadline per phase.
 * A handshake failure at the default settings restarts the machine once on
 * a fresh connection with the legacy context (TLS 1.0+, SECLEVEL=0).
 *
 * Verdicts of one address, in the order they decide its code:
 *   connection and SMTP: CONNECT, TIMEOUT, SMTP_REJECT, SMTP_PROTOCOL,
 *     NO_STARTTLS, TLS_HANDSHAKE;
 *   the TLS version: TLS_OLD (or TLS_HANDSHAKE when only security level 0
 *     helps at TLS 1.2+);
 *   DANE (when it applies): DANE_BOGUS, DANE_MISMATCH;
 *   PKIX (RFC 8461 §4.2): TLS_HOSTNAME, TLS_EXPIRED, TLS_VERIFY.
 * ok is 1 when none applies: an RFC 8461 sender and an RFC 7672 sender
 * would both deliver over this connection. */
#include "smtp_probe.h"
#include "netutil.h"
#include "../dns/dns_code.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum cstate { C_IDLE, C_CONNECT, C_BANNER, C_EHLO, C_STARTTLS, C_HANDSHAKE, C_QUIT, C_DONE };

static const char *const phase_name[] = { "idle", "connect", "the banner", "EHLO", "STARTTLS",
	                                      "the TLS handshake", "QUIT", "done" };

struct conn {
	struct mts_probe *pr;
	struct mts_probe_addr *a;
	int fd;
	SSL *ssl;
	int tls_up;            /* handshake done: I/O goes through ssl */
	enum cstate st;
	unsigned events;       /* registered with epoll; 0: not registered */
	long long deadline;
	long long started;
	int legacy;            /* this connection is the legacy retry */
	char first_error[200]; /* why the default handshake failed */
	char in[MTS_SMTP_MAX_LINE];
	size_t inlen;
	int rcode, nlines;     /* the reply being read */
	char *rtext;           /* its lines, "\n"-joined */
	size_t rlen, rcap;
	char out[600];
	size_t outlen, outoff;
};

/* an A or AAAA answer, kept until both are in */
struct fam {
	int done;
	const char *code; /* NULL: addresses (or none and no error) */
	char message[160];
	enum mts_dnssec dnssec;
	char ip[MTS_PROBE_MAX_ADDRS][MTS_ADDRSTRLEN];
	size_t n;
};

struct mts_probe {
	struct mts_prober *p;  /* NULL once detached */
	struct mts_probe *prev, *next;
	int in_done;           /* on p->done rather than p->running */
	void *arg;
	struct mts_query *q4, *q6, *qtlsa;
	struct fam f4, f6;
	int tlsa_done, conns_started, finished;
	int dane_decided; /* dane_decide ran when the connections started */
	struct conn *conns;
	size_t nconns, conns_left;
	long long started;
	struct mts_probe_result res;
};

struct plist {
	struct mts_probe *head, *tail;
};

struct mts_prober {
	int epfd;
	struct mts_resolver *r;
	int rfd; /* the resolver fd registered with epfd, -1 if none */
	SSL_CTX *ctx, *legacy;
	BIO_METHOD *bio_meth;
	char *ehlo;
	long timeout_ms;
	int port;
	struct plist running, done;
	size_t pending;
	int finished_now; /* probes finished during the current call */
};

/* ------------------------------------------------------------------ helpers */

static void set_msg(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void list_add(struct plist *l, struct mts_probe *pr)
{
	pr->prev = l->tail;
	pr->next = NULL;
	if (l->tail)
		l->tail->next = pr;
	else
		l->head = pr;
	l->tail = pr;
}

static void list_del(struct plist *l, struct mts_probe *pr)
{
	if (pr->prev)
		pr->prev->next = pr->next;
	else
		l->head = pr->next;
	if (pr->next)
		pr->next->prev = pr->prev;
	else
		l->tail = pr->prev;
	pr->prev = pr->next = NULL;
}

/* The last OpenSSL error as one line ("" if none), clearing the queue. */
static void ssl_error_text(char *buf, size_t size)
{
	unsigned long e = ERR_get_error(), last = e;
	while (e != 0) {
		last = e;
		e = ERR_get_error();
	}
	if (last == 0) {
		buf[0] = '\0';
		return;
	}
	ERR_error_string_n(last, buf, size);
}

/* ------------------------------------------------------------------ a socket BIO without SIGPIPE */

/* OpenSSL's socket BIO writes with write(2): a peer that closed would kill
 * the host process with SIGPIPE. This method is the socket BIO with send(2)
 * and MSG_NOSIGNAL for writing; one per prober (no globals). */
static int nosig_write(BIO *b, const char *buf, int len)
{
	int fd = (int)BIO_get_fd(b, NULL);
	ssize_t n;
	BIO_clear_retry_flags(b);
	n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int nosig_puts(BIO *b, const char *s)
{
	return nosig_write(b, s, (int)strlen(s));
}

static BIO_METHOD *nosig_method(void)
{
	const BIO_METHOD *sock = BIO_s_socket();
	int idx = BIO_get_new_index();
	BIO_METHOD *m;
	if (idx == -1)
		return NULL;
	m = BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "mtasts socket");
	if (m == NULL)
		return NULL;
	if (!BIO_meth_set_write(m, nosig_write) || !BIO_meth_set_puts(m, nosig_puts) ||
	    !BIO_meth_set_read(m, BIO_meth_get_read(sock)) || !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(m, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock))) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ------------------------------------------------------------------ connections */

static void probe_conn_finished(struct mts_probe *pr);

static void conn_want(struct conn *c, unsigned ev)
{
	epoll_data_t data;
	if (c->events == ev || c->fd < 0)
		return;
	data.ptr = c;
	if (mts_epoll_set(c->pr->p->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, ev, data) == 0)
		c->events = ev;
}

static void conn_close_socket(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl); /* frees the BIO; the fd is ours */
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		if (c->events && c->pr->p != NULL)
			epoll_ctl(c->pr->p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->events = 0;
	c->tls_up = 0;
	c->inlen = c->outlen = c->outoff = 0;
	c->rcode = c->nlines = 0;
	c->rlen = 0;
}

/* Ends the connection; the address keeps what was recorded. */
static void conn_finish(struct conn *c)
{
	if (c->st == C_DONE)
		return;
	conn_close_socket(c);
	free(c->rtext);
	c->rtext = NULL;
	c->rcap = c->rlen = 0;
	c->st = C_DONE;
	c->a->elapsed_ms = (long)(mts_monotonic_ms() - c->started);
	probe_conn_finished(c->pr);
}

static void conn_fail(struct conn *c, const char *code, const char *fmt, ...)
{
	va_list ap;
	if (c->st == C_QUIT) /* the verdict is in already */
		return;
	c->a->ok = 0;
	c->a->code = code;
	va_start(ap, fmt);
	vsnprintf(c->a->message, sizeof c->a->message, fmt, ap);
	va_end(ap);
	/* out of descriptors (the socket, a CA file of ca_path): the run's
	 * fault, never the host's */
	if (strcmp(code, "LOCAL_EMFILE") != 0 && mts_fds_exhausted()) {
		char why[sizeof c->a->message];
		set_msg(why, sizeof why, "%s", c->a->message);
		c->a->code = "LOCAL_EMFILE";
		set_msg(c->a->message, sizeof c->a->message, "this process is out of file descriptors (%s)", why);
	}
}

static void conn_phase(struct conn *c, enum cstate st)
{
	c->st = st;
	c->deadline = mts_monotonic_ms() + c->pr->p->timeout_ms;
}

/* Opens the socket and starts connecting. Returns 0, or -1 (address failed). */
static int conn_start(struct conn *c)
{
	struct mts_prober *p = c->pr->p;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, flags;

	memset(&ss, 0, sizeof ss);
	if (c->a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p->port);
		inet_pton(AF_INET6, c->a->ip, &s6->sin6_addr);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p->port);
		inet_pton(AF_INET, c->a->ip, &s4->sin_addr);
		sl = sizeof *s4;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		conn_fail(c, errno == EMFILE || errno == ENFILE ? "LOCAL_EMFILE" : "CONNECT", "socket: %s",
		          strerror(errno));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		conn_fail(c, "CONNECT", "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	conn_phase(c, C_CONNECT);
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
		conn_phase(c, C_BANNER);
		conn_want(c, EPOLLIN);
		return 0;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		conn_fail(c, "CONNECT", "cannot connect to %s port %d: %s", c->a->ip, p->port, strerror(errno));
		return -1;
	}
	conn_want(c, EPOLLOUT);
	return 0;
}

/* What a state handler asks for next. */
enum { R_READ = 1, R_WRITE, R_NEXT, R_END };

/* Queues one command line. */
static void conn_send(struct conn *c, const char *line)
{
	size_t n = strlen(line);
	if (n + 2 > sizeof c->out)
		n = sizeof c->out - 2;
	memcpy(c->out, line, n);
	memcpy(c->out + n, "\r\n", 2);
	c->outlen = n + 2;
	c->outoff = 0;
}

/* What a non-blocking SSL_read/SSL_write that returned n <= 0 waits for:
 * R_READ or R_WRITE, else R_END (the OpenSSL error, in *err, is cleared). */
static int ssl_wait(SSL *ssl, int n, int *err)
{
	*err = SSL_get_error(ssl, n);
	if (*err == SSL_ERROR_WANT_READ)
		return R_READ;
	if (*err == SSL_ERROR_WANT_WRITE)
		return R_WRITE;
	ERR_clear_error();
	return R_END;
}

/* Writes what is queued: R_NEXT when all is written, R_READ/R_WRITE to
 * wait, R_END when the connection failed (recorded). */
static int conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		if (c->tls_up) {
			int n, e;
			ERR_clear_error();
			n = SSL_write(c->ssl, c->out + c->outoff, (int)(c->outlen - c->outoff));
			if (n > 0) {
				c->outoff += (size_t)n;
				continue;
			}
			return ssl_wait(c->ssl, n, &e);
		} else {
			ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
			if (n >= 0) {
				c->outoff += (size_t)n;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return R_WRITE;
			return R_END;
		}
	}
	c->outlen = c->outoff = 0;
	return R_NEXT;
}

/* Reads more input: R_NEXT (got some), R_READ/R_WRITE (wait), R_END (EOF
 * or error; *why set). */
static int conn_fill(struct conn *c, const char **why)
{
	size_t room = sizeof c->in - c->inlen;
	if (c->tls_up) {
		int n, e;
		ERR_clear_error();
		n = SSL_read(c->ssl, c->in + c->inlen, (int)room);
		if (n > 0) {
			c->inlen += (size_t)n;
			return R_NEXT;
		}
		n = ssl_wait(c->ssl, n, &e);
		if (n == R_END)
			*why = e == SSL_ERROR_ZERO_RETURN ? "the server closed the TLS session" : "the TLS session failed";
		return n;
	} else {
		ssize_t n = recv(c->fd, c->in + c->inlen, room, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			return R_NEXT;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return R_READ;
		*why = n == 0 ? "the server closed the connection" : strerror(errno);
		return R_END;
	}
}

static int rtext_add(struct conn *c, const char *s, size_t n)
{
	size_t i;
	if (c->rlen + n + 2 > c->rcap) {
		size_t cap = c->rcap ? c->rcap * 2 : 256;
		char *t;
		while (cap < c->rlen + n + 2)
			cap *= 2;
		t = realloc(c->rtext, cap);
		if (t == NULL)
			return -1;
		c->rtext = t;
		c->rcap = cap;
	}
	if (c->rlen > 0)
		c->rtext[c->rlen++] = '\n';
	for (i = 0; i < n; i++) /* control characters would garble reports */
		c->rtext[c->rlen++] = ((unsigned char)s[i] < 32 && s[i] != '\t') || s[i] == 127 ? '?' : s[i];
	c->rtext[c->rlen] = '\0';
	return 0;
}

/* 1: a whole reply is in c->rtext/c->rcode; 0: need more input; -1: the
 * reply broke a rule (recorded as SMTP_PROTOCOL). */
static int reply_parse(struct conn *c)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t len, used;
		int code, last;
		if (nl == NULL) {
			if (c->inlen >= sizeof c->in) {
				conn_fail(c, "SMTP_PROTOCOL", "a reply line longer than %d octets during %s",
				          MTS_SMTP_MAX_LINE, phase_name[c->st]);
				return -1;
			}
			return 0;
		}
		used = (size_t)(nl - c->in) + 1;
		len = used - 1;
		if (len > 0 && c->in[len - 1] == '\r')
			len--;
		if (len < 3 || c->in[0] < '2' || c->in[0] > '5' || c->in[1] < '0' || c->in[1] > '9' ||
		    c->in[2] < '0' || c->in[2] > '9' || (len > 3 && c->in[3] != ' ' && c->in[3] != '-')) {
			char shown[64];
			set_msg(shown, sizeof shown, "%.*s", (int)(len < 40 ? len : 40), c->in);
			conn_fail(c, "SMTP_PROTOCOL", "malformed reply line during %s: '%s'", phase_name[c->st],
			          shown);
			return -1;
		}
		code = (c->in[0] - '0') * 100 + (c->in[1] - '0') * 10 + (c->in[2] - '0');
		if (c->nlines > 0 && code != c->rcode) {
			conn_fail(c, "SMTP_PROTOCOL", "reply code changed from %d to %d within one reply during %s",
			          c->rcode, code, phase_name[c->st]);
			return -1;
		}
		c->rcode = code;
		if (++c->nlines > MTS_SMTP_MAX_LINES) {
			conn_fail(c, "SMTP_PROTOCOL", "more than %d lines in one reply during %s", MTS_SMTP_MAX_LINES,
			          phase_name[c->st]);
			return -1;
		}
		last = len == 3 || c->in[3] == ' ';
		if (rtext_add(c, c->in, len) != 0) {
			conn_fail(c, "SMTP_PROTOCOL", "out of memory reading a reply");
			return -1;
		}
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		if (last)
			return 1;
	}
}

static void reply_reset(struct conn *c)
{
	c->rcode = c->nlines = 0;
	c->rlen = 0;
	if (c->rtext)
		c->rtext[0] = '\0';
}

/* The first line of the reply, for messages. */
static const char *reply_first_line(const struct conn *c, char *buf, size_t size)
{
	const char *t = c->rtext ? c->rtext : "";
	const char *nl = strchr(t, '\n');
	size_t n = nl ? (size_t)(nl - t) : strlen(t);
	set_msg(buf, size, "%.*s", (int)(n > 120 ? 120 : n), t);
	return buf;
}

/* Best effort for a plain-text end: QUIT without waiting. */
static void conn_quit_plain(struct conn *c)
{
	if (c->fd >= 0 && !c->tls_up)
		(void)send(c->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int store_ehlo(struct mts_probe_addr *a, const char *text)
{
	const char *line = strchr(text, '\n'); /* skip the greeting line */
	size_t n = 0, i = 0;
	const char *s;
	for (s = line; s != NULL; s = strchr(s + 1, '\n'))
		n++;
	a->ehlo = calloc(n ? n : 1, sizeof *a->ehlo);
	if (a->ehlo == NULL)
		return -1;
	for (s = line; s != NULL; s = strchr(s + 1, '\n')) {
		const char *start = s + 1, *end = strchr(start, '\n');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		char *kw;
		if (len >= 4) { /* "250-" / "250 " */
			start += 4;
			len -= 4;
		} else {
			len = 0;
		}
		kw = malloc(len + 1);
		if (kw == NULL)
			return -1;
		memcpy(kw, start, len);
		kw[len] = '\0';
		a->ehlo[i++] = kw;
		a->nehlo = i;
		if (strncasecmp(kw, "STARTTLS", 8) == 0 && (kw[8] == '\0' || kw[8] == ' '))
			a->starttls = 1;
	}
	return 0;
}

static int setup_tls(struct conn *c);
static void tls_evaluate(struct conn *c);
static int conn_restart_legacy(struct conn *c);

/* Handles a complete reply in the current state: R_NEXT or R_END. */
static int on_reply(struct conn *c)
{
	struct mts_probe_addr *a = c->a;
	char first[128];
	int code = c->rcode;

	switch (c->st) {
	case C_BANNER:
		if (a->banner == NULL)
			a->banner = mts_strdup(c->rtext);
		if (code / 100 != 2) {
			conn_fail(c, "SMTP_REJECT", "the server greets with '%s'", reply_first_line(c, first, sizeof first));
			conn_quit_plain(c);
			return R_END;
		}
		{
			char line[300];
			set_msg(line, sizeof line, "EHLO %s", c->pr->p->ehlo);
			conn_send(c, line);
		}
		reply_reset(c);
		conn_phase(c, C_EHLO);
		return R_NEXT;
	case C_EHLO:
		if (code != 250) {
			conn_fail(c, "SMTP_REJECT", "EHLO refused: '%s'", reply_first_line(c, first, sizeof first));
			conn_quit_plain(c);
			return R_END;
		}
		if (!a->ehlo_done) {
			a->ehlo_done = 1;
			if (store_ehlo(a, c->rtext) != 0) {
				conn_fail(c, "SMTP_PROTOCOL", "out of memory reading the EHLO reply");
				return R_END;
			}
		}
		if (!a->starttls) {
			conn_fail(c, "NO_STARTTLS", "the server does not offer STARTTLS after EHLO");
			conn_quit_plain(c);
			return R_END;
		}
		conn_send(c, "STARTTLS");
		reply_reset(c);
		conn_phase(c, C_STARTTLS);
		return R_NEXT;
	case C_STARTTLS:
		if (code != 220) {
			conn_fail(c, "NO_STARTTLS", "STARTTLS refused: '%s'", reply_first_line(c, first, sizeof first));
			conn_quit_plain(c);
			return R_END;
		}
		reply_reset(c);
		c->inlen = 0; /* anything sent before the handshake is dropped (RFC 3207 §5) */
		if (setup_tls(c) != 0)
			return R_END;
		conn_phase(c, C_HANDSHAKE);
		return R_NEXT;
	case C_QUIT:
		return R_END;
	default:
		return R_END;
	}
}

/* The reading states: flush, then read until a whole reply. */
static int run_reply_state(struct conn *c)
{
	int r;
	const char *why = NULL;
	if (c->outlen > 0) {
		r = conn_flush(c);
		if (r == R_END) {
			if (c->st != C_QUIT)
				conn_fail(c, "CONNECT", "the connection broke while sending %s", phase_name[c->st]);
			return R_END;
		}
		if (r != R_NEXT)
			return r;
	}
	for (;;) {
		int got = reply_parse(c);
		if (got < 0)
			return c->st == C_QUIT ? R_END : (conn_quit_plain(c), R_END);
		if (got > 0)
			return on_reply(c);
		r = conn_fill(c, &why);
		if (r == R_END) {
			if (c->st != C_QUIT)
				conn_fail(c, c->st == C_BANNER ? "CONNECT" : "SMTP_PROTOCOL", "%s while waiting for %s",
				          why, phase_name[c->st]);
			return R_END;
		}
		if (r != R_NEXT)
			return r;
	}
}

static int run_handshake(struct conn *c)
{
	int n, e;
	char err[200];
	ERR_clear_error();
	n = SSL_connect(c->ssl);
	if (n == 1) {
		c->tls_up = 1;
		tls_evaluate(c);
		conn_send(c, "QUIT");
		reply_reset(c);
		conn_phase(c, C_QUIT);
		return R_NEXT;
	}
	e = SSL_get_error(c->ssl, n);
	if (e == SSL_ERROR_WANT_READ)
		return R_READ;
	if (e == SSL_ERROR_WANT_WRITE)
		return R_WRITE;
	ssl_error_text(err, sizeof err);
	if (err[0] == '\0')
		set_msg(err, sizeof err, "%s",
		        e == SSL_ERROR_SYSCALL ? "the server closed the connection during the handshake"
		                               : "handshake failed");
	if (!c->legacy) {
		snprintf(c->first_error, sizeof c->first_error, "%s", err);
		return conn_restart_legacy(c);
	}
	conn_fail(c, "TLS_HANDSHAKE", "TLS handshake failed: %s (also with TLS 1.0/1.1 at security level 0: %s)",
	          c->first_error, err);
	return R_END;
}

/* Drives the connection as far as it goes without blocking. ev: the epoll
 * events that woke it (0 when called after a state change). */
static void conn_run(struct conn *c, unsigned ev)
{
	for (;;) {
		int r;
		switch (c->st) {
		case C_CONNECT: {
			int err = 0;
			socklen_t len = sizeof err;
			if (ev == 0) {
				r = R_WRITE;
				break;
			}
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
			if (err == EINPROGRESS || (err == 0 && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))) {
				r = R_WRITE;
				break;
			}
			if (err != 0) {
				conn_fail(c, "CONNECT", "cannot connect to %s port %d: %s", c->a->ip, c->pr->p->port,
				          strerror(err));
				r = R_END;
				break;
			}
			conn_phase(c, C_BANNER);
			r = R_NEXT;
			break;
		}
		case C_BANNER:
		case C_EHLO:
		case C_STARTTLS:
		case C_QUIT:
			r = run_reply_state(c);
			break;
		case C_HANDSHAKE:
			r = run_handshake(c);
			break;
		default:
			return;
		}
		ev = 0;
		if (r == R_NEXT)
			continue;
		if (r == R_READ) {
			conn_want(c, EPOLLIN);
			return;
		}
		if (r == R_WRITE) {
			conn_want(c, EPOLLOUT);
			return;
		}
		if (c->st == C_QUIT && c->ssl != NULL && c->tls_up) {
			ERR_clear_error();
			(void)SSL_shutdown(c->ssl); /* close_notify, best effort */
			ERR_clear_error();
		}
		conn_finish(c);
		return;
	}
}

static void conn_timeout(struct conn *c)
{
	long secs = (c->pr->p->timeout_ms + 999) / 1000;
	switch (c->st) {
	case C_CONNECT:
		conn_fail(c, "CONNECT", "cannot connect to %s port %d: no answer within %ld s", c->a->ip,
		          c->pr->p->port, secs);
		break;
	case C_BANNER:
	case C_EHLO:
	case C_STARTTLS:
	case C_HANDSHAKE:
		conn_fail(c, "TIMEOUT", "no answer within %ld s while waiting for %s", secs, phase_name[c->st]);
		if (c->st != C_HANDSHAKE)
			conn_quit_plain(c);
		break;
	default: /* QUIT: the verdict is in already */
		break;
	}
	conn_finish(c);
}

/* ------------------------------------------------------------------ TLS */

static int setup_tls(struct conn *c)
{
	struct mts_prober *p = c->pr->p;
	struct mts_probe_addr *a = c->a;
	const char *host = c->pr->res.host;
	BIO *bio;
	size_t i;
	char err[200];

	c->ssl = SSL_new(c->legacy ? p->legacy : p->ctx);
	bio = c->ssl ? BIO_new(p->bio_meth) : NULL;
	if (bio == NULL) {
		ssl_error_text(err, sizeof err);
		conn_fail(c, "TLS_HANDSHAKE", "cannot set up TLS: %s", err[0] ? err : "out of memory");
		return -1;
	}
	BIO_set_fd(bio, c->fd, BIO_NOCLOSE);
	SSL_set_bio(c->ssl, bio, bio);
	if (!SSL_set_tlsext_host_name(c->ssl, host)) {
		ssl_error_text(err, sizeof err);
		conn_fail(c, "TLS_HANDSHAKE", "cannot set SNI '%s': %s", host, err);
		return -1;
	}
	if (a->dane.usable) {
		int added = 0;
		if (SSL_dane_enable(c->ssl, host) <= 0) {
			ssl_error_text(err, sizeof err);
			conn_fail(c, "TLS_HANDSHAKE", "cannot enable DANE: %s", err);
			return -1;
		}
		SSL_dane_set_flags(c->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
		for (i = 0; i < c->pr->res.ntlsa; i++) {
			const struct mts_tlsa *t = &c->pr->res.tlsa[i];
			if (t->usage != 2 && t->usage != 3) /* RFC 7672 §3.1.3 */
				continue;
			if (SSL_dane_tlsa_add(c->ssl, (uint8_t)t->usage, (uint8_t)t->selector, (uint8_t)t->mtype,
			                      t->data, t->len) > 0)
				added++;
		}
		ERR_clear_error();
		c->a->dane.checked = added > 0;
		if (added == 0) {
			a->dane.usable = 0;
			set_msg(a->dane.reason, sizeof a->dane.reason,
			        "no usable TLSA record (unsupported selector or matching type, or malformed data)");
		}
	}
	SSL_set_connect_state(c->ssl);
	return 0;
}

static int conn_restart_legacy(struct conn *c)
{
	conn_close_socket(c);
	c->legacy = 1;
	if (conn_start(c) != 0) {
		char was[256];
		set_msg(was, sizeof was, "%s", c->a->message);
		conn_fail(c, "TLS_HANDSHAKE", "TLS handshake failed: %s (the retry with TLS 1.0/1.1 could not connect: %s)",
		          c->first_error, was);
		return R_END;
	}
	return c->st == C_BANNER ? R_NEXT : R_WRITE;
}

static int tls_version_below_12(const SSL *ssl)
{
	int v = SSL_version(ssl);
	return v == TLS1_VERSION || v == TLS1_1_VERSION || v == SSL3_VERSION;
}

static void tls_evaluate(struct conn *c)
{
	struct mts_probe_addr *a = c->a;
	struct mts_probe_tls *t = &a->tls;
	const char *host = c->pr->res.host;
	X509 *leaf = SSL_get0_peer_certificate(c->ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
	long long wall = (long long)time(NULL);
	int i, n;

	t->handshake = 1;
	a->legacy = c->legacy;
	set_msg(t->version, sizeof t->version, "%s", SSL_get_version(c->ssl));
	set_msg(t->cipher, sizeof t->cipher, "%s", SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)));

	if (leaf != NULL && mts_certinfo_from_x509(&t->cert, leaf, wall) == 0)
		t->have_cert = 1;
	n = chain ? sk_X509_num(chain) : 0;
	for (i = 0; i < n && t->nchain < MTS_PROBE_MAX_CHAIN; i++)
		if (mts_certinfo_from_x509(&t->chain[t->nchain], sk_X509_value(chain, i), wall) == 0)
			t->nchain++;

	/* PKIX: the presented chain against the CA store, SAN DNS-ID only */
	t->verify_result = X509_V_ERR_UNSPECIFIED;
	if (leaf != NULL) {
		const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
		X509_STORE_CTX *v = X509_STORE_CTX_new();
		t->hostname_ok = X509_check_host(leaf, host, 0, flags, NULL) == 1;
		if (v != NULL && X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(c->pr->p->ctx), leaf, chain) == 1) {
			X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(v);
			X509_STORE_CTX_set_default(v, "ssl_server");
			X509_VERIFY_PARAM_set_hostflags(vp, flags);
			X509_VERIFY_PARAM_set1_host(vp, host, 0);
			t->pkix_ok = X509_verify_cert(v) == 1;
			t->verify_result = t->pkix_ok ? X509_V_OK : X509_STORE_CTX_get_error(v);
		}
		X509_STORE_CTX_free(v);
		ERR_clear_error();
	}
	if (!t->pkix_ok)
		set_msg(t->verify_error, sizeof t->verify_error, "%s",
		        leaf ? X509_verify_cert_error_string(t->verify_result) : "no certificate presented");

	/* DANE: OpenSSL verified during the handshake */
	if (a->dane.usable && a->dane.checked) {
		long vr = SSL_get_verify_result(c->ssl);
		uint8_t u = 0, s = 0, m = 0;
		int depth = SSL_get0_dane_tlsa(c->ssl, &u, &s, &m, NULL, NULL);
		if (vr == X509_V_OK && depth >= 0) {
			a->dane.ok = 1;
			a->dane.match_usage = u;
			a->dane.match_selector = s;
			a->dane.match_mtype = m;
			a->dane.match_depth = depth;
			a->dane.reason[0] = '\0';
		} else {
			set_msg(a->dane.reason, sizeof a->dane.reason, "no TLSA record matches: %s",
			        X509_verify_cert_error_string(vr));
		}
	}

	/* the verdict */
	a->ok = 0;
	if (c->legacy) {
		if (tls_version_below_12(c->ssl)) {
			a->code = "TLS_OLD";
			set_msg(a->message, sizeof a->message,
			        "only %s works (RFC 8461 §7.2 needs TLS 1.2 or later); at the default settings: %s",
			        t->version, c->first_error);
		} else {
			a->code = "TLS_HANDSHAKE";
			set_msg(a->message, sizeof a->message,
			        "the handshake works only at security level 0 (weak keys or ciphers), with %s: %s",
			        t->version, c->first_error);
		}
	} else if (a->dane.bogus) {
		a->code = "DANE_BOGUS";
		set_msg(a->message, sizeof a->message, "%s", a->dane.reason);
	} else if (a->dane.usable && !a->dane.ok) {
		a->code = "DANE_MISMATCH";
		set_msg(a->message, sizeof a->message, "DANE: %s", a->dane.reason);
	} else if (!t->pkix_ok) {
		a->code = leaf ? mts_verify_error_code(t->verify_result) : "TLS_VERIFY";
		set_msg(a->message, sizeof a->message, "certificate not valid for %s: %s", host, t->verify_error);
	} else {
		a->ok = 1;
		a->code = NULL;
		set_msg(a->message, sizeof a->message, "STARTTLS with %s; certificate valid for %s%s", t->version,
		        host, a->dane.ok ? "; DANE matched" : "");
	}
}

/* ------------------------------------------------------------------ DANE applicability */

static const char *sec_name(enum mts_dnssec s)
{
	return mts_dnssec_name(s);
}

/* Whether DANE applies to address a (RFC 7672 §2.2): sets usable, bogus, reason. */
static void dane_decide(const struct mts_probe *pr, struct mts_probe_addr *a)
{
	const struct mts_probe_result *r = &pr->res;
	struct mts_probe_dane *d = &a->dane;
	size_t i, usable = 0;
	int secure_path = r->mx_dnssec == MTS_DNSSEC_SECURE && a->dnssec == MTS_DNSSEC_SECURE;

	d->usable = d->bogus = 0;
	if (r->tlsa_failed) {
		if (secure_path) {
			d->bogus = 1;
			set_msg(d->reason, sizeof d->reason,
			        "the TLSA lookup failed (%s): the MX is unusable (RFC 7672 §2.1.1)", r->tlsa_error);
		} else {
			set_msg(d->reason, sizeof d->reason,
			        "the TLSA lookup failed (%s); DANE does not apply (MX RRset %s, address %s)",
			        r->tlsa_error, sec_name(r->mx_dnssec), sec_name(a->dnssec));
		}
		return;
	}
	if (!pr->tlsa_done) {
		set_msg(d->reason, sizeof d->reason, "the TLSA lookup did not finish");
		return;
	}
	if (r->ntlsa == 0) {
		set_msg(d->reason, sizeof d->reason, "no TLSA records at _%d._tcp.%s", r->port, r->host);
		return;
	}
	if (r->mx_dnssec != MTS_DNSSEC_SECURE) {
		set_msg(d->reason, sizeof d->reason, "the MX RRset is not DNSSEC-secure (%s)", sec_name(r->mx_dnssec));
		return;
	}
	if (a->dnssec != MTS_DNSSEC_SECURE) {
		set_msg(d->reason, sizeof d->reason, "the address RRset is not DNSSEC-secure (%s)", sec_name(a->dnssec));
		return;
	}
	if (r->tlsa_dnssec != MTS_DNSSEC_SECURE) {
		set_msg(d->reason, sizeof d->reason, "the TLSA RRset is not DNSSEC-secure (%s)",
		        sec_name(r->tlsa_dnssec));
		return;
	}
	for (i = 0; i < r->ntlsa; i++)
		if (r->tlsa[i].usage == 2 || r->tlsa[i].usage == 3)
			usable++;
	if (usable == 0) {
		set_msg(d->reason, sizeof d->reason,
		        "no usable TLSA record: PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3)");
		return;
	}
	d->usable = 1;
	d->reason[0] = '\0';
}

/* ------------------------------------------------------------------ probes */

static void probe_finish(struct mts_probe *pr)
{
	struct mts_prober *p = pr->p;
	size_t i;
	if (pr->finished)
		return;
	pr->finished = 1;
	/* the connections did not wait for the TLSA answer: explain now */
	if (!pr->dane_decided)
		for (i = 0; i < pr->res.naddrs; i++)
			dane_decide(pr, &pr->res.addrs[i]);
	pr->res.done = 1;
	pr->res.elapsed_ms = (long)(mts_monotonic_ms() - pr->started);
	if (p != NULL) {
		list_del(&p->running, pr);
		list_add(&p->done, pr);
		pr->in_done = 1;
		p->finished_now++;
	}
}

static void probe_maybe_finish(struct mts_probe *pr)
{
	if (pr->q4 == NULL && pr->q6 == NULL && pr->qtlsa == NULL && pr->conns_left == 0 &&
	    (pr->conns_started || !pr->res.resolved))
		probe_finish(pr);
}

static void probe_conn_finished(struct mts_probe *pr)
{
	if (pr->conns_left > 0)
		pr->conns_left--;
	probe_maybe_finish(pr);
}

static int code_rank(const char *code)
{
	static const char *const order[] = { "DNS_NODATA", "DNS_NXDOMAIN", "DNS_SERVFAIL", "DNS_TIMEOUT",
		                                 "DNS_BOGUS", "BAD_NAME", "LOCAL_EMFILE", NULL };
	int i;
	for (i = 0; code && order[i]; i++)
		if (strcmp(code, order[i]) == 0)
			return i + 1;
	return 0;
}

/* Both address lookups are in: build the address list, or fail the probe. */
static void addresses_known(struct mts_probe *pr)
{
	struct mts_probe_result *r = &pr->res;
	const struct fam *fs[2];
	size_t k, i;

	fs[0] = &pr->f6; /* IPv6 first, like the fetcher */
	fs[1] = &pr->f4;
	for (k = 0; k < 2; k++)
		for (i = 0; i < fs[k]->n && r->naddrs < MTS_PROBE_MAX_ADDRS; i++) {
			struct mts_probe_addr *a = &r->addrs[r->naddrs++];
			set_msg(a->ip, sizeof a->ip, "%s", fs[k]->ip[i]);
			a->family = fs[k] == &pr->f6 ? 6 : 4;
			a->dnssec = fs[k]->dnssec;
		}
	if (r->naddrs > 0) {
		r->resolved = 1;
		return;
	}
	{
		const struct fam *worst = code_rank(pr->f6.code) > code_rank(pr->f4.code) ? &pr->f6 : &pr->f4;
		r->code = worst->code ? worst->code : "DNS_NODATA";
		set_msg(r->message, sizeof r->message, "%s: %s", r->host,
		        worst->code ? worst->message : "no A or AAAA records");
	}
	/* nothing to connect to: the TLSA lookup is moot */
	mts_query_free(pr->qtlsa);
	pr->qtlsa = NULL;
	pr->tlsa_done = 1;
}

static void start_conns(struct mts_probe *pr)
{
	size_t i;
	long long t = mts_monotonic_ms();
	if (pr->conns_started || !pr->res.resolved)
		return;
	/* With a secure MX RRset the TLSA answer decides the handshake: wait. */
	if (pr->res.mx_dnssec == MTS_DNSSEC_SECURE && !pr->tlsa_done)
		return;
	pr->conns_started = 1;
	pr->conns = calloc(pr->res.naddrs, sizeof *pr->conns);
	if (pr->conns == NULL) {
		for (i = 0; i < pr->res.naddrs; i++) {
			pr->res.addrs[i].code = "CONNECT";
			set_msg(pr->res.addrs[i].message, sizeof pr->res.addrs[i].message, "out of memory");
		}
		probe_maybe_finish(pr);
		return;
	}
	pr->nconns = pr->conns_left = pr->res.naddrs;
	pr->dane_decided = pr->tlsa_done;
	for (i = 0; i < pr->nconns; i++) {
		struct conn *c = &pr->conns[i];
		c->pr = pr;
		c->a = &pr->res.addrs[i];
		c->fd = -1;
		c->started = t;
		if (pr->tlsa_done)
			dane_decide(pr, c->a);
	}
	for (i = 0; i < pr->nconns; i++) {
		struct conn *c = &pr->conns[i];
		if (conn_start(c) != 0)
			conn_finish(c);
	}
	probe_maybe_finish(pr);
}

static void set_fam(struct fam *f, const struct mts_dns_answer *a)
{
	size_t i;
	f->done = 1;
	f->dnssec = a->dnssec;
	switch (a->status) {
	case MTS_DNS_OK:
		if (a->dnssec == MTS_DNSSEC_BOGUS) {
			f->code = "DNS_BOGUS";
			set_msg(f->message, sizeof f->message, "DNSSEC validation failed: %s",
			        a->why_bogus ? a->why_bogus : "bogus");
		} else if (a->nxdomain) {
			f->code = "DNS_NXDOMAIN";
			set_msg(f->message, sizeof f->message, "no such domain (NXDOMAIN)");
		}
		for (i = 0; i < a->count && f->n < MTS_PROBE_MAX_ADDRS; i++)
			if (mts_answer_address(a, i, f->ip[f->n], sizeof f->ip[f->n]) == 0)
				f->n++;
		break;
	case MTS_DNS_TIMEOUT:
		f->code = "DNS_TIMEOUT";
		break;
	case MTS_DNS_BAD_NAME:
		f->code = "BAD_NAME";
		break;
	case MTS_DNS_LOCAL_EMFILE:
		f->code = "LOCAL_EMFILE";
		break;
	default:
		f->code = "DNS_SERVFAIL";
		break;
	}
	if (a->status != MTS_DNS_OK)
		set_msg(f->message, sizeof f->message, "%s", a->message ? a->message : "lookup failed");
}

static void set_tlsa(struct mts_probe *pr, const struct mts_dns_answer *a)
{
	struct mts_probe_result *r = &pr->res;
	size_t i;
	pr->tlsa_done = 1;
	r->tlsa_dnssec = a->dnssec;
	if (a->status != MTS_DNS_OK) {
		r->tlsa_failed = 1;
		set_msg(r->tlsa_error, sizeof r->tlsa_error, "%s: %s", mts_dns_status_code(a->status),
		        a->message ? a->message : "lookup failed");
		return;
	}
	if (a->dnssec == MTS_DNSSEC_BOGUS) {
		r->tlsa_failed = 1;
		set_msg(r->tlsa_error, sizeof r->tlsa_error, "DNSSEC bogus: %s",
		        a->why_bogus ? a->why_bogus : "validation failed");
		return;
	}
	for (i = 0; i < a->count && r->ntlsa < MTS_PROBE_MAX_TLSA; i++) {
		struct mts_tlsa *t = &r->tlsa[r->ntlsa];
		size_t n = (size_t)a->rdlen[i];
		if (n < 3)
			continue;
		t->data = malloc(n - 3 + 1);
		if (t->data == NULL)
			continue;
		memcpy(t->data, a->rdata[i] + 3, n - 3);
		t->len = n - 3;
		t->usage = a->rdata[i][0];
		t->selector = a->rdata[i][1];
		t->mtype = a->rdata[i][2];
		r->ntlsa++;
	}
}

/* libunbound answers, delivered from mts_resolver_process(): C only. */
static void got_answer(struct mts_query *q, void *arg)
{
	struct mts_probe *pr = arg;
	const struct mts_dns_answer *a = mts_query_answer(q);
	if (q == pr->q4) {
		set_fam(&pr->f4, a);
		pr->q4 = NULL;
	} else if (q == pr->q6) {
		set_fam(&pr->f6, a);
		pr->q6 = NULL;
	} else if (q == pr->qtlsa) {
		set_tlsa(pr, a);
		pr->qtlsa = NULL;
	}
	mts_query_free(q);
	if (pr->f4.done && pr->f6.done && !pr->res.resolved && pr->res.code == NULL)
		addresses_known(pr);
	if (pr->res.resolved)
		start_conns(pr);
	probe_maybe_finish(pr);
}

struct mts_probe *mts_prober_submit(struct mts_prober *p, const char *host, enum mts_dnssec mx_dnssec,
                                    void *arg)
{
	struct mts_probe *pr = calloc(1, sizeof *pr);
	size_t n;
	char tname[300];

	if (pr == NULL)
		return NULL;
	pr->res.host = mts_strdup(host);
	if (pr->res.host == NULL) {
		free(pr);
		return NULL;
	}
	n = strlen(pr->res.host);
	if (n > 1 && pr->res.host[n - 1] == '.')
		pr->res.host[n - 1] = '\0';
	pr->p = p;
	pr->arg = arg;
	pr->started = mts_monotonic_ms();
	pr->res.mx_dnssec = mx_dnssec;
	pr->res.port = p->port;
	list_add(&p->running, pr);
	p->pending++;
	if (p->r == NULL) {
		pr->f4.done = pr->f6.done = 1;
		pr->tlsa_done = 1;
		pr->res.code = "DNS_SERVFAIL";
		set_msg(pr->res.message, sizeof pr->res.message, "%s: no resolver", pr->res.host);
		probe_finish(pr);
		return pr;
	}
	set_msg(tname, sizeof tname, "_%d._tcp.%s", p->port, pr->res.host);
	pr->q4 = mts_resolver_submit(p->r, pr->res.host, 1, got_answer, pr);
	pr->q6 = mts_resolver_submit(p->r, pr->res.host, 28, got_answer, pr);
	pr->qtlsa = mts_resolver_submit(p->r, strlen(pr->res.host) < 250 ? tname : pr->res.host, 52, got_answer, pr);
	if (pr->q4 == NULL || pr->q6 == NULL || pr->qtlsa == NULL) {
		mts_probe_free(pr);
		return NULL;
	}
	return pr;
}

/* Drops the queries of a probe whose resolver went away. */
static void probe_lose_resolver(struct mts_probe *pr)
{
	static const struct mts_dns_answer gone = { MTS_DNS_CANCELLED, "the resolver was closed", "", 0, 0,
		                                        MTS_DNSSEC_UNKNOWN, NULL, 0, NULL, 0, 0, 0, NULL, NULL };
	if (pr->q4) {
		mts_query_free(pr->q4);
		pr->q4 = NULL;
		set_fam(&pr->f4, &gone);
	}
	if (pr->q6) {
		mts_query_free(pr->q6);
		pr->q6 = NULL;
		set_fam(&pr->f6, &gone);
	}
	if (pr->qtlsa) {
		mts_query_free(pr->qtlsa);
		pr->qtlsa = NULL;
		set_tlsa(pr, &gone);
	}
	if (pr->f4.done && pr->f6.done && !pr->res.resolved && pr->res.code == NULL)
		addresses_known(pr);
	if (pr->res.resolved)
		start_conns(pr);
	probe_maybe_finish(pr);
}

void mts_probe_free(struct mts_probe *pr)
{
	size_t i;
	if (pr == NULL)
		return;
	mts_query_free(pr->q4);
	mts_query_free(pr->q6);
	mts_query_free(pr->qtlsa);
	pr->q4 = pr->q6 = pr->qtlsa = NULL;
	if (pr->p != NULL) {
		struct mts_prober *p = pr->p;
		for (i = 0; i < pr->nconns; i++) {
			conn_close_socket(&pr->conns[i]);
			free(pr->conns[i].rtext);
		}
		list_del(pr->in_done ? &p->done : &p->running, pr);
		p->pending--;
		pr->p = NULL;
	}
	free(pr->conns);
	for (i = 0; i < pr->res.naddrs; i++) {
		struct mts_probe_addr *a = &pr->res.addrs[i];
		size_t j;
		free(a->banner);
		for (j = 0; j < a->nehlo; j++)
			free(a->ehlo[j]);
		free(a->ehlo);
		mts_certinfo_free(&a->tls.cert);
		for (j = 0; j < a->tls.nchain; j++)
			mts_certinfo_free(&a->tls.chain[j]);
	}
	for (i = 0; i < pr->res.ntlsa; i++)
		free(pr->res.tlsa[i].data);
	free(pr->res.host);
	free(pr);
}

const struct mts_probe_result *mts_probe_result(const struct mts_probe *pr)
{
	return &pr->res;
}

void *mts_probe_arg(const struct mts_probe *pr)
{
	return pr->arg;
}

/* ------------------------------------------------------------------ the prober */

static SSL_CTX *make_ctx(const struct mts_probe_opts *o, int legacy, char *err, size_t errsize)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char e[200];
	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (legacy) {
		SSL_CTX_set_security_level(ctx, 0);
		if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
		    !SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"))
			goto fail;
	} else if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		goto fail;
	}
	if (o->ca_file || o->ca_path) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca_file, o->ca_path) != 1) {
			ssl_error_text(e, sizeof e);
			set_msg(err, errsize, "cannot read the CA store %s: %s", o->ca_file ? o->ca_file : o->ca_path, e);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		goto fail;
	}
	if (SSL_CTX_dane_enable(ctx) <= 0)
		goto fail;
	return ctx;
fail:
	ssl_error_text(e, sizeof e);
	set_msg(err, errsize, "cannot set up OpenSSL: %s", e[0] ? e : "out of memory");
	SSL_CTX_free(ctx);
	return NULL;
}

void mts_prober_set_resolver(struct mts_prober *p, struct mts_resolver *r)
{
	struct mts_probe *pr, *next;
	if (p->rfd >= 0) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->rfd, NULL);
		p->rfd = -1;
	}
	p->r = r;
	if (r != NULL) {
		int fd = mts_resolver_fd(r);
		epoll_data_t data;
		data.ptr = p;
		if (fd >= 0 && mts_epoll_set(p->epfd, EPOLL_CTL_ADD, fd, EPOLLIN, data) == 0)
			p->rfd = fd;
		return;
	}
	for (pr = p->running.head; pr != NULL; pr = next) {
		next = pr->next;
		probe_lose_resolver(pr);
	}
}

struct mts_prober *mts_prober_new(struct mts_resolver *r, const struct mts_probe_opts *o, char *err,
                                  size_t errsize)
{
	struct mts_prober *p = calloc(1, sizeof *p);
	if (p == NULL) {
		set_msg(err, errsize, "out of memory");
		return NULL;
	}
	p->rfd = -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		set_msg(err, errsize, "epoll_create1: %s", strerror(errno));
		free(p);
		return NULL;
	}
	p->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MTS_PROBE_DEFAULT_TIMEOUT_MS;
	p->port = o->port > 0 ? o->port : 25;
	p->ehlo = mts_strdup(o->ehlo_name ? o->ehlo_name : "localhost");
	p->bio_meth = nosig_method();
	if (p->ehlo == NULL || p->bio_meth == NULL) {
		set_msg(err, errsize, "out of memory");
		mts_prober_free(p);
		return NULL;
	}
	p->ctx = make_ctx(o, 0, err, errsize);
	p->legacy = p->ctx ? make_ctx(o, 1, err, errsize) : NULL;
	if (p->legacy == NULL) {
		mts_prober_free(p);
		return NULL;
	}
	mts_prober_set_resolver(p, r);
	return p;
}

void mts_prober_free(struct mts_prober *p)
{
	if (p == NULL)
		return;
	while (p->running.head != NULL)
		mts_probe_free(p->running.head);
	while (p->done.head != NULL)
		mts_probe_free(p->done.head);
	if (p->epfd >= 0)
		close(p->epfd);
	SSL_CTX_free(p->ctx);
	SSL_CTX_free(p->legacy);
	if (p->bio_meth)
		BIO_meth_free(p->bio_meth);
	free(p->ehlo);
	free(p);
}

int mts_prober_fd(const struct mts_prober *p)
{
	return p->epfd;
}

int mts_prober_timeout_ms(const struct mts_prober *p)
{
	const struct mts_probe *pr;
	long long t = mts_monotonic_ms(), best = -1;
	int rt;
	if (p->done.head != NULL)
		return 0;
	if (p->running.head == NULL)
		return -1;
	for (pr = p->running.head; pr != NULL; pr = pr->next) {
		size_t i;
		for (i = 0; i < pr->nconns; i++) {
			const struct conn *c = &pr->conns[i];
			if (c->st != C_DONE && c->st != C_IDLE) {
				long long left = c->deadline - t;
				if (left < 0)
					left = 0;
				if (best < 0 || left < best)
					best = left;
			}
		}
	}
	/* The resolver's timeout matters only while a probe of ours waits on it:
	 * an answer meant for someone else must not make our loop spin. */
	rt = -1;
	for (pr = p->running.head; p->r != NULL && pr != NULL; pr = pr->next)
		if (pr->q4 != NULL || pr->q6 != NULL || pr->qtlsa != NULL) {
			rt = mts_resolver_timeout_ms(p->r);
			break;
		}
	if (rt >= 0 && (best < 0 || rt < best))
		best = rt;
	if (best > 2000000000)
		best = 2000000000;
	return (int)best;
}

int mts_prober_step(struct mts_prober *p)
{
	struct epoll_event ev[64];
	struct mts_probe *pr, *next;
	long long t;
	int n, i, rounds;

	p->finished_now = 0;
	for (rounds = 0; rounds < 16; rounds++) {
		n = epoll_wait(p->epfd, ev, 64, 0);
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == p) {
				if (p->r)
					mts_resolver_process(p->r);
			} else {
				struct conn *c = ev[i].data.ptr;
				if (c->st != C_DONE && c->fd >= 0)
					conn_run(c, ev[i].events);
			}
		}
		if (n < 64)
			break;
	}
	if (p->r)
		mts_resolver_process(p->r); /* DNS deadlines */
	t = mts_monotonic_ms();
	for (pr = p->running.head; pr != NULL; pr = next) {
		size_t k;
		next = pr->next;
		for (k = 0; k < pr->nconns; k++) {
			struct conn *c = &pr->conns[k];
			if (c->st != C_DONE && c->st != C_IDLE && c->deadline <= t)
				conn_timeout(c);
		}
	}
	return p->finished_now;
}

size_t mts_prober_pending(const struct mts_prober *p)
{
	return p->pending;
}

struct mts_probe *mts_prober_take_done(struct mts_prober *p)
{
	struct mts_probe *pr = p->done.head;
	if (pr == NULL)
		return NULL;
	list_del(&p->done, pr);
	pr->in_done = 0;
	pr->p = NULL;
	p->pending--;
	return pr;
}
