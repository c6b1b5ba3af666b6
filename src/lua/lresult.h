/* Building the plain result tables of the I/O bindings (STYLE.md 4): field
 * setters, hex strings and certificate details, shared by lresolver.c,
 * lfetch.c and lprobe.c. */
#ifndef MTS_LRESULT_H
#define MTS_LRESULT_H

#include <stddef.h>

#include "compat.h"
#include "../net/tlsinfo.h"

/* t[k] = v for the table on top; a NULL v leaves the field out. */
void mts_setstr(lua_State *L, const char *k, const char *v);
void mts_setint(lua_State *L, const char *k, lua_Integer v);
void mts_setbool(lua_State *L, const char *k, int v);

/* Pushes the n octets at p as lower-case hex. */
void mts_push_hex(lua_State *L, const unsigned char *p, size_t n);

/* Pushes { subject, issuer, san, not_before, not_after, days_left, self_signed }. */
void mts_push_cert(lua_State *L, const struct mts_certinfo *c);

#endif
