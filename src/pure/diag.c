#include "diag.h"

#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void mts_diags_init(struct mts_diags *d)
{
	d->items = d->inline_items;
	d->cap = MTS_DIAG_INLINE;
	d->count = d->dropped = d->errors = 0;
	d->oom = 0;
}

void mts_diags_free(struct mts_diags *d)
{
	if (d->items != d->inline_items)
		free(d->items);
	mts_diags_init(d);
}

void mts_diag_add(struct mts_diags *d, unsigned line, enum mts_severity sev,
                  const char *code, const char *fmt, ...)
{
	struct mts_diag *it;
	va_list ap;

	if (sev == MTS_SEV_ERROR)
		d->errors++;
	if (d->count >= MTS_DIAG_KEEP_MAX) {
		d->dropped++;
		return;
	}
	it = mts_array_push((void **)&d->items, &d->count, &d->cap, d->inline_items, sizeof *d->items);
	if (it == NULL) {
		d->oom = 1;
		d->dropped++;
		return;
	}
	it->line = line;
	it->severity = sev;
	it->code = code;
	va_start(ap, fmt);
	vsnprintf(it->message, sizeof it->message, fmt, ap);
	va_end(ap);
}

const struct mts_diag *mts_diags_first_error(const struct mts_diags *d)
{
	size_t i;
	for (i = 0; i < d->count; i++)
		if (d->items[i].severity == MTS_SEV_ERROR)
			return &d->items[i];
	return NULL;
}

void mts_excerpt(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	const size_t keep = 40;

	if (outsz == 0)
		return;
	for (i = 0; i < n && i < keep; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < n && o + 3 < outsz) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}
