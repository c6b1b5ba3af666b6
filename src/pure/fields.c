#include "fields.h"

#include <string.h>

/* The version tag, as name and value spans. */
struct version {
	const char *name, *value;
	size_t nl, vl;
};

/* One scan: the input, the rules and where the diagnostics go. */
struct scan {
	const char *t;
	size_t len;
	unsigned flags;
	const char *code;
	int (*name_ok)(const char *s, size_t n);
	struct mts_diags *d;
};

static int lenient(const struct scan *s) { return (s->flags & (MTS_FIELDS_WSP | MTS_FIELDS_FWS)) != 0; }

/* The first position at or after i, before end, that is not whitespace
 * (SP, HTAB and, with MTS_FIELDS_FWS, CRLF followed by SP or HTAB). */
static size_t skip_ws(const char *t, size_t i, size_t end, unsigned flags)
{
	for (;;) {
		if (i < end && mts_is_wsp((unsigned char)t[i]))
			i++;
		else if ((flags & MTS_FIELDS_FWS) && i + 2 < end && t[i] == '\r' && t[i + 1] == '\n' &&
		         mts_is_wsp((unsigned char)t[i + 2]))
			i += 3;
		else
			return i;
	}
}

/* end moved back over the whitespace that ends t[start, end). */
static size_t trim_back(const char *t, size_t start, size_t end, unsigned flags)
{
	size_t orig = end;
	for (;;) {
		if (end > start && mts_is_wsp((unsigned char)t[end - 1]))
			end--;
		else if ((flags & MTS_FIELDS_FWS) && end < orig && end >= start + 2 && t[end - 2] == '\r' &&
		         t[end - 1] == '\n' && mts_is_wsp((unsigned char)t[end]))
			end -= 2; /* t[end] is whitespace just trimmed: this CRLF folds */
		else
			return end;
	}
}

static int span_eq(const char *s, size_t n, const char *lit, size_t litlen)
{
	return n == litlen && memcmp(s, lit, n) == 0;
}

/* Reads the tag that starts at *i (not whitespace, not ';') up to the next
 * ';', into f; *i ends after its last non-whitespace character. 0, or -1
 * with the error recorded. */
static int read_tag(const struct scan *s, size_t *i, struct mts_field *f)
{
	const char *t = s->t;
	size_t start = *i, end, eq, name_end, value_start;
	char ex[64];

	for (end = start; end < s->len && t[end] != ';'; end++)
		;
	end = trim_back(t, start, end, s->flags);
	*i = end; /* the whitespace before ';' belongs to the delimiter */
	if (end == start) {
		mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "position %zu: empty field between two ';'", start + 1);
		return -1;
	}
	mts_excerpt(ex, sizeof ex, t + start, end - start);
	for (eq = start; eq < end && t[eq] != '='; eq++)
		;
	if (eq == end) {
		mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "position %zu: expected 'name=value', found '%s'", start + 1,
		             ex);
		return -1;
	}
	name_end = lenient(s) ? trim_back(t, start, eq, s->flags) : eq;
	value_start = lenient(s) ? skip_ws(t, eq + 1, end, s->flags) : eq + 1;
	if (!s->name_ok(t + start, name_end - start)) {
		mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "position %zu: '%s' does not start with a valid field name",
		             start + 1, ex);
		return -1;
	}
	f->name.ptr = t + start;
	f->name.len = name_end - start;
	f->value.ptr = t + value_start;
	f->value.len = end - value_start;
	f->pos = start + 1;
	return 0;
}

static void must_begin_with(const struct scan *s, const struct version *v, size_t from)
{
	char ex[64];
	mts_excerpt(ex, sizeof ex, s->t + from, s->len - from);
	mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "the record must begin with '%.*s=%.*s', found '%s'", (int)v->nl,
	             v->name, (int)v->vl, v->value, ex);
}

/* Strict mode: the exact bytes name=value at the start. */
static int strict_version(const char *t, size_t len, const struct version *v)
{
	return len >= v->nl + 1 + v->vl && memcmp(t, v->name, v->nl) == 0 && t[v->nl] == '=' &&
	       memcmp(t + v->nl + 1, v->value, v->vl) == 0;
}

