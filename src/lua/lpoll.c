/* mtasts.poll: waits for any of several pollable fds (the resolver's,
 * fetcher's and prober's getfd()) so that the Lua scheduler of the
 * self-check can block on all its I/O contexts at once. */
#include <errno.h>
#include <math.h>
#include <poll.h>

#include "lnet.h"

#define POLL_MAX 64

/***
 * Waits until one of the fds is readable, or the timeout passes.
 * @function poll
 * @tparam table fds array of file descriptors (integers)
 * @tparam[opt] number timeout seconds; nil or negative waits indefinitely
 * @treturn number how many fds are ready (0 on timeout)
 * @usage mtasts.poll({ r:getfd(), f:getfd() }, math.min(r:timeout(), f:timeout()))
 */
static int l_poll(lua_State *L)
{
	struct pollfd p[POLL_MAX];
	size_t i, n;
	double t = luaL_optnumber(L, 2, -1);
	int ms, rc;

	luaL_argcheck(L, !isnan(t), 2, "timeout is NaN");
	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	luaL_argcheck(L, n <= POLL_MAX, 1, "too many fds");
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 1, (int)i + 1);
		if (!lua_isnumber(L, -1))
			return luaL_argerror(L, 1, "fds must be integers");
		p[i].fd = (int)lua_tointeger(L, -1);
		p[i].events = POLLIN;
		p[i].revents = 0;
		lua_pop(L, 1);
	}
	ms = t < 0 ? -1 : (t > 86400 ? 86400000 : (int)(t * 1000 + 0.999));
	do
		rc = poll(p, (nfds_t)n, ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return luaL_error(L, "poll failed");
	lua_pushinteger(L, rc);
	return 1;
}

void mts_open_poll(lua_State *L)
{
	lua_pushcfunction(L, l_poll);
	lua_setfield(L, -2, "poll");
}
