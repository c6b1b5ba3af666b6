/* mtasts.fetcher, mtasts.https_get and mtasts.fetch_policy: the Lua face of
 * src/net/fetch.c.
 *
 * The fetcher is a pollable context (lcontext.c: pending handles anchored
 * in it, step/wait/pollfd/..., close); its user value also holds its
 * resolver (field resolver, so the resolver outlives it) and its string
 * options. Here are results as plain tables, submit() and the
 * constructors. libcurl and libunbound callbacks only record in C; Lua runs
 * from step(), under pcall. */
#include <idn2.h>
#include <string.h>

#include "lcontext.h"
#include "lopts.h"
#include "lnet.h"
#include "lresult.h"
#include "../net/fetch.h"
#include "../pure/domain.h"

#define FETCHER_TYPE "mtasts.fetcher"
#define HANDLE_TYPE "mtasts.fetcher.handle"
#define POLICY_PATH "/.well-known/mta-sts.txt"

struct lfetcher {
	struct mts_lctx ctx; /* ctx.core: the struct mts_fetcher, NULL once closed */
	long timeout_ms, connect_timeout_ms;
	size_t max_size;
};

static const struct mts_lctx_class fetcher_class;

static struct lfetcher *checkopen(lua_State *L, int idx)
{
	return mts_lctx_checkopen(L, &fetcher_class, idx);
}

/* ---- results as plain tables */

static void push_tls(lua_State *L, const struct mts_tls *t)
{
	lua_createtable(L, 0, 5);
	if (t->version[0])
		mts_setstr(L, "version", t->version);
	if (t->cipher[0])
		mts_setstr(L, "cipher", t->cipher);
	mts_setbool(L, "verified", t->verified);
	if (t->verify_error[0])
		mts_setstr(L, "verify_error", t->verify_error);
	if (t->have_cert) {
		mts_push_cert(L, &t->cert);
		lua_setfield(L, -2, "cert");
	}
}

