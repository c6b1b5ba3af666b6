#include "text.h"

#include <stdlib.h>
#include <string.h>

int mts_caseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;
	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (mts_lower((unsigned char)a[i]) != mts_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int mts_span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

size_t mts_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if (c == 0xE0 && s[1] < 0xA0)
		return 0;
	if (c == 0xED && s[1] > 0x9F)
		return 0;
	if (c == 0xF0 && s[1] < 0x90)
		return 0;
	if (c == 0xF4 && s[1] > 0x8F)
		return 0;
	return len;
}

int mts_is_ext_name(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || n > 32 || !mts_is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!mts_is_alnum(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

void *mts_array_push(void **items, size_t *count, size_t *cap, const void *inline_items, size_t size)
{
	if (*count == *cap) {
		size_t ncap = *cap * 2;
		void *n = *items == inline_items ? malloc(ncap * size) : realloc(*items, ncap * size);
		if (n == NULL)
			return NULL;
		if (*items == inline_items)
			memcpy(n, *items, *count * size);
		*items = n;
		*cap = ncap;
	}
	return (char *)*items + (*count)++ * size;
}

struct mts_ext *mts_ext_push(struct mts_ext **items, size_t *count, size_t *cap, struct mts_ext *inline_items,
                             struct mts_span name, struct mts_span value)
{
	struct mts_ext *e = mts_array_push((void **)items, count, cap, inline_items, sizeof *e);
	if (e != NULL) {
		e->name = name;
		e->value = value;
	}
	return e;
}

int mts_is_text_plain(const char *ct)
{
	static const char want[] = "text/plain";
	size_t i;
	if (ct == NULL)
		return 0;
	while (mts_is_wsp((unsigned char)*ct))
		ct++;
	for (i = 0; want[i]; i++)
		if (mts_lower((unsigned char)ct[i]) != (unsigned char)want[i])
			return 0;
	for (ct += i; mts_is_wsp((unsigned char)*ct); ct++)
		;
	return *ct == '\0' || *ct == ';';
}
