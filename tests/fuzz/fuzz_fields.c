/* libFuzzer target: the tag-list scanner in every mode. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pure/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const char *txt;
	size_t len, calls;
	const struct mts_fields_syntax *syn;
};

static int ws(unsigned char c) { return c == ' ' || c == '\t'; }

static void on_tag(void *ctx, const struct mts_field *f)
{
	struct seen *s = ctx;
	int (*ok)(const char *, size_t) = s->syn->name_ok ? s->syn->name_ok : mts_is_ext_name;
	s->calls++;
	if (f->name.ptr < s->txt || f->name.ptr + f->name.len > s->txt + s->len)
		abort();
	if (f->value.ptr < s->txt || f->value.ptr + f->value.len > s->txt + s->len)
		abort();
	if (!ok(f->name.ptr, f->name.len) || memchr(f->value.ptr, ';', f->value.len))
		abort();
	if (f->pos != (size_t)(f->name.ptr - s->txt) + 1)
		abort();
	if (s->syn->flags && f->value.len && (ws((unsigned char)f->value.ptr[0]) ||
	                                      ws((unsigned char)f->value.ptr[f->value.len - 1])))
		abort();
}

static const struct mts_fields_syntax SYN[] = {
	{ "v", "STSv1", 0, "STS_SYNTAX", NULL },
	{ "v", "DMARC1", MTS_FIELDS_WSP, "DMARC_SYNTAX", NULL },
	{ "v", "1", MTS_FIELDS_FWS, "DKIM_SYNTAX", mts_fields_dkim_name },
	{ "v", "DKIM1", MTS_FIELDS_FWS | MTS_FIELDS_VERSION_OPTIONAL, "DKIM_SYNTAX", mts_fields_dkim_name },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t k;
	char *txt = malloc(size ? size : 1);
	if (txt == NULL)
		return 0;
	memcpy(txt, data, size);
	for (k = 0; k < sizeof SYN / sizeof SYN[0]; k++) {
		struct mts_diags d;
		struct seen s = { txt, size, 0, &SYN[k] };
		long n;
		mts_diags_init(&d);
		(void)mts_fields_begins_with_version(txt, size, &SYN[k]);
		n = mts_fields_scan(txt, size, &SYN[k], &d, on_tag, &s);
		if (n < 0 ? d.errors == 0 : (d.errors != 0 || (size_t)n != s.calls))
			abort();
		if (k == 0) { /* the old entry point is the same scan */
			struct mts_diags d2;
			struct seen s2 = { txt, size, 0, &SYN[0] };
			mts_diags_init(&d2);
			if (mts_fields_parse(txt, size, "v=STSv1", &d2, "STS_SYNTAX", on_tag, &s2) != n || d2.count != d.count)
				abort();
			if (mts_fields_selected(txt, size, "v=STSv1") != mts_fields_begins_with_version(txt, size, &SYN[0]))
				abort();
			mts_diags_free(&d2);
		}
		mts_diags_free(&d);
	}
	free(txt);
	return 0;
}
