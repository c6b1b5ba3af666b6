/* The one DNS-answer -> code mapping (src/dns/dns_code.c): every branch of
 * mts_dns_status_code, mts_dns_failure and mts_dns_failure_rank, on plain
 * answer structs (no libunbound). Also the rdata decoders of src/dns/rdata.c. */
#include <stdlib.h>

#include "../../src/dns/dns_code.h"
#include "../../src/dns/rdata.h"
#include "check.h"

static const char *failure(enum mts_dns_status st, const char *message, char *msg, size_t size)
{
	struct mts_dns_answer a;
	memset(&a, 0, sizeof a);
	a.status = st;
	a.message = message;
	return mts_dns_failure(&a, msg, size);
}

static void status_codes(void)
{
	static const struct {
		enum mts_dns_status st;
		const char *code;
	} want[] = {
		{ MTS_DNS_TIMEOUT, "DNS_TIMEOUT" },   { MTS_DNS_SERVFAIL, "DNS_SERVFAIL" },
		{ MTS_DNS_REFUSED, "DNS_REFUSED" },   { MTS_DNS_NETWORK, "DNS_NETWORK" },
		{ MTS_DNS_TOO_BIG, "DNS_TOO_BIG" },   { MTS_DNS_BAD_NAME, "BAD_NAME" },
		{ MTS_DNS_CANCELLED, "CANCELLED" },   { MTS_DNS_LOCAL_EMFILE, "LOCAL_EMFILE" },
	};
	size_t i;
	char msg[200];
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK(strcmp(mts_dns_status_code(want[i].st), want[i].code) == 0);
		/* a failed lookup: its own message, or a generic one */
		CHECK(strcmp(failure(want[i].st, "x.example: boom", msg, sizeof msg), want[i].code) == 0);
		CHECK(strcmp(msg, "x.example: boom") == 0);
		CHECK(strcmp(failure(want[i].st, NULL, msg, sizeof msg), want[i].code) == 0);
		CHECK(strcmp(msg, "the lookup failed") == 0);
	}
	CHECK(mts_dns_status_code(MTS_DNS_OK) == NULL);
	CHECK(mts_dns_status_code(MTS_DNS_PENDING) == NULL);
	/* no old codes */
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK(strcmp(mts_dns_status_code(want[i].st), "TIMEOUT") != 0 &&
		      strcmp(mts_dns_status_code(want[i].st), "SERVFAIL") != 0);
}

static void answers(void)
{
	struct mts_dns_answer a;
	char msg[200];
	const unsigned char rd[] = { 1, 2, 3, 4 };
	const unsigned char *const rdata[] = { rd };
	const int rdlen[] = { 4 };

	/* still pending: reads as a timeout */
	CHECK(strcmp(failure(MTS_DNS_PENDING, NULL, msg, sizeof msg), "DNS_TIMEOUT") == 0);
	CHECK(strcmp(msg, "no answer yet") == 0);

	memset(&a, 0, sizeof a);
	a.status = MTS_DNS_OK;
	a.dnssec = MTS_DNSSEC_BOGUS;
	a.why_bogus = "signature expired";
	CHECK(strcmp(mts_dns_failure(&a, msg, sizeof msg), "DNS_BOGUS") == 0);
	CHECK(strcmp(msg, "DNSSEC validation failed (bogus): signature expired") == 0);
	a.why_bogus = NULL;
	CHECK(strcmp(mts_dns_failure(&a, msg, sizeof msg), "DNS_BOGUS") == 0);
	CHECK(strcmp(msg, "DNSSEC validation failed (bogus): no reason given") == 0);
	/* bogus wins over NXDOMAIN */
	a.nxdomain = 1;
	CHECK(strcmp(mts_dns_failure(&a, msg, sizeof msg), "DNS_BOGUS") == 0);

	a.dnssec = MTS_DNSSEC_SECURE;
	CHECK(strcmp(mts_dns_failure(&a, msg, sizeof msg), "DNS_NXDOMAIN") == 0);
	CHECK(strcmp(msg, "no such domain (NXDOMAIN)") == 0);

	a.nxdomain = 0;
	a.nodata = 1;
	CHECK(strcmp(mts_dns_failure(&a, msg, sizeof msg), "DNS_NODATA") == 0);
	CHECK(strcmp(msg, "no records of this type (NODATA)") == 0);

	/* records: no failure, message emptied */
	a.nodata = 0;
	a.count = 1;
	a.rdata = rdata;
	a.rdlen = rdlen;
	strcpy(msg, "stale");
	CHECK(mts_dns_failure(&a, msg, sizeof msg) == NULL);
	CHECK(msg[0] == '\0');
	CHECK(mts_dns_failure(&a, msg, 0) == NULL); /* size 0: msg untouched */
	CHECK(msg[0] == '\0');
	/* a small buffer truncates, never overflows */
	CHECK(strcmp(failure(MTS_DNS_SERVFAIL, "a long message", msg, 5), "DNS_SERVFAIL") == 0);
	CHECK(strcmp(msg, "a lo") == 0);
}

