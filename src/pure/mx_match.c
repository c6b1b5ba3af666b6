#include "mx_match.h"

#include <string.h>

#include "text.h"

int mts_mx_match(const char *pattern, size_t plen, const char *host, size_t hlen)
{
	const char *dot;

	if (plen && pattern[plen - 1] == '.')
		plen--;
	if (hlen && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0)
		return 0;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* Strip the host's first label; it must be non-empty. */
		dot = memchr(host, '.', hlen);
		if (dot == NULL || dot == host)
			return 0;
		hlen -= (size_t)(dot - host) + 1;
		host = dot + 1;
		pattern += 2;
		plen -= 2;
	}
	return mts_caseeq(pattern, plen, host, hlen);
}
