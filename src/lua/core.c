/* luaopen_mtasts_core: the I/O half of mtasts (resolver, fetcher, prober,
 * poll). It holds none of the pure functions: those are mtasts.pure's, and
 * require "mtasts" loads this module only when a network function is first
 * touched. No C globals anywhere, so any number of Lua states (nginx
 * workers, Rspamd) can load it. */
#include "lnet.h"
#include "version.h"

MTS_EXPORT int luaopen_mtasts_core(lua_State *L);

MTS_EXPORT int luaopen_mtasts_core(lua_State *L)
{
	lua_newtable(L);
	mts_open_poll(L);
	mts_open_resolver(L);
	mts_open_fetch(L);
	mts_open_probe(L);
	mts_open_limits(L);
	lua_pushliteral(L, MTS_VERSION);
	lua_setfield(L, -2, "_VERSION");
	return 1;
}
