/* RFC 8461 §3.2 policy parser. The ABNF is applied strictly; what real
 * senders tolerate but the ABNF does not (blank lines, a BOM, leading
 * whitespace, whitespace-only lines) is a warning, not an error. */
#include "policy.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "typo.h"

struct parser {
	struct mts_policy *p;
	unsigned line;
	unsigned version_line, mode_line, max_age_line; /* first occurrence, 0 = none */
	unsigned mx_lines;                              /* "mx:" lines, valid or not */
	uint32_t *mx_index;                             /* hash set over p->mx, once it is large */
	size_t mx_index_cap;
};

/* Byte classes for the line scanner: 0 is printable ASCII other than ':'. */
enum { C_NL = 1, C_COLON, C_CR, C_OTHER };
#define R4(x) x, x, x, x
#define R16(x) R4(x), R4(x), R4(x), R4(x)
static const unsigned char BYTE_CLASS[256] = {
	/* 0x00 */ C_OTHER, C_OTHER, C_OTHER, C_OTHER, C_OTHER, C_OTHER, C_OTHER, C_OTHER,
	/* 0x08 */ C_OTHER, C_OTHER, C_NL, C_OTHER, C_OTHER, C_CR, C_OTHER, C_OTHER,
	/* 0x10 */ R16(C_OTHER),
	/* 0x20 */ R16(0),
	/* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C_COLON, 0, 0, 0, 0, 0,
	/* 0x40 */ R16(0), R16(0), R16(0),
	/* 0x70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C_OTHER,
	/* 0x80 */ R16(C_OTHER), R16(C_OTHER), R16(C_OTHER), R16(C_OTHER),
	R16(C_OTHER), R16(C_OTHER), R16(C_OTHER), R16(C_OTHER),
};
#undef R16
#undef R4

/* 1 when the 8 bytes at s are all printable ASCII other than ':' (SWAR:
 * no byte below 0x20, none above 0x7e, none equal to ':'). */
static inline int plain8(const char *s)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t w, colon;
	memcpy(&w, s, 8);
	colon = w ^ (ones * ':');
	return (((w - ones * 0x20) & ~w) | ((w + ones * (127 - 0x7e)) | w) | ((colon - ones) & ~colon)) & highs
	       ? 0 : 1;
}

const char *mts_mode_name(enum mts_mode m)
{
	switch (m) {
	case MTS_MODE_ENFORCE: return "enforce";
	case MTS_MODE_TESTING: return "testing";
	case MTS_MODE_NONE: return "none";
	case MTS_MODE_UNSET: break;
	}
	return NULL;
}

#define ERR(ps, code, ...) mts_diag_add(&(ps)->p->diags, (ps)->line, MTS_SEV_ERROR, code, __VA_ARGS__)
#define WARN(ps, code, ...) mts_diag_add(&(ps)->p->diags, (ps)->line, MTS_SEV_WARNING, code, __VA_ARGS__)

/* ---- duplicate detection for mx: linear while small, hashed when large ---- */

#define MX_LINEAR_MAX 16

static uint32_t mx_hash(struct mts_span s)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < s.len; i++)
		h = (h ^ mts_lower((unsigned char)s.ptr[i])) * 16777619u;
	return h;
}

/* Slot of s in the index: an empty slot (0) or one holding an equal name. */
static size_t mx_slot(const struct parser *ps, struct mts_span s)
{
	size_t mask = ps->mx_index_cap - 1, i = mx_hash(s) & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t v = ps->mx_index[i];
		if (v == 0)
			return i;
		if (mts_caseeq(ps->p->mx[v - 1].ptr, ps->p->mx[v - 1].len, s.ptr, s.len))
			return i;
	}
}

static int mx_index_rebuild(struct parser *ps, size_t cap)
{
	size_t i;
	free(ps->mx_index);
	ps->mx_index = calloc(cap, sizeof *ps->mx_index);
	if (ps->mx_index == NULL) {
		ps->mx_index_cap = 0; /* mx_find falls back to a linear scan */
		return -1;
	}
	ps->mx_index_cap = cap;
	for (i = 0; i < ps->p->mx_count; i++)
		ps->mx_index[mx_slot(ps, ps->p->mx[i])] = (uint32_t)(i + 1);
	return 0;
}

/* Index of an earlier equal mx + 1, or 0. */
static size_t mx_find(struct parser *ps, struct mts_span s)
{
	size_t i;
	if (ps->mx_index == NULL) {
		for (i = 0; i < ps->p->mx_count; i++)
			if (mts_caseeq(ps->p->mx[i].ptr, ps->p->mx[i].len, s.ptr, s.len))
				return i + 1;
		return 0;
	}
	return ps->mx_index[mx_slot(ps, s)];
}

