#include "fields.h"

#include <string.h>

int mts_fields_selected(const char *txt, size_t len, const char *version)
{
	size_t vl = strlen(version), i = vl;
	if (len < vl || memcmp(txt, version, vl) != 0)
		return 0;
	while (i < len && mts_is_wsp((unsigned char)txt[i]))
		i++;
	return i < len && txt[i] == ';';
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

long mts_fields_parse(const char *txt, size_t len, const char *version, struct mts_diags *d,
                      const char *code, mts_field_cb *cb, void *ctx)
{
	size_t vl = strlen(version), i = vl;
	long fields = 0;
	char ex[64];

	if (len < vl || memcmp(txt, version, vl) != 0) {
		mts_excerpt(ex, sizeof ex, txt, len);
		mts_diag_add(d, 0, MTS_SEV_ERROR, code, "the record must begin with '%s', found '%s'", version, ex);
		return -1;
	}
	for (;;) {
		size_t delim = i, start, end, eq;
		struct mts_field f;

		while (i < len && mts_is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len) {
			if (i > delim)
				mts_diag_add(d, 0, MTS_SEV_WARNING, "TRAILING_WHITESPACE",
				             "position %zu: whitespace at the end of the record", delim + 1);
			return fields;
		}
		if (txt[i] != ';') {
			mts_excerpt(ex, sizeof ex, txt + delim, len - delim);
			mts_diag_add(d, 0, MTS_SEV_ERROR, code, "position %zu: expected ';' before '%s'", delim + 1, ex);
			return -1;
		}
		i++;
		while (i < len && mts_is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len)
			return fields; /* a trailing delimiter is allowed */
		start = i;
		while (i < len && txt[i] != ';')
			i++;
		end = i;
		while (end > start && mts_is_wsp((unsigned char)txt[end - 1]))
			end--;
		i = end; /* the whitespace before ';' belongs to the delimiter */
		if (end == start) {
			mts_diag_add(d, 0, MTS_SEV_ERROR, code, "position %zu: empty field between two ';'", start + 1);
			return -1;
		}
		mts_excerpt(ex, sizeof ex, txt + start, end - start);
		for (eq = start; eq < end && txt[eq] != '='; eq++)
			;
		if (eq == end) {
			mts_diag_add(d, 0, MTS_SEV_ERROR, code, "position %zu: expected 'name=value', found '%s'", start + 1,
			             ex);
			return -1;
		}
		if (!mts_is_ext_name(txt + start, eq - start)) {
			mts_diag_add(d, 0, MTS_SEV_ERROR, code, "position %zu: '%s' does not start with a valid field name",
			             start + 1, ex);
			return -1;
		}
		f.name.ptr = txt + start;
		f.name.len = eq - start;
		f.value.ptr = txt + eq + 1;
		f.value.len = end - eq - 1;
		f.pos = start + 1;
		cb(ctx, &f);
		fields++;
	}
}
