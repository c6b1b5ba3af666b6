/* RFC 8461 §4.1: does an MX host match a policy "mx" pattern? */
#ifndef MTS_MX_MATCH_H
#define MTS_MX_MATCH_H

#include <stddef.h>

/* 1 when host matches pattern, else 0. ASCII case is ignored, and so is one
 * trailing dot on either. "*.example.com" matches exactly one extra label:
 * "mx1.example.com", never "example.com" nor "a.b.example.com". */
int mts_mx_match(const char *pattern, size_t plen, const char *host, size_t hlen);

#endif