static long scan(const struct scan *s, const struct version *v, mts_field_cb *cb, void *ctx)
{
	const char *t = s->t;
	size_t i = 0;
	long fields = 0;
	int version_first = 1, missing = 0;
	struct mts_field f;
	char ex[64];

	if (!lenient(s)) {
		if (!strict_version(t, s->len, v)) {
			must_begin_with(s, v, 0);
			return -1;
		}
		i = v->nl + 1 + v->vl;
	} else {
		if (s->flags & MTS_FIELDS_FWS)
			i = skip_ws(t, 0, s->len, s->flags);
		if (i == s->len && (s->flags & MTS_FIELDS_VERSION_OPTIONAL))
			return 0;
		if (i == s->len || (t[i] == ';' && !(s->flags & MTS_FIELDS_VERSION_OPTIONAL))) {
			must_begin_with(s, v, i);
			return -1;
		}
		if (read_tag(s, &i, &f) < 0)
			return -1;
		if (span_eq(f.name.ptr, f.name.len, v->name, v->nl)) {
			if (!span_eq(f.value.ptr, f.value.len, v->value, v->vl)) {
				size_t after = (size_t)(f.value.ptr - t) + v->vl;
				if (f.value.len > v->vl && memcmp(f.value.ptr, v->value, v->vl) == 0 &&
				    skip_ws(t, after, s->len, s->flags) > after) { /* "v=DMARC1 p=none" */
					mts_excerpt(ex, sizeof ex, t + after, s->len - after);
					mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "position %zu: expected ';' before '%s'",
					             after + 1, ex);
				} else {
					must_begin_with(s, v, f.pos - 1);
				}
				return -1;
			}
		} else if (s->flags & MTS_FIELDS_VERSION_OPTIONAL) {
			version_first = 0;
			cb(ctx, &f);
			fields++;
		} else {
			version_first = 0;
			missing = 1; /* go on: a later version tag is VERSION_NOT_FIRST */
		}
	}
	for (;;) {
		size_t delim = i;

		i = skip_ws(t, i, s->len, s->flags);
		if (i == s->len) {
			if (i > delim && !lenient(s))
				mts_diag_add(s->d, 0, MTS_SEV_WARNING, "TRAILING_WHITESPACE",
				             "position %zu: whitespace at the end of the record", delim + 1);
			break;
		}
		if (t[i] != ';') {
			mts_excerpt(ex, sizeof ex, t + delim, s->len - delim);
			mts_diag_add(s->d, 0, MTS_SEV_ERROR, s->code, "position %zu: expected ';' before '%s'", delim + 1, ex);
			return -1;
		}
		i = skip_ws(t, i + 1, s->len, s->flags);
		if (i == s->len)
			break; /* a trailing delimiter is allowed */
		if (read_tag(s, &i, &f) < 0)
			return -1;
		if (!version_first && span_eq(f.name.ptr, f.name.len, v->name, v->nl)) {
			mts_diag_add(s->d, 0, MTS_SEV_ERROR, "VERSION_NOT_FIRST",
			             "position %zu: the version tag '%.*s=' must be the first tag of the record", f.pos,
			             (int)v->nl, v->name);
			return -1;
		}
		if (!missing) {
			cb(ctx, &f);
			fields++;
		}
	}
	if (missing) {
		must_begin_with(s, v, 0);
		return -1;
	}
	return fields;
}

long mts_fields_scan(const char *txt, size_t len, const struct mts_fields_syntax *syn, struct mts_diags *d,
                     mts_field_cb *cb, void *ctx)
{
	struct scan s;
	struct version v;

	s.t = txt;
	s.len = len;
	s.flags = syn->flags;
	s.code = syn->code;
	s.name_ok = syn->name_ok ? syn->name_ok : mts_is_ext_name;
	s.d = d;
	v.name = syn->version_name;
	v.nl = strlen(v.name);
	v.value = syn->version_value;
	v.vl = strlen(v.value);
	return scan(&s, &v, cb, ctx);
}

int mts_fields_begins_with_version(const char *txt, size_t len, const struct mts_fields_syntax *syn)
{
	size_t nl = strlen(syn->version_name), vl = strlen(syn->version_value), i = 0;
	unsigned flags = syn->flags;

	if (!(flags & (MTS_FIELDS_WSP | MTS_FIELDS_FWS))) {
		struct version v;
		v.name = syn->version_name;
		v.nl = nl;
		v.value = syn->version_value;
		v.vl = vl;
		if (!strict_version(txt, len, &v))
			return 0;
		i = skip_ws(txt, nl + 1 + vl, len, flags);
		return i < len && txt[i] == ';';
	}
	if (flags & MTS_FIELDS_FWS)
		i = skip_ws(txt, 0, len, flags);
	if (len - i < nl || memcmp(txt + i, syn->version_name, nl) != 0)
		return 0;
	i = skip_ws(txt, i + nl, len, flags);
	if (i == len || txt[i] != '=')
		return 0;
	i = skip_ws(txt, i + 1, len, flags);
	if (len - i < vl || memcmp(txt + i, syn->version_value, vl) != 0)
		return 0;
	i = skip_ws(txt, i + vl, len, flags);
	return i == len || txt[i] == ';';
}

/* Splits "v=STSv1" into its version tag. */
static void split_version(const char *version, struct version *v)
{
	const char *eq = strchr(version, '=');
	v->name = version;
	v->nl = eq ? (size_t)(eq - version) : strlen(version);
	v->value = eq ? eq + 1 : "";
	v->vl = strlen(v->value);
}

int mts_fields_selected(const char *txt, size_t len, const char *version)
{
	struct version v;
	size_t i;
	split_version(version, &v);
	if (!strict_version(txt, len, &v))
		return 0;
	i = skip_ws(txt, v.nl + 1 + v.vl, len, 0);
	return i < len && txt[i] == ';';
}

long mts_fields_parse(const char *txt, size_t len, const char *version, struct mts_diags *d,
                      const char *code, mts_field_cb *cb, void *ctx)
{
	struct scan s;
	struct version v;

	split_version(version, &v);
	s.t = txt;
	s.len = len;
	s.flags = 0;
	s.code = code;
	s.name_ok = mts_is_ext_name;
	s.d = d;
	return scan(&s, &v, cb, ctx);
}

long mts_fields_bad_value_char(struct mts_span v)
{
	size_t i;
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return (long)i;
	}
	return -1;
}

int mts_fields_dkim_name(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || !mts_is_alpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!mts_is_alnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}
