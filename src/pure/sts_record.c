/* RFC 8461 §3.1:
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 * The shared structure is scanned by fields.c; this file checks the values. */
#include "sts_record.h"

#include <stdlib.h>
#include <string.h>

#include "fields.h"

#define VERSION "v=STSv1"

#define ERR(r, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_ERROR, "STS_SYNTAX", __VA_ARGS__)
#define WARN(r, code, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_WARNING, code, __VA_ARGS__)

int mts_sts_record_selected(const char *txt, size_t len)
{
	return mts_fields_selected(txt, len, VERSION);
}

static void on_field(void *ctx, const struct mts_field *f)
{
	struct mts_sts_record *r = ctx;
	long bad = mts_fields_bad_value_char(f->value);
	char ex[64];
	size_t i;

	mts_excerpt(ex, sizeof ex, f->name.ptr, f->name.len + 1 + f->value.len);
	if (bad >= 0) {
		ERR(r, "position %zu: field '%s' has an invalid character in its value (0x%02x)",
		    f->pos + f->name.len + 1 + (size_t)bad, ex, (unsigned char)f->value.ptr[bad]);
		return;
	}
	if (f->value.len == 0) {
		ERR(r, "position %zu: field '%s' has an empty value", f->pos, ex);
		return;
	}
	if (mts_span_is(f->name.ptr, f->name.len, "id")) {
		if (r->id.ptr != NULL) {
			WARN(r, "DUPLICATE_FIELD", "position %zu: a second id= is ignored; the first counts", f->pos);
			return;
		}
		for (i = 0; i < f->value.len; i++)
			if (!mts_is_alnum((unsigned char)f->value.ptr[i])) {
				ERR(r, "position %zu: id may hold only letters and digits, not '%c'", f->pos + 3 + i,
				    f->value.ptr[i]);
				return;
			}
		if (f->value.len > 32) {
			ERR(r, "position %zu: id is %zu characters long; the limit is 32", f->pos, f->value.len);
			return;
		}
		r->id = f->value;
		return;
	}
	if (mts_span_is(f->name.ptr, f->name.len, "v")) {
		WARN(r, "DUPLICATE_FIELD", "position %zu: a second v= is ignored", f->pos);
		return;
	}
	if (mts_ext_push(&r->ext, &r->ext_count, &r->ext_cap, r->ext_inline, f->name, f->value) == NULL)
		r->diags.oom = 1;
}

int mts_sts_record_parse(struct mts_sts_record *r, const char *txt, size_t len)
{
	memset(&r->id, 0, sizeof r->id);
	r->ext = r->ext_inline;
	r->ext_cap = MTS_RECORD_INLINE_EXT;
	r->ext_count = 0;
	mts_diags_init(&r->diags);

	if (mts_fields_parse(txt, len, VERSION, &r->diags, "STS_SYNTAX", on_field, r) < 0)
		return -1;
	if (r->id.ptr == NULL && r->diags.errors == 0)
		ERR(r, "the record has no id= field (1 to 32 letters and digits)");
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
