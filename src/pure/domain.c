#include "domain.h"

#include "text.h"

enum mts_domain_status mts_domain_check(const char *s, size_t n)
{
	size_t i, label = 0;
	enum mts_domain_status bad = MTS_DOMAIN_OK;

	if (n == 0)
		return MTS_DOMAIN_EMPTY;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';
		if (c == '.') {
			if (label == 0)
				return MTS_DOMAIN_EMPTY_LABEL;
			if (s[i - 1] == '-' || s[i - label] == '-')
				bad = bad ? bad : MTS_DOMAIN_HYPHEN;
			if (label > 63)
				bad = bad ? bad : MTS_DOMAIN_LABEL_LONG;
			label = 0;
			continue;
		}
		label++;
		if (c >= 0x80)
			return MTS_DOMAIN_NON_ASCII; /* outranks everything: say "use the A-label" */
		if (!mts_is_alnum(c) && c != '-')
			bad = bad ? bad : MTS_DOMAIN_BAD_CHAR;
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
