/* The luaopen_ parts of mtasts.core, the I/O bindings (resolver, fetcher,
 * prober, poll), and what they share about the resolver. Nothing here is
 * part of mtasts.pure (lpure.h). */
#ifndef MTS_LNET_H
#define MTS_LNET_H

#include "compat.h"

void mts_open_poll(lua_State *L);     /* lpoll.c */
void mts_open_resolver(lua_State *L); /* lresolver.c */
void mts_open_fetch(lua_State *L);    /* lfetch.c */
void mts_open_probe(lua_State *L);    /* lprobe.c */
void mts_open_limits(lua_State *L);   /* llimits.c */

/* lresolver.c: the options table at t of a context that resolves through
 * an mtasts.resolver (the fetcher, the prober): raises unless it is a
 * table with only known keys and an open resolver (`why` says what the
 * resolver is needed for). Returns the C resolver. The context then learns
 * of the resolver's close through the resolver (mts_lctx_new, lcontext.h). */
struct mts_resolver;
struct mts_resolver *mts_opt_resolver(lua_State *L, int t, const char *who, const char *const keys[],
                                      const char *why);

#endif
