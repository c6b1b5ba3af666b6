#include "dns_code.h"

#include <stdio.h>
#include <string.h>

const char *mts_dns_status_code(enum mts_dns_status s)
{
	switch (s) {
	case MTS_DNS_TIMEOUT: return "DNS_TIMEOUT";
	case MTS_DNS_SERVFAIL: return "DNS_SERVFAIL";
	case MTS_DNS_REFUSED: return "DNS_REFUSED";
	case MTS_DNS_NETWORK: return "DNS_NETWORK";
	case MTS_DNS_TOO_BIG: return "DNS_TOO_BIG";
	case MTS_DNS_BAD_NAME: return "BAD_NAME";
	case MTS_DNS_CANCELLED: return "CANCELLED";
	case MTS_DNS_LOCAL_EMFILE: return "LOCAL_EMFILE";
	case MTS_DNS_PENDING:
	case MTS_DNS_OK: break;
	}
	return NULL;
}

const char *mts_dns_failure(const struct mts_dns_answer *a, char *msg, size_t size)
{
	const char *code = mts_dns_status_code(a->status);
	if (a->status == MTS_DNS_PENDING) {
		snprintf(msg, size, "no answer yet");
		return "DNS_TIMEOUT";
	}
	if (code != NULL) {
		snprintf(msg, size, "%s", a->message ? a->message : "the lookup failed");
		return code;
	}
	if (a->dnssec == MTS_DNSSEC_BOGUS) {
		snprintf(msg, size, "DNSSEC validation failed (bogus): %s",
		         a->why_bogus ? a->why_bogus : "no reason given");
		return "DNS_BOGUS";
	}
	if (a->nxdomain) {
		snprintf(msg, size, "no such domain (NXDOMAIN)");
		return "DNS_NXDOMAIN";
	}
	if (a->count == 0) {
		snprintf(msg, size, "no records of this type (NODATA)");
		return "DNS_NODATA";
	}
	if (size > 0)
		msg[0] = '\0';
	return NULL;
}

int mts_dns_failure_rank(const char *code)
{
	static const char *const order[] = { "DNS_NODATA", "DNS_SERVFAIL", "DNS_REFUSED", "DNS_NETWORK",
		                                 "DNS_TOO_BIG", "CANCELLED", "DNS_TIMEOUT", "LOCAL_EMFILE",
		                                 "DNS_NXDOMAIN", "DNS_BOGUS", "BAD_NAME" };
	size_t i;
	if (code == NULL)
		return 0;
	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(code, order[i]) == 0)
			return (int)i + 2;
	return 1; /* unknown codes: above "no failure" only */
}
