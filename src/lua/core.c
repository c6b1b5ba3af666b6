/* luaopen_mtasts_core: the C module behind require "mtasts". Each binding
 * file adds its functions to the module table; no C globals anywhere, so
 * any number of Lua states (nginx workers, Rspamd) can load it. */
#include "lpure.h"

#define MTS_VERSION "0.1.0"

/* The module is built with hidden visibility; only this symbol is exported. */
#define MTS_EXPORT __attribute__((visibility("default")))

MTS_EXPORT int luaopen_mtasts_core(lua_State *L);

MTS_EXPORT int luaopen_mtasts_core(lua_State *L)
{
	lua_newtable(L);
	mts_open_policy(L);
	mts_open_record(L);
	mts_open_mx(L);
	mts_open_names(L);
	mts_open_poll(L);
	mts_open_resolver(L);
	mts_open_fetch(L);
	mts_open_probe(L);
	lua_pushliteral(L, MTS_VERSION);
	lua_setfield(L, -2, "_VERSION");
	return 1;
}
