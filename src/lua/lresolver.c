/* mtasts.resolver: the Lua face of src/dns/resolver.c.
 *
 * Lifetimes: the resolver userdata's user value is a table mapping each
 * undelivered query (light userdata of the C query) to its query userdata,
 * so pending queries stay alive; a query's user value holds its resolver
 * (field r), its callback (cb) and, once delivered, its result. libunbound
 * callbacks only record results in C; Lua runs in step(), under pcall. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lopts.h"
#include "lpure.h"
#include "../dns/rdata.h"
#include "../dns/resolver.h"

#define RESOLVER_TYPE "mtasts.resolver"
#define QUERY_TYPE "mtasts.resolver.query"
#define DEFAULT_TA_FILE "/usr/share/dns/root.key"
#define WHO "mtasts.resolver" /* leads every constructor error */

struct lres {
	struct mts_resolver *r; /* NULL once closed */
};

enum qstate { Q_PENDING, Q_DONE, Q_CANCELLED, Q_CLOSED };

struct lquery {
	struct mts_query *q; /* NULL once delivered, cancelled or collected */
	enum qstate state;
};

static struct lres *checkres(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, RESOLVER_TYPE);
}

static struct mts_resolver *checkopen(lua_State *L, int idx)
{
	struct lres *lr = checkres(L, idx);
	if (lr->r == NULL)
		luaL_error(L, "attempt to use a closed resolver");
	return lr->r;
}

static int fail3(lua_State *L, const char *msg, const char *code)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	lua_pushstring(L, code);
	return 3;
}

/* ---- answers as plain tables */

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

static unsigned u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long u32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static void setint(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

/* Pushes a name from rdata at *off, or returns 0 if malformed. */
static int push_name(lua_State *L, const unsigned char *p, size_t n, size_t *off)
{
	char buf[MTS_NAME_TEXT_MAX];
	if (mts_wire_name(p, n, off, buf) != 0)
		return 0;
	lua_pushstring(L, buf);
	return 1;
}

/* Pushes one record parsed by type; returns 0 (nothing pushed) if the
 * rdata does not fit the type, so the caller falls back to hex. */
static int push_rdata(lua_State *L, int type, const unsigned char *p, size_t n)
{
	char text[MTS_ADDRSTRLEN];
	size_t off = 0, i, count;
	luaL_Buffer b;

	switch (type) {
	case 1: /* A */
	case 28: /* AAAA */
		if (n != (type == 1 ? 4u : 16u) || !inet_ntop(type == 1 ? AF_INET : AF_INET6, p, text, sizeof text))
			return 0;
		lua_pushstring(L, text);
		return 1;
	case 2: case 5: case 12: case 39: /* NS CNAME PTR DNAME */
		if (!push_name(L, p, n, &off))
			return 0;
		if (off != n) {
			lua_pop(L, 1);
			return 0;
		}
		return 1;
	case 15: /* MX */
		off = 2;
		if (n < 3 || !push_name(L, p, n, &off))
			return 0;
		if (off != n) {
			lua_pop(L, 1);
			return 0;
		}
		lua_createtable(L, 0, 2);
		lua_insert(L, -2);
		lua_setfield(L, -2, "exchange");
		setint(L, "preference", u16(p));
		return 1;
	case 16: /* TXT */
		for (count = 0; off < n; count++)
			off += 1 + p[off];
		if (off != n)
			return 0;
		lua_createtable(L, 0, 2);
		lua_createtable(L, (int)count, 0);
		for (off = 0, i = 1; off < n; i++) {
			lua_pushlstring(L, (const char *)p + off + 1, p[off]);
			lua_rawseti(L, -2, (int)i);
			off += 1 + p[off];
		}
		lua_setfield(L, -2, "strings");
		luaL_buffinit(L, &b);
		for (off = 0; off < n; off += 1 + p[off])
			luaL_addlstring(&b, (const char *)p + off + 1, p[off]);
		luaL_pushresult(&b);
		lua_setfield(L, -2, "text");
		return 1;
	case 52: /* TLSA */
	case 53: /* SMIMEA */
		if (n < 3)
			return 0;
		lua_createtable(L, 0, 4);
		setint(L, "usage", p[0]);
		setint(L, "selector", p[1]);
		setint(L, "mtype", p[2]);
		push_hex(L, p + 3, n - 3);
		lua_setfield(L, -2, "data");
		return 1;
	case 43: /* DS */
	case 59: /* CDS */
		if (n < 4)
			return 0;
		lua_createtable(L, 0, 4);
		setint(L, "key_tag", u16(p));
		setint(L, "algorithm", p[2]);
		setint(L, "digest_type", p[3]);
		push_hex(L, p + 4, n - 4);
		lua_setfield(L, -2, "digest");
		return 1;
	case 48: /* DNSKEY */
	case 60: /* CDNSKEY */
		if (n < 4)
			return 0;
		lua_createtable(L, 0, 4);
		setint(L, "flags", u16(p));
		setint(L, "protocol", p[2]);
		setint(L, "algorithm", p[3]);
		setint(L, "key_tag", mts_dnskey_tag(p, n));
		return 1;
	case 6: /* SOA */
		lua_createtable(L, 0, 7);
		if (!push_name(L, p, n, &off)) {
			lua_pop(L, 1);
			return 0;
		}
		lua_setfield(L, -2, "mname");
		if (!push_name(L, p, n, &off)) {
			lua_pop(L, 1);
			return 0;
		}
		if (n - off != 20) {
			lua_pop(L, 2);
			return 0;
		}
		lua_setfield(L, -2, "rname");
		setint(L, "serial", (lua_Integer)u32(p + off));
		setint(L, "refresh", (lua_Integer)u32(p + off + 4));
		setint(L, "retry", (lua_Integer)u32(p + off + 8));
		setint(L, "expire", (lua_Integer)u32(p + off + 12));
		setint(L, "minimum", (lua_Integer)u32(p + off + 16));
		return 1;
	default:
		return 0;
	}
}

static void push_type(lua_State *L, int type)
{
	const char *name = mts_rrtype_name(type);
	if (name)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, "TYPE%d", type);
}

