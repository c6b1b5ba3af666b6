#include "../../src/pure/tlsrpt_record.h"
#include "check.h"

static struct mts_tlsrpt_record R;

static int parse(const char *txt)
{
	mts_tlsrpt_record_free(&R);
	return mts_tlsrpt_record_parse(&R, txt, strlen(txt));
}

static int span_is(struct mts_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

int main(void)
{
	R.rua = R.rua_inline;
	R.ext = R.ext_inline;
	mts_diags_init(&R.diags);

	CHECK(parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.com") == 0 && R.rua_count == 1);
	CHECK(R.rua[0].scheme == MTS_RUA_MAILTO && span_is(R.rua[0].host, "example.com"));
	CHECK(parse("v=TLSRPTv1;rua=https://r.example/x?y=1, mailto:a@b.example;") == 0 && R.rua_count == 2);
	CHECK(R.rua[0].scheme == MTS_RUA_HTTPS && span_is(R.rua[0].host, "r.example"));
	CHECK(span_is(R.rua[1].address, "a@b.example"));
	CHECK(parse("v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example") == 0 && R.rua_count == 1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:a@b.example,https://c.example,mailto:d@e.example,"
	            "mailto:f@g.example,mailto:h@i.example") == 0 && R.rua_count == 5);
	/* Schemes are case-insensitive (RFC 3986 §3.1); the uri stays as written. */
	CHECK(parse("v=TLSRPTv1; rua=HTTPS://R.Example/x,MAILTO:A@B.Example,Https://c.example:8443/r") == 0);
	CHECK(R.rua_count == 3 && R.rua[0].scheme == MTS_RUA_HTTPS && span_is(R.rua[0].host, "R.Example"));
	CHECK(span_is(R.rua[0].uri, "HTTPS://R.Example/x"));
	CHECK(R.rua[1].scheme == MTS_RUA_MAILTO && span_is(R.rua[1].address, "A@B.Example"));
	CHECK(span_is(R.rua[1].host, "B.Example"));
	CHECK(R.rua[2].scheme == MTS_RUA_HTTPS && span_is(R.rua[2].host, "c.example"));
	CHECK(parse("v=TLSRPTv1; rua=hTtPs://r.example") == 0 && R.rua[0].scheme == MTS_RUA_HTTPS);
	CHECK(parse("v=TLSRPTv1; rua=FTP://x.example/r,mailto:a@b.example") == 0 && R.rua_count == 1);
	CHECK(R.diags.count == 1 && strcmp(R.diags.items[0].code, "UNSUPPORTED_SCHEME") == 0);
	/* URIs whose host is not a plain domain name */
	CHECK(parse("v=TLSRPTv1; rua=https:///x") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://[2001:db8::1]/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://user:pw@r.example/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://user@r.example/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example:0/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example:65536/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example:/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example:8x/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example:65535?a") == 0 && span_is(R.rua[0].host, "r.example"));
	CHECK(parse("v=TLSRPTv1; rua=https://r.example#f") == 0 && span_is(R.rua[0].host, "r.example"));
	CHECK(parse("v=TLSRPTv1; rua=https://r.example/a@b:c") == 0 && span_is(R.rua[0].host, "r.example"));
	CHECK(parse("v=TLSRPTv1; rua=https://r%2eexample/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https://r.example%00/r") == -1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:") == -1);
	CHECK(parse("v=TLSRPTv1; rua=MAILTO:nobody") == -1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:@b.example") == -1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:a@") == -1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:a@[192.0.2.1]") == -1);
	CHECK(parse("v=TLSRPTv1; rua=mailto:a%40b@c.example") == 0 && span_is(R.rua[0].host, "c.example"));
	CHECK(parse("v=TLSRPTv1; rua=mailto:a@b.example?subject=x@y") == 0 && span_is(R.rua[0].host, "b.example"));
	CHECK(parse("v=TLSRPTv1; rua=https:r.example") == -1);
	CHECK(parse("v=TLSRPTv1; rua=https") == -1);
	CHECK(parse("v=TLSRPTv1") == -1);
	CHECK(parse("v=TLSRPTv1; ruaa=mailto:a@b.example") == -1);
	CHECK(parse("v=TLSRPTv1; rua=gopher://x") == -1);
	CHECK(mts_tlsrpt_record_selected("v=TLSRPTv1 ;", 12));
	CHECK(!mts_tlsrpt_record_selected("v=TLSRPTv1", 10));
	mts_tlsrpt_record_free(&R);
	return CHECK_DONE();
}
