/* mtasts.mx_matches and mtasts.policy_url. */
#include <string.h>

#include "lpure.h"
#include "../pure/domain.h"
#include "../pure/mx_match.h"

/* Tries the pattern at stack top; leaves it there and returns 1 on a match. */
static int try_pattern(lua_State *L, const char *host, size_t hlen)
{
	size_t plen;
	const char *pat;
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_argerror(L, 1, "mx patterns must be strings");
	pat = lua_tolstring(L, -1, &plen);
	return mts_mx_match(pat, plen, host, hlen);
}

/***
 * Does an MX host match a policy's mx patterns (RFC 8461 §4.1)?
 * @function mx_matches
 * @param patterns a parsed policy, an array of patterns, or one pattern
 * @tparam string host the MX host name (a trailing dot is ignored)
 * @return the matching pattern, or false
 * @usage if not mtasts.mx_matches(policy, "mx1.example.com") then ... end
 */
static int l_mx_matches(lua_State *L)
{
	size_t hlen, i, n;
	const char *host = mts_checkstring(L, 2, &hlen);
	int t = 1;

	switch (lua_type(L, 1)) {
	case LUA_TSTRING:
		lua_pushvalue(L, 1);
		if (!try_pattern(L, host, hlen))
			lua_pushboolean(L, 0);
		return 1;
	case LUA_TTABLE:
		break;
	default:
		return luaL_argerror(L, 1, lua_pushfstring(L, "policy, table or string expected, got %s",
		                                           luaL_typename(L, 1)));
	}
	lua_getfield(L, 1, "mx");
	if (lua_type(L, -1) == LUA_TTABLE)
		t = lua_gettop(L);
	n = lua_rawlen(L, t);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, t, (int)i);
		if (try_pattern(L, host, hlen))
			return 1;
		lua_pop(L, 1);
	}
	lua_pushboolean(L, 0);
	return 1;
}

/***
 * The URL of a domain's policy file (RFC 8461 §3.2).
 * @function policy_url
 * @tparam string domain an ASCII domain (see to_ascii for IDNs); one trailing dot is dropped
 * @treturn string "https://mta-sts.<domain>/.well-known/mta-sts.txt"
 * @return[2] nil, message, "BAD_NAME"
 * @usage local url = mtasts.policy_url("example.com")
 */
static int l_policy_url(lua_State *L)
{
	size_t n, i;
	const char *d = mts_checkstring(L, 1, &n);
	enum mts_domain_status st;
	luaL_Buffer b;

	if (n && d[n - 1] == '.')
		n--;
	st = mts_domain_check(d, n);
	if (st == MTS_DOMAIN_OK && n + sizeof "mta-sts." - 1 > 253)
		st = MTS_DOMAIN_TOO_LONG;
	if (st != MTS_DOMAIN_OK) {
		char ex[64];
		mts_excerpt(ex, sizeof ex, d, n);
		lua_pushnil(L);
		if (st == MTS_DOMAIN_NON_ASCII)
			lua_pushfstring(L, "'%s' is not an ASCII domain: convert it with mtasts.to_ascii first", ex);
		else
			lua_pushfstring(L, "'%s' is not a valid domain: %s", ex, mts_domain_reason(st));
		lua_pushliteral(L, "BAD_NAME");
		return 3;
	}
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "https://mta-sts.");
	for (i = 0; i < n; i++)
		luaL_addchar(&b, (char)mts_lower((unsigned char)d[i]));
	luaL_addstring(&b, "/.well-known/mta-sts.txt");
	luaL_pushresult(&b);
	return 1;
}

void mts_open_mx(lua_State *L)
{
	lua_pushcfunction(L, l_mx_matches);
	lua_setfield(L, -2, "mx_matches");
	lua_pushcfunction(L, l_policy_url);
	lua_setfield(L, -2, "policy_url");
}
