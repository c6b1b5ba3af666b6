/* Syntax of host names as the policy and the policy URL need them:
 * RFC 5321 "Domain" (LDH labels of 1-63 octets, at most 253 in all). */
#ifndef MTS_DOMAIN_H
#define MTS_DOMAIN_H

#include <stddef.h>

enum mts_domain_status {
	MTS_DOMAIN_OK = 0,
	MTS_DOMAIN_EMPTY,
	MTS_DOMAIN_NON_ASCII,   /* a U-label: the A-label (xn--...) is required */
	MTS_DOMAIN_BAD_CHAR,    /* a character outside letters, digits and '-' */
	MTS_DOMAIN_EMPTY_LABEL, /* leading, trailing or doubled dot */
	MTS_DOMAIN_HYPHEN,      /* a label starting or ending with '-' */
	MTS_DOMAIN_LABEL_LONG,  /* a label over 63 octets */
	MTS_DOMAIN_TOO_LONG     /* over 253 octets */
};

/* Checks s[0..n) as a domain without a trailing dot. */
enum mts_domain_status mts_domain_check(const char *s, size_t n);

/* A short English reason for a status ("a label is longer than 63 characters"). */
const char *mts_domain_reason(enum mts_domain_status st);

#endif
