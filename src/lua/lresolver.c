/* mtasts.resolver: the Lua face of src/dns/resolver.c.
 *
 * The resolver is a pollable context (lcontext.c: pending queries anchored
 * in it, step/wait/pollfd/..., close); here are its answers as plain
 * tables, query() and submit(), and the constructor. libunbound callbacks
 * only record results in C; Lua runs in step(), under pcall. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lcontext.h"
#include "lnet.h"
#include "lopts.h"
#include "lresult.h"
#include "../dns/rdata.h"
#include "../dns/dns_code.h"
#include "../dns/resolver.h"

#define RESOLVER_TYPE "mtasts.resolver"
#define QUERY_TYPE "mtasts.resolver.query"
#define DEFAULT_TA_FILE "/usr/share/dns/root.key"
#define WHO "mtasts.resolver" /* leads every constructor error */

static const struct mts_lctx_class resolver_class;

/* The open resolver at idx; raises once it is closed. */
static struct mts_resolver *checkopen(lua_State *L, int idx)
{
	return ((struct mts_lctx *)mts_lctx_checkopen(L, &resolver_class, idx))->core;
}

static void push_type(lua_State *L, int type);

/* Pushes a failure's detail: { name = qname, qtype = "MX", elapsed = seconds }. */
static void push_detail(lua_State *L, const char *qname, int qtype, long long elapsed_ms)
{
	lua_createtable(L, 0, 3);
	lua_pushstring(L, qname);
	lua_setfield(L, -2, "name");
	push_type(L, qtype);
	lua_setfield(L, -2, "qtype");
	lua_pushnumber(L, (lua_Number)elapsed_ms / 1000.0);
	lua_setfield(L, -2, "elapsed");
}

/* nil, message, code, detail: the failure shape of query() and q:result(). */
static int fail4(lua_State *L, const char *msg, const char *code, const char *qname, int qtype, long long ms)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	lua_pushstring(L, code);
	push_detail(L, qname, qtype, ms);
	return 4;
}

/* ---- answers as plain tables */

/* Pushes one record decoded by type (src/dns/rdata.c); returns 0 (nothing
 * pushed) if the rdata does not fit the type, so the caller falls back to hex. */