/* Pushes q:result()'s values for a finished C query; returns their number. */
static int push_result(lua_State *L, const struct mts_dns_answer *a)
{
	size_t i, len;
	const char *rc;

	if (a->status != MTS_DNS_OK)
		return fail3(L, a->message ? a->message : "query failed", mts_dns_status_code(a->status));
	lua_createtable(L, 0, 11);
	lua_pushstring(L, a->qname);
	lua_setfield(L, -2, "name");
	push_type(L, a->qtype);
	lua_setfield(L, -2, "type");
	rc = mts_rcode_name(a->rcode);
	if (rc)
		lua_pushstring(L, rc);
	else
		lua_pushfstring(L, "RCODE%d", a->rcode);
	lua_setfield(L, -2, "rcode");
	lua_pushstring(L, mts_dnssec_name(a->dnssec));
	lua_setfield(L, -2, "dnssec");
	if (a->dnssec == MTS_DNSSEC_BOGUS) {
		lua_pushstring(L, a->why_bogus ? a->why_bogus : "DNSSEC validation failed");
		lua_setfield(L, -2, "why_bogus");
	}
	setint(L, "ttl", a->ttl);
	/* libunbound's canonname ends with a dot; answers name things without */
	if (a->canonname != NULL && (len = strlen(a->canonname)) > 0) {
		lua_pushlstring(L, a->canonname, len > 1 && a->canonname[len - 1] == '.' ? len - 1 : len);
	} else {
		len = strlen(a->qname);
		lua_pushlstring(L, a->qname, len > 1 && a->qname[len - 1] == '.' ? len - 1 : len);
	}
	lua_setfield(L, -2, "canonname");
	lua_pushboolean(L, a->nxdomain);
	lua_setfield(L, -2, "nxdomain");
	lua_pushboolean(L, a->nodata);
	lua_setfield(L, -2, "nodata");
	lua_createtable(L, (int)a->count, 0);
	for (i = 0; i < a->count; i++) {
		if (!push_rdata(L, a->qtype, a->rdata[i], (size_t)a->rdlen[i]))
			push_hex(L, a->rdata[i], (size_t)a->rdlen[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "records");
	return 1;
}

/* ---- arguments */

static int check_qtype(lua_State *L, int arg)
{
	int t;
	if (lua_type(L, arg) == LUA_TNUMBER) {
		lua_Number n = lua_tonumber(L, arg);
		if (n != floor(n) || n < 0 || n > 65535)
			return luaL_argerror(L, arg, "RR type number out of range 0-65535");
		return (int)n;
	}
	if (lua_type(L, arg) != LUA_TSTRING)
		return luaL_argerror(L, arg, "RR type name or number expected");
	t = mts_rrtype_from_name(lua_tostring(L, arg));
	if (t < 0)
		return luaL_argerror(L, arg, lua_pushfstring(L, "unknown RR type '%s'", lua_tostring(L, arg)));
	return t;
}

/* The name argument; NULL (with *why) if it holds a NUL byte. */
static const char *check_qname(lua_State *L, int arg)
{
	size_t len;
	const char *s = mts_checkstring(L, arg, &len);
	if (strlen(s) != len)
		return NULL;
	return s;
}

/* ---- the blocking query */

static void blocking_done(struct mts_query *q, void *arg)
{
	(void)q;
	*(int *)arg = 1;
}

/***
 * Resolves a name, blocking until the answer or the timeout.
 * @function resolver:query
 * @tparam string name e.g. "_mta-sts.example.com"
 * @tparam string|integer qtype e.g. "TXT" or 16
 * @treturn table answer `{ name, type, rcode, dnssec, why_bogus, ttl, canonname, nxdomain, nodata, records }`
 * @return[2] nil, message, code ("TIMEOUT", "SERVFAIL", "REFUSED", "NETWORK", "BAD_NAME")
 * @usage local a, err, code = r:query("_mta-sts.example.com", "TXT")
 */
static int l_query(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	const char *name = check_qname(L, 2);
	int qtype = check_qtype(L, 3), done = 0, n;
	struct mts_query *q;

	if (name == NULL)
		return fail3(L, "not a DNS name: a NUL byte", "BAD_NAME");
	q = mts_resolver_submit(r, name, qtype, blocking_done, &done);
	if (q == NULL)
		return luaL_error(L, "not enough memory");
	while (!done)
		mts_resolver_wait(r, -1);
	n = push_result(L, mts_query_answer(q));
	mts_query_free(q);
	return n;
}

/* ---- the non-blocking interface */

/***
 * Starts a query without blocking; the answer comes through step()/wait().
 * A bad name does not raise: the query fails with "BAD_NAME" at the next step.
 * @function resolver:submit
 * @tparam string name
 * @tparam string|integer qtype
 * @tparam[opt] function callback called from step() as `callback(answer)` or
 *   `callback(nil, message, code)`
 * @treturn userdata query, with `q:result()` and `q:cancel()`
 * @usage local q = r:submit("example.com", "MX", function(a, err) ... end)
 */
static int l_submit(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	const char *name = check_qname(L, 2);
	int qtype = check_qtype(L, 3);
	struct lquery *lq;

	if (!lua_isnoneornil(L, 4))
		luaL_checktype(L, 4, LUA_TFUNCTION);
	lua_settop(L, 4);
	lq = mts_newuserdata(L, sizeof *lq); /* 5 */
	lq->q = NULL;
	lq->state = Q_PENDING;
	luaL_getmetatable(L, QUERY_TYPE);
	lua_setmetatable(L, 5);
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "r");
	lua_pushvalue(L, 4);
	lua_setfield(L, -2, "cb");
	mts_setuservalue(L, 5);
	/* a NUL byte in the name: submit "" so that it fails as BAD_NAME in order */
	lq->q = mts_resolver_submit(r, name ? name : "", qtype, NULL, NULL);
	if (lq->q == NULL)
		return luaL_error(L, "not enough memory");
	mts_getuservalue(L, 1);
	lua_pushlightuserdata(L, lq->q);
	lua_pushvalue(L, 5);
	lua_rawset(L, -3);
	lua_pop(L, 1);
	return 1;
}

/* Delivers every finished query; a callback's error is kept in slot errslot
 * (the first one). Returns the number delivered. */
static int deliver(lua_State *L, struct lres *lr, int ridx, int errslot)
{
	struct mts_query *cq;
	int count = 0;

	mts_getuservalue(L, ridx);
	/* lr->r is read afresh each time: a callback may close the resolver */
	while (lr->r != NULL && (cq = mts_resolver_take_done(lr->r)) != NULL) {
		struct lquery *lq;
		int top = lua_gettop(L), n, i;
		lua_pushlightuserdata(L, cq);
		lua_rawget(L, top);
		lq = luaL_testudata(L, -1, QUERY_TYPE);
		if (lq == NULL || lq->q != cq) { /* cannot happen: not ours */
			mts_query_free(cq);
			lua_settop(L, top);
			continue;
		}
		/* top+1 = query; its user value at top+2 */
		mts_getuservalue(L, top + 1);
		n = push_result(L, mts_query_answer(cq));
		for (i = 0; i < 3; i++) {
			if (i < n)
				lua_pushvalue(L, top + 3 + i);
			else
				lua_pushnil(L);
			lua_setfield(L, top + 2, i == 0 ? "answer" : i == 1 ? "message" : "code");
		}
		lq->state = Q_DONE;
		lq->q = NULL;
		mts_query_free(cq);
		lua_pushlightuserdata(L, cq);
		lua_pushnil(L);
		lua_rawset(L, top);
		count++;
		lua_getfield(L, top + 2, "cb");
		if (lua_isfunction(L, -1)) {
			lua_insert(L, top + 3);
			if (lua_pcall(L, n, 0, 0) != 0 && lua_isnil(L, errslot))
				lua_replace(L, errslot);
		}
		lua_settop(L, top);
	}
	lua_pop(L, 1);
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

static int ms_from_seconds(lua_Number s)
{
	if (!(s > 0))
		return 0;
	if (s > 2000000)
		return 2000000000;
	return (int)ceil(s * 1000);
}

/***
 * Delivers finished answers: reads libunbound's results, times out overdue
 * queries, runs callbacks (under pcall; the first callback error is raised
 * after every answer was delivered).
 * @function resolver:step
 * @tparam[opt=0] number timeout seconds to wait for something to finish
 * @treturn integer the number of queries delivered
 * @usage while r:pending() > 0 do r:step(1) end
 */
static int l_step(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	lua_Number t = luaL_optnumber(L, 2, 0);
	int n;
	lua_settop(L, 1);
	lua_pushnil(L); /* 2: the first callback error */
	if (t > 0 && mts_resolver_timeout_ms(r) != 0)
		mts_resolver_wait(r, ms_from_seconds(t));
	else
		mts_resolver_process(r);
	n = deliver(L, checkres(L, 1), 1, 2);
	raise_kept(L, 2);
	lua_pushinteger(L, n);
	return 1;
}

/***
 * Blocks until every submitted query has been delivered (callbacks run).
 * @function resolver:wait
 * @tparam[opt] number seconds give up after this long
 * @treturn true
 * @return[2] nil, message, "TIMEOUT" when seconds passed first
 * @usage r:wait()
 */
static int l_wait(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	struct lres *lr = checkres(L, 1);
	lua_Number secs = luaL_optnumber(L, 2, -1);
	struct timespec ts;
	double end = 0;

	lua_settop(L, 1);
	lua_pushnil(L); /* 2 */
	if (secs >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		end = (double)ts.tv_sec + ts.tv_nsec / 1e9 + secs;
	}
	for (;;) {
		int ms = -1;
		deliver(L, lr, 1, 2);
		if (lr->r == NULL || mts_resolver_pending(r) == 0)
			break; /* all delivered, or a callback closed the resolver */
		if (secs >= 0) {
			double left;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			left = end - ((double)ts.tv_sec + ts.tv_nsec / 1e9);
			if (left <= 0) {
				raise_kept(L, 2);
				return fail3(L, "queries still pending", "TIMEOUT");
			}
			ms = ms_from_seconds(left);
		}
		mts_resolver_wait(r, ms);
	}
	raise_kept(L, 2);
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * The fd to poll for reading (cqueues' pollable protocol); also getfd().
 * @function resolver:pollfd
 * @treturn integer fd
 */
static int l_pollfd(lua_State *L)
{
	lua_pushinteger(L, mts_resolver_fd(checkopen(L, 1)));
	return 1;
}

/***
 * The events to poll for: always "r".
 * @function resolver:events
 */
static int l_events(lua_State *L)
{
	checkopen(L, 1);
	lua_pushliteral(L, "r");
	return 1;
}

/***
 * Seconds until step() must run even if the fd stays quiet (the next
 * deadline; 0 when answers are ready), or nil when nothing is pending.
 * @function resolver:timeout
 */
static int l_timeout(lua_State *L)
{
	int ms = mts_resolver_timeout_ms(checkopen(L, 1));
	if (ms < 0)
		lua_pushnil(L);
	else
		lua_pushnumber(L, ms / 1000.0);
	return 1;
}

/***
 * The number of queries submitted and not yet delivered.
 * @function resolver:pending
 */
static int l_pending(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mts_resolver_pending(checkopen(L, 1)));
	return 1;
}

/***
 * Closes the resolver: pending queries are dropped (their result becomes
 * nil, "the resolver was closed", "CANCELLED"; callbacks are not called).
 * Idempotent; also __gc and __close.
 * @function resolver:close
 */
static int l_close(lua_State *L)
{
	struct lres *lr = checkres(L, 1);
	if (lr->r == NULL)
		return 0;
	mts_getuservalue(L, 1);
	if (lua_istable(L, -1)) {
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			struct lquery *lq = luaL_testudata(L, -1, QUERY_TYPE);
			if (lq != NULL && lq->state == Q_PENDING)
				lq->state = Q_CLOSED;
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	/* the C queries are detached; each query userdata frees its own */
	mts_resolver_free(lr->r);
	lr->r = NULL;
	lua_newtable(L);
	mts_setuservalue(L, 1);
	return 0;
}

static int l_res_tostring(lua_State *L)
{
	struct lres *lr = checkres(L, 1);
	if (lr->r == NULL)
		lua_pushfstring(L, RESOLVER_TYPE " (closed): %p", (void *)lr);
	else
		lua_pushfstring(L, RESOLVER_TYPE " (open, %d pending): %p", (int)mts_resolver_pending(lr->r),
		                (void *)lr);
	return 1;
}

/* ---- queries */

static struct lquery *checkquery(lua_State *L)
{
	return luaL_checkudata(L, 1, QUERY_TYPE);
}

/***
 * The query's result once delivered by step()/wait().
 * @function query:result
 * @treturn table answer
 * @return[2] nil, "pending" before delivery
 * @return[3] nil, message, code (also "CANCELLED" after cancel() or close())
 */
static int l_q_result(lua_State *L)
{
	struct lquery *lq = checkquery(L);
	switch (lq->state) {
	case Q_PENDING:
		lua_pushnil(L);
		lua_pushliteral(L, "pending");
		return 2;
	case Q_CANCELLED:
		return fail3(L, "the query was cancelled", "CANCELLED");
	case Q_CLOSED:
		return fail3(L, "the resolver was closed", "CANCELLED");
	case Q_DONE:
		break;
	}
	lua_settop(L, 1);
	mts_getuservalue(L, 1);
	lua_getfield(L, 2, "answer");
	if (!lua_isnil(L, 3))
		return 1;
	lua_getfield(L, 2, "message");
	lua_getfield(L, 2, "code");
	return 3;
}

/***
 * Cancels a pending query: it is never delivered and its callback never runs.
 * @function query:cancel
 * @treturn boolean true if it was pending
 */
static int l_q_cancel(lua_State *L)
{
	struct lquery *lq = checkquery(L);
	if (lq->state != Q_PENDING)
		return lua_pushboolean(L, 0), 1;
	mts_getuservalue(L, 1);
	lua_getfield(L, -1, "r");
	mts_getuservalue(L, -1);
	if (lua_istable(L, -1)) {
		lua_pushlightuserdata(L, lq->q);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	mts_query_free(lq->q);
	lq->q = NULL;
	lq->state = Q_CANCELLED;
	lua_pushboolean(L, 1);
	return 1;
}

static int l_q_gc(lua_State *L)
{
	struct lquery *lq = checkquery(L);
	mts_query_free(lq->q);
	lq->q = NULL;
	return 0;
}

static int l_q_tostring(lua_State *L)
{
	struct lquery *lq = checkquery(L);
	static const char *const names[] = { "pending", "done", "cancelled", "closed" };
	lua_pushfstring(L, QUERY_TYPE " (%s): %p", names[lq->state], (void *)lq);
	return 1;
}

/* ---- the constructor */

static const char *const option_keys[] = { "trust_anchor_file", "trust_anchors", "root_hints", "forwarders",
	                                        "resolv_conf", "timeout", "options", NULL };

static void cfg_fail(lua_State *L, struct mts_resolver *r)
{
	luaL_error(L, WHO ": %s", mts_resolver_error(r));
}

/* Applies an array of strings at the top of the stack with fn. */
static void each_string(lua_State *L, struct mts_resolver *r, const char *key,
                        int (*fn)(struct mts_resolver *, const char *))
{
	int i, n = (int)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, WHO ": option '%s' must be an array of strings", key);
		if (fn(r, lua_tostring(L, -1)) != 0)
			cfg_fail(L, r);
		lua_pop(L, 1);
	}
}

static void apply_options(lua_State *L, int t, struct mts_resolver *r)
{
	int servers = 0, anchors = 0;

	if (mts_opt_get_oneof(L, t, WHO, "timeout", LUA_TNUMBER, LUA_TNUMBER)) {
		mts_resolver_set_timeout_ms(r, mts_opt_tomillis(L, -1, WHO, "timeout"));
		lua_pop(L, 1);
	}
	if (mts_opt_get_oneof(L, t, WHO, "forwarders", LUA_TTABLE, LUA_TTABLE)) {
		each_string(L, r, "forwarders", mts_resolver_add_forwarder);
		servers = 1;
		lua_pop(L, 1);
	}
	if (mts_opt_get_oneof(L, t, WHO, "resolv_conf", LUA_TBOOLEAN, LUA_TSTRING)) {
		if (lua_type(L, -1) == LUA_TSTRING) {
			if (mts_resolver_set_resolvconf(r, lua_tostring(L, -1)) != 0)
				cfg_fail(L, r);
			servers = 1;
		} else if (lua_toboolean(L, -1)) {
			if (mts_resolver_set_resolvconf(r, NULL) != 0)
				cfg_fail(L, r);
			servers = 1;
		}
		lua_pop(L, 1);
	}
	if (mts_opt_get_oneof(L, t, WHO, "root_hints", LUA_TSTRING, LUA_TSTRING)) {
		if (mts_resolver_set_root_hints(r, lua_tostring(L, -1)) != 0)
			cfg_fail(L, r);
		servers = 1;
		lua_pop(L, 1);
	}
	/* Configured servers are often on loopback (a local unbound, a
	 * testbed); libunbound ignores those by default. options can undo it. */
	if (servers && mts_resolver_set_option(r, "do-not-query-localhost:", "no") != 0)
		cfg_fail(L, r);
	if (mts_opt_get_oneof(L, t, WHO, "options", LUA_TTABLE, LUA_TTABLE)) {
		int i, n = (int)lua_rawlen(L, -1);
		for (i = 1; i <= n; i++) {
			const char *name, *value;
			int top = lua_gettop(L);
			lua_rawgeti(L, -1, i);
			if (!lua_istable(L, -1))
				luaL_error(L, WHO ": option 'options' must be an array of {name, value}");
			lua_rawgeti(L, -1, 1);
			lua_rawgeti(L, -2, 2);
			if (lua_type(L, -2) != LUA_TSTRING || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
				luaL_error(L, WHO ": option 'options' must be an array of {name, value}");
			name = lua_tostring(L, -2);
			value = lua_tostring(L, -1);
			if (name[0] != '\0' && name[strlen(name) - 1] != ':')
				name = lua_pushfstring(L, "%s:", name);
			if (mts_resolver_set_option(r, name, value) != 0)
				cfg_fail(L, r);
			lua_settop(L, top);
		}
		lua_pop(L, 1);
	}
	if (mts_opt_get_oneof(L, t, WHO, "trust_anchor_file", LUA_TSTRING, LUA_TSTRING)) {
		if (mts_resolver_add_ta_file(r, lua_tostring(L, -1)) != 0)
			cfg_fail(L, r);
		anchors = 1;
		lua_pop(L, 1);
	}
	if (mts_opt_get_oneof(L, t, WHO, "trust_anchors", LUA_TTABLE, LUA_TTABLE)) {
		each_string(L, r, "trust_anchors", mts_resolver_add_ta);
		anchors = 1;
		lua_pop(L, 1);
	}
	if (!anchors && access(DEFAULT_TA_FILE, R_OK) == 0 && mts_resolver_add_ta_file(r, DEFAULT_TA_FILE) != 0)
		cfg_fail(L, r);
	if (mts_resolver_finalize(r) != 0)
		cfg_fail(L, r);
}

/***
 * Creates a DNSSEC-validating resolver (libunbound, with a thread).
 * @function resolver
 * @tparam[opt] table options `{ trust_anchor_file, trust_anchors, root_hints,
 *   forwarders, resolv_conf, timeout, options }` (unknown keys raise)
 * @treturn userdata resolver
 * @usage local r = mtasts.resolver{ forwarders = { "127.0.0.1@53" }, timeout = 3 }
 */
static int l_resolver(lua_State *L)
{
	struct lres *lr;
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (lua_isnil(L, 1)) {
		lua_newtable(L);
		lua_replace(L, 1);
	}
	mts_opt_checkkeys(L, 1, WHO, option_keys);
	lr = mts_newuserdata(L, sizeof *lr); /* 2 */
	lr->r = NULL;
	luaL_getmetatable(L, RESOLVER_TYPE);
	lua_setmetatable(L, 2);
	lua_newtable(L);
	mts_setuservalue(L, 2);
	lr->r = mts_resolver_new();
	if (lr->r == NULL)
		return luaL_error(L, WHO ": cannot create a libunbound context");
	apply_options(L, 1, lr->r);
	lua_settop(L, 2);
	return 1;
}

static const luaL_Reg resolver_methods[] = {
	{ "query", l_query },     { "submit", l_submit },   { "step", l_step },     { "wait", l_wait },
	{ "pollfd", l_pollfd },   { "getfd", l_pollfd },    { "events", l_events }, { "timeout", l_timeout },
	{ "pending", l_pending }, { "close", l_close },     { NULL, NULL },
};

static const luaL_Reg query_methods[] = {
	{ "result", l_q_result },
	{ "cancel", l_q_cancel },
	{ NULL, NULL },
};

void mts_open_resolver(lua_State *L)
{
	if (luaL_newmetatable(L, RESOLVER_TYPE)) {
		luaL_newlib(L, resolver_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__close");
		lua_pushcfunction(L, l_res_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, QUERY_TYPE)) {
		luaL_newlib(L, query_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_q_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_q_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, l_resolver);
	lua_setfield(L, -2, "resolver");
}

/* For other bindings (the HTTPS fetcher): the C resolver behind the
 * mtasts.resolver at idx, or NULL once it is closed; raises if idx is not
 * an mtasts.resolver. */
struct mts_resolver *mts_lua_toresolver(lua_State *L, int idx)
{
	return checkres(L, idx)->r;
}