static int mx_add(struct parser *ps, struct mts_span s)
{
	struct mts_policy *p = ps->p;
	struct mts_span *slot = mts_array_push((void **)&p->mx, &p->mx_count, &p->mx_cap, p->mx_inline, sizeof *p->mx);
	if (slot == NULL)
		return -1;
	*slot = s;
	if (p->mx_count > MX_LINEAR_MAX) {
		if (ps->mx_index == NULL || p->mx_count * 2 > ps->mx_index_cap)
			return mx_index_rebuild(ps, ps->mx_index_cap ? ps->mx_index_cap * 2 : 64);
		ps->mx_index[mx_slot(ps, s)] = (uint32_t)p->mx_count;
	}
	return 0;
}

/* ---- one field each ---- */

static void field_version(struct parser *ps, const char *v, size_t n)
{
	char ex[64];
	if (n == 5 && memcmp(v, "STSv1", 5) == 0) {
		ps->p->has_version = 1;
		return;
	}
	mts_excerpt(ex, sizeof ex, v, n);
	ERR(ps, "INVALID_VERSION", "line %u: version must be 'STSv1', not '%s'", ps->line, ex);
}

static void field_mode(struct parser *ps, const char *v, size_t n)
{
	static const enum mts_mode modes[] = { MTS_MODE_ENFORCE, MTS_MODE_TESTING, MTS_MODE_NONE };
	char ex[64];
	size_t i;

	if (n == 7 && memcmp(v, "enforce", 7) == 0) {
		ps->p->mode = MTS_MODE_ENFORCE;
		return;
	}
	if (n == 7 && memcmp(v, "testing", 7) == 0) {
		ps->p->mode = MTS_MODE_TESTING;
		return;
	}
	if (n == 4 && memcmp(v, "none", 4) == 0) {
		ps->p->mode = MTS_MODE_NONE;
		return;
	}
	mts_excerpt(ex, sizeof ex, v, n);
	for (i = 0; i < 3; i++) {
		const char *name = mts_mode_name(modes[i]);
		if (mts_caseeq(v, n, name, strlen(name))) {
			ERR(ps, "INVALID_MODE", "line %u: mode values are case-sensitive: write '%s', not '%s'",
			    ps->line, name, ex);
			return;
		}
	}
	ERR(ps, "INVALID_MODE", "line %u: mode must be enforce, testing or none, not '%s'", ps->line, ex);
}

static void field_max_age(struct parser *ps, const char *v, size_t n)
{
	char ex[64];
	unsigned long long age = 0;
	size_t i;

	for (i = 0; i < n && mts_is_digit((unsigned char)v[i]); i++)
		age = age * 10 + (unsigned)(v[i] - '0');
	if (n == 0 || i < n || n > 10) {
		mts_excerpt(ex, sizeof ex, v, n);
		ERR(ps, "INVALID_MAX_AGE", "line %u: max_age must be 1 to 10 digits (seconds), not '%s'",
		    ps->line, ex);
		return;
	}
	if (age > MTS_MAX_AGE_LIMIT) {
		ERR(ps, "MAX_AGE_TOO_LARGE", "line %u: max_age %llu exceeds the maximum of 31557600 (one year)",
		    ps->line, age);
		return;
	}
	ps->p->max_age = (long)age;
}

/* The diagnosis of an mx value that is not a valid ["*."] Domain. */
static void bad_mx(struct parser *ps, const char *v, size_t n, const char *name, size_t nlen,
                   enum mts_domain_status st)
{
	char ex[64];
	size_t i;

	mts_excerpt(ex, sizeof ex, v, n);
	if (n == 0) {
		ERR(ps, "INVALID_MX", "line %u: mx has no value", ps->line);
		return;
	}
	if (memchr(name, '*', nlen) != NULL) {
		ERR(ps, "INVALID_WILDCARD",
		    "line %u: mx '%s': '*' is allowed only as the whole left-most label, as in *.example.com",
		    ps->line, ex);
		return;
	}
	for (i = 0; i < nlen; i++)
		if (mts_is_wsp((unsigned char)name[i]) || name[i] == ',') {
			ERR(ps, "INVALID_MX", "line %u: mx '%s': list one host per line, each with its own 'mx:' key",
			    ps->line, ex);
			return;
		}
	if (nlen && name[nlen - 1] == '.' && mts_domain_check(name, nlen - 1) == MTS_DOMAIN_OK) {
		ERR(ps, "INVALID_MX", "line %u: mx '%s': remove the trailing dot", ps->line, ex);
		return;
	}
	if (st == MTS_DOMAIN_NON_ASCII) {
		ERR(ps, "NON_ASCII_MX", "line %u: mx '%s': internationalized names must be written as A-labels (xn--...)",
		    ps->line, ex);
		return;
	}
	ERR(ps, "INVALID_MX", "line %u: mx '%s' is not a valid host name: %s", ps->line, ex, mts_domain_reason(st));
}

