/* The resolver's C API (src/dns/resolver.h) offline: libunbound local data
 * and a forwarder where nothing listens. Run under ASan/UBSan by tests/run. */
#include <stdio.h>
#include <stdlib.h>

#include "../../src/dns/rdata.h"
#include "../../src/dns/dns_code.h"
#include "../../src/dns/resolver.h"
#include "check.h"

static struct mts_resolver *offline(long timeout_ms)
{
	struct mts_resolver *r = mts_resolver_new();
	CHECK(r != NULL);
	CHECK(mts_resolver_add_forwarder(r, "127.0.0.1@1") == 0);
	CHECK(mts_resolver_set_option(r, "do-not-query-localhost:", "no") == 0);
	CHECK(mts_resolver_set_option(r, "local-zone:", "example. static") == 0);
	CHECK(mts_resolver_set_option(r, "local-data:", "a.example. 300 IN A 192.0.2.1") == 0);
	CHECK(mts_resolver_set_option(r, "local-data:", "a.example. 300 IN AAAA 2001:db8::1") == 0);
	CHECK(mts_resolver_set_option(r, "local-data:", "mx.example. 300 IN MX 0 .") == 0);
	mts_resolver_set_timeout_ms(r, timeout_ms);
	CHECK(mts_resolver_finalize(r) == 0);
	return r;
}

/* n MX records at big.example (about 50 octets each on the wire: over
 * 65,535 from some 1,300 on) and 10 at small.example. */
static struct mts_resolver *big_rrset(int n)
{
	struct mts_resolver *r = mts_resolver_new();
	char rr[200];
	int i;
	CHECK(r != NULL);
	CHECK(mts_resolver_add_forwarder(r, "127.0.0.1@1") == 0);
	CHECK(mts_resolver_set_option(r, "do-not-query-localhost:", "no") == 0);
	CHECK(mts_resolver_set_option(r, "local-zone:", "example. static") == 0);
	for (i = 0; i < n + 10; i++) {
		snprintf(rr, sizeof rr, "%s.example. 300 IN MX %d mx%d.a-rather-long-mail-exchanger-name.example.",
		         i < n ? "big" : "small", i % 1000, i);
		CHECK(mts_resolver_set_option(r, "local-data:", rr) == 0);
	}
	mts_resolver_set_timeout_ms(r, 5000);
	CHECK(mts_resolver_finalize(r) == 0);
	return r;
}

struct seen {
	int calls;
	char ip[MTS_ADDRSTRLEN];
	struct mts_query *other; /* freed from the callback when set */
};

static void on_done(struct mts_query *q, void *arg)
{
	struct seen *s = arg;
	const struct mts_dns_answer *a = mts_query_answer(q);
	s->calls++;
	if (a->status == MTS_DNS_OK && a->count > 0)
		mts_answer_address(a, 0, s->ip, sizeof s->ip);
	if (s->other) {
		mts_query_free(s->other);
		s->other = NULL;
	}
	mts_query_free(q);
}

static void drain(struct mts_resolver *r)
{
	int guard = 0;
	while (mts_resolver_pending(r) > 0 && guard++ < 1000)
		mts_resolver_wait(r, -1);
}

