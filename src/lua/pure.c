/* luaopen_mtasts_pure: the parsers, matchers and names of src/pure, with no
 * I/O: this module never links libunbound, libcurl or libssl, so a host
 * with its own DNS and HTTP (Rspamd, OpenResty) can load it alone. Each
 * binding file adds its functions to the module table; no C globals
 * anywhere, so any number of Lua states can load it. */
#include "lpure.h"
#include "version.h"

MTS_EXPORT int luaopen_mtasts_pure(lua_State *L);

MTS_EXPORT int luaopen_mtasts_pure(lua_State *L)
{
	lua_newtable(L);
	mts_open_policy(L);
	mts_open_record(L);
	mts_open_mx(L);
	mts_open_names(L);
	mts_open_clock(L);
	lua_pushliteral(L, MTS_VERSION);
	lua_setfield(L, -2, "_VERSION");
	return 1;
}
