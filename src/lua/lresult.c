#include "lresult.h"

void mts_setstr(lua_State *L, const char *k, const char *v)
{
	if (v == NULL)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

void mts_setint(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

void mts_setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

void mts_push_hex(lua_State *L, const unsigned char *p, size_t n)
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

void mts_push_cert(lua_State *L, const struct mts_certinfo *c)
{
	size_t i;
	lua_createtable(L, 0, 8);
	mts_setstr(L, "subject", c->subject);
	mts_setstr(L, "issuer", c->issuer);
	lua_createtable(L, (int)c->nsan, 0);
	for (i = 0; i < c->nsan; i++) {
		lua_pushstring(L, c->san[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "san");
	mts_setint(L, "not_before", (lua_Integer)c->not_before);
	mts_setint(L, "not_after", (lua_Integer)c->not_after);
	mts_setint(L, "days_left", (lua_Integer)c->days_left);
	mts_setbool(L, "self_signed", c->self_signed);
}