static void field_mx(struct parser *ps, const char *v, size_t n)
{
	struct mts_span s = { v, n };
	const char *name = v;
	size_t nlen = n;
	enum mts_domain_status st;
	char ex[64];

	ps->mx_lines++;
	if (n >= 2 && v[0] == '*' && v[1] == '.') {
		name += 2;
		nlen -= 2;
	}
	st = mts_domain_check(name, nlen);
	if (st != MTS_DOMAIN_OK) {
		bad_mx(ps, v, n, name, nlen, st);
		return;
	}
	if (mx_find(ps, s)) {
		mts_excerpt(ex, sizeof ex, v, n);
		WARN(ps, "DUPLICATE_MX", "line %u: mx '%s' is listed twice", ps->line, ex);
		return;
	}
	if (mx_add(ps, s) != 0)
		ps->p->diags.oom = 1;
}

static void field_extension(struct parser *ps, const char *k, size_t kn, const char *v, size_t n)
{
	struct mts_policy *p = ps->p;
	struct mts_span name, value;
	const char *typo = mts_policy_key_typo(k, kn);
	char ex[64];

	if (typo != NULL) {
		mts_excerpt(ex, sizeof ex, k, kn);
		WARN(ps, "LIKELY_TYPO", "line %u: unknown key '%s' is ignored; did you mean '%s'?", ps->line, ex,
		     typo);
	}
	if (n == 0) {
		mts_excerpt(ex, sizeof ex, k, kn);
		WARN(ps, "EMPTY_VALUE", "line %u: '%s' has no value", ps->line, ex);
	}
	name.ptr = k;
	name.len = kn;
	value.ptr = v;
	value.len = n;
	if (mts_ext_push(&p->ext, &p->ext_count, &p->ext_cap, p->ext_inline, name, value) == NULL)
		p->diags.oom = 1;
}

/* The first of a required single-valued key counts; a repeat is a warning. */
static int first_time(struct parser *ps, unsigned *seen, const char *key)
{
	if (*seen == 0) {
		*seen = ps->line;
		return 1;
	}
	WARN(ps, "DUPLICATE_FIELD", "line %u: repeated '%s' is ignored; the first, on line %u, counts", ps->line,
	     key, *seen);
	return 0;
}

/* Rejects control characters, bare CR and invalid UTF-8 anywhere in a line. */
static int line_bytes_ok(struct parser *ps, const char *s, size_t n)
{
	size_t i, k;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((unsigned char)(c - 0x20) < 0x5f) /* printable ASCII, the common case */
			continue;
		if (c == '\t')
			continue;
		if (c == '\r') {
			ERR(ps, "BAD_LINE_ENDING", "line %u: carriage return not followed by a line feed", ps->line);
			return 0;
		}
		if (c < 0x80) {
			ERR(ps, "CONTROL_CHAR", "line %u, column %zu: control character 0x%02x", ps->line, i + 1, c);
			return 0;
		}
		k = mts_utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0) {
			ERR(ps, "INVALID_UTF8", "line %u, column %zu: invalid UTF-8", ps->line, i + 1);
			return 0;
		}
		i += k - 1;
	}
	return 1;
}

/* One line s[0..n) without its terminator. colon is its first ':' (or
 * NULL); slow says it holds bytes other than printable ASCII. */
static void parse_line(struct parser *ps, const char *s, size_t n, const char *colon, int slow)
{
	const char *k, *v;
	size_t kn, vn, i = 0;
	char ex[64];

	if (n == 0) {
		WARN(ps, "BLANK_LINE", "line %u is empty", ps->line);
		return;
	}
	if (slow && !line_bytes_ok(ps, s, n))
		return;
	while (i < n && mts_is_wsp((unsigned char)s[i]))
		i++;
	if (i == n) {
		WARN(ps, "WHITESPACE_LINE", "line %u holds only whitespace", ps->line);
		return;
	}
	if (i > 0)
		WARN(ps, "LEADING_WHITESPACE", "line %u starts with whitespace", ps->line);
	k = s + i;
	if (colon == NULL) {
		mts_excerpt(ex, sizeof ex, k, n - i);
		ERR(ps, "MISSING_COLON", "line %u: expected 'key: value', found '%s'", ps->line, ex);
		return;
	}
	kn = (size_t)(colon - k);
	v = colon + 1;
	vn = n - (size_t)(v - s);
	while (vn && mts_is_wsp((unsigned char)*v))
		v++, vn--;
	while (vn && mts_is_wsp((unsigned char)v[vn - 1]))
		vn--;

	switch (kn) {
	case 2:
		if (k[0] == 'm' && k[1] == 'x') {
			field_mx(ps, v, vn);
			return;
		}
		break;
	case 4:
		if (memcmp(k, "mode", 4) == 0) {
			if (first_time(ps, &ps->mode_line, "mode"))
				field_mode(ps, v, vn);
			return;
		}
		break;
	case 7:
		if (memcmp(k, "version", 7) == 0) {
			if (first_time(ps, &ps->version_line, "version"))
				field_version(ps, v, vn);
			return;
		}
		if (memcmp(k, "max_age", 7) == 0) {
			if (first_time(ps, &ps->max_age_line, "max_age"))
				field_max_age(ps, v, vn);
			return;
		}
		break;
	default:
		break;
	}
	/* Not a known key: it must still be a valid extension name. */
	if (!mts_is_ext_name(k, kn)) {
		size_t t = kn;
		while (t && mts_is_wsp((unsigned char)k[t - 1]))
			t--;
		mts_excerpt(ex, sizeof ex, k, t);
		if (t < kn && mts_is_ext_name(k, t))
			ERR(ps, "INVALID_KEY", "line %u: no space is allowed between '%s' and ':'", ps->line, ex);
		else
			ERR(ps, "INVALID_KEY", "line %u: '%s' is not a valid key", ps->line, ex);
		return;
	}
	field_extension(ps, k, kn, v, vn);
}

