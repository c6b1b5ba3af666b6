#include "../../src/pure/domain.h"
#include "check.h"

static enum mts_domain_status d(const char *s)
{
	return mts_domain_check(s, strlen(s));
}

int main(void)
{
	char long_label[80], long_name[300];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	memset(long_name, 0, sizeof long_name);
	for (int i = 0; i < 51; i++)
		strcat(long_name, "abcd.");
	strcat(long_name, "com");

	CHECK(d("example.com") == MTS_DOMAIN_OK);
	CHECK(d("xn--bcher-kva.example") == MTS_DOMAIN_OK);
	CHECK(d("a") == MTS_DOMAIN_OK);
	CHECK(d("") == MTS_DOMAIN_EMPTY);
	CHECK(d("a..b") == MTS_DOMAIN_EMPTY_LABEL);
	CHECK(d(".a") == MTS_DOMAIN_EMPTY_LABEL);
	CHECK(d("a.") == MTS_DOMAIN_EMPTY_LABEL);
	CHECK(d("-a.b") == MTS_DOMAIN_HYPHEN);
	CHECK(d("a-.b") == MTS_DOMAIN_HYPHEN);
	CHECK(d("a_b.c") == MTS_DOMAIN_BAD_CHAR);
	CHECK(d("example.com/evil?") == MTS_DOMAIN_BAD_CHAR);
	CHECK(d("example.com:8443") == MTS_DOMAIN_BAD_CHAR);
	CHECK(d("a#") == MTS_DOMAIN_BAD_CHAR);
	CHECK(d("a.b.") == MTS_DOMAIN_EMPTY_LABEL);
	CHECK(d("bücher.de") == MTS_DOMAIN_NON_ASCII);
	CHECK(d(long_label) == MTS_DOMAIN_LABEL_LONG);
	CHECK(d(long_name) == MTS_DOMAIN_TOO_LONG);
	return CHECK_DONE();
}
