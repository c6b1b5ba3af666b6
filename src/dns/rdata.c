#include "rdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int type;
} types[] = {
	{ "A", 1 },        { "NS", 2 },       { "CNAME", 5 },    { "SOA", 6 },       { "PTR", 12 },
	{ "HINFO", 13 },   { "MX", 15 },      { "TXT", 16 },     { "RP", 17 },       { "AAAA", 28 },
	{ "LOC", 29 },     { "SRV", 33 },     { "NAPTR", 35 },   { "CERT", 37 },     { "DNAME", 39 },
	{ "DS", 43 },      { "SSHFP", 44 },   { "RRSIG", 46 },   { "NSEC", 47 },     { "DNSKEY", 48 },
	{ "NSEC3", 50 },   { "NSEC3PARAM", 51 }, { "TLSA", 52 }, { "SMIMEA", 53 },   { "CDS", 59 },
	{ "CDNSKEY", 60 }, { "OPENPGPKEY", 61 }, { "SVCB", 64 }, { "HTTPS", 65 },    { "SPF", 99 },
	{ "ANY", 255 },    { "URI", 256 },    { "CAA", 257 },
};

int mts_rrtype_from_name(const char *s)
{
	size_t i;
	char up[16];
	for (i = 0; s[i] != '\0' && i < sizeof up - 1; i++)
		up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
	if (s[i] != '\0')
		return -1;
	up[i] = '\0';
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, up) == 0)
			return types[i].type;
	if (strncmp(up, "TYPE", 4) == 0 && up[4] >= '0' && up[4] <= '9') {
		char *end;
		long v = strtol(up + 4, &end, 10);
		if (*end == '\0' && v >= 0 && v <= 65535)
			return (int)v;
	}
	return -1;
}

const char *mts_rrtype_name(int type)
{
	size_t i;
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

int mts_wire_name(const unsigned char *p, size_t len, size_t *off, char *out)
{
	size_t o = *off, w = 0, total = 0;
	for (;;) {
		size_t lab, i;
		if (o >= len)
			return -1;
		lab = p[o++];
		if (lab == 0)
			break;
		if (lab > 63 || o + lab > len || (total += lab + 1) > 254)
			return -1;
		if (w > 0)
			out[w++] = '.';
		for (i = 0; i < lab; i++) {
			unsigned char c = p[o + i];
			if (c == '.' || c == '\\') {
				out[w++] = '\\';
				out[w++] = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(out + w, 5, "\\%03u", c);
				w += 4;
			} else {
				out[w++] = (char)c;
			}
		}
		o += lab;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	*off = o;
	return 0;
}

unsigned mts_dnskey_tag(const unsigned char *rdata, size_t len)
{
	unsigned long ac = 0;
	size_t i;
	for (i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (unsigned long)rdata[i] << 8;
	ac += (ac >> 16) & 0xFFFF;
	return (unsigned)(ac & 0xFFFF);
}

int mts_wire_truncated(const void *msg, size_t len)
{
	const unsigned char *p = msg;
	return p != NULL && len >= 12 && (p[2] & 0x02) != 0;
}

static unsigned u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long u32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

int mts_rdata_name(const unsigned char *p, size_t n, char *out)
{
	size_t off = 0;
	return mts_wire_name(p, n, &off, out) == 0 && off == n ? 0 : -1;
}

int mts_rdata_mx(const unsigned char *p, size_t n, struct mts_rr_mx *mx)
{
	size_t off = 2;
	if (n < 3 || mts_wire_name(p, n, &off, mx->exchange) != 0 || off != n)
		return -1;
	mx->preference = u16(p);
	return 0;
}

long mts_rdata_txt_count(const unsigned char *p, size_t n)
{
	size_t off = 0;
	long count = 0;
	while (off < n) {
		off += 1 + (size_t)p[off];
		count++;
	}
	return off == n && count > 0 ? count : -1;
}

int mts_rdata_tlsa(const unsigned char *p, size_t n, struct mts_rr_tlsa *t)
{
	if (n < 3)
		return -1;
	t->usage = p[0];
	t->selector = p[1];
	t->mtype = p[2];
	t->data = p + 3;
	t->len = n - 3;
	return 0;
}

int mts_rdata_ds(const unsigned char *p, size_t n, struct mts_rr_ds *ds)
{
	if (n < 4)
		return -1;
	ds->key_tag = u16(p);
	ds->algorithm = p[2];
	ds->digest_type = p[3];
	ds->digest = p + 4;
	ds->len = n - 4;
	return 0;
}

int mts_rdata_dnskey(const unsigned char *p, size_t n, struct mts_rr_dnskey *k)
{
	if (n < 4)
		return -1;
	k->flags = u16(p);
	k->protocol = p[2];
	k->algorithm = p[3];
	k->key_tag = mts_dnskey_tag(p, n);
	return 0;
}

int mts_rdata_soa(const unsigned char *p, size_t n, struct mts_rr_soa *soa)
{
	size_t off = 0;
	if (mts_wire_name(p, n, &off, soa->mname) != 0 || mts_wire_name(p, n, &off, soa->rname) != 0 || n - off != 20)
		return -1;
	soa->serial = u32(p + off);
	soa->refresh = u32(p + off + 4);
	soa->retry = u32(p + off + 8);
	soa->expire = u32(p + off + 12);
	soa->minimum = u32(p + off + 16);
	return 0;
}
