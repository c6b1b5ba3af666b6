/* Small character-class and string helpers shared by the pure parsers. */
#ifndef MTS_TEXT_H
#define MTS_TEXT_H

#include <stddef.h>

/* A slice of the caller's input: never NUL-terminated, never owned. */
struct mts_span {
	const char *ptr;
	size_t len;
};

static inline int mts_is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
static inline int mts_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int mts_is_alnum(unsigned char c) { return mts_is_alpha(c) || mts_is_digit(c); }
static inline int mts_is_wsp(unsigned char c) { return c == ' ' || c == '\t'; }
static inline unsigned char mts_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* Equal ignoring ASCII case. */
int mts_caseeq(const char *a, size_t alen, const char *b, size_t blen);

/* Exact comparison of a span with a NUL-terminated literal. */
int mts_span_is(const char *s, size_t n, const char *lit);

/* Is this Content-Type value text/plain (RFC 8461 §3.2)? Case-insensitive,
 * surrounding blanks and parameters ("; charset=utf-8") allowed. NULL: no. */
int mts_is_text_plain(const char *content_type);

/* Length of the valid UTF-8 sequence (2-4 bytes) starting at s, or 0. */
size_t mts_utf8_seq(const unsigned char *s, size_t n);

/* Extension name of RFC 8461 (§3.1 and §3.2):
 * (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
int mts_is_ext_name(const char *s, size_t n);

/* An unknown "name: value" or "name=value" field, kept for the caller. */
struct mts_ext {
	struct mts_span name, value;
};

/* Appends one element to an array that starts in inline storage (so small
 * inputs never allocate). Returns the new slot, or NULL when out of memory. */
void *mts_array_push(void **items, size_t *count, size_t *cap, const void *inline_items, size_t size);

/* Appends a name/value pair (mts_array_push for extension lists); NULL when
 * out of memory. */
struct mts_ext *mts_ext_push(struct mts_ext **items, size_t *count, size_t *cap, struct mts_ext *inline_items,
                             struct mts_span name, struct mts_span value);

#endif
