/* mtasts.parse_sts_record and mtasts.select_sts_record (RFC 8461 §3.1). */
#include <string.h>

#include "lpure.h"
#include "../pure/sts_record.h"

static void push_record(lua_State *L, const struct mts_sts_record *r)
{
	lua_createtable(L, 0, 3);
	lua_pushliteral(L, "STSv1");
	lua_setfield(L, -2, "v");
	lua_pushlstring(L, r->id.ptr, r->id.len);
	lua_setfield(L, -2, "id");
	mts_push_extensions(L, r->ext, r->ext_count);
	lua_setfield(L, -2, "extensions");
}

/* Parses txt and pushes record, warnings or nil, message, code, diagnostics. */
static int parse_and_push(lua_State *L, const char *txt, size_t len)
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
	push_record(L, &r);
	mts_push_diags(L, &r.diags, 1);
	mts_sts_record_free(&r);
	return 2;
}

/***
 * Parses one _mta-sts TXT record.
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
	return parse_and_push(L, txt, len);
}

/***
 * Applies the §3.1 selection to every TXT record found at _mta-sts.<domain>.
 * @function select_sts_record
 * @tparam table rrset array of TXT records (any form parse_sts_record takes)
 * @treturn table record
 * @treturn table warnings (including records that look like STS but were discarded)
 * @return[2] nil, message, code ("STS_NONE", "STS_MULTIPLE" or "STS_SYNTAX")
 * @usage local rec, w = mtasts.select_sts_record(answer.records)
 */
static int l_select_sts_record(lua_State *L)
{
	size_t i, n, len, chosen_len = 0;
	int chosen = 0, selected = 0, rc, base, warn;
	const char *txt, *chosen_txt = NULL;
	char ex[64], first_ex[64];

	luaL_checktype(L, 1, LUA_TTABLE);
	n = lua_rawlen(L, 1);
	lua_newtable(L); /* warnings about discarded look-alikes */
	warn = lua_gettop(L);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, (int)i);
		base = lua_gettop(L);
		txt = mts_checktxt(L, base, 1, &len);
		if (mts_sts_record_selected(txt, len)) {
			if (++selected == 1) {
				chosen = lua_gettop(L); /* keep the joined string on the stack */
				chosen_txt = txt;
				chosen_len = len;
				continue;
			}
			if (selected == 2)
				mts_excerpt(first_ex, sizeof first_ex, chosen_txt, chosen_len);
		} else if (len >= 7 && mts_caseeq(txt, 7, "v=STSv1", 7)) {
			mts_excerpt(ex, sizeof ex, txt, len);
			lua_createtable(L, 0, 3);
			lua_pushliteral(L, "DISCARDED_RECORD");
			lua_setfield(L, -2, "code");
			lua_pushliteral(L, "warning");
			lua_setfield(L, -2, "severity");
			lua_pushfstring(L,
			                "TXT record '%s' is ignored: an STS record must begin with 'v=STSv1;' exactly",
			                ex);
			lua_setfield(L, -2, "message");
			lua_rawseti(L, warn, (int)lua_rawlen(L, warn) + 1);
		}
		lua_settop(L, chosen ? chosen : warn);
	}
	if (selected == 0) {
		lua_pushnil(L);
		lua_pushliteral(L, "no TXT record beginning with 'v=STSv1;'");
		lua_pushliteral(L, "STS_NONE");
		return 3;
	}
	if (selected > 1) {
		lua_pushnil(L);
		lua_pushfstring(L, "%d TXT records begin with 'v=STSv1;' (the first is '%s'); exactly one is allowed",
		                selected, first_ex);
		lua_pushliteral(L, "STS_MULTIPLE");
		return 3;
	}
	rc = parse_and_push(L, chosen_txt, chosen_len);
	if (rc == 2 && lua_rawlen(L, warn) > 0) { /* append the record's own warnings */
		size_t k, m = lua_rawlen(L, -1), w = lua_rawlen(L, warn);
		for (k = 1; k <= m; k++) {
			lua_rawgeti(L, -1, (int)k);
			lua_rawseti(L, warn, (int)(w + k));
		}
		lua_pop(L, 1);
		lua_pushvalue(L, warn);
	}
	return rc;
}

void mts_open_record(lua_State *L)
{
	lua_pushcfunction(L, l_parse_sts_record);
	lua_setfield(L, -2, "parse_sts_record");
	lua_pushcfunction(L, l_select_sts_record);
	lua_setfield(L, -2, "select_sts_record");
}
