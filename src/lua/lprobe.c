/* mtasts.prober and mtasts.smtp_probe: the Lua face of src/net/smtp_probe.c.
 *
 * The prober is a pollable context (lcontext.c: pending handles anchored in
 * it, step/wait/pollfd/..., close); its user value also holds its resolver
 * (field resolver, so the resolver outlives it) and its mx_dnssec. Here are
 * results as plain tables, submit() and the constructors. Socket and
 * libunbound events only record in C; Lua runs from step()/wait(), under
 * pcall. */
#include <string.h>

#include "lcontext.h"
#include "lopts.h"
#include "lnet.h"
#include "lresult.h"
#include "../net/fetch.h" /* mts_fetch_check_ca */
#include "../net/smtp_probe.h"

#define PROBER_TYPE "mtasts.prober"
#define HANDLE_TYPE "mtasts.prober.handle"

static const struct mts_lctx_class prober_class;

/* The open prober at idx (its core: a struct mts_prober). */
static struct mts_lctx *checkopen(lua_State *L, int idx)
{
	return mts_lctx_checkopen(L, &prober_class, idx);
}

/* ---- results as plain tables */

static void push_tls(lua_State *L, const struct mts_probe_addr *a)
{
	const struct mts_probe_tls *t = &a->tls;
	size_t i;
	lua_createtable(L, 0, 10);
	mts_setbool(L, "handshake", t->handshake);
	if (!t->handshake)
		return;
	mts_setstr(L, "version", t->version);
	mts_setstr(L, "cipher", t->cipher);
	mts_setbool(L, "legacy", a->legacy);
	mts_setbool(L, "pkix_ok", t->pkix_ok);
	if (t->verify_error[0])
		mts_setstr(L, "verify_error", t->verify_error);
	mts_setbool(L, "hostname_ok", t->hostname_ok);
	if (t->have_cert) {
		mts_push_cert(L, &t->cert);
		lua_setfield(L, -2, "cert");
	}
	lua_createtable(L, (int)t->nchain, 0);
	for (i = 0; i < t->nchain; i++) {
		mts_push_cert(L, &t->chain[i]);
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
		mts_setint(L, "usage", r->tlsa[i].usage);
		mts_setint(L, "selector", r->tlsa[i].selector);
		mts_setint(L, "mtype", r->tlsa[i].mtype);
		mts_push_hex(L, r->tlsa[i].data, r->tlsa[i].len);
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
	mts_setstr(L, "dnssec", r->tlsa_failed && r->tlsa_dnssec != MTS_DNSSEC_BOGUS ? "unknown"
	                                                                       : mts_dnssec_name(r->tlsa_dnssec));
	if (r->tlsa_failed)
		mts_setstr(L, "error", r->tlsa_error);
	mts_setbool(L, "usable", d->usable);
	mts_setbool(L, "ok", d->usable && d->checked && d->ok);
	if (d->bogus)
		mts_setbool(L, "bogus", 1);
	if (d->reason[0])
		mts_setstr(L, "reason", d->reason);
	if (d->ok) {
		lua_createtable(L, 0, 4);
		mts_setint(L, "usage", d->match_usage);
		mts_setint(L, "selector", d->match_selector);
		mts_setint(L, "mtype", d->match_mtype);
		mts_setint(L, "depth", d->match_depth);
		lua_setfield(L, -2, "match");
	}
}

static void push_addr(lua_State *L, const struct mts_probe_result *r, const struct mts_probe_addr *a)
{
	size_t i;
	lua_createtable(L, 0, 16);
	mts_setstr(L, "host", r->host);
	mts_setstr(L, "ip", a->ip);
	mts_setint(L, "family", a->family);
	mts_setstr(L, "dnssec", mts_dnssec_name(a->dnssec));
	mts_setbool(L, "ok", a->ok);
	mts_setstr(L, "code", a->ok ? "OK" : (a->code ? a->code : "CONNECT"));
	mts_setstr(L, "message", a->message);
	mts_setstr(L, "banner", a->banner);
	lua_createtable(L, (int)a->nehlo, 0);
	for (i = 0; i < a->nehlo; i++) {
		lua_pushstring(L, a->ehlo[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "ehlo");
	mts_setbool(L, "starttls", a->starttls);
	push_tls(L, a);
	lua_setfield(L, -2, "tls");
	push_dane(L, r, a);
	lua_setfield(L, -2, "dane");
	mts_setint(L, "elapsed_ms", a->elapsed_ms);
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
static struct mts_lctx *new_prober(lua_State *L, int t, const char *who)
{
	struct mts_lctx *lp;
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

	lp = mts_lctx_new(L, &prober_class, sizeof *lp, t);
	ud = lua_gettop(L);
	mts_getuservalue(L, ud);
	uv = lua_gettop(L);
	lua_getfield(L, t, "mx_dnssec");
	lua_setfield(L, uv, "mx_dnssec");
	/* a ca_path OpenSSL would only look into per handshake is checked here too */
	if (o.ca_path != NULL && mts_fetch_check_ca(NULL, o.ca_path, err, sizeof err) != 0)
		luaL_error(L, "%s: %s", who, err);
	lp->core = mts_prober_new(r, &o, err, sizeof err);
	if (lp->core == NULL)
		luaL_error(L, "%s: %s", who, err);
	lua_settop(L, ud);
	return lp;
}

/* ---- submitting */

/* Submits the host at hi on the prober at ud, with per-probe options at oi
 * (0: none) and the callback at cbi (0: none); pushes the handle. */
static void submit(lua_State *L, struct mts_lctx *lp, int ud, int hi, int oi, int cbi, const char *who)
{
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
	mts_lctx_newhandle(L, &prober_class, ud, cbi);
	h = lua_gettop(L);
	/* a NUL byte or an empty name fails as BAD_NAME through the resolver */
	mts_lctx_track(L, ud, h, mts_prober_submit(lp->core, strlen(host) == n ? host : "", mx, NULL));
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
	struct mts_lctx *lp = checkopen(L, 1);
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

/* What lcontext.c needs of the prober. */
static int prober_fd(void *core)
{
	return mts_prober_fd(core);
}

static int prober_timeout_ms(void *core)
{
	return mts_prober_timeout_ms(core);
}

static size_t prober_pending(void *core)
{
	return mts_prober_pending(core);
}

static void prober_process(void *core)
{
	(void)mts_prober_step(core);
}

static void *prober_take_done(void *core)
{
	return mts_prober_take_done(core);
}

static void prober_free(void *core)
{
	mts_prober_free(core);
}

static void prober_lose_resolver(void *core)
{
	mts_prober_set_resolver(core, NULL);
}

static void probe_free(void *item)
{
	mts_probe_free(item);
}

static int probe_push_result(lua_State *L, void *item)
{
	return push_return(L, mts_probe_result(item));
}

static const struct mts_lctx_class prober_class = {
	PROBER_TYPE, HANDLE_TYPE, "prober", "probe", "probes",
	0, /* wait() runs the prober before it first delivers */
	0, /* close() frees the pending probes (and their connections) with the prober */
	prober_fd, prober_timeout_ms, prober_pending, prober_process, prober_take_done, prober_free,
	probe_free, probe_push_result, NULL, prober_lose_resolver,
};

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
	int ud;
	luaL_checkstring(L, 1);
	lua_settop(L, 2);
	new_prober(L, 2, "mtasts.smtp_probe");
	ud = lua_gettop(L);
	submit(L, lua_touserdata(L, ud), ud, 1, 0, 0, "mtasts.smtp_probe");
	return mts_lctx_finish(L, &prober_class, ud, lua_gettop(L));
}

static const luaL_Reg prober_methods[] = {
	{ "submit", l_submit },
	{ NULL, NULL },
};

void mts_open_probe(lua_State *L)
{
	mts_lctx_register(L, &prober_class, prober_methods);
	lua_pushcfunction(L, l_prober);
	lua_setfield(L, -2, "prober");
	lua_pushcfunction(L, l_smtp_probe);
	lua_setfield(L, -2, "smtp_probe");
}
