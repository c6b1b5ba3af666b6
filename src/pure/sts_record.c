/* RFC 8461 §3.1:
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 */
#include "sts_record.h"

#include <stdlib.h>
#include <string.h>

#define VERSION "v=STSv1"
#define VERSION_LEN 7

#define ERR(r, code, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_ERROR, code, __VA_ARGS__)
#define WARN(r, code, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_WARNING, code, __VA_ARGS__)

int mts_sts_record_selected(const char *txt, size_t len)
{
	size_t i = VERSION_LEN;
	if (len < VERSION_LEN || memcmp(txt, VERSION, VERSION_LEN) != 0)
		return 0;
	while (i < len && mts_is_wsp((unsigned char)txt[i]))
		i++;
	return i < len && txt[i] == ';';
}

static int is_ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '=' && c != ';';
}

static int add_ext(struct mts_sts_record *r, const char *k, size_t kn, const char *v, size_t vn)
{
	if (r->ext_count == r->ext_cap) {
		size_t ncap = r->ext_cap * 2;
		struct mts_ext *n = r->ext == r->ext_inline ? malloc(ncap * sizeof *n)
		                                            : realloc(r->ext, ncap * sizeof *n);
		if (n == NULL)
			return -1;
		if (r->ext == r->ext_inline)
			memcpy(n, r->ext, r->ext_count * sizeof *n);
		r->ext = n;
		r->ext_cap = ncap;
	}
	r->ext[r->ext_count].name.ptr = k;
	r->ext[r->ext_count].name.len = kn;
	r->ext[r->ext_count].value.ptr = v;
	r->ext[r->ext_count].value.len = vn;
	r->ext_count++;
	return 0;
}

/* One "name=value" field starting at character position pos (1-based). */
static void parse_field(struct mts_sts_record *r, const char *f, size_t n, size_t pos, int *has_id)
{
	const char *eq = memchr(f, '=', n);
	size_t kn, vn, i;
	const char *v;
	char ex[64];

	mts_excerpt(ex, sizeof ex, f, n);
	if (eq == NULL) {
		ERR(r, "STS_SYNTAX", "position %zu: expected 'name=value', found '%s'", pos, ex);
		return;
	}
	kn = (size_t)(eq - f);
	v = eq + 1;
	vn = n - kn - 1;
	if (!mts_is_ext_name(f, kn)) {
		ERR(r, "STS_SYNTAX", "position %zu: '%s' does not start with a valid field name", pos, ex);
		return;
	}
	for (i = 0; i < vn; i++)
		if (!is_ext_value_char((unsigned char)v[i])) {
			ERR(r, "STS_SYNTAX", "position %zu: field '%s' has an invalid character in its value (0x%02x)",
			    pos + kn + 1 + i, ex, (unsigned char)v[i]);
			return;
		}
	if (vn == 0) {
		ERR(r, "STS_SYNTAX", "position %zu: field '%s' has an empty value", pos, ex);
		return;
	}
	if (kn == 2 && memcmp(f, "id", 2) == 0) {
		if (*has_id) {
			WARN(r, "DUPLICATE_FIELD", "position %zu: a second id= is ignored; the first counts", pos);
			return;
		}
		*has_id = 1;
		for (i = 0; i < vn; i++)
			if (!mts_is_alnum((unsigned char)v[i])) {
				ERR(r, "STS_SYNTAX", "position %zu: id may hold only letters and digits, not '%c'",
				    pos + 3 + i, v[i]);
				return;
			}
		if (vn > 32) {
			ERR(r, "STS_SYNTAX", "position %zu: id is %zu characters long; the limit is 32", pos, vn);
			return;
		}
		r->id.ptr = v;
		r->id.len = vn;
		return;
	}
	if (kn == 1 && f[0] == 'v') {
		WARN(r, "DUPLICATE_FIELD", "position %zu: a second v= is ignored", pos);
		return;
	}
	if (add_ext(r, f, kn, v, vn) != 0)
		r->diags.oom = 1;
}

int mts_sts_record_parse(struct mts_sts_record *r, const char *txt, size_t len)
{
	size_t i, start;
	int has_id = 0;
	char ex[64];

	memset(&r->id, 0, sizeof r->id);
	r->ext = r->ext_inline;
	r->ext_cap = MTS_RECORD_INLINE_EXT;
	r->ext_count = 0;
	mts_diags_init(&r->diags);

	if (len < VERSION_LEN || memcmp(txt, VERSION, VERSION_LEN) != 0) {
		mts_excerpt(ex, sizeof ex, txt, len);
		ERR(r, "STS_SYNTAX", "the record must begin with 'v=STSv1', found '%s'", ex);
		return -1;
	}
	i = VERSION_LEN;
	for (;;) {
		size_t delim = i, end;
		/* *WSP ";" *WSP */
		while (i < len && mts_is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len) {
			if (i > delim)
				WARN(r, "TRAILING_WHITESPACE", "position %zu: whitespace at the end of the record", delim + 1);
			break;
		}
		if (txt[i] != ';') {
			mts_excerpt(ex, sizeof ex, txt + delim, len - delim);
			ERR(r, "STS_SYNTAX", "position %zu: expected ';' before '%s'", delim + 1, ex);
			return -1;
		}
		i++;
		while (i < len && mts_is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len)
			break; /* a trailing delimiter is allowed */
		start = i;
		while (i < len && txt[i] != ';' && !mts_is_wsp((unsigned char)txt[i]))
			i++;
		end = i;
		if (end == start) {
			ERR(r, "STS_SYNTAX", "position %zu: empty field between two ';'", start + 1);
			return -1;
		}
		parse_field(r, txt + start, end - start, start + 1, &has_id);
	}
	if (!has_id && r->diags.errors == 0)
		ERR(r, "STS_SYNTAX", "the record has no id= field (1 to 32 letters and digits)");
	return r->diags.errors ? -1 : 0;
}

void mts_sts_record_free(struct mts_sts_record *r)
{
	if (r->ext != r->ext_inline)
		free(r->ext);
	r->ext = r->ext_inline;
	r->ext_count = 0;
	mts_diags_free(&r->diags);
}
