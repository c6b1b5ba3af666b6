/* Option tables: see lopts.h. The messages are part of the API (specs match
 * them), so each wording stays as the bindings first had it. */
#include <math.h>
#include <string.h>

#include "lopts.h"

void mts_opt_checkkeys(lua_State *L, int t, const char *who, const char *const keys[])
{
	int i;
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "%s: option names must be strings", who);
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], lua_tostring(L, -2)) == 0)
				break;
		if (keys[i] == NULL)
			luaL_error(L, "%s: unknown option '%s'", who, lua_tostring(L, -2));
		lua_pop(L, 1);
	}
}

int mts_opt_get(lua_State *L, int t, const char *who, const char *key, int type)
{
	lua_getfield(L, t, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) != type)
		luaL_error(L, "%s: option '%s' must be a %s, not a %s", who, key, lua_typename(L, type),
		           luaL_typename(L, -1));
	return 1;
}

int mts_opt_get_oneof(lua_State *L, int t, const char *who, const char *key, int type1, int type2)
{
	int ty;
	lua_getfield(L, t, key);
	ty = lua_type(L, -1);
	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (ty != type1 && ty != type2)
		luaL_error(L, "%s: option '%s' has the wrong type (%s)", who, key, luaL_typename(L, -1));
	return 1;
}

long mts_opt_tomillis(lua_State *L, int idx, const char *who, const char *key)
{
	lua_Number s = lua_tonumber(L, idx);
	if (!(s > 0) || s > 86400)
		luaL_error(L, "%s: option '%s' must be seconds in (0, 86400]", who, key);
	return (long)ceil(s * 1000);
}

long mts_opt_seconds(lua_State *L, int t, const char *who, const char *key, long dflt)
{
	long ms;
	if (!mts_opt_get(L, t, who, key, LUA_TNUMBER))
		return dflt;
	ms = mts_opt_tomillis(L, -1, who, key);
	lua_pop(L, 1);
	return ms;
}

lua_Number mts_opt_integer(lua_State *L, int t, const char *who, const char *key, lua_Number lo,
                           lua_Number hi, const char *what, lua_Number dflt)
{
	lua_Number n;
	if (!mts_opt_get(L, t, who, key, LUA_TNUMBER))
		return dflt;
	n = lua_tonumber(L, -1);
	/* written so that NaN fails too */
	if (!(n >= lo && n <= hi) || n != floor(n))
		luaL_error(L, "%s: option '%s' must be %s", who, key, what);
	lua_pop(L, 1);
	return n;
}

int mts_opt_cstring(lua_State *L, int t, const char *who, const char *key)
{
	size_t n;
	const char *s;
	if (!mts_opt_get(L, t, who, key, LUA_TSTRING))
		return 0;
	s = lua_tolstring(L, -1, &n);
	if (strlen(s) != n || n == 0)
		luaL_error(L, "%s: option '%s' must not be empty or hold a NUL byte", who, key);
	return 1;
}
