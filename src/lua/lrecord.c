/* TXT record parsers and the "exactly one record" selection that RFC 8461
 * §3.1 (MTA-STS) and RFC 8460 §3 (TLS-RPT) share:
 * mtasts.parse_sts_record, select_sts_record, parse_tlsrpt, select_tlsrpt_record. */
#include <string.h>

#include "lpure.h"
#include "../pure/sts_record.h"
#include "../pure/tlsrpt_record.h"

/* ---- MTA-STS */

static int push_sts(lua_State *L, const char *txt, size_t len)
{
	struct mts_sts_record r;
	int rc = mts_sts_record_parse(&r, txt, len);
	if (r.diags.oom) {
		mts_sts_record_free(&r);
		return luaL_error(L, "not enough memory");
	}
	if (rc != 0) {
		rc = mts_push_parse_error(L, &r.diags, "STS_SYNTAX");
		mts_sts_record_free(&r);
		return rc;
	}
	lua_createtable(L, 0, 3);
	lua_pushliteral(L, "STSv1");
	lua_setfield(L, -2, "v");
	lua_pushlstring(L, r.id.ptr, r.id.len);
	lua_setfield(L, -2, "id");
	mts_push_extensions(L, r.ext, r.ext_count);
	lua_setfield(L, -2, "extensions");
	mts_push_diags(L, &r.diags, 1);
	mts_sts_record_free(&r);
	return 2;
}

/* ---- TLS-RPT */

static void push_span(lua_State *L, struct mts_span s, const char *field)
{
	lua_pushlstring(L, s.ptr, s.len);
	lua_setfield(L, -2, field);
}

static void push_rua(lua_State *L, const struct mts_rua *u)
{
	char host[256];
	size_t i, n = u->host.len < sizeof host ? u->host.len : sizeof host - 1;
	for (i = 0; i < n; i++)
		host[i] = (char)mts_lower((unsigned char)u->host.ptr[i]);
	lua_createtable(L, 0, 4);
	push_span(L, u->uri, "uri");
	if (u->scheme == MTS_RUA_MAILTO) {
		lua_pushliteral(L, "mailto");
		lua_setfield(L, -2, "scheme");
		push_span(L, u->address, "address");
		lua_pushlstring(L, host, n);
		lua_setfield(L, -2, "domain");
	} else {
		lua_pushliteral(L, "https");
		lua_setfield(L, -2, "scheme");
		lua_pushlstring(L, host, n);
		lua_setfield(L, -2, "host");
	}
}

static int push_tlsrpt(lua_State *L, const char *txt, size_t len)
{
	struct mts_tlsrpt_record r;
	size_t i;
	int rc = mts_tlsrpt_record_parse(&r, txt, len);
	if (r.diags.oom) {
		mts_tlsrpt_record_free(&r);
		return luaL_error(L, "not enough memory");
	}
	if (rc != 0) {
		rc = mts_push_parse_error(L, &r.diags, "TLSRPT_SYNTAX");
		mts_tlsrpt_record_free(&r);
		return rc;
	}
	lua_createtable(L, 0, 3);
	lua_pushliteral(L, "TLSRPTv1");
	lua_setfield(L, -2, "v");
	lua_createtable(L, (int)r.rua_count, 0);
	for (i = 0; i < r.rua_count; i++) {
		push_rua(L, &r.rua[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "rua");
	mts_push_extensions(L, r.ext, r.ext_count);
	lua_setfield(L, -2, "extensions");
	mts_push_diags(L, &r.diags, 1);
	mts_tlsrpt_record_free(&r);
	return 2;
}

/* ---- selection among every TXT record of a name */

struct record_kind {
	const char *version; /* "v=STSv1" */
	const char *none_code, *multiple_code;
	int (*selected)(const char *txt, size_t len);
	int (*parse_and_push)(lua_State *L, const char *txt, size_t len);
};

static const struct record_kind STS = { "v=STSv1", "STS_NONE", "STS_MULTIPLE", mts_sts_record_selected,
	                                push_sts };
static const struct record_kind TLSRPT = { "v=TLSRPTv1", "TLSRPT_NONE", "TLSRPT_MULTIPLE",
	                                   mts_tlsrpt_record_selected, push_tlsrpt };

static void push_discarded(lua_State *L, int warn, const char *txt, size_t len, const char *version)
{
	char ex[64];
	mts_excerpt(ex, sizeof ex, txt, len);
	lua_createtable(L, 0, 3);
	lua_pushliteral(L, "DISCARDED_RECORD");
	lua_setfield(L, -2, "code");
	lua_pushliteral(L, "warning");
	lua_setfield(L, -2, "severity");
	lua_pushfstring(L, "TXT record '%s' is ignored: it must begin with '%s;' exactly", ex, version);
	lua_setfield(L, -2, "message");
	lua_rawseti(L, warn, (int)lua_rawlen(L, warn) + 1);
}

/* rrset at index 1. Pushes record, warnings or nil, message, code[, diagnostics]. */
static int select_record(lua_State *L, const struct record_kind *k)
{
	size_t i, n, len, chosen_len = 0, vl = strlen(k->version);
	int chosen = 0, selected = 0, rc, warn;
	const char *txt, *chosen_txt = NULL;
	char first_ex[64];

	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	lua_newtable(L); /* warnings about discarded look-alikes */
	warn = lua_gettop(L);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, (int)i);
		txt = mts_checktxt(L, lua_gettop(L), 1, &len);
		if (k->selected(txt, len)) {
			if (++selected == 1) {
				chosen = lua_gettop(L); /* keep the joined string on the stack */
				chosen_txt = txt;
				chosen_len = len;
				continue;
			}
		} else if (len >= vl && mts_caseeq(txt, vl, k->version, vl)) {
			push_discarded(L, warn, txt, len, k->version);
		}
		lua_settop(L, chosen ? chosen : warn);
	}
	if (selected != 1) {
		lua_pushnil(L);
		if (selected == 0) {
			lua_pushfstring(L, "no TXT record begins with '%s;'", k->version);
			lua_pushstring(L, k->none_code);
		} else {
			mts_excerpt(first_ex, sizeof first_ex, chosen_txt, chosen_len);
			lua_pushfstring(L, "%d TXT records begin with '%s;' (the first is '%s'); exactly one is allowed",
			                selected, k->version, first_ex);
			lua_pushstring(L, k->multiple_code);
		}
		return 3;
	}
	rc = k->parse_and_push(L, chosen_txt, chosen_len);
	if (rc == 2 && lua_rawlen(L, warn) > 0) { /* the look-alikes first, then the record's own */
		size_t j, m = lua_rawlen(L, -1), w = lua_rawlen(L, warn);
		for (j = 1; j <= m; j++) {
			lua_rawgeti(L, -1, (int)j);
			lua_rawseti(L, warn, (int)(w + j));
		}
		lua_pop(L, 1);
		lua_pushvalue(L, warn);
	}
	return rc;
}

