/* mtasts.parse_policy: the Lua face of src/pure/policy.c. */
#include <string.h>

#include "lpure.h"

/* Pushes an mx pattern lower-cased (§3.2 names are case-insensitive). */
static void push_lower(lua_State *L, const struct mts_span *s)
{
	char buf[256];
	size_t i;
	for (i = 0; i < s->len; i++)
		if (s->ptr[i] >= 'A' && s->ptr[i] <= 'Z')
			break;
	if (i == s->len || s->len > sizeof buf) { /* valid names are at most 255 long */
		lua_pushlstring(L, s->ptr, s->len);
		return;
	}
	for (i = 0; i < s->len; i++)
		buf[i] = (char)mts_lower((unsigned char)s->ptr[i]);
	lua_pushlstring(L, buf, s->len);
}

static void push_policy(lua_State *L, const struct mts_policy *p)
{
	static const enum mts_key mode_value[] = { MK_NONE, MK_ENFORCE, MK_TESTING, MK_NONE };
	size_t i;
	lua_createtable(L, 0, 5);
	mts_pushkey(L, MK_STSV1);
	mts_setkey(L, MK_VERSION);
	mts_pushkey(L, mode_value[p->mode]);
	mts_setkey(L, MK_MODE);
	lua_pushinteger(L, (lua_Integer)p->max_age);
	mts_setkey(L, MK_MAX_AGE);
	lua_createtable(L, (int)p->mx_count, 0);
	for (i = 0; i < p->mx_count; i++) {
		push_lower(L, &p->mx[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	mts_setkey(L, MK_MX);
	mts_push_extensions(L, p->ext, p->ext_count);
	mts_setkey(L, MK_EXTENSIONS);
}

/***
 * Parses an MTA-STS policy file (RFC 8461 §3.2).
 * @function parse_policy
 * @tparam string text the body of mta-sts.txt
 * @treturn table policy `{ version, mode, max_age, mx = {...}, extensions = {...} }`
 * @treturn table warnings `{ { line, code, severity = "warning", message }, ... }`
 * @return[2] nil, message, "POLICY_SYNTAX", diagnostics (errors and warnings)
 * @usage local policy, warnings = mtasts.parse_policy(body)
 */
static int l_parse_policy(lua_State *L)
{
	size_t len;
	const char *text = mts_checkstring(L, 1, &len);
	struct mts_policy p;
	int rc = mts_policy_parse(&p, text, len);

	if (p.diags.oom) {
		mts_policy_free(&p);
		return luaL_error(L, "not enough memory");
	}
	if (rc != 0) {
		rc = mts_push_parse_error(L, &p.diags, "POLICY_SYNTAX");
		mts_policy_free(&p);
		return rc;
	}
	push_policy(L, &p);
	mts_push_diags(L, &p.diags, 1);
	mts_policy_free(&p);
	return 2;
}

void mts_open_policy(lua_State *L)
{
	mts_push_keys(L);
	lua_pushcclosure(L, l_parse_policy, 1);
	lua_setfield(L, -2, "parse_policy");
}