static void ranks(void)
{
	static const char *const order[] = { "DNS_NODATA", "DNS_SERVFAIL", "DNS_REFUSED", "DNS_NETWORK",
		                                 "DNS_TOO_BIG", "CANCELLED", "DNS_TIMEOUT", "LOCAL_EMFILE",
		                                 "DNS_NXDOMAIN", "DNS_BOGUS", "BAD_NAME" };
	size_t i;
	CHECK(mts_dns_failure_rank(NULL) == 0);
	CHECK(mts_dns_failure_rank("SOMETHING_ELSE") == 1);
	CHECK(mts_dns_failure_rank("TIMEOUT") == 1); /* the old code is unknown now */
	CHECK(mts_dns_failure_rank(order[0]) > 1);
	for (i = 1; i < sizeof order / sizeof order[0]; i++)
		CHECK(mts_dns_failure_rank(order[i]) > mts_dns_failure_rank(order[i - 1]));
	CHECK(mts_dns_failure_rank("BAD_NAME") > mts_dns_failure_rank("DNS_BOGUS"));
	CHECK(mts_dns_failure_rank("DNS_TIMEOUT") > mts_dns_failure_rank("DNS_SERVFAIL"));
}

static void rdata(void)
{
	static const unsigned char mx[] = { 0, 10, 3, 'm', 'x', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static const unsigned char nullmx[] = { 0, 0, 0 };
	static const unsigned char txt[] = { 3, 'a', 'b', 'c', 0, 2, 'd', 'e' };
	static const unsigned char badtxt[] = { 3, 'a', 'b' };
	static const unsigned char soa[] = { 2, 'n', 's', 0, 1, 'h', 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2,
		                             0, 0, 0, 3, 0, 0, 0, 4 };
	static const unsigned char tlsa[] = { 3, 1, 1, 0xab, 0xcd };
	static const unsigned char hdr[12] = { 0x12, 0x34, 0x83, 0x80 };
	struct mts_rr_mx m;
	struct mts_rr_tlsa t;
	struct mts_rr_ds ds;
	struct mts_rr_dnskey k;
	struct mts_rr_soa s;
	char name[MTS_NAME_TEXT_MAX];

	CHECK(mts_rdata_mx(mx, sizeof mx, &m) == 0 && m.preference == 10 && strcmp(m.exchange, "mx1.example") == 0);
	CHECK(mts_rdata_mx(nullmx, sizeof nullmx, &m) == 0 && m.preference == 0 && strcmp(m.exchange, ".") == 0);
	CHECK(mts_rdata_mx(mx, sizeof mx - 1, &m) == -1); /* no root label */
	CHECK(mts_rdata_mx(mx, 2, &m) == -1);
	CHECK(mts_rdata_name(mx + 2, sizeof mx - 2, name) == 0 && strcmp(name, "mx1.example") == 0);
	CHECK(mts_rdata_name(mx, sizeof mx, name) == -1); /* trailing octets */
	CHECK(mts_rdata_txt_count(txt, sizeof txt) == 3);
	CHECK(mts_rdata_txt_count(badtxt, sizeof badtxt) == -1);
	CHECK(mts_rdata_txt_count(txt, 0) == -1);
	CHECK(mts_rdata_tlsa(tlsa, sizeof tlsa, &t) == 0 && t.usage == 3 && t.selector == 1 && t.mtype == 1 &&
	      t.len == 2 && t.data == tlsa + 3);
	CHECK(mts_rdata_tlsa(tlsa, 2, &t) == -1);
	CHECK(mts_rdata_ds(tlsa, 4, &ds) == 0 && ds.key_tag == 0x0301 && ds.algorithm == 1 && ds.digest_type == 0xab &&
	      ds.len == 0);
	CHECK(mts_rdata_ds(tlsa, 3, &ds) == -1);
	CHECK(mts_rdata_dnskey(tlsa, 5, &k) == 0 && k.flags == 0x0301 && k.protocol == 1 && k.algorithm == 0xab &&
	      k.key_tag == mts_dnskey_tag(tlsa, 5));
	CHECK(mts_rdata_dnskey(tlsa, 3, &k) == -1);
	CHECK(mts_rdata_soa(soa, sizeof soa, &s) == 0 && strcmp(s.mname, "ns") == 0 && strcmp(s.rname, "h") == 0 &&
	      s.serial == 7 && s.refresh == 1 && s.retry == 2 && s.expire == 3 && s.minimum == 4);
	CHECK(mts_rdata_soa(soa, sizeof soa - 1, &s) == -1);
	/* the TC bit of a message header */
	CHECK(mts_wire_truncated(hdr, sizeof hdr) == 1);
	CHECK(mts_wire_truncated(hdr, 11) == 0);
	CHECK(mts_wire_truncated(NULL, 12) == 0);
	CHECK(mts_wire_truncated(txt, sizeof txt) == 0);
}

int main(void)
{
	status_codes();
	answers();
	ranks();
	rdata();
	return CHECK_DONE();
}
