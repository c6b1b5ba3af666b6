/* mtasts.prober and mtasts.smtp_probe: the Lua face of src/net/smtp_probe.c.
 *
 * Lifetimes: the prober userdata's user value is a table holding its
 * resolver (field resolver, so the resolver outlives it) and `pending`, a
 * table mapping each undelivered probe (light userdata of the C probe) to
 * its handle userdata. A handle's user value holds its prober, its callback
 * and, once delivered, its results. Socket and libunbound events only
 * record in C; Lua runs from step()/wait(), under pcall. */
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lopts.h"
#include "lpure.h"
#include "../net/smtp_probe.h"

#define PROBER_TYPE "mtasts.prober"
#define HANDLE_TYPE "mtasts.prober.handle"

struct lprober {
	struct mts_prober *p; /* NULL once closed */
};

enum hstate { H_PENDING, H_DONE, H_CANCELLED, H_CLOSED };

struct lhandle {
	struct mts_probe *pr; /* NULL once delivered, cancelled or closed */
	enum hstate state;
};

/* ---- the resolver behind a prober */

/* Tells the C prober when its resolver was closed, before anything can
 * touch the freed resolver. ud: the prober userdata (absolute index). */
static void sync_resolver(lua_State *L, int ud, struct lprober *lp)
{
	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "resolver");
	if (!lua_isnil(L, -1) && mts_lua_toresolver(L, -1) == NULL) {
		mts_prober_set_resolver(lp->p, NULL);
		lua_pushnil(L);
		lua_setfield(L, -3, "resolver");
	}
	lua_pop(L, 2);
}

static struct lprober *checkprober(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, PROBER_TYPE);
}

