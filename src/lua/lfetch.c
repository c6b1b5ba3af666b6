/* mtasts.fetcher, mtasts.https_get and mtasts.fetch_policy: the Lua face of
 * src/net/fetch.c.
 *
 * Lifetimes: the fetcher userdata's user value is a table holding its
 * resolver (field resolver, so the resolver outlives it), its string options
 * and `pending`, a table mapping each undelivered fetch (light userdata of
 * the C fetch) to its handle userdata. A handle's user value holds its
 * fetcher, its callback and, once delivered, its result table. libcurl and
 * libunbound callbacks only record in C; Lua runs from step(), under pcall. */
#include <errno.h>
#include <idn2.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lopts.h"
#include "lpure.h"
#include "../net/fetch.h"

#define FETCHER_TYPE "mtasts.fetcher"
#define HANDLE_TYPE "mtasts.fetcher.handle"
#define POLICY_PATH "/.well-known/mta-sts.txt"

struct lfetcher {
	struct mts_fetcher *f; /* NULL once closed */
	long timeout_ms, connect_timeout_ms;
	size_t max_size;
};

enum hstate { H_PENDING, H_DONE, H_CANCELLED, H_CLOSED };

struct lhandle {
	struct mts_fetch *fe; /* NULL once delivered, cancelled or closed */
	enum hstate state;
};

/* ---- the resolver behind a fetcher */

/* Tells the C fetcher when its resolver was closed, before anything can
 * touch the freed resolver. ud: the fetcher userdata (absolute index). */
static void sync_resolver(lua_State *L, int ud, struct lfetcher *lf)
{
	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "resolver");
	if (mts_lua_toresolver(L, -1) == NULL)
		mts_fetcher_set_resolver(lf->f, NULL);
	lua_pop(L, 2);
}

static struct lfetcher *checkfetcher(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, FETCHER_TYPE);
}

static struct lfetcher *checkopen(lua_State *L, int idx)
{
	struct lfetcher *lf = checkfetcher(L, idx);
	if (lf->f == NULL)
		luaL_error(L, "attempt to use a closed fetcher");
	sync_resolver(L, idx, lf);
	return lf;
}

/* ---- results as plain tables */