static void push_result(lua_State *L, const struct mts_fetch_result *r)
{
	size_t i;
	lua_createtable(L, 0, 20);
	mts_setbool(L, "ok", r->ok);
	mts_setstr(L, "code", r->ok ? "OK" : r->code);
	if (r->ok)
		lua_pushfstring(L, "HTTP %d from %s, %d bytes", (int)r->status, r->connected_ip, (int)r->size);
	else
		lua_pushstring(L, r->message);
	lua_setfield(L, -2, "message");
	mts_setstr(L, "url", r->url);
	mts_setstr(L, "host", r->host);
	lua_createtable(L, (int)r->naddrs, 0);
	for (i = 0; i < r->naddrs; i++) {
		const struct mts_fetch_addr *a = &r->addrs[i];
		lua_createtable(L, 0, 5);
		mts_setstr(L, "ip", a->ip);
		mts_setstr(L, "family", a->family == 6 ? "ipv6" : "ipv4");
		mts_setstr(L, "dnssec", mts_dnssec_name(a->dnssec));
		if (a->error != NULL) {
			mts_setstr(L, "error", a->error);
			mts_setstr(L, "message", a->message);
		}
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "addresses");
	if (r->connected_ip[0])
		mts_setstr(L, "connected_ip", r->connected_ip);
	if (r->status > 0)
		mts_setint(L, "status", r->status);
	mts_setstr(L, "content_type", r->content_type);
	mts_setstr(L, "location", r->location);
	if (r->body != NULL || r->status > 0) {
		lua_pushlstring(L, r->body ? r->body : "", r->size);
		lua_setfield(L, -2, "body");
		mts_setint(L, "size", (lua_Integer)r->size);
	}
	mts_setint(L, "elapsed_ms", r->elapsed_ms);
	if (r->tls.handshake) {
		push_tls(L, &r->tls);
		lua_setfield(L, -2, "tls");
	}
	if (r->http_status > 0)
		mts_setint(L, "http_status", r->http_status);
	else if (r->http_status < 0)
		mts_setbool(L, "http_status", 0);
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

/* ---- options */

static const char *const option_keys[] = { "resolver", "ca_file", "ca_path", "timeout", "connect_timeout",
	                                       "max_size", "user_agent", NULL };
/* handed to C as they are: never empty, no NUL byte (in option_keys order) */
static const char *const string_keys[] = { "ca_file", "ca_path", "user_agent", NULL };

/* Checks the options table at t and pushes a new fetcher userdata. */
static struct lfetcher *new_fetcher(lua_State *L, int t, const char *who)
{
	struct lfetcher *lf;
	char err[300];
	int uv, i;
	struct mts_resolver *r;

	r = mts_opt_resolver(L, t, who, option_keys, "the host's addresses are resolved only through it");
	lf = mts_lctx_new(L, &fetcher_class, sizeof *lf, t);
	mts_getuservalue(L, -1);
	uv = lua_gettop(L);
	for (i = 0; string_keys[i] != NULL; i++)
		if (mts_opt_cstring(L, t, who, string_keys[i]))
			lua_setfield(L, uv, string_keys[i]);
	lf->timeout_ms = mts_opt_seconds(L, t, who, "timeout", MTS_FETCH_DEFAULT_TIMEOUT_MS);
	lf->connect_timeout_ms = mts_opt_seconds(L, t, who, "connect_timeout", 0); /* 0: the C default */
	lf->max_size = (size_t)mts_opt_integer(L, t, who, "max_size", 1, 1e9,
	                                       "an integer number of bytes in [1, 1e9]", MTS_FETCH_DEFAULT_MAX_SIZE);
	/* a CA store that cannot be read fails here, once, not every fetch as CONNECT */
	lua_getfield(L, uv, "ca_file");
	lua_getfield(L, uv, "ca_path");
	if (mts_fetch_check_ca(lua_tostring(L, -2), lua_tostring(L, -1), err, sizeof err) != 0)
		luaL_error(L, "%s: %s", who, err);
	lua_pop(L, 3);
	lf->ctx.core = mts_fetcher_new(r, err, sizeof err);
	if (lf->ctx.core == NULL)
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
	enum mts_domain_status st;
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
		ascii[--n] = '\0';
	/* IDNA lets '/', ':', '?' and '#' through: they must never reach the URL. */
	st = mts_domain_check(ascii, n);
	if (st == MTS_DOMAIN_OK && n + sizeof "mta-sts." - 1 > 253)
		st = MTS_DOMAIN_TOO_LONG;
	if (st != MTS_DOMAIN_OK) {
		why = lua_pushfstring(L, "not a valid domain name: %s", mts_domain_reason(st));
		lua_pushliteral(L, "https://mta-sts.invalid" POLICY_PATH);
		idn2_free(ascii);
		return why;
	}
	lua_pushfstring(L, "https://mta-sts.%s" POLICY_PATH, ascii);
	idn2_free(ascii);
	return NULL;
}

/* Submits arg (at argi) on the fetcher at ud with callback at cbi (0: none);
 * pushes the handle. */
static void submit(lua_State *L, struct lfetcher *lf, int ud, int argi, int cbi, const char *who)
{
	struct mts_fetch_opts o;
	int policy, h, uv;
	const char *url, *bad;

	bad = push_url(L, argi, &policy, who); /* the URL, under it the reason when bad */
	url = lua_tostring(L, -1);
	mts_lctx_newhandle(L, &fetcher_class, ud, cbi);
	h = lua_gettop(L);

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
		mts_lctx_track(L, ud, h, mts_fetcher_fail(lf->ctx.core, url, policy, "BAD_NAME", bad, NULL));
	else
		mts_lctx_track(L, ud, h, mts_fetcher_submit(lf->ctx.core, url, policy, &o, NULL));
	lua_settop(L, h);
	lua_remove(L, h - 1); /* the URL */
	if (bad != NULL)
		lua_remove(L, h - 2); /* the reason */
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

/* What lcontext.c needs of the fetcher. */
static int fetcher_fd(void *core)
{
	return mts_fetcher_fd(core);
}

static int fetcher_timeout_ms(void *core)
{
	return mts_fetcher_timeout_ms(core);
}

static size_t fetcher_pending(void *core)
{
	return mts_fetcher_pending(core);
}

static void fetcher_process(void *core)
{
	(void)mts_fetcher_step(core);
}

static void *fetcher_take_done(void *core)
{
	return mts_fetcher_take_done(core);
}

static void fetcher_free(void *core)
{
	mts_fetcher_free(core);
}

static void fetcher_lose_resolver(void *core)
{
	mts_fetcher_set_resolver(core, NULL);
}

static void fetch_free(void *item)
{
	mts_fetch_free(item);
}

/* A handle stores the result table; the callback and h:result() get the
 * blocking call's return, made from it each time (push_return). */
static int fetch_push_result(lua_State *L, void *item)
{
	push_result(L, mts_fetch_result(item));
	return 1;
}

static const struct mts_lctx_class fetcher_class = {
	FETCHER_TYPE, HANDLE_TYPE, "fetcher", "fetch", "fetches",
	0, /* wait() runs the fetcher before it first delivers */
	0, /* close() frees the pending fetches with the fetcher */
	fetcher_fd, fetcher_timeout_ms, fetcher_pending, fetcher_process, fetcher_take_done, fetcher_free,
	fetch_free, fetch_push_result, push_return, fetcher_lose_resolver,
};

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
	int ud;
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);

	if (!want_policy && !(len >= 8 && strncmp(s, "https://", 8) == 0))
		luaL_argerror(L, 1, "an https:// URL expected (RFC 8461 §3.3: HTTPS only)");
	if (want_policy && strstr(s, "://") != NULL)
		luaL_argerror(L, 1, "a domain expected, not a URL");
	lua_settop(L, 2);
	lf = new_fetcher(L, 2, who);
	ud = lua_gettop(L);
	submit(L, lf, ud, 1, 0, who);
	return mts_lctx_finish(L, &fetcher_class, ud, lua_gettop(L));
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
	{ "submit", l_submit },
	{ NULL, NULL },
};

void mts_open_fetch(lua_State *L)
{
	mts_lctx_register(L, &fetcher_class, fetcher_methods);
	lua_pushcfunction(L, l_fetcher);
	lua_setfield(L, -2, "fetcher");
	lua_pushcfunction(L, l_https_get);
	lua_setfield(L, -2, "https_get");
	lua_pushcfunction(L, l_fetch_policy);
	lua_setfield(L, -2, "fetch_policy");
}