int main(void)
{
	struct mts_resolver *r = offline(3000);
	struct seen s = { 0, "", NULL };
	struct mts_query *q, *q2, *bad;
	const struct mts_dns_answer *a;
	size_t off = 0;
	char name[MTS_NAME_TEXT_MAX];
	static const unsigned char wire[] = { 3, 'm', 'x', '1', 3, 'a', '.', 'b', 0 };

	/* configuration errors are reported, not fatal */
	CHECK(mts_resolver_add_ta_file(r, "/nonexistent") == -1);
	CHECK(mts_resolver_error(r)[0] != '\0');
	CHECK(mts_resolver_set_option(r, "no-such-option:", "1") == -1);

	/* callback delivery, from process() only */
	q = mts_resolver_submit(r, "a.example", 1, on_done, &s);
	CHECK(q != NULL);
	CHECK(s.calls == 0);
	CHECK(mts_resolver_timeout_ms(r) >= 0);
	drain(r);
	CHECK(s.calls == 1);
	CHECK(strcmp(s.ip, "192.0.2.1") == 0);
	CHECK(mts_resolver_timeout_ms(r) == -1);

	/* take_done delivery, answer fields */
	q = mts_resolver_submit(r, "mx.example.", 15, NULL, NULL);
	drain(r);
	/* waiting for take_done needs no process(): no timeout of 0 (no spinning) */
	CHECK(mts_resolver_ready(r) == 1 && mts_resolver_pending(r) == 1);
	CHECK(mts_resolver_timeout_ms(r) == -1);
	CHECK(mts_resolver_take_done(r) == q);
	CHECK(mts_resolver_ready(r) == 0);
	CHECK(mts_resolver_take_done(r) == NULL);
	a = mts_query_answer(q);
	CHECK(a->status == MTS_DNS_OK && a->rcode == 0 && a->count == 1 && a->rdlen[0] == 3);
	CHECK(a->dnssec == MTS_DNSSEC_UNKNOWN);
	mts_query_free(q);
	q = mts_resolver_submit(r, "nope.example", 1, NULL, NULL);
	drain(r);
	CHECK(mts_resolver_take_done(r) == q);
	CHECK(mts_query_answer(q)->nxdomain && mts_query_answer(q)->count == 0);
	mts_query_free(q);

	/* a bad name finishes at once, delivered by the next process() */
	s.calls = 0;
	bad = mts_resolver_submit(r, "a..example", 1, on_done, &s);
	CHECK(mts_query_answer(bad)->status == MTS_DNS_BAD_NAME);
	CHECK(mts_resolver_timeout_ms(r) == 0);
	CHECK(s.calls == 0);
	mts_resolver_process(r);
	CHECK(s.calls == 1);

	/* a callback freeing the other pending query (A answered, AAAA dropped) */
	s.calls = 0;
	q = mts_resolver_submit(r, "a.example", 1, on_done, &s);
	q2 = mts_resolver_submit(r, "a.example", 28, on_done, &s);
	s.other = q2;
	drain(r);
	CHECK(s.calls == 1 && s.other == NULL);
	CHECK(mts_resolver_pending(r) == 0);

	/* freeing a pending query cancels it */
	q = mts_resolver_submit(r, "a.example", 1, NULL, NULL);
	mts_query_free(q);
	CHECK(mts_resolver_pending(r) == 0);
	mts_resolver_free(r);

	/* timeouts against a dead forwarder, and freeing the resolver first */
	r = offline(200);
	q = mts_resolver_submit(r, "example.com", 1, NULL, NULL);
	drain(r);
	CHECK(mts_resolver_take_done(r) == q);
	CHECK(mts_query_answer(q)->status == MTS_DNS_TIMEOUT);
	CHECK(strcmp(mts_dns_status_code(mts_query_answer(q)->status), "DNS_TIMEOUT") == 0);
	mts_query_free(q);
	q = mts_resolver_submit(r, "example.com", 1, NULL, NULL);
	mts_resolver_free(r);
	CHECK(mts_query_answer(q)->status == MTS_DNS_CANCELLED);
	mts_query_free(q);

	/* the flight list is sorted by deadline: a later query with a shorter
	 * timeout goes in front and times out first, the other still in flight */
	r = offline(3000);
	q = mts_resolver_submit(r, "slow.example.com", 1, NULL, NULL);
	mts_resolver_set_timeout_ms(r, 100);
	q2 = mts_resolver_submit(r, "fast.example.com", 1, NULL, NULL);
	CHECK(mts_resolver_timeout_ms(r) <= 100);
	while (mts_resolver_ready(r) == 0)
		mts_resolver_wait(r, -1);
	CHECK(mts_resolver_take_done(r) == q2);
	CHECK(mts_query_answer(q2)->status == MTS_DNS_TIMEOUT);
	CHECK(mts_query_elapsed_ms(q2) >= 100 && mts_query_elapsed_ms(q2) < 2000);
	CHECK(mts_query_answer(q)->status == MTS_DNS_PENDING && mts_resolver_pending(r) == 1);
	CHECK(mts_resolver_timeout_ms(r) > 1000);
	CHECK(mts_query_elapsed_ms(q) >= 100);
	mts_query_free(q2);
	mts_query_free(q);
	CHECK(mts_resolver_pending(r) == 0 && mts_resolver_timeout_ms(r) == -1);
	mts_resolver_free(r);

	/* issue #11 3.7: an RRset libunbound cannot hold comes back truncated
	 * (TC, no records): DNS_TOO_BIG, never NODATA */
	r = big_rrset(2000);
	q = mts_resolver_submit(r, "big.example", 15, NULL, NULL);
	drain(r);
	CHECK(mts_resolver_take_done(r) == q);
	a = mts_query_answer(q);
	CHECK(a->status == MTS_DNS_TOO_BIG && a->count == 0 && !a->nodata);
	CHECK(strcmp(mts_dns_status_code(a->status), "DNS_TOO_BIG") == 0);
	CHECK(a->message != NULL && strstr(a->message, "too big") != NULL);
	mts_query_free(q);
	q = mts_resolver_submit(r, "small.example", 15, NULL, NULL);
	drain(r);
	CHECK(mts_resolver_take_done(r) == q);
	a = mts_query_answer(q);
	CHECK(a->status == MTS_DNS_OK && a->count == 10);
	mts_query_free(q);
	mts_resolver_free(r);

	/* rdata helpers */
	CHECK(mts_rrtype_from_name("tlsa") == 52 && mts_rrtype_from_name("TYPE65") == 65);
	CHECK(mts_rrtype_from_name("NOPE") == -1 && mts_rrtype_from_name("TYPE70000") == -1);
	CHECK(strcmp(mts_rrtype_name(15), "MX") == 0 && mts_rrtype_name(65280) == NULL);
	CHECK(mts_wire_name(wire, sizeof wire, &off, name) == 0 && off == sizeof wire);
	CHECK(strcmp(name, "mx1.a\\.b") == 0);
	off = 0;
	CHECK(mts_wire_name(wire, 4, &off, name) == -1);
	CHECK(strcmp(mts_rcode_name(3), "NXDOMAIN") == 0 && mts_rcode_name(99) == NULL);
	return CHECK_DONE();
}
