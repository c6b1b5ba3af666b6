#include "domain.h"


/* Character classes: letters and digits are the common case. */
enum { D_ALNUM = 0, D_HYPHEN, D_DOT, D_HIGH, D_BAD };
#define R4(x) x, x, x, x
#define R8(x) R4(x), R4(x)
#define R16(x) R8(x), R8(x)
static const unsigned char DOMAIN_CLASS[256] = {
	R16(D_BAD), R16(D_BAD),
	/* 0x20 */ R8(D_BAD), D_BAD, D_BAD, D_BAD, D_BAD, D_BAD, D_HYPHEN, D_DOT, D_BAD,
	/* 0x30 */ R8(D_ALNUM), D_ALNUM, D_ALNUM, D_BAD, D_BAD, D_BAD, D_BAD, D_BAD, D_BAD,
	/* 0x40 */ D_BAD, R8(D_ALNUM), R4(D_ALNUM), D_ALNUM, D_ALNUM, D_ALNUM,
	/* 0x50 */ R8(D_ALNUM), D_ALNUM, D_ALNUM, D_ALNUM, D_BAD, D_BAD, D_BAD, D_BAD, D_BAD,
	/* 0x60 */ D_BAD, R8(D_ALNUM), R4(D_ALNUM), D_ALNUM, D_ALNUM, D_ALNUM,
	/* 0x70 */ R8(D_ALNUM), D_ALNUM, D_ALNUM, D_ALNUM, D_BAD, D_BAD, D_BAD, D_BAD, D_BAD,
	R16(D_HIGH), R16(D_HIGH), R16(D_HIGH), R16(D_HIGH), R16(D_HIGH), R16(D_HIGH), R16(D_HIGH), R16(D_HIGH),
};
#undef R16
#undef R8
#undef R4

enum mts_domain_status mts_domain_check(const char *s, size_t n)
{
	size_t i = 0, start = 0;
	enum mts_domain_status bad = MTS_DOMAIN_OK;

	if (n == 0)
		return MTS_DOMAIN_EMPTY;
	for (;;) {
		unsigned char cls = D_DOT;
		/* Letters, digits and hyphens, in a tight loop. */
		while (i < n && (cls = DOMAIN_CLASS[(unsigned char)s[i]]) <= D_HYPHEN)
			i++;
		if (i < n && cls != D_DOT) {
			if (cls == D_HIGH)
				return MTS_DOMAIN_NON_ASCII; /* outranks everything: say "use the A-label" */
			if (!bad)
				bad = MTS_DOMAIN_BAD_CHAR;
			i++; /* still the same label */
			continue;
		}
		/* The end of a label: at a dot or at the end of the name. */
		if (i == start)
			return MTS_DOMAIN_EMPTY_LABEL;
		if ((s[start] == '-' || s[i - 1] == '-') && !bad)
			bad = MTS_DOMAIN_HYPHEN;
		if (i - start > 63 && !bad)
			bad = MTS_DOMAIN_LABEL_LONG;
		if (i == n)
			break;
		start = ++i; /* past the dot */
		if (i == n)
			return MTS_DOMAIN_EMPTY_LABEL; /* a trailing dot */
	}
	if (bad)
		return bad;
	return n > 253 ? MTS_DOMAIN_TOO_LONG : MTS_DOMAIN_OK;
}

const char *mts_domain_reason(enum mts_domain_status st)
{
	switch (st) {
	case MTS_DOMAIN_OK: return "valid";
	case MTS_DOMAIN_EMPTY: return "the name is empty";
	case MTS_DOMAIN_NON_ASCII: return "non-ASCII characters: use the A-label (xn--...) form";
	case MTS_DOMAIN_BAD_CHAR: return "only letters, digits, '-' and '.' are allowed";
	case MTS_DOMAIN_EMPTY_LABEL: return "empty label (leading, trailing or doubled '.')";
	case MTS_DOMAIN_HYPHEN: return "a label starts or ends with '-'";
	case MTS_DOMAIN_LABEL_LONG: return "a label is longer than 63 characters";
	case MTS_DOMAIN_TOO_LONG: return "the name is longer than 253 characters";
	}
	return "invalid";
}
