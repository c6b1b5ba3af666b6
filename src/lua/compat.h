/* Lua 5.1-5.4 and LuaJIT differences, only for what mtasts uses.
 * MTS_LUAJIT is defined by the build for the LuaJIT flavour, whose 5.1 API
 * already has luaL_setfuncs, luaL_newlib and luaL_testudata. */
#ifndef MTS_COMPAT_H
#define MTS_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

#if LUA_VERSION_NUM == 501
#define lua_rawlen(L, i) lua_objlen(L, (i))
#if !defined(MTS_LUAJIT)
void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
void *luaL_testudata(lua_State *L, int ud, const char *tname);
#define luaL_newlibtable(L, l) lua_createtable(L, 0, sizeof(l) / sizeof((l)[0]) - 1)
#define luaL_newlib(L, l) (luaL_newlibtable(L, l), luaL_setfuncs(L, l, 0))
#endif
#endif

/* One user value per userdata (a table), for the resolver and its queries. */
#if LUA_VERSION_NUM >= 504
#define mts_newuserdata(L, sz) lua_newuserdatauv(L, (sz), 1)
#define mts_getuservalue(L, i) ((void)lua_getiuservalue(L, (i), 1))
#define mts_setuservalue(L, i) ((void)lua_setiuservalue(L, (i), 1))
#elif LUA_VERSION_NUM >= 502
#define mts_newuserdata(L, sz) lua_newuserdata(L, (sz))
#define mts_getuservalue(L, i) ((void)lua_getuservalue(L, (i)))
#define mts_setuservalue(L, i) lua_setuservalue(L, (i))
#else
#define mts_newuserdata(L, sz) lua_newuserdata(L, (sz))
#define mts_getuservalue(L, i) lua_getfenv(L, (i))
#define mts_setuservalue(L, i) ((void)lua_setfenv(L, (i)))
#endif

#endif
