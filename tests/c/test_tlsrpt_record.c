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
	CHECK(parse("v=TLSRPTv1") == -1);
	CHECK(parse("v=TLSRPTv1; ruaa=mailto:a@b.example") == -1);
	CHECK(parse("v=TLSRPTv1; rua=gopher://x") == -1);
	CHECK(mts_tlsrpt_record_selected("v=TLSRPTv1 ;", 12));
	CHECK(!mts_tlsrpt_record_selected("v=TLSRPTv1", 10));
	mts_tlsrpt_record_free(&R);
	return CHECK_DONE();
}
