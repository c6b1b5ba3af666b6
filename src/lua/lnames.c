/* mtasts.to_ascii (IDNA, libidn2) and mtasts.org_domain (public suffix
 * list, libpsl). Pure: libpsl reads Debian's list once, at first use. */
#include <idn2.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

#include "lpure.h"

#define NAME_MAX_INPUT 1024 /* far above any domain; bounds the IDNA work */
#define PSL_TYPE "mtasts.psl"

struct psl_box {
	const psl_ctx_t *ctx;
	psl_ctx_t *owned; /* what psl_latest loaded; NULL when using the built-in list */
	int tried;
};

static int bad_name(lua_State *L, const char *fmt, const char *detail)
{
	lua_pushnil(L);
	lua_pushfstring(L, fmt, detail);
	lua_pushliteral(L, "BAD_NAME");
	return 3;
}

/* Checks the argument of to_ascii/org_domain: a bounded string without NUL. */
static const char *check_name(lua_State *L, size_t *n)
{
	const char *s = mts_checkstring(L, 1, n);
	if (*n == 0)
		return NULL;
	if (*n > NAME_MAX_INPUT || memchr(s, '\0', *n) != NULL)
		return NULL;
	return s;
}

/***
 * Converts a domain to its ASCII (A-label) form with IDNA2008 (UTS #46
 * non-transitional mapping), lower-cased.
 * @function to_ascii
 * @tparam string name e.g. "bücher.example"
 * @treturn string e.g. "xn--bcher-kva.example"
 * @return[2] nil, message, "BAD_NAME"
 * @usage local ascii = assert(mtasts.to_ascii(arg[1]))
 */
static int l_to_ascii(lua_State *L)
{
	size_t n, i;
	const char *s = check_name(L, &n);
	char *out = NULL;
	int rc;

	if (s == NULL)
		return bad_name(L, "not a domain name: %s", n == 0 ? "empty" : "too long or contains a NUL byte");
	rc = idn2_to_ascii_8z(s, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return bad_name(L, "not a valid internationalized domain name: %s", idn2_strerror(rc));
	for (i = 0; out[i]; i++)
		out[i] = (char)mts_lower((unsigned char)out[i]);
	lua_pushstring(L, out);
	idn2_free(out);
	return 1;
}

static int psl_gc(lua_State *L)
{
	struct psl_box *box = luaL_checkudata(L, 1, PSL_TYPE);
	if (box->owned != NULL)
		psl_free(box->owned);
	box->owned = NULL;
	box->ctx = NULL;
	return 0;
}

/***
 * The organizational domain (registrable domain) of a name, from the
 * public suffix list.
 * @function org_domain
 * @tparam string name e.g. "mx1.mail.example.co.uk"
 * @treturn string e.g. "example.co.uk"
 * @return[2] nil, message, "BAD_NAME" (or "NO_ORG_DOMAIN" for a public suffix itself)
 * @usage local org = mtasts.org_domain("a.b.example.com")
 */
static int l_org_domain(lua_State *L)
{
	struct psl_box *box = lua_touserdata(L, lua_upvalueindex(1));
	size_t n, i;
	const char *s = check_name(L, &n);
	const char *org;
	char buf[NAME_MAX_INPUT + 1];

	if (s == NULL)
		return bad_name(L, "not a domain name: %s", n == 0 ? "empty" : "too long or contains a NUL byte");
	if (!box->tried) {
		box->tried = 1;
		box->owned = psl_latest(NULL);
		box->ctx = box->owned ? box->owned : psl_builtin();
	}
	if (box->ctx == NULL)
		return luaL_error(L, "no public suffix list found (install Debian's publicsuffix package)");
	for (i = 0; i < n; i++)
		buf[i] = (char)mts_lower((unsigned char)s[i]);
	if (n > 1 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	org = psl_registrable_domain(box->ctx, buf);
	if (org == NULL) {
		lua_pushnil(L);
		lua_pushfstring(L, "'%s' is a public suffix: it has no organizational domain", buf);
		lua_pushliteral(L, "NO_ORG_DOMAIN");
		return 3;
	}
	lua_pushstring(L, org);
	return 1;
}

void mts_open_names(lua_State *L)
{
	struct psl_box *box;
	lua_pushcfunction(L, l_to_ascii);
	lua_setfield(L, -2, "to_ascii");

	box = lua_newuserdata(L, sizeof *box);
	box->ctx = NULL;
	box->owned = NULL;
	box->tried = 0;
	if (luaL_newmetatable(L, PSL_TYPE)) {
		lua_pushcfunction(L, psl_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_pushcclosure(L, l_org_domain, 1);
	lua_setfield(L, -2, "org_domain");
}
