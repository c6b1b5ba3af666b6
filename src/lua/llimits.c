/* mtasts.fd_limit, mtasts.memory and mtasts.trim_memory: what the process
 * may still open and how much memory it holds, for the self-check's
 * concurrency window (lua/mtasts/selfcheck.lua, docs/selfcheck.md
 * "Limits") and for long-lived embeddings. Plain system calls, no state. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lnet.h"

/* Pushes an rlim_t (RLIM_INFINITY as math.huge). */
static void push_rlim(lua_State *L, rlim_t v)
{
	if (v == RLIM_INFINITY)
		lua_pushnumber(L, HUGE_VAL);
	else
		lua_pushinteger(L, (lua_Integer)v);
}

/* The descriptors open now: the entries of /proc/self/fd (less the one
 * that reads it), or where there is none, the numbers below `upto` (at
 * most 65,536) that fcntl knows. */
static long count_open(rlim_t upto)
{
	long n = 0, fd, top;
	DIR *d = opendir("/proc/self/fd");
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		return n > 0 ? n - 1 : 0;
	}
	top = upto == RLIM_INFINITY || upto > 65536 ? 65536 : (long)upto;
	for (fd = 0; fd < top; fd++)
		if (fcntl((int)fd, F_GETFD) != -1 || errno != EBADF)
			n++;
	return n;
}

/***
 * The limit on open file descriptors (RLIMIT_NOFILE) and how many are open.
 * @function fd_limit
 * @treturn integer soft limit (math.huge when unlimited)
 * @treturn integer hard limit (math.huge when unlimited)
 * @treturn integer descriptors open now
 * @return[2] nil, message when getrlimit fails
 * @usage local soft, hard, open = mtasts.fd_limit()
 */
static int l_fd_limit(lua_State *L)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "getrlimit: %s", strerror(errno));
		return 2;
	}
	push_rlim(L, rl.rlim_cur);
	push_rlim(L, rl.rlim_max);
	lua_pushinteger(L, (lua_Integer)count_open(rl.rlim_cur));
	return 3;
}

/* The resident set size in bytes from /proc/self/statm, or -1. */
static double rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	int n;
	if (f == NULL)
		return -1;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 && page > 0 ? (double)resident * (double)page : -1;
}

/***
 * What the process holds in memory: `{ rss, malloc_in_use, malloc_free }`
 * in bytes (a field is absent where the system cannot tell: rss needs
 * /proc, the malloc fields glibc). The Lua heap is collectgarbage "count".
 * @function memory
 * @treturn table `{ rss = bytes, malloc_in_use = bytes, malloc_free = bytes }`
 * @usage print(mtasts.memory().malloc_in_use)
 */
static int l_memory(lua_State *L)
{
	double rss = rss_bytes();
	lua_createtable(L, 0, 3);
	if (rss >= 0) {
		lua_pushnumber(L, rss);
		lua_setfield(L, -2, "rss");
	}
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	{
		struct mallinfo2 mi = mallinfo2();
		lua_pushnumber(L, (lua_Number)(mi.uordblks + mi.hblkhd));
		lua_setfield(L, -2, "malloc_in_use");
		lua_pushnumber(L, (lua_Number)mi.fordblks);
		lua_setfield(L, -2, "malloc_free");
	}
#endif
	return 1;
}

/***
 * Returns the memory malloc holds free to the system (glibc malloc_trim(0)):
 * the self-check calls it at the end of every run of more than 100 domains.
 * @function trim_memory
 * @treturn boolean true when memory was returned, false when none was or
 *   the system has no malloc_trim
 * @usage mtasts.trim_memory()
 */
static int l_trim_memory(lua_State *L)
{
#ifdef __GLIBC__
	lua_pushboolean(L, malloc_trim(0));
#else
	lua_pushboolean(L, 0);
#endif
	return 1;
}

void mts_open_limits(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "fd_limit", l_fd_limit },
		{ "memory", l_memory },
		{ "trim_memory", l_trim_memory },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
