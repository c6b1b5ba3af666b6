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

/* The keys and fixed values of a policy table, made once as upvalues so that
 * building a result needs no string lookups (it is the hot path of bulk use). */
enum { K_VERSION = 1, K_MODE, K_MAX_AGE, K_MX, K_EXTENSIONS, V_STSV1, V_ENFORCE, V_TESTING, V_NONE, K_COUNT };
static const char *const KEYS[] = { NULL, "version", "mode", "max_age", "mx", "extensions", "STSv1",
	                            "enforce", "testing", "none" };

#define UPV(i) lua_upvalueindex(i)

static void set_up(lua_State *L, int key)
{
	lua_pushvalue(L, UPV(key));
	lua_insert(L, -2);
	lua_rawset(L, -3);
}

static void push_policy(lua_State *L, const struct mts_policy *p)
{
	static const int mode_value[] = { 0, V_ENFORCE, V_TESTING, V_NONE };
	size_t i;
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, UPV(V_STSV1));
	set_up(L, K_VERSION);
	lua_pushvalue(L, UPV(mode_value[p->mode]));
	set_up(L, K_MODE);
	lua_pushinteger(L, (lua_Integer)p->max_age);
	set_up(L, K_MAX_AGE);
	lua_createtable(L, (int)p->mx_count, 0);
	for (i = 0; i < p->mx_count; i++) {
		push_lower(L, &p->mx[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	set_up(L, K_MX);
	mts_push_extensions(L, p->ext, p->ext_count);
	set_up(L, K_EXTENSIONS);
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
	int i;
	for (i = 1; i < K_COUNT; i++)
		lua_pushstring(L, KEYS[i]);
	lua_pushcclosure(L, l_parse_policy, K_COUNT - 1);
	lua_setfield(L, -2, "parse_policy");
}