static void setstr(lua_State *L, const char *k, const char *v)
{
	if (v == NULL)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

static void push_cert(lua_State *L, const struct mts_certinfo *c)
{
	size_t i;
	lua_createtable(L, 0, 8);
	setstr(L, "subject", c->subject);
	setstr(L, "issuer", c->issuer);
	lua_createtable(L, (int)c->nsan, 0);
	for (i = 0; i < c->nsan; i++) {
		lua_pushstring(L, c->san[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "san");
	setint(L, "not_before", (lua_Integer)c->not_before);
	setint(L, "not_after", (lua_Integer)c->not_after);
	setint(L, "days_left", (lua_Integer)c->days_left);
	setbool(L, "self_signed", c->self_signed);
}

static void push_tls(lua_State *L, const struct mts_tls *t)
{
	lua_createtable(L, 0, 5);
	if (t->version[0])
		setstr(L, "version", t->version);
	if (t->cipher[0])
		setstr(L, "cipher", t->cipher);
	setbool(L, "verified", t->verified);
	if (t->verify_error[0])
		setstr(L, "verify_error", t->verify_error);
	if (t->have_cert) {
		push_cert(L, &t->cert);
		lua_setfield(L, -2, "cert");
	}
}

static void push_result(lua_State *L, const struct mts_fetch_result *r)
{
	size_t i;
	lua_createtable(L, 0, 20);
	setbool(L, "ok", r->ok);
	setstr(L, "code", r->ok ? "OK" : r->code);
	if (r->ok)
		lua_pushfstring(L, "HTTP %d from %s, %d bytes", (int)r->status, r->connected_ip, (int)r->size);
	else
		lua_pushstring(L, r->message);
	lua_setfield(L, -2, "message");
	setstr(L, "url", r->url);
	setstr(L, "host", r->host);
	lua_createtable(L, (int)r->naddrs, 0);
	for (i = 0; i < r->naddrs; i++) {
		const struct mts_fetch_addr *a = &r->addrs[i];
		lua_createtable(L, 0, 5);
		setstr(L, "ip", a->ip);
		setstr(L, "family", a->family == 6 ? "ipv6" : "ipv4");
		setstr(L, "dnssec", mts_dnssec_name(a->dnssec));
		if (a->error != NULL) {
			setstr(L, "error", a->error);
			setstr(L, "message", a->message);
		}
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "addresses");
	if (r->connected_ip[0])
		setstr(L, "connected_ip", r->connected_ip);
	if (r->status > 0)
		setint(L, "status", r->status);
	setstr(L, "content_type", r->content_type);
	setstr(L, "location", r->location);
	if (r->body != NULL || r->status > 0) {
		lua_pushlstring(L, r->body ? r->body : "", r->size);
		lua_setfield(L, -2, "body");
		setint(L, "size", (lua_Integer)r->size);
	}
	setint(L, "elapsed_ms", r->elapsed_ms);
	if (r->tls.handshake) {
		push_tls(L, &r->tls);
		lua_setfield(L, -2, "tls");
	}
	if (r->http_status > 0)
		setint(L, "http_status", r->http_status);
	else if (r->http_status < 0)
		setbool(L, "http_status", 0);
}

/* Pushes the blocking call's return for a result table at idx. */
static int push_return(lua_State *L, int idx)
{
	int ok;
	lua_getfield(L, idx, "ok");
	ok = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (ok) {
		lua_pushvalue(L, idx);
		return 1;
	}
	lua_pushnil(L);
	lua_getfield(L, idx, "message");
	lua_getfield(L, idx, "code");
	lua_pushvalue(L, idx);
	return 4;
}

/* ---- delivering */

/* Delivers every finished fetch of the fetcher at ud: stores its result in
 * its handle and runs its callback under pcall (the first error is kept in
 * errslot). Returns the number delivered. */
static int deliver(lua_State *L, struct lfetcher *lf, int ud, int errslot)
{
	struct mts_fetch *fe;
	int count = 0, pend;

	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "pending");
	pend = lua_gettop(L);
	while (lf->f != NULL && (fe = mts_fetcher_take_done(lf->f)) != NULL) {
		int top = lua_gettop(L);
		struct lhandle *lh;
		lua_pushlightuserdata(L, fe);
		lua_rawget(L, pend); /* top+1: the handle */
		lh = luaL_testudata(L, -1, HANDLE_TYPE);
		if (lh == NULL || lh->fe != fe) { /* cannot happen */
			mts_fetch_free(fe);
			lua_settop(L, top);
			continue;
		}
		mts_getuservalue(L, top + 1); /* top+2 */
		push_result(L, mts_fetch_result(fe)); /* top+3 */
		lua_pushvalue(L, top + 3);
		lua_setfield(L, top + 2, "result");
		lh->state = H_DONE;
		lh->fe = NULL;
		mts_fetch_free(fe);
		lua_pushlightuserdata(L, fe);
		lua_pushnil(L);
		lua_rawset(L, pend);
		count++;
		lua_getfield(L, top + 2, "cb"); /* top+4 */
		if (lua_isfunction(L, -1)) {
			int nargs = push_return(L, top + 3);
			if (lua_pcall(L, nargs, 0, 0) != 0 && lua_isnil(L, errslot))
				lua_replace(L, errslot);
		}
		lua_settop(L, top);
	}
	lua_pop(L, 2);
	return count;
}

static int raise_kept(lua_State *L, int errslot)
{
	if (!lua_isnil(L, errslot)) {
		lua_pushvalue(L, errslot);
		return lua_error(L);
	}
	return 0;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits up to ms (-1: forever) on the fetcher's fd, bounded by its timeout. */
static void block(struct mts_fetcher *f, int ms)
{
	int t = mts_fetcher_timeout_ms(f);
	struct pollfd p;
	if (t == 0)
		return;
	if (ms >= 0 && (t < 0 || ms < t))
		t = ms;
	if (t < 0 && mts_fetcher_pending(f) == 0)
		return;
	p.fd = mts_fetcher_fd(f);
	p.events = POLLIN;
	p.revents = 0;
	(void)poll(&p, 1, t);
}

static int ms_from_seconds(lua_Number s)
{
	if (!(s > 0))
		return 0;
	if (s > 2000000)
		return 2000000000;
	return (int)ceil(s * 1000);
}

/* ---- options */

static const char *const option_keys[] = { "resolver", "ca_file", "ca_path", "timeout", "connect_timeout",
	                                       "max_size", "user_agent", NULL };
/* handed to C as they are: never empty, no NUL byte (in option_keys order) */
static const char *const string_keys[] = { "ca_file", "ca_path", "user_agent", NULL };

/* Checks the options table at t and pushes a new fetcher userdata. */
static struct lfetcher *new_fetcher(lua_State *L, int t, const char *who)
{
	struct lfetcher *lf;
	char err[200];
	int ud, uv, i;
	struct mts_resolver *r;

	r = mts_opt_resolver(L, t, who, option_keys, "the host's addresses are resolved only through it");
	lf = mts_newuserdata(L, sizeof *lf);
	ud = lua_gettop(L);
	memset(lf, 0, sizeof *lf);
	luaL_getmetatable(L, FETCHER_TYPE);
	lua_setmetatable(L, ud);
	lua_createtable(L, 0, 6);
	uv = lua_gettop(L);
	lua_getfield(L, t, "resolver");
	lua_setfield(L, uv, "resolver");
	lua_newtable(L);
	lua_setfield(L, uv, "pending");
	for (i = 0; string_keys[i] != NULL; i++)
		if (mts_opt_cstring(L, t, who, string_keys[i]))
			lua_setfield(L, uv, string_keys[i]);
	lf->timeout_ms = mts_opt_seconds(L, t, who, "timeout", MTS_FETCH_DEFAULT_TIMEOUT_MS);
	lf->connect_timeout_ms = mts_opt_seconds(L, t, who, "connect_timeout", 0); /* 0: the C default */
	lf->max_size = (size_t)mts_opt_integer(L, t, who, "max_size", 1, 1e9,
	                                       "an integer number of bytes in [1, 1e9]", MTS_FETCH_DEFAULT_MAX_SIZE);
	mts_setuservalue(L, ud);
	lf->f = mts_fetcher_new(r, err, sizeof err);
	if (lf->f == NULL)
		luaL_error(L, "%s: %s", who, err);
	return lf;
}

/* ---- submitting */

/* The URL for arg (string at idx): an https:// URL as is; a domain becomes
 * its policy URL (IDNA A-label). Pushes the URL; *policy tells which.
 * Returns NULL, or why the domain is not usable (then the fetch fails at
 * once with BAD_NAME). */
static const char *push_url(lua_State *L, int idx, int *policy, const char *who)
{
	size_t n, i;
	const char *s = luaL_checklstring(L, idx, &n), *why;
	char *ascii = NULL;
	int rc;
	if (n >= 8 && strncmp(s, "https://", 8) == 0) {
		*policy = 0;
		why = strlen(s) != n ? lua_pushfstring(L, "the URL holds a NUL byte") : NULL;
		lua_pushvalue(L, idx);
		return why;
	}
	for (i = 0; i + 2 < n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			luaL_error(L, "%s: only https:// URLs can be fetched (RFC 8461 §3.3), not '%s'", who, s);
	*policy = 1;
	if (n == 0 || n > 1024 || strlen(s) != n) {
		why = lua_pushfstring(L, "not a domain name: %s", n == 0 ? "empty" : "too long or holds a NUL byte");
		lua_pushfstring(L, "https://mta-sts./.well-known/mta-sts.txt");
		return why;
	}
	rc = idn2_to_ascii_8z(s, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		why = lua_pushfstring(L, "not a valid domain name: %s", idn2_strerror(rc));
		lua_pushfstring(L, "https://mta-sts.%s" POLICY_PATH, s);
		return why;
	}
	for (i = 0; ascii[i]; i++)
		if (ascii[i] >= 'A' && ascii[i] <= 'Z')
			ascii[i] = (char)(ascii[i] + 32);
	n = strlen(ascii);
	if (n > 1 && ascii[n - 1] == '.')
		ascii[n - 1] = '\0';
	lua_pushfstring(L, "https://mta-sts.%s" POLICY_PATH, ascii);
	idn2_free(ascii);
	return NULL;
}

/* Submits arg (at argi) on the fetcher at ud with callback at cbi (0: none);
 * pushes the handle. */
static struct lhandle *submit(lua_State *L, struct lfetcher *lf, int ud, int argi, int cbi, const char *who)
{
	struct mts_fetch_opts o;
	struct lhandle *lh;
	int policy, h, uv;
	const char *url, *bad;

	bad = push_url(L, argi, &policy, who); /* the URL, under it the reason when bad */
	url = lua_tostring(L, -1);
	lh = mts_newuserdata(L, sizeof *lh);
	h = lua_gettop(L);
	lh->fe = NULL;
	lh->state = H_PENDING;
	luaL_getmetatable(L, HANDLE_TYPE);
	lua_setmetatable(L, h);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, ud);
	lua_setfield(L, -2, "fetcher");
	if (cbi) {
		lua_pushvalue(L, cbi);
		lua_setfield(L, -2, "cb");
	}
	mts_setuservalue(L, h);

	mts_getuservalue(L, ud);
	uv = lua_gettop(L);
	memset(&o, 0, sizeof o);
	lua_getfield(L, uv, "ca_file");
	o.ca_file = lua_tostring(L, -1);
	lua_getfield(L, uv, "ca_path");
	o.ca_path = lua_tostring(L, -1);
	lua_getfield(L, uv, "user_agent");
	o.user_agent = lua_tostring(L, -1);
	o.timeout_ms = lf->timeout_ms;
	o.connect_timeout_ms = lf->connect_timeout_ms;
	o.max_size = lf->max_size;
	if (bad != NULL)
		lh->fe = mts_fetcher_fail(lf->f, url, policy, "BAD_NAME", bad, NULL);
	else
		lh->fe = mts_fetcher_submit(lf->f, url, policy, &o, NULL);
	if (lh->fe == NULL)
		luaL_error(L, "not enough memory");
	lua_getfield(L, uv, "pending");
	lua_pushlightuserdata(L, lh->fe);
	lua_pushvalue(L, h);
	lua_rawset(L, -3);
	lua_settop(L, h);
	lua_remove(L, h - 1); /* the URL */
	if (bad != NULL)
		lua_remove(L, h - 2); /* the reason */
	return lh;
}

/***
 * Starts a fetch without blocking; the result comes through step()/wait().
 * @function fetcher:submit
 * @tparam string arg an `https://` URL (fetched as by `https_get`), or a
 *   domain (its policy, fetched as by `fetch_policy`)
 * @tparam[opt] function callback called from step()/wait() with what the
 *   blocking call returns: `callback(result)` or `callback(nil, message, code, result)`
 * @treturn userdata handle, with `h:result()` and `h:cancel()`
 * @usage local h = f:submit("example.com", function(res) print(res.code) end)
 */
static int l_submit(lua_State *L)
{
	struct lfetcher *lf = checkopen(L, 1);
	luaL_checkstring(L, 2);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TFUNCTION);
	lua_settop(L, 3);
	submit(L, lf, 1, 2, lua_isnil(L, 3) ? 0 : 3, "fetcher:submit");
	return 1;
}

/***
 * Runs what is ready without blocking (or waiting up to `timeout` seconds
 * for something to happen): socket events, timers, DNS answers; delivers
 * finished fetches and runs their callbacks (under pcall; the first
 * callback error is raised after every fetch was delivered).
 * @function fetcher:step
 * @tparam[opt=0] number timeout
 * @treturn integer the number of fetches delivered
 */
static int l_step(lua_State *L)
{
	struct lfetcher *lf = checkopen(L, 1);
	lua_Number t = luaL_optnumber(L, 2, 0);
	int n;
	lua_settop(L, 1);
	lua_pushnil(L); /* 2: the first callback error */
	if (t > 0)
		block(lf->f, ms_from_seconds(t));
	mts_fetcher_step(lf->f);
	n = deliver(L, lf, 1, 2);
	raise_kept(L, 2);
	lua_pushinteger(L, n);
	return 1;
}

/* Runs the fetcher at ud until nothing is pending or secs (< 0: no limit)
 * passed. Returns 1 when nothing is pending. */
static int run(lua_State *L, struct lfetcher *lf, int ud, lua_Number secs, int errslot)
{
	double end = secs >= 0 ? mono() + secs : 0;
	for (;;) {
		int ms = -1;
		mts_fetcher_step(lf->f);
		deliver(L, lf, ud, errslot);
		if (mts_fetcher_pending(lf->f) == 0)
			return 1;
		if (secs >= 0) {
			double left = end - mono();
			if (left <= 0)
				return 0;
			ms = ms_from_seconds(left);
		}
		block(lf->f, ms);
	}
}

/***
 * Blocks until every submitted fetch has been delivered (callbacks run).
 * @function fetcher:wait
 * @tparam[opt] number seconds give up after this long
 * @treturn true
 * @return[2] nil, message, "TIMEOUT" when seconds passed first
 * @usage f:wait()
 */
static int l_wait(lua_State *L)
{
	struct lfetcher *lf = checkopen(L, 1);
	lua_Number secs = luaL_optnumber(L, 2, -1);
	int done;
	lua_settop(L, 1);
	lua_pushnil(L); /* 2 */
	done = run(L, lf, 1, secs, 2);
	raise_kept(L, 2);
	if (!done) {
		lua_pushnil(L);
		lua_pushliteral(L, "fetches still pending");
		lua_pushliteral(L, "TIMEOUT");
		return 3;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * The fd to poll for reading (one epoll fd behind which sit the curl
 * sockets and the resolver); also getfd().
 * @function fetcher:pollfd
 */
static int l_pollfd(lua_State *L)
{
	lua_pushinteger(L, mts_fetcher_fd(checkopen(L, 1)->f));
	return 1;
}

/***
 * The events to poll for: always "r".
 * @function fetcher:events
 */
static int l_events(lua_State *L)
{
	checkopen(L, 1);
	lua_pushliteral(L, "r");
	return 1;
}

/***
 * Seconds until step() must run even if the fd stays quiet, or nil when
 * nothing is pending.
 * @function fetcher:timeout
 */
static int l_timeout(lua_State *L)
{
	int ms = mts_fetcher_timeout_ms(checkopen(L, 1)->f);
	if (ms < 0)
		lua_pushnil(L);
	else
		lua_pushnumber(L, ms / 1000.0);
	return 1;
}

/***
 * The number of fetches submitted and not yet delivered.
 * @function fetcher:pending
 */
static int l_pending(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mts_fetcher_pending(checkopen(L, 1)->f));
	return 1;
}

/***
 * Closes the fetcher: pending fetches are dropped (their result becomes
 * nil, "the fetcher was closed", "CANCELLED"; callbacks are not called).
 * Idempotent; also __gc and __close. The resolver is not closed.
 * @function fetcher:close
 */
static int l_close(lua_State *L)
{
	struct lfetcher *lf = checkfetcher(L, 1);
	if (lf->f == NULL)
		return 0;
	mts_getuservalue(L, 1);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "pending");
		if (lua_istable(L, -1)) {
			lua_pushnil(L);
			while (lua_next(L, -2) != 0) {
				struct lhandle *lh = luaL_testudata(L, -1, HANDLE_TYPE);
				if (lh != NULL && lh->state == H_PENDING) {
					lh->state = H_CLOSED;
					lh->fe = NULL; /* freed with the fetcher */
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	mts_fetcher_free(lf->f);
	lf->f = NULL;
	lua_createtable(L, 0, 1);
	mts_getuservalue(L, 1);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "resolver");
		lua_setfield(L, -3, "resolver");
	}
	lua_pop(L, 1);
	mts_setuservalue(L, 1);
	return 0;
}

static int l_tostring(lua_State *L)
{
	struct lfetcher *lf = checkfetcher(L, 1);
	if (lf->f == NULL)
		lua_pushfstring(L, FETCHER_TYPE " (closed): %p", (void *)lf);
	else
		lua_pushfstring(L, FETCHER_TYPE " (open, %d pending): %p", (int)mts_fetcher_pending(lf->f), (void *)lf);
	return 1;
}

/* ---- handles */

static struct lhandle *checkhandle(lua_State *L)
{
	return luaL_checkudata(L, 1, HANDLE_TYPE);
}

/***
 * The fetch's result once delivered: what `https_get` would have returned.
 * @function handle:result
 * @treturn table result
 * @return[2] nil, message, code, result
 * @return[3] nil, "pending" before delivery; nil, message, "CANCELLED" after
 *   cancel() or the fetcher's close()
 */
static int l_h_result(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	switch (lh->state) {
	case H_PENDING:
		lua_pushnil(L);
		lua_pushliteral(L, "pending");
		return 2;
	case H_CANCELLED:
	case H_CLOSED:
		lua_pushnil(L);
		if (lh->state == H_CANCELLED)
			lua_pushliteral(L, "the fetch was cancelled");
		else
			lua_pushliteral(L, "the fetcher was closed");
		lua_pushliteral(L, "CANCELLED");
		return 3;
	case H_DONE:
		break;
	}
	lua_settop(L, 1);
	mts_getuservalue(L, 1);
	lua_getfield(L, 2, "result");
	return push_return(L, 3);
}

/***
 * Cancels a pending fetch: its callback never runs.
 * @function handle:cancel
 * @treturn boolean true if it was pending
 */
static int l_h_cancel(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	if (lh->state != H_PENDING) {
		lua_pushboolean(L, 0);
		return 1;
	}
	mts_getuservalue(L, 1);
	lua_getfield(L, -1, "fetcher");
	mts_getuservalue(L, -1);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "pending");
		if (lua_istable(L, -1)) {
			lua_pushlightuserdata(L, lh->fe);
			lua_pushnil(L);
			lua_rawset(L, -3);
		}
	}
	mts_fetch_free(lh->fe);
	lh->fe = NULL;
	lh->state = H_CANCELLED;
	lua_pushboolean(L, 1);
	return 1;
}

static int l_h_gc(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	/* pending handles are anchored by their fetcher: this runs only when
	 * the fetcher is garbage too, before or after its own __gc */
	if (lh->fe != NULL) {
		mts_fetch_free(lh->fe);
		lh->fe = NULL;
		lh->state = H_CLOSED;
	}
	return 0;
}

static int l_h_tostring(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	static const char *const names[] = { "pending", "done", "cancelled", "closed" };
	lua_pushfstring(L, HANDLE_TYPE " (%s): %p", names[lh->state], (void *)lh);
	return 1;
}

/* ---- constructors and the blocking calls */

/***
 * Creates a fetcher: many HTTPS fetches at once on one pollable fd.
 * @function fetcher
 * @tparam table opts `{ resolver (required), ca_file, ca_path, timeout = 60,
 *   connect_timeout = 10, max_size = 65536, user_agent }` (unknown keys raise)
 * @treturn userdata fetcher
 * @usage local f = mtasts.fetcher{ resolver = r, ca_file = "ca.pem" }
 */
static int l_fetcher(lua_State *L)
{
	lua_settop(L, 1);
	new_fetcher(L, 1, "mtasts.fetcher");
	return 1;
}

static int blocking(lua_State *L, const char *who, int want_policy)
{
	struct lfetcher *lf;
	int ud, h, n;
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);

	if (!want_policy && !(len >= 8 && strncmp(s, "https://", 8) == 0))
		luaL_argerror(L, 1, "an https:// URL expected (RFC 8461 §3.3: HTTPS only)");
	if (want_policy && strstr(s, "://") != NULL)
		luaL_argerror(L, 1, "a domain expected, not a URL");
	lua_settop(L, 2);
	lua_pushnil(L); /* 3: callback error slot (no callbacks here) */
	lf = new_fetcher(L, 2, who);
	ud = lua_gettop(L);
	submit(L, lf, ud, 1, 0, who);
	h = lua_gettop(L);
	run(L, lf, ud, -1, 3);
	lua_pushcfunction(L, l_close);
	lua_pushvalue(L, ud);
	lua_call(L, 1, 0);
	lua_pushcfunction(L, l_h_result);
	lua_pushvalue(L, h);
	lua_call(L, 1, LUA_MULTRET);
	n = lua_gettop(L) - h;
	return n;
}

