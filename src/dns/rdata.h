/* Decoding pieces of DNS wire data (no I/O): RR type names, domain names in
 * rdata, DNSKEY key tags. Used by the resolver's Lua binding. */
#ifndef MTS_DNS_RDATA_H
#define MTS_DNS_RDATA_H

#include <stddef.h>

#define MTS_NAME_TEXT_MAX 1024 /* 255 wire octets, each at most "\DDD" */

/* "A", "txt", "TYPE65" -> the number; -1 if unknown. */
int mts_rrtype_from_name(const char *s);
/* 15 -> "MX"; NULL for types without a mnemonic here. */
const char *mts_rrtype_name(int type);

/* Decodes the uncompressed wire name at p + *off (p has len octets) into
 * presentation form without the trailing dot ("." for the root), escaping
 * '.' and '\' inside labels and non-printable octets as \DDD. Advances *off.
 * out needs MTS_NAME_TEXT_MAX octets. Returns 0, or -1 if malformed. */
int mts_wire_name(const unsigned char *p, size_t len, size_t *off, char *out);

/* RFC 4034 appendix B key tag of a DNSKEY rdata. */
unsigned mts_dnskey_tag(const unsigned char *rdata, size_t len);

#endif
