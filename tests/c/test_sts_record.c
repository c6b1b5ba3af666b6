#include "../../src/pure/sts_record.h"
#include "check.h"

static struct mts_sts_record R;

static int parse(const char *txt)
{
	mts_sts_record_free(&R);
	return mts_sts_record_parse(&R, txt, strlen(txt));
}

static int id_is(const char *id)
{
	return R.id.len == strlen(id) && memcmp(R.id.ptr, id, R.id.len) == 0;
}

static int has(const char *code)
{
	size_t i;
	for (i = 0; i < R.diags.count; i++)
		if (strcmp(R.diags.items[i].code, code) == 0)
			return 1;
	return 0;
}

int main(void)
{
	R.ext = R.ext_inline;
	mts_diags_init(&R.diags);

	CHECK(parse("v=STSv1; id=20160831085700Z;") == 0 && id_is("20160831085700Z"));
	CHECK(parse("v=STSv1;id=abc") == 0 && id_is("abc"));
	CHECK(parse("v=STSv1 ;\tid=abc ; ") == 0);
	CHECK(parse("v=STSv1; id=abc; ext_1=val-ue") == 0 && R.ext_count == 1);
	CHECK(parse("v=STSv1; id=a; id=b") == 0 && id_is("a") && has("DUPLICATE_FIELD"));
	CHECK(parse("v=STSv1; id=abc ") == 0 && has("TRAILING_WHITESPACE"));

	CHECK(parse("v=STSv1;") == -1);
	CHECK(parse("v=STSv1") == -1);
	CHECK(parse("id=abc; v=STSv1") == -1);
	CHECK(parse("v=STSv1; id=") == -1);
	CHECK(parse("v=STSv1; id=abc-def") == -1);
	CHECK(parse("v=STSv1; id=123456789012345678901234567890123") == -1);
	CHECK(parse("v=STSv1; id=12345678901234567890123456789012") == 0);
	CHECK(parse("v=STSv1;; id=abc") == -1);
	CHECK(parse("v=STSv1 id=abc") == -1);
	CHECK(parse("v=STSv1; id = abc") == -1);
	CHECK(parse("v=STSv10; id=abc") == -1);
	CHECK(parse("V=STSv1; id=abc") == -1);

	CHECK(mts_sts_record_selected("v=STSv1;", 8));
	CHECK(mts_sts_record_selected("v=STSv1 \t; id=x", 15));
	CHECK(!mts_sts_record_selected("v=STSv1", 7));
	CHECK(!mts_sts_record_selected("v=STSv10;", 9));
	CHECK(!mts_sts_record_selected("v=spf1 -all", 11));

	mts_sts_record_free(&R);
	return CHECK_DONE();
}
