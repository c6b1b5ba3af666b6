/* The one mapping from a DNS answer to a failure code, shared by the
 * resolver's Lua binding, the fetcher and the prober, so that the same
 * failure has the same code wherever it shows (docs/resolver.md "Codes").
 *
 * Codes: BAD_NAME, CANCELLED, LOCAL_EMFILE, DNS_TIMEOUT, DNS_SERVFAIL,
 * DNS_REFUSED, DNS_NETWORK, DNS_TOO_BIG (an answer libunbound could not hold),
 * and for callers that need records: DNS_BOGUS, DNS_NXDOMAIN, DNS_NODATA. */
#ifndef MTS_DNS_CODE_H
#define MTS_DNS_CODE_H

#include <stddef.h>

#include "resolver.h"

/* The code of a lookup that did not produce an answer (status other than
 * MTS_DNS_OK); NULL for OK and PENDING. */
const char *mts_dns_status_code(enum mts_dns_status s);

/* What an answer means to a caller that needs its records: NULL when it
 * has records it may use; else the code, with one English line about it in
 * msg (prefixed by nothing: callers add the name). A bogus answer is a
 * failure even though libunbound delivered it. */
const char *mts_dns_failure(const struct mts_dns_answer *a, char *msg, size_t size);

/* Of two failures (say the A and the AAAA lookup of one host), the more
 * telling one ranks higher: BAD_NAME > DNS_BOGUS > DNS_NXDOMAIN >
 * LOCAL_EMFILE > DNS_TIMEOUT > the other lookup failures > DNS_NODATA. NULL
 * (no failure) ranks lowest. */
int mts_dns_failure_rank(const char *code);

#endif
