/* Option tables of the mtasts constructors (resolver, fetcher, prober):
 * unknown keys and wrong types raise, each message led by `who`
 * ("mtasts.fetcher: ..."). */
#ifndef MTS_LOPTS_H
#define MTS_LOPTS_H

#include "compat.h"

/* Raises unless every key of the table at t is a string in keys (NULL-ended). */
void mts_opt_checkkeys(lua_State *L, int t, const char *who, const char *const keys[]);

/* Pushes option key of the table at t and returns 1; returns 0 (nothing
 * pushed) when it is nil. Another type raises
 * "<who>: option '<key>' must be a <type>, not a <actual>". */
int mts_opt_get(lua_State *L, int t, const char *who, const char *key, int type);

/* The same for an option that may have either of two types, with the
 * resolver's wording: "<who>: option '<key>' has the wrong type (<actual>)". */
int mts_opt_get_oneof(lua_State *L, int t, const char *who, const char *key, int type1, int type2);

/* The number at idx as milliseconds (rounded up); raises unless it is
 * seconds in (0, 86400]. */
long mts_opt_tomillis(lua_State *L, int idx, const char *who, const char *key);

/* Option key (seconds) in milliseconds, or dflt when absent. */
long mts_opt_seconds(lua_State *L, int t, const char *who, const char *key, long dflt);

/* Option key, an integer in [lo, hi], or dflt when absent; otherwise raises
 * "<who>: option '<key>' must be <what>". */
lua_Number mts_opt_integer(lua_State *L, int t, const char *who, const char *key, lua_Number lo,
                           lua_Number hi, const char *what, lua_Number dflt);

/* Like mts_opt_get for a string that is handed to C as is: raises when it
 * is empty or holds a NUL byte. */
int mts_opt_cstring(lua_State *L, int t, const char *who, const char *key);

#endif
