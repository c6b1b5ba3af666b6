/* Decoding DNS wire data (no I/O): RR type names, domain names in rdata,
 * the rdata of the types the resolver's Lua binding shows as tables (MX,
 * TXT, TLSA, DS, DNSKEY, SOA, names), DNSKEY key tags, the TC bit. Every
 * decoder takes untrusted octets (tests/fuzz/fuzz_rdata.c) and returns 0,
 * or -1 when the rdata does not fit its type (the binding then shows hex). */
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

/* 1 if the DNS message of len octets at msg has the TC (truncated) bit set
 * in its header; 0 otherwise, also when it is shorter than a header. */
int mts_wire_truncated(const void *msg, size_t len);

/* RFC 4034 appendix B key tag of a DNSKEY rdata. */
unsigned mts_dnskey_tag(const unsigned char *rdata, size_t len);

struct mts_rr_mx {
	unsigned preference;
	char exchange[MTS_NAME_TEXT_MAX];
};

/* Pointers in these point into the rdata given. */
struct mts_rr_tlsa { /* also SMIMEA */
	unsigned usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

struct mts_rr_ds { /* also CDS */
	unsigned key_tag, algorithm, digest_type;
	const unsigned char *digest;
	size_t len;
};

struct mts_rr_dnskey { /* also CDNSKEY */
	unsigned flags, protocol, algorithm, key_tag;
};

struct mts_rr_soa {
	char mname[MTS_NAME_TEXT_MAX], rname[MTS_NAME_TEXT_MAX];
	unsigned long serial, refresh, retry, expire, minimum;
};

/* NS, CNAME, PTR, DNAME: exactly one name; out needs MTS_NAME_TEXT_MAX. */
int mts_rdata_name(const unsigned char *p, size_t n, char *out);
int mts_rdata_mx(const unsigned char *p, size_t n, struct mts_rr_mx *mx);
/* TXT: the number of character-strings (>= 1), or -1 if they do not fill
 * the rdata exactly (or there are none). String i starts at the octet
 * after its length octet: walk with off += 1 + p[off]. */
long mts_rdata_txt_count(const unsigned char *p, size_t n);
int mts_rdata_tlsa(const unsigned char *p, size_t n, struct mts_rr_tlsa *t);
int mts_rdata_ds(const unsigned char *p, size_t n, struct mts_rr_ds *ds);
int mts_rdata_dnskey(const unsigned char *p, size_t n, struct mts_rr_dnskey *k);
int mts_rdata_soa(const unsigned char *p, size_t n, struct mts_rr_soa *soa);

#endif