/***
 * GETs an https:// URL the RFC 8461 §3.3 way (see docs/fetch.md).
 * @function https_get
 * @tparam string url
 * @tparam table opts as for `mtasts.fetcher` (`resolver` is required)
 * @treturn table result `{ ok = true, code = "OK", message, url, host, addresses,
 *   connected_ip, status, content_type, body, size, location, elapsed_ms, tls }`
 * @return[2] nil, message, code, result
 * @usage local res, err, code = mtasts.https_get("https://mta-sts.example.com/", { resolver = r })
 */
static int l_https_get(lua_State *L)
{
	return blocking(L, "mtasts.https_get", 0);
}

/***
 * Fetches a domain's MTA-STS policy: `https_get` of
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` plus the policy rules
 * (status 200, text/plain, the diagnostic HTTP GET when HTTPS is unreachable).
 * @function fetch_policy
 * @tparam string domain (IDNA is converted to A-labels)
 * @tparam table opts as for `mtasts.fetcher`
 * @treturn table result (as https_get; plus `http_status` when every HTTPS attempt failed with CONNECT)
 * @return[2] nil, message, code, result
 * @usage local res, err, code = mtasts.fetch_policy("example.com", { resolver = r })
 */
static int l_fetch_policy(lua_State *L)
{
	return blocking(L, "mtasts.fetch_policy", 1);
}

static const luaL_Reg fetcher_methods[] = {
	{ "submit", l_submit },   { "step", l_step },     { "wait", l_wait },       { "pollfd", l_pollfd },
	{ "getfd", l_pollfd },    { "events", l_events }, { "timeout", l_timeout }, { "pending", l_pending },
	{ "close", l_close },     { NULL, NULL },
};

static const luaL_Reg handle_methods[] = {
	{ "result", l_h_result },
	{ "cancel", l_h_cancel },
	{ NULL, NULL },
};

void mts_open_fetch(lua_State *L)
{
	if (luaL_newmetatable(L, FETCHER_TYPE)) {
		luaL_newlib(L, fetcher_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__close");
		lua_pushcfunction(L, l_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, HANDLE_TYPE)) {
		luaL_newlib(L, handle_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_h_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_h_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, l_fetcher);
	lua_setfield(L, -2, "fetcher");
	lua_pushcfunction(L, l_https_get);
	lua_setfield(L, -2, "https_get");
	lua_pushcfunction(L, l_fetch_policy);
	lua_setfield(L, -2, "fetch_policy");
}