static void check_required(struct parser *ps)
{
	struct mts_diags *d = &ps->p->diags;
	if (!ps->version_line)
		mts_diag_add(d, 0, MTS_SEV_ERROR, "MISSING_VERSION", "the required 'version: STSv1' line is missing");
	if (!ps->mode_line)
		mts_diag_add(d, 0, MTS_SEV_ERROR, "MISSING_MODE",
		             "the required 'mode:' line (enforce, testing or none) is missing");
	if (!ps->max_age_line)
		mts_diag_add(d, 0, MTS_SEV_ERROR, "MISSING_MAX_AGE", "the required 'max_age:' line is missing");
	if (ps->mx_lines == 0 && ps->p->mode != MTS_MODE_NONE)
		mts_diag_add(d, 0, MTS_SEV_ERROR, "MISSING_MX",
		             "no 'mx:' line: unless the mode is none, the policy must list every MX host");
}

int mts_policy_parse(struct mts_policy *p, const char *text, size_t len)
{
	struct parser ps;
	const char *pos = text, *end = text + len;

	memset(p, 0, offsetof(struct mts_policy, mx_inline));
	p->max_age = -1;
	p->mx = p->mx_inline;
	p->mx_cap = MTS_POLICY_INLINE_MX;
	p->ext = p->ext_inline;
	p->ext_cap = MTS_POLICY_INLINE_EXT;
	mts_diags_init(&p->diags);
	memset(&ps, 0, sizeof ps);
	ps.p = p;
	ps.line = 1;

	if (len >= 3 && memcmp(pos, "\xEF\xBB\xBF", 3) == 0) {
		WARN(&ps, "BOM", "the file starts with a UTF-8 byte order mark");
		pos += 3;
	}
	if (pos == end) {
		mts_diag_add(&p->diags, 0, MTS_SEV_ERROR, "EMPTY", "the policy is empty");
		return -1;
	}
	/* One pass per line finds its end and first ':' and notes unusual bytes. */
	while (pos < end) {
		const char *q = pos, *colon = NULL, *cr = NULL;
		int slow = 0;
		for (; q < end; q++) {
			/* Eight ordinary bytes at a time while there are eight left. */
			while (end - q >= 8 && plain8(q))
				q += 8;
			if (q == end)
				break;
			unsigned char cls = BYTE_CLASS[(unsigned char)*q];
			if (cls == 0)
				continue;
			if (cls == C_NL)
				break;
			if (cls == C_COLON) {
				if (colon == NULL)
					colon = q;
			} else if (cls == C_CR && cr == NULL) {
				cr = q;
			} else {
				slow = 1;
			}
		}
		/* A CR is fine only as the CR of a CRLF (or the very last byte). */
		if (cr != NULL && cr != q - 1)
			slow = 1;
		parse_line(&ps, pos, (size_t)((cr == q - 1 && cr != NULL ? cr : q) - pos), colon, slow);
		pos = q < end ? q + 1 : end;
		ps.line++;
	}
	ps.line = 0;
	check_required(&ps);
	free(ps.mx_index);
	return p->diags.errors ? -1 : 0;
}

void mts_policy_free(struct mts_policy *p)
{
	if (p->mx != p->mx_inline)
		free(p->mx);
	if (p->ext != p->ext_inline)
		free(p->ext);
	p->mx = p->mx_inline;
	p->ext = p->ext_inline;
	p->mx_count = p->ext_count = 0;
	mts_diags_free(&p->diags);
}