static struct lprober *checkopen(lua_State *L, int idx)
{
	struct lprober *lp = checkprober(L, idx);
	if (lp->p == NULL)
		luaL_error(L, "attempt to use a closed prober");
	sync_resolver(L, idx, lp);
	return lp;
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

static void push_hex(lua_State *L, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	luaL_Buffer b;
	size_t i;
	luaL_buffinit(L, &b);
	for (i = 0; i < n; i++) {
		luaL_addchar(&b, digits[p[i] >> 4]);
		luaL_addchar(&b, digits[p[i] & 15]);
	}
	luaL_pushresult(&b);
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

static void push_tls(lua_State *L, const struct mts_probe_addr *a)
{
	const struct mts_probe_tls *t = &a->tls;
	size_t i;
	lua_createtable(L, 0, 10);
	setbool(L, "handshake", t->handshake);
	if (!t->handshake)
		return;
	setstr(L, "version", t->version);
	setstr(L, "cipher", t->cipher);
	setbool(L, "legacy", a->legacy);
	setbool(L, "pkix_ok", t->pkix_ok);
	if (t->verify_error[0])
		setstr(L, "verify_error", t->verify_error);
	setbool(L, "hostname_ok", t->hostname_ok);
	if (t->have_cert) {
		push_cert(L, &t->cert);
		lua_setfield(L, -2, "cert");
	}
	lua_createtable(L, (int)t->nchain, 0);
	for (i = 0; i < t->nchain; i++) {
		push_cert(L, &t->chain[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "chain");
}

static void push_tlsa(lua_State *L, const struct mts_probe_result *r)
{
	size_t i;
	lua_createtable(L, (int)r->ntlsa, 0);
	for (i = 0; i < r->ntlsa; i++) {
		lua_createtable(L, 0, 4);
		setint(L, "usage", r->tlsa[i].usage);
		setint(L, "selector", r->tlsa[i].selector);
		setint(L, "mtype", r->tlsa[i].mtype);
		push_hex(L, r->tlsa[i].data, r->tlsa[i].len);
		lua_setfield(L, -2, "data");
		lua_rawseti(L, -2, (int)i + 1);
	}
}

static void push_dane(lua_State *L, const struct mts_probe_result *r, const struct mts_probe_addr *a)
{
	const struct mts_probe_dane *d = &a->dane;
	lua_createtable(L, 0, 7);
	push_tlsa(L, r);
	lua_setfield(L, -2, "tlsa");
	setstr(L, "dnssec", r->tlsa_failed && r->tlsa_dnssec != MTS_DNSSEC_BOGUS ? "unknown"
	                                                                       : mts_dnssec_name(r->tlsa_dnssec));
	if (r->tlsa_failed)
		setstr(L, "error", r->tlsa_error);
	setbool(L, "usable", d->usable);
	setbool(L, "ok", d->usable && d->checked && d->ok);
	if (d->bogus)
		setbool(L, "bogus", 1);
	if (d->reason[0])
		setstr(L, "reason", d->reason);
	if (d->ok) {
		lua_createtable(L, 0, 4);
		setint(L, "usage", d->match_usage);
		setint(L, "selector", d->match_selector);
		setint(L, "mtype", d->match_mtype);
		setint(L, "depth", d->match_depth);
		lua_setfield(L, -2, "match");
	}
}

static void push_addr(lua_State *L, const struct mts_probe_result *r, const struct mts_probe_addr *a)
{
	size_t i;
	lua_createtable(L, 0, 16);
	setstr(L, "host", r->host);
	setstr(L, "ip", a->ip);
	setint(L, "family", a->family);
	setstr(L, "dnssec", mts_dnssec_name(a->dnssec));
	setbool(L, "ok", a->ok);
	setstr(L, "code", a->ok ? "OK" : (a->code ? a->code : "CONNECT"));
	setstr(L, "message", a->message);
	setstr(L, "banner", a->banner);
	lua_createtable(L, (int)a->nehlo, 0);
	for (i = 0; i < a->nehlo; i++) {
		lua_pushstring(L, a->ehlo[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "ehlo");
	setbool(L, "starttls", a->starttls);
	push_tls(L, a);
	lua_setfield(L, -2, "tls");
	push_dane(L, r, a);
	lua_setfield(L, -2, "dane");
	setint(L, "elapsed_ms", a->elapsed_ms);
}

/* Pushes what smtp_probe returns for r; returns the number of values. */
static int push_return(lua_State *L, const struct mts_probe_result *r)
{
	size_t i;
	if (!r->resolved) {
		lua_pushnil(L);
		lua_pushstring(L, r->message);
		lua_pushstring(L, r->code ? r->code : "DNS_SERVFAIL");
		return 3;
	}
	lua_createtable(L, (int)r->naddrs, 0);
	for (i = 0; i < r->naddrs; i++) {
		push_addr(L, r, &r->addrs[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	return 1;
}

/* ---- delivering */

/* Stores the return values (n at the top) as r1..r3 in the table at uv. */
static void store_return(lua_State *L, int uv, int n)
{
	int i, base = lua_gettop(L) - n;
	static const char *const keys[] = { "r1", "r2", "r3" };
	for (i = 0; i < 3; i++) {
		if (i < n)
			lua_pushvalue(L, base + 1 + i);
		else
			lua_pushnil(L);
		lua_setfield(L, uv, keys[i]);
	}
	lua_pushinteger(L, n);
	lua_setfield(L, uv, "n");
}

/* Delivers every finished probe of the prober at ud: stores its result in
 * its handle and runs its callback under pcall (the first error is kept in
 * errslot). Returns the number delivered. */
static int deliver(lua_State *L, struct lprober *lp, int ud, int errslot)
{
	struct mts_probe *pr;
	int count = 0, pend;

	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "pending");
	pend = lua_gettop(L);
	while (lp->p != NULL && (pr = mts_prober_take_done(lp->p)) != NULL) {
		int top = lua_gettop(L), n;
		struct lhandle *lh;
		lua_pushlightuserdata(L, pr);
		lua_rawget(L, pend); /* top+1: the handle */
		lh = luaL_testudata(L, -1, HANDLE_TYPE);
		if (lh == NULL || lh->pr != pr) { /* cannot happen */
			mts_probe_free(pr);
			lua_settop(L, top);
			continue;
		}
		mts_getuservalue(L, top + 1); /* top+2 */
		lua_getfield(L, top + 2, "cb"); /* top+3 */
		n = push_return(L, mts_probe_result(pr));
		store_return(L, top + 2, n);
		lh->state = H_DONE;
		lh->pr = NULL;
		mts_probe_free(pr);
		lua_pushlightuserdata(L, pr);
		lua_pushnil(L);
		lua_rawset(L, pend);
		count++;
		if (lua_isfunction(L, top + 3)) {
			if (lua_pcall(L, n, 0, 0) != 0 && lua_isnil(L, errslot))
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

/* Waits up to ms (-1: forever) on the prober's fd, bounded by its timeout. */
static void block(struct mts_prober *p, int ms)
{
	int t = mts_prober_timeout_ms(p);
	struct pollfd pf;
	if (t == 0)
		return;
	if (ms >= 0 && (t < 0 || ms < t))
		t = ms;
	if (t < 0 && mts_prober_pending(p) == 0)
		return;
	pf.fd = mts_prober_fd(p);
	pf.events = POLLIN;
	pf.revents = 0;
	(void)poll(&pf, 1, t);
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

static const char *const option_keys[] = { "resolver", "ca_file", "ca_path", "timeout", "ehlo_name",
	                                       "mx_dnssec", "port", NULL };

/* The mx_dnssec value at idx (a string); raises when it is not one. */
static enum mts_dnssec check_dnssec(lua_State *L, int idx, const char *who)
{
	static const char *const names[] = { "unknown", "insecure", "secure", "bogus", NULL };
	const char *s = lua_tostring(L, idx);
	int i;
	for (i = 0; s && names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum mts_dnssec)i;
	luaL_error(L, "%s: option 'mx_dnssec' must be \"secure\", \"insecure\", \"bogus\" or \"unknown\"", who);
	return MTS_DNSSEC_UNKNOWN;
}

/* Checks the options table at t and pushes a new prober userdata. */
static struct lprober *new_prober(lua_State *L, int t, const char *who)
{
	struct lprober *lp;
	struct mts_probe_opts o;
	struct mts_resolver *r;
	char err[256];
	int ud, uv;

	r = mts_opt_resolver(L, t, who, option_keys,
	                     "the host's addresses and TLSA records are resolved only through it");
	memset(&o, 0, sizeof o);
	/* unlike the fetcher's, taken as any string: "" fails in mts_prober_new
	 * ("cannot read the CA store"), a NUL byte ends the name */
	if (mts_opt_get(L, t, who, "ca_file", LUA_TSTRING))
		o.ca_file = lua_tostring(L, -1);
	if (mts_opt_get(L, t, who, "ca_path", LUA_TSTRING))
		o.ca_path = lua_tostring(L, -1);
	if (mts_opt_get(L, t, who, "ehlo_name", LUA_TSTRING)) {
		size_t n, i;
		const char *s = lua_tolstring(L, -1, &n);
		if (n == 0 || n > 255)
			luaL_error(L, "%s: option 'ehlo_name' must be 1 to 255 characters", who);
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
				luaL_error(L, "%s: option 'ehlo_name' must be printable ASCII without spaces", who);
		o.ehlo_name = s;
	}
	o.timeout_ms = mts_opt_seconds(L, t, who, "timeout", MTS_PROBE_DEFAULT_TIMEOUT_MS);
	o.port = (int)mts_opt_integer(L, t, who, "port", 1, 65535, "an integer in 1-65535", 25);
	if (mts_opt_get(L, t, who, "mx_dnssec", LUA_TSTRING)) {
		check_dnssec(L, -1, who);
		lua_pop(L, 1);
	}

	lp = mts_newuserdata(L, sizeof *lp);
	ud = lua_gettop(L);
	lp->p = NULL;
	luaL_getmetatable(L, PROBER_TYPE);
	lua_setmetatable(L, ud);
	lua_createtable(L, 0, 3);
	uv = lua_gettop(L);
	lua_getfield(L, t, "resolver");
	lua_setfield(L, uv, "resolver");
	lua_newtable(L);
	lua_setfield(L, uv, "pending");
	lua_getfield(L, t, "mx_dnssec");
	lua_setfield(L, uv, "mx_dnssec");
	mts_setuservalue(L, ud);
	lp->p = mts_prober_new(r, &o, err, sizeof err);
	if (lp->p == NULL)
		luaL_error(L, "%s: %s", who, err);
	lua_settop(L, ud);
	return lp;
}

/* ---- submitting */

/* Submits the host at hi on the prober at ud, with per-probe options at oi
 * (0: none) and the callback at cbi (0: none); pushes the handle. */
static struct lhandle *submit(lua_State *L, struct lprober *lp, int ud, int hi, int oi, int cbi, const char *who)
{
	struct lhandle *lh;
	enum mts_dnssec mx = MTS_DNSSEC_UNKNOWN;
	size_t n;
	const char *host = luaL_checklstring(L, hi, &n);
	int h;

	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "mx_dnssec");
	if (!lua_isnil(L, -1))
		mx = check_dnssec(L, -1, who);
	lua_pop(L, 2);
	if (oi) {
		lua_pushnil(L);
		while (lua_next(L, oi) != 0) {
			if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "mx_dnssec") != 0)
				luaL_error(L, "%s: unknown per-probe option '%s' (only mx_dnssec)", who,
				           lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "%s: option 'mx_dnssec' must be a string", who);
			mx = check_dnssec(L, -1, who);
			lua_pop(L, 1);
		}
	}
	lh = mts_newuserdata(L, sizeof *lh);
	h = lua_gettop(L);
	lh->pr = NULL;
	lh->state = H_PENDING;
	luaL_getmetatable(L, HANDLE_TYPE);
	lua_setmetatable(L, h);
	lua_createtable(L, 0, 6);
	lua_pushvalue(L, ud);
	lua_setfield(L, -2, "prober");
	if (cbi) {
		lua_pushvalue(L, cbi);
		lua_setfield(L, -2, "cb");
	}
	mts_setuservalue(L, h);
	/* a NUL byte or an empty name fails as BAD_NAME through the resolver */
	lh->pr = mts_prober_submit(lp->p, strlen(host) == n ? host : "", mx, NULL);
	if (lh->pr == NULL)
		luaL_error(L, "not enough memory");
	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "pending");
	lua_pushlightuserdata(L, lh->pr);
	lua_pushvalue(L, h);
	lua_rawset(L, -3);
	lua_settop(L, h);
	return lh;
}

/***
 * Starts a probe without blocking; the result comes through step()/wait().
 * @function prober:submit
 * @tparam string host an MX host name
 * @tparam[opt] table opts per-probe options: `{ mx_dnssec = "secure" }` (the
 *   DNSSEC status of the MX RRset that named this host; default: the prober's)
 * @tparam[opt] function callback called from step()/wait() with what
 *   smtp_probe returns: `callback(results)` or `callback(nil, message, code)`
 * @treturn userdata handle, with `h:result()` and `h:cancel()`
 * @usage local h = p:submit("mx1.example.com", { mx_dnssec = "secure" }, function(res) ... end)
 */
static int l_submit(lua_State *L)
{
	struct lprober *lp = checkopen(L, 1);
	int oi = 0, cbi = 0;
	luaL_checkstring(L, 2);
	lua_settop(L, 4);
	if (lua_istable(L, 3)) {
		oi = 3;
		if (!lua_isnil(L, 4)) {
			luaL_checktype(L, 4, LUA_TFUNCTION);
			cbi = 4;
		}
	} else if (!lua_isnil(L, 3)) {
		luaL_checktype(L, 3, LUA_TFUNCTION);
		cbi = 3;
		if (!lua_isnil(L, 4))
			luaL_argerror(L, 4, "nothing expected after the callback");
	} else if (!lua_isnil(L, 4)) {
		luaL_checktype(L, 4, LUA_TFUNCTION);
		cbi = 4;
	}
	submit(L, lp, 1, 2, oi, cbi, "prober:submit");
	return 1;
}

/***
 * Runs what is ready without blocking (or waiting up to `timeout` seconds
 * for something to happen): socket events, deadlines, DNS answers; delivers
 * finished probes and runs their callbacks (under pcall; the first callback
 * error is raised after every probe was delivered).
 * @function prober:step
 * @tparam[opt=0] number timeout
 * @treturn integer the number of probes delivered
 */
static int l_step(lua_State *L)
{
	struct lprober *lp = checkopen(L, 1);
	lua_Number t = luaL_optnumber(L, 2, 0);
	int n;
	lua_settop(L, 1);
	lua_pushnil(L); /* 2: the first callback error */
	if (t > 0)
		block(lp->p, ms_from_seconds(t));
	mts_prober_step(lp->p);
	n = deliver(L, lp, 1, 2);
	raise_kept(L, 2);
	lua_pushinteger(L, n);
	return 1;
}

/* Runs the prober at ud until nothing is pending or secs (< 0: no limit)
 * passed. Returns 1 when nothing is pending. */
static int run(lua_State *L, struct lprober *lp, int ud, lua_Number secs, int errslot)
{
	double end = secs >= 0 ? mono() + secs : 0;
	for (;;) {
		int ms = -1;
		sync_resolver(L, ud, lp);
		mts_prober_step(lp->p);
		deliver(L, lp, ud, errslot);
		if (mts_prober_pending(lp->p) == 0)
			return 1;
		if (secs >= 0) {
			double left = end - mono();
			if (left <= 0)
				return 0;
			ms = ms_from_seconds(left);
		}
		block(lp->p, ms);
	}
}

/***
 * Blocks until every submitted probe has been delivered (callbacks run).
 * @function prober:wait
 * @tparam[opt] number seconds give up after this long
 * @treturn true
 * @return[2] nil, message, "TIMEOUT" when seconds passed first
 * @usage p:wait()
 */
static int l_wait(lua_State *L)
{
	struct lprober *lp = checkopen(L, 1);
	lua_Number secs = luaL_optnumber(L, 2, -1);
	int done;
	lua_settop(L, 1);
	lua_pushnil(L); /* 2 */
	done = run(L, lp, 1, secs, 2);
	raise_kept(L, 2);
	if (!done) {
		lua_pushnil(L);
		lua_pushliteral(L, "probes still pending");
		lua_pushliteral(L, "TIMEOUT");
		return 3;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * The fd to poll for reading (cqueues' pollable protocol); also getfd().
 * @function prober:pollfd
 * @treturn integer fd
 */
static int l_pollfd(lua_State *L)
{
	lua_pushinteger(L, mts_prober_fd(checkopen(L, 1)->p));
	return 1;
}

/***
 * The events to poll for: always "r".
 * @function prober:events
 */
static int l_events(lua_State *L)
{
	checkopen(L, 1);
	lua_pushliteral(L, "r");
	return 1;
}

/***
 * Seconds until step() must run even if the fd stays quiet (0 when probes
 * are finished), or nil when nothing is pending.
 * @function prober:timeout
 */
static int l_timeout(lua_State *L)
{
	int ms = mts_prober_timeout_ms(checkopen(L, 1)->p);
	if (ms < 0)
		lua_pushnil(L);
	else
		lua_pushnumber(L, ms / 1000.0);
	return 1;
}

/***
 * The number of probes submitted and not yet delivered.
 * @function prober:pending
 */
static int l_pending(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mts_prober_pending(checkopen(L, 1)->p));
	return 1;
}

/***
 * Closes the prober: pending probes are dropped (their result becomes nil,
 * "the prober was closed", "CANCELLED"; callbacks are not called), their
 * connections closed. Idempotent; also __gc and __close. The resolver is
 * not closed.
 * @function prober:close
 */
static int l_close(lua_State *L)
{
	struct lprober *lp = checkprober(L, 1);
	if (lp->p == NULL)
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
					lh->pr = NULL; /* freed with the prober */
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	mts_prober_free(lp->p);
	lp->p = NULL;
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
	struct lprober *lp = checkprober(L, 1);
	if (lp->p == NULL)
		lua_pushfstring(L, PROBER_TYPE " (closed): %p", (void *)lp);
	else
		lua_pushfstring(L, PROBER_TYPE " (open, %d pending): %p", (int)mts_prober_pending(lp->p), (void *)lp);
	return 1;
}

/* ---- handles */

static struct lhandle *checkhandle(lua_State *L)
{
	return luaL_checkudata(L, 1, HANDLE_TYPE);
}

/***
 * The probe's result once delivered: what `smtp_probe` would have returned.
 * @function handle:result
 * @treturn table results, one per address
 * @return[2] nil, message, code when the host does not resolve
 * @return[3] nil, "pending" before delivery; nil, message, "CANCELLED" after
 *   cancel() or the prober's close()
 */
static int l_h_result(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	int n;
	switch (lh->state) {
	case H_PENDING:
		lua_pushnil(L);
		lua_pushliteral(L, "pending");
		return 2;
	case H_CANCELLED:
	case H_CLOSED:
		lua_pushnil(L);
		if (lh->state == H_CANCELLED)
			lua_pushliteral(L, "the probe was cancelled");
		else
			lua_pushliteral(L, "the prober was closed");
		lua_pushliteral(L, "CANCELLED");
		return 3;
	case H_DONE:
		break;
	}
	lua_settop(L, 1);
	mts_getuservalue(L, 1);
	lua_getfield(L, 2, "n");
	n = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, 2, "r1");
	if (n > 1)
		lua_getfield(L, 2, "r2");
	if (n > 2)
		lua_getfield(L, 2, "r3");
	return n < 1 ? 1 : (n > 3 ? 3 : n);
}

/***
 * Cancels a pending probe (its connections are closed): its callback never runs.
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
	lua_getfield(L, -1, "prober");
	mts_getuservalue(L, -1);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "pending");
		if (lua_istable(L, -1)) {
			lua_pushlightuserdata(L, lh->pr);
			lua_pushnil(L);
			lua_rawset(L, -3);
		}
	}
	mts_probe_free(lh->pr);
	lh->pr = NULL;
	lh->state = H_CANCELLED;
	lua_pushboolean(L, 1);
	return 1;
}

static int l_h_gc(lua_State *L)
{
	struct lhandle *lh = checkhandle(L);
	/* pending handles are anchored by their prober: this runs only when
	 * the prober is garbage too, before or after its own __gc */
	if (lh->pr != NULL) {
		mts_probe_free(lh->pr);
		lh->pr = NULL;
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

/* ---- constructors and the blocking call */

/***
 * Creates a prober: many SMTP STARTTLS probes at once on one pollable fd.
 * @function prober
 * @tparam table opts `{ resolver (required), ca_file, ca_path, timeout = 30,
 *   ehlo_name = "localhost", mx_dnssec = "unknown", port = 25 }` (unknown keys raise)
 * @treturn userdata prober
 * @usage local p = mtasts.prober{ resolver = r, ca_file = "ca.pem", timeout = 10 }
 */
static int l_prober(lua_State *L)
{
	lua_settop(L, 1);
	new_prober(L, 1, "mtasts.prober");
	return 1;
}

/***
 * Probes an MX host the way an enforcing sender would: for each of its
 * addresses, connect, banner, EHLO, STARTTLS, TLS handshake (SNI = host),
 * QUIT; PKIX and DANE verdicts from the one handshake (see docs/probe.md).
 * @function smtp_probe
 * @tparam string host
 * @tparam table opts as for `mtasts.prober` (`resolver` is required)
 * @treturn table results, one per address: `{ host, ip, family, dnssec, ok,
 *   code, message, banner, ehlo, starttls, tls, dane, elapsed_ms }`
 * @return[2] nil, message, code when the host does not resolve ("DNS_*" or "BAD_NAME")
 * @usage local res, err, code = mtasts.smtp_probe("mx1.example.com", { resolver = r, mx_dnssec = "secure" })
 */
static int l_smtp_probe(lua_State *L)
{
	struct lprober *lp;
	int ud, h;
	luaL_checkstring(L, 1);
	lua_settop(L, 2);
	lua_pushnil(L); /* 3: callback error slot (no callbacks here) */
	lp = new_prober(L, 2, "mtasts.smtp_probe");
	ud = lua_gettop(L);
	submit(L, lp, ud, 1, 0, 0, "mtasts.smtp_probe");
	h = lua_gettop(L);
	run(L, lp, ud, -1, 3);
	lua_pushcfunction(L, l_close);
	lua_pushvalue(L, ud);
	lua_call(L, 1, 0);
	lua_pushcfunction(L, l_h_result);
	lua_pushvalue(L, h);
	lua_call(L, 1, LUA_MULTRET);
	return lua_gettop(L) - h;
}

static const luaL_Reg prober_methods[] = {
	{ "submit", l_submit },   { "step", l_step },     { "wait", l_wait },       { "pollfd", l_pollfd },
	{ "getfd", l_pollfd },    { "events", l_events }, { "timeout", l_timeout }, { "pending", l_pending },
	{ "close", l_close },     { NULL, NULL },
};

static const luaL_Reg handle_methods[] = {
	{ "result", l_h_result },
	{ "cancel", l_h_cancel },
	{ NULL, NULL },
};

void mts_open_probe(lua_State *L)
{
	if (luaL_newmetatable(L, PROBER_TYPE)) {
		luaL_newlib(L, prober_methods);
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
	lua_pushcfunction(L, l_prober);
	lua_setfield(L, -2, "prober");
	lua_pushcfunction(L, l_smtp_probe);
	lua_setfield(L, -2, "smtp_probe");
}
