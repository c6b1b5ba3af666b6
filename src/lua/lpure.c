#include "lpure.h"

#include <string.h>

static const char *const KEY_TEXT[MK_COUNT] = {
	NULL, "line", "code", "severity", "message", "error", "warning", "name", "value",
	"version", "mode", "max_age", "mx", "extensions", "STSv1", "enforce", "testing", "none",
};

void mts_push_keys(lua_State *L)
{
	int k;
	lua_createtable(L, MK_COUNT - 1, 0);
	for (k = 1; k < MK_COUNT; k++) {
		lua_pushstring(L, KEY_TEXT[k]);
		lua_rawseti(L, -2, k);
	}
}

void mts_pushkey(lua_State *L, enum mts_key k)
{
	lua_rawgeti(L, MTS_KEYS, (int)k);
}

void mts_setkey(lua_State *L, enum mts_key k)
{
	lua_rawgeti(L, MTS_KEYS, (int)k);
	lua_insert(L, -2);
	lua_rawset(L, -3);
}

const char *mts_checkstring(lua_State *L, int arg, size_t *len)
{
	if (lua_type(L, arg) != LUA_TSTRING)
		luaL_argerror(L, arg, lua_pushfstring(L, "string expected, got %s", luaL_typename(L, arg)));
	return lua_tolstring(L, arg, len);
}

/* Concatenates the strings of the array at index t (§3.1: no separator). */
static void join_strings(lua_State *L, int arg, int t)
{
	luaL_Buffer b;
	size_t i, n = lua_rawlen(L, t);
	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, t, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, arg, "TXT character-strings must be strings");
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
}

const char *mts_checktxt(lua_State *L, int idx, int arg, size_t *len)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		lua_pushvalue(L, idx);
		return lua_tolstring(L, -1, len);
	case LUA_TTABLE:
		break;
	default:
		luaL_argerror(L, arg, lua_pushfstring(L, "TXT record expected (string or table), got %s",
		                                      luaL_typename(L, idx)));
	}
	lua_getfield(L, idx, "strings");
	if (lua_type(L, -1) == LUA_TTABLE) {
		join_strings(L, arg, lua_gettop(L));
		lua_remove(L, -2);
		return lua_tolstring(L, -1, len);
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "text");
	if (lua_type(L, -1) == LUA_TSTRING)
		return lua_tolstring(L, -1, len);
	lua_pop(L, 1);
	join_strings(L, arg, idx);
	return lua_tolstring(L, -1, len);
}

void mts_push_diags(lua_State *L, const struct mts_diags *d, int warnings_only)
{
	size_t i;
	int n = 0;
	lua_createtable(L, (int)d->count, 0);
	for (i = 0; i < d->count; i++) {
		const struct mts_diag *it = &d->items[i];
		if (warnings_only && it->severity != MTS_SEV_WARNING)
			continue;
		lua_createtable(L, 0, 4);
		if (it->line) {
			lua_pushinteger(L, (lua_Integer)it->line);
			mts_setkey(L, MK_LINE);
		}
		lua_pushstring(L, it->code);
		mts_setkey(L, MK_CODE);
		mts_pushkey(L, it->severity == MTS_SEV_ERROR ? MK_ERROR : MK_WARNING);
		mts_setkey(L, MK_SEVERITY);
		lua_pushstring(L, it->message);
		mts_setkey(L, MK_MESSAGE);
		lua_rawseti(L, -2, ++n);
	}
	if (d->dropped) {
		lua_createtable(L, 0, 3);
		lua_pushliteral(L, "TOO_MANY_DIAGNOSTICS");
		mts_setkey(L, MK_CODE);
		mts_pushkey(L, MK_WARNING);
		mts_setkey(L, MK_SEVERITY);
		lua_pushfstring(L, "%d more diagnostics were not listed", (int)d->dropped);
		mts_setkey(L, MK_MESSAGE);
		lua_rawseti(L, -2, ++n);
	}
}

int mts_push_parse_error(lua_State *L, const struct mts_diags *d, const char *code)
{
	const struct mts_diag *first = mts_diags_first_error(d);
	lua_pushnil(L);
	if (d->errors > 1)
		lua_pushfstring(L, "%s (and %d more errors)", first ? first->message : "invalid",
		                (int)(d->errors - 1));
	else
		lua_pushstring(L, first ? first->message : "invalid");
	lua_pushstring(L, code);
	mts_push_diags(L, d, 0);
	return 4;
}

void mts_push_extensions(lua_State *L, const struct mts_ext *ext, size_t n)
{
	size_t i;
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushlstring(L, ext[i].name.ptr, ext[i].name.len);
		mts_setkey(L, MK_NAME);
		lua_pushlstring(L, ext[i].value.ptr, ext[i].value.len);
		mts_setkey(L, MK_VALUE);
		lua_rawseti(L, -2, (int)i + 1);
	}
}