static int push_rdata(lua_State *L, int type, const unsigned char *p, size_t n)
{
	char text[MTS_NAME_TEXT_MAX];
	struct mts_rr_mx mx;
	struct mts_rr_tlsa tlsa;
	struct mts_rr_ds ds;
	struct mts_rr_dnskey key;
	struct mts_rr_soa soa;
	size_t off;
	long count, i;
	luaL_Buffer b;

	switch (type) {
	case 1: /* A */
	case 28: /* AAAA */
		if (n != (type == 1 ? 4u : 16u) || !inet_ntop(type == 1 ? AF_INET : AF_INET6, p, text, sizeof text))
			return 0;
		lua_pushstring(L, text);
		return 1;
	case 2: case 5: case 12: case 39: /* NS CNAME PTR DNAME */
		if (mts_rdata_name(p, n, text) != 0)
			return 0;
		lua_pushstring(L, text);
		return 1;
	case 15: /* MX */
		if (mts_rdata_mx(p, n, &mx) != 0)
			return 0;
		lua_createtable(L, 0, 2);
		mts_setstr(L, "exchange", mx.exchange);
		mts_setint(L, "preference", mx.preference);
		return 1;
	case 16: /* TXT */
		if ((count = mts_rdata_txt_count(p, n)) < 0)
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
		if (mts_rdata_tlsa(p, n, &tlsa) != 0)
			return 0;
		lua_createtable(L, 0, 4);
		mts_setint(L, "usage", tlsa.usage);
		mts_setint(L, "selector", tlsa.selector);
		mts_setint(L, "mtype", tlsa.mtype);
		mts_push_hex(L, tlsa.data, tlsa.len);
		lua_setfield(L, -2, "data");
		return 1;
	case 43: /* DS */
	case 59: /* CDS */
		if (mts_rdata_ds(p, n, &ds) != 0)
			return 0;
		lua_createtable(L, 0, 4);
		mts_setint(L, "key_tag", ds.key_tag);
		mts_setint(L, "algorithm", ds.algorithm);
		mts_setint(L, "digest_type", ds.digest_type);
		mts_push_hex(L, ds.digest, ds.len);
		lua_setfield(L, -2, "digest");
		return 1;
	case 48: /* DNSKEY */
	case 60: /* CDNSKEY */
		if (mts_rdata_dnskey(p, n, &key) != 0)
			return 0;
		lua_createtable(L, 0, 4);
		mts_setint(L, "flags", key.flags);
		mts_setint(L, "protocol", key.protocol);
		mts_setint(L, "algorithm", key.algorithm);
		mts_setint(L, "key_tag", key.key_tag);
		return 1;
	case 6: /* SOA */
		if (mts_rdata_soa(p, n, &soa) != 0)
			return 0;
		lua_createtable(L, 0, 7);
		mts_setstr(L, "mname", soa.mname);
		mts_setstr(L, "rname", soa.rname);
		mts_setint(L, "serial", (lua_Integer)soa.serial);
		mts_setint(L, "refresh", (lua_Integer)soa.refresh);
		mts_setint(L, "retry", (lua_Integer)soa.retry);
		mts_setint(L, "expire", (lua_Integer)soa.expire);
		mts_setint(L, "minimum", (lua_Integer)soa.minimum);
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
static int push_result(lua_State *L, const struct mts_query *q)
{
	const struct mts_dns_answer *a = mts_query_answer(q);
	size_t i, len;
	const char *rc;

	if (a->status != MTS_DNS_OK)
		return fail4(L, a->message ? a->message : "query failed", mts_dns_status_code(a->status), a->qname,
		             a->qtype, mts_query_elapsed_ms(q));
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
	mts_setint(L, "ttl", a->ttl);
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
			mts_push_hex(L, a->rdata[i], (size_t)a->rdlen[i]);
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

/* The name argument; NULL if it holds a NUL byte. Numbers are refused:
 * a name is never a number. */
static const char *check_qname(lua_State *L, int arg)
{
	size_t len;
	const char *s;
	if (lua_type(L, arg) != LUA_TSTRING)
		luaL_argerror(L, arg, lua_pushfstring(L, "string expected, got %s", luaL_typename(L, arg)));
	s = lua_tolstring(L, arg, &len);
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
 * @return[2] nil, message, code ("DNS_TIMEOUT", "DNS_SERVFAIL", "DNS_REFUSED", "DNS_NETWORK",
 *   "DNS_TOO_BIG", "BAD_NAME", "LOCAL_EMFILE"), detail `{ name, qtype, elapsed }`
 * @usage local a, err, code, detail = r:query("_mta-sts.example.com", "TXT")
 */
static int l_query(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	const char *name = check_qname(L, 2);
	int qtype = check_qtype(L, 3), done = 0, n;
	struct mts_query *q;

	if (name == NULL)
		return fail4(L, "not a DNS name: a NUL byte", "BAD_NAME", lua_tostring(L, 2), qtype, 0);
	q = mts_resolver_submit(r, name, qtype, blocking_done, &done);
	if (q == NULL)
		return luaL_error(L, "not enough memory");
	while (!done)
		mts_resolver_wait(r, -1);
	n = push_result(L, q);
	mts_query_free(q);
	return n;
}

/* ---- the non-blocking interface (step, wait, pollfd, ... in lcontext.c) */

/***
 * Starts a query without blocking; the answer comes through step()/wait().
 * A bad name does not raise: the query fails with "BAD_NAME" at the next step.
 * @function resolver:submit
 * @tparam string name
 * @tparam string|integer qtype
 * @tparam[opt] function callback called from step() as `callback(answer)` or
 *   `callback(nil, message, code, detail)`
 * @treturn userdata query, with `q:result()` and `q:cancel()`
 * @usage local q = r:submit("example.com", "MX", function(a, err) ... end)
 */
static int l_submit(lua_State *L)
{
	struct mts_resolver *r = checkopen(L, 1);
	const char *name = check_qname(L, 2);
	int qtype = check_qtype(L, 3);

	if (!lua_isnoneornil(L, 4))
		luaL_checktype(L, 4, LUA_TFUNCTION);
	lua_settop(L, 4);
	mts_lctx_newhandle(L, &resolver_class, 1, lua_isnil(L, 4) ? 0 : 4); /* 5 */
	/* what a cancelled or closed query's result carries (lcontext.h) */
	mts_getuservalue(L, 5);
	push_detail(L, name ? name : lua_tostring(L, 2), qtype, 0);
	lua_setfield(L, -2, "detail");
	lua_pop(L, 1);
	/* a NUL byte in the name: submit "" so that it fails as BAD_NAME in order */
	mts_lctx_track(L, 1, 5, mts_resolver_submit(r, name ? name : "", qtype, NULL, NULL));
	return 1;
}

/* What lcontext.c needs of the resolver. */
static int res_fd(void *core)
{
	return mts_resolver_fd(core);
}

/* step() is due when process() is (mts_resolver_timeout_ms), and also at
 * once when an answer waits for take_done: that is what step() delivers. */
static int res_timeout_ms(void *core)
{
	return mts_resolver_ready(core) > 0 ? 0 : mts_resolver_timeout_ms(core);
}

static size_t res_pending(void *core)
{
	return mts_resolver_pending(core);
}

static void res_process(void *core)
{
	(void)mts_resolver_process(core);
}

static void *res_take_done(void *core)
{
	return mts_resolver_take_done(core);
}

static void res_free(void *core)
{
	mts_resolver_free(core);
}

static void query_free(void *item)
{
	mts_query_free(item);
}

static int query_push_result(lua_State *L, void *item)
{
	return push_result(L, item);
}

static const struct mts_lctx_class resolver_class = {
	RESOLVER_TYPE, QUERY_TYPE, "resolver", "query", "queries",
	1, /* wait() delivers first: r:wait(0) returns what was delivered before */
	1, /* close() detaches pending queries; each query userdata frees its own */
	res_fd, res_timeout_ms, res_pending, res_process, res_take_done, res_free, query_free,
	query_push_result, NULL, NULL,
};

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
	struct mts_lctx *lr;
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (lua_isnil(L, 1)) {
		lua_newtable(L);
		lua_replace(L, 1);
	}
	mts_opt_checkkeys(L, 1, WHO, option_keys);
	lr = mts_lctx_new(L, &resolver_class, sizeof *lr, 1); /* 2 */
	lr->core = mts_resolver_new();
	if (lr->core == NULL)
		return luaL_error(L, WHO ": cannot create a libunbound context");
	apply_options(L, 1, lr->core);
	lua_settop(L, 2);
	return 1;
}

static const luaL_Reg resolver_methods[] = {
	{ "query", l_query },
	{ "submit", l_submit },
	{ NULL, NULL },
};

void mts_open_resolver(lua_State *L)
{
	mts_lctx_register(L, &resolver_class, resolver_methods);
	lua_pushcfunction(L, l_resolver);
	lua_setfield(L, -2, "resolver");
}

/* For the fetcher and prober bindings: see lnet.h. */
struct mts_resolver *mts_opt_resolver(lua_State *L, int t, const char *who, const char *const keys[],
                                      const char *why)
{
	struct mts_lctx *lr;
	if (lua_type(L, t) != LUA_TTABLE)
		luaL_error(L, "%s: options table expected (with at least a resolver), got %s", who,
		           luaL_typename(L, t));
	mts_opt_checkkeys(L, t, who, keys);
	lua_getfield(L, t, "resolver");
	if (lua_isnil(L, -1))
		luaL_error(L, "%s: option 'resolver' is required (an mtasts.resolver): %s", who, why);
	lr = luaL_testudata(L, -1, RESOLVER_TYPE);
	if (lr == NULL)
		luaL_error(L, "%s: option 'resolver' must be an mtasts.resolver, not a %s", who, luaL_typename(L, -1));
	if (lr->core == NULL)
		luaL_error(L, "%s: the resolver is closed", who);
	lua_pop(L, 1);
	return lr->core;
}
