#include "compat.h"

#if LUA_VERSION_NUM == 501 && !defined(MTS_LUAJIT)
/* Lua 5.1 lacks these two; same behaviour as their 5.2 versions. */
void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	int i;
	luaL_checkstack(L, nup + 1, "too many upvalues");
	for (; l->name != NULL; l++) {
		for (i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		lua_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}

void *luaL_testudata(lua_State *L, int ud, const char *tname)
{
	void *p = lua_touserdata(L, ud);
	if (p == NULL || !lua_getmetatable(L, ud))
		return NULL;
	luaL_getmetatable(L, tname);
	if (!lua_rawequal(L, -1, -2))
		p = NULL;
	lua_pop(L, 2);
	return p;
}
#else
typedef int mts_compat_unused; /* ISO C forbids an empty translation unit */
#endif
