/* mtasts.now: a monotonic clock for deadlines. It reads the clock and does
 * no I/O, so it is part of mtasts.pure: a host with its own event loop
 * times its work with it too. */
#include "lpure.h"
#include "../pure/clock.h"

/***
 * Seconds on a monotonic clock (fractions included): for deadlines and
 * durations, which os.time() measures only in whole seconds.
 * @function now
 * @treturn number seconds since an arbitrary start
 * @usage local t0 = mtasts.now() ... local elapsed = mtasts.now() - t0
 */
static int l_now(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)mts_monotonic_s());
	return 1;
}

void mts_open_clock(lua_State *L)
{
	lua_pushcfunction(L, l_now);
	lua_setfield(L, -2, "now");
}
