/* libFuzzer target: the DNS rdata decoders of src/dns/rdata.c (what the
 * resolver's Lua binding turns into tables) on arbitrary octets, as the rdata
 * of every type they decode, with their invariants checked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dns/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoded name: terminated inside its buffer, printable, no empty label
 * except the root. */
static void check_name(const char *s)
{
	size_t len = strnlen(s, MTS_NAME_TEXT_MAX), i;
	if (len == 0 || len >= MTS_NAME_TEXT_MAX)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
	/* a '.' at either end only as an escaped octet ("\.") */
	if (len > 1 && (s[0] == '.' || (s[len - 1] == '.' && s[len - 2] != '\\')))
		abort();
}

static void names(const unsigned char *p, size_t n)
{
	char out[MTS_NAME_TEXT_MAX];
	size_t off = 0, prev;
	int k;
	/* a run of names, as in SOA rdata: each decode moves forward or fails */
	for (k = 0; k < 8; k++) {
		prev = off;
		if (mts_wire_name(p, n, &off, out) != 0) {
			if (off != prev)
				abort();
			break;
		}
		if (off <= prev || off > n)
			abort();
		check_name(out);
	}
	if (mts_rdata_name(p, n, out) == 0)
		check_name(out);
}

static void records(const unsigned char *p, size_t n)
{
	struct mts_rr_mx mx;
	struct mts_rr_tlsa t;
	struct mts_rr_ds ds;
	struct mts_rr_dnskey key;
	struct mts_rr_soa soa;
	long count;

	if (mts_rdata_mx(p, n, &mx) == 0) {
		char again[MTS_NAME_TEXT_MAX];
		check_name(mx.exchange);
		if (mx.preference > 65535 || mts_rdata_name(p + 2, n - 2, again) != 0 || strcmp(again, mx.exchange))
			abort();
	}
	count = mts_rdata_txt_count(p, n);
	if (count >= 0) {
		size_t off = 0;
		long c = 0;
		while (off < n) { /* the walk the binding does after a valid count */
			off += 1 + (size_t)p[off];
			c++;
		}
		if (c != count || off != n || count == 0)
			abort();
	}
	if (mts_rdata_tlsa(p, n, &t) == 0 && (t.data + t.len != p + n || t.usage > 255))
		abort();
	if (mts_rdata_ds(p, n, &ds) == 0 && (ds.digest + ds.len != p + n || ds.key_tag > 65535))
		abort();
	if (mts_rdata_dnskey(p, n, &key) == 0 && (key.key_tag > 65535 || key.key_tag != mts_dnskey_tag(p, n)))
		abort();
	if (mts_rdata_soa(p, n, &soa) == 0) {
		check_name(soa.mname);
		check_name(soa.rname);
	}
	if (mts_wire_truncated(p, n) != (n >= 12 && (p[2] & 2)))
		abort();
}

/* The input as an RR type name: names and numbers round-trip. */
static void type_names(const unsigned char *p, size_t n)
{
	char s[32];
	int t;
	const char *name;
	if (n >= sizeof s)
		n = sizeof s - 1;
	memcpy(s, p, n);
	s[n] = '\0';
	t = mts_rrtype_from_name(s);
	if (t < -1 || t > 65535)
		abort();
	if (t >= 0 && (name = mts_rrtype_name(t)) != NULL && mts_rrtype_from_name(name) != t)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size octets, so ASan sees any read past the rdata */
	unsigned char *p = malloc(size ? size : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	names(p, size);
	records(p, size);
	type_names(p, size);
	free(p);
	return 0;
}
