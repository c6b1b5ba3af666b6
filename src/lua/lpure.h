/* Helpers shared by the Lua bindings of the pure layer (mtasts.pure): no
 * I/O function is declared here. */
#ifndef MTS_LPURE_H
#define MTS_LPURE_H

#include <stddef.h>

#include "compat.h"
#include "../pure/diag.h"
#include "../pure/policy.h"

/* The field names and fixed values of result tables, made once per module
 * load as an array that the pure-layer functions get as upvalue 1: building
 * a result then needs no string lookups (the hot path of bulk parsing). */
enum mts_key {
	MK_LINE = 1, MK_CODE, MK_SEVERITY, MK_MESSAGE, MK_ERROR, MK_WARNING, MK_NAME, MK_VALUE,
	MK_VERSION, MK_MODE, MK_MAX_AGE, MK_MX, MK_EXTENSIONS, MK_STSV1, MK_ENFORCE, MK_TESTING, MK_NONE,
	MK_COUNT
};
#define MTS_KEYS lua_upvalueindex(1)

/* Pushes the key array (to be given as upvalue 1). */
void mts_push_keys(lua_State *L);
/* Pushes the string of key k (from upvalue 1). */
void mts_pushkey(lua_State *L, enum mts_key k);
/* t[key] = value, where t is at -2 and the value on top (popped). */
void mts_setkey(lua_State *L, enum mts_key k);

/* Like luaL_checklstring, but refuses numbers: a policy is never a number. */
const char *mts_checkstring(lua_State *L, int arg, size_t *len);

/* Reads one TXT record at stack index idx (absolute): a string, an array of
 * character-strings, or the resolver's { strings = {...}, text = "..." }.
 * Pushes the joined string and returns it; errors name argument arg. */
const char *mts_checktxt(lua_State *L, int idx, int arg, size_t *len);

/* Pushes an array of { line, code, severity, message } (errors and warnings,
 * or warnings only). The calling function has the keys as upvalue 1, as do
 * mts_push_parse_error and mts_push_extensions. */
void mts_push_diags(lua_State *L, const struct mts_diags *d, int warnings_only);

/* Pushes nil, message, code, diagnostics for a failed parse; returns 4. */
int mts_push_parse_error(lua_State *L, const struct mts_diags *d, const char *code);

/* Pushes an array of { name = ..., value = ... }. */
void mts_push_extensions(lua_State *L, const struct mts_ext *ext, size_t n);

/* The luaopen_ parts of mtasts.pure, one per binding file (those of
 * mtasts.core are in lnet.h). */
void mts_open_policy(lua_State *L);
void mts_open_record(lua_State *L);
void mts_open_mx(lua_State *L);
void mts_open_names(lua_State *L);
void mts_open_clock(lua_State *L); /* lclock.c */

#endif