/***
 * Parses one _mta-sts TXT record (RFC 8461 §3.1).
 * @function parse_sts_record
 * @param txt a string, an array of character-strings, or a resolver TXT record `{ strings, text }`
 * @treturn table record `{ v = "STSv1", id, extensions = { {name, value}, ... } }`
 * @treturn table warnings
 * @return[2] nil, message, "STS_SYNTAX", diagnostics
 * @usage local rec = mtasts.parse_sts_record("v=STSv1; id=20240101")
 */
static int l_parse_sts_record(lua_State *L)
{
	size_t len;
	const char *txt = mts_checktxt(L, 1, 1, &len);
	return push_sts(L, txt, len);
}

/***
 * Applies the §3.1 selection to every TXT record found at _mta-sts.<domain>.
 * @function select_sts_record
 * @tparam table rrset array of TXT records (any form parse_sts_record takes)
 * @treturn table record
 * @treturn table warnings (including look-alikes that were discarded)
 * @return[2] nil, message, code ("STS_NONE", "STS_MULTIPLE" or "STS_SYNTAX")
 * @usage local rec, w = mtasts.select_sts_record(answer.records)
 */
static int l_select_sts_record(lua_State *L)
{
	return select_record(L, &STS);
}

/***
 * Parses one _smtp._tls TXT record (RFC 8460 §3).
 * @function parse_tlsrpt
 * @param txt a string, an array of character-strings, or a resolver TXT record
 * @treturn table record `{ v = "TLSRPTv1", rua = { {uri, scheme = "mailto", address, domain} |
 *   {uri, scheme = "https", host}, ... }, extensions = {...} }`
 * @treturn table warnings
 * @return[2] nil, message, "TLSRPT_SYNTAX", diagnostics
 * @usage local rec = mtasts.parse_tlsrpt("v=TLSRPTv1; rua=mailto:tlsrpt@example.com")
 */
static int l_parse_tlsrpt(lua_State *L)
{
	size_t len;
	const char *txt = mts_checktxt(L, 1, 1, &len);
	return push_tlsrpt(L, txt, len);
}

/***
 * Applies the RFC 8460 §3 selection to every TXT record at _smtp._tls.<domain>.
 * @function select_tlsrpt_record
 * @tparam table rrset array of TXT records
 * @treturn table record
 * @treturn table warnings
 * @return[2] nil, message, code ("TLSRPT_NONE", "TLSRPT_MULTIPLE" or "TLSRPT_SYNTAX")
 * @usage local rec = mtasts.select_tlsrpt_record(answer.records)
 */
static int l_select_tlsrpt_record(lua_State *L)
{
	return select_record(L, &TLSRPT);
}

void mts_open_record(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "parse_sts_record", l_parse_sts_record },
		{ "select_sts_record", l_select_sts_record },
		{ "parse_tlsrpt", l_parse_tlsrpt },
		{ "select_tlsrpt_record", l_select_tlsrpt_record },
		{ NULL, NULL },
	};
	mts_push_keys(L); /* upvalue 1 of each: the result keys */
	luaL_setfuncs(L, funcs, 1);
}
