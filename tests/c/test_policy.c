#include <stdlib.h>

#include "../../src/pure/policy.h"
#include "check.h"

static struct mts_policy P;

static int parse(const char *text)
{
	mts_policy_free(&P);
	return mts_policy_parse(&P, text, strlen(text));
}

/* Is there a diagnostic with this code (and line, when line > 0)? */
static int has(const char *code, unsigned line)
{
	size_t i;
	for (i = 0; i < P.diags.count; i++)
		if (strcmp(P.diags.items[i].code, code) == 0 && (line == 0 || P.diags.items[i].line == line))
			return 1;
	return 0;
}

static int mx_is(size_t i, const char *name)
{
	return i < P.mx_count && P.mx[i].len == strlen(name) && memcmp(P.mx[i].ptr, name, P.mx[i].len) == 0;
}

int main(void)
{
	char *big;
	size_t i;

	memset(&P, 0, sizeof P);
	P.mx = P.mx_inline;
	P.ext = P.ext_inline;

	/* The RFC 8461 §3.2 example, CRLF. */
	CHECK(parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
	            "mx: backupmx.example.com\r\nmax_age: 604800\r\n") == 0);
	CHECK(P.mode == MTS_MODE_ENFORCE && P.max_age == 604800 && P.mx_count == 3);
	CHECK(mx_is(1, "*.example.net"));
	CHECK(P.diags.count == 0);

	/* LF, no final newline, trailing whitespace after a value. */
	CHECK(parse("version: STSv1\nmode: testing \nmx: a.example\nmax_age: 86400") == 0);
	CHECK(P.mode == MTS_MODE_TESTING && P.max_age == 86400 && mx_is(0, "a.example"));

	/* mode none needs no mx. */
	CHECK(parse("version: STSv1\nmode: none\nmax_age: 0\n") == 0);
	CHECK(parse("version: STSv1\nmode: enforce\nmax_age: 0\n") == -1 && has("MISSING_MX", 0));

	/* Required fields. */
	CHECK(parse("mode: enforce\nmx: a.example\n") == -1);
	CHECK(has("MISSING_VERSION", 0) && has("MISSING_MAX_AGE", 0) && !has("MISSING_MODE", 0));
	CHECK(parse("") == -1 && has("EMPTY", 0));

	/* Values. */
	CHECK(parse("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n") == -1 &&
	      has("INVALID_VERSION", 1));
	CHECK(parse("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n") == -1 && has("INVALID_MODE", 2));
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n") == -1 &&
	      has("MAX_AGE_TOO_LARGE", 4));
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n") == 0);
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000000001\n") == -1 &&
	      has("INVALID_MAX_AGE", 4));
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n") == -1);

	/* Wildcards: only the whole left-most label. */
	CHECK(parse("version: STSv1\nmode: enforce\nmx: mx*.example.com\nmax_age: 1\n") == -1 &&
	      has("INVALID_WILDCARD", 3));
	CHECK(parse("version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 1\n") == -1);
	CHECK(parse("version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n") == -1);
	CHECK(parse("version: STSv1\nmode: enforce\nmx: bücher.example\nmax_age: 1\n") == -1 &&
	      has("NON_ASCII_MX", 3));
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example, b.example\nmax_age: 1\n") == -1);
	CHECK(parse("version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 1\n") == -1);

	/* Tolerated with warnings. */
	CHECK(parse("\xEF\xBB\xBFversion: STSv1\n\nmode: enforce\n  \nmx: a.example\nmax_age: 1\n") == 0);
	CHECK(has("BOM", 1) && has("BLANK_LINE", 2) && has("WHITESPACE_LINE", 4));
	CHECK(parse("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmx: A.example\nmax_age: 1\n") == 0);
	CHECK(P.mode == MTS_MODE_ENFORCE && has("DUPLICATE_FIELD", 3) && has("DUPLICATE_MX", 5) && P.mx_count == 1);

	/* Typos name the likely key. */
	CHECK(parse("version: STSv1\nmode: enforce\nnmx: a.example\nmx: b.example\nmax-age: 5\nmax_age: 1\n") == 0);
	CHECK(has("LIKELY_TYPO", 3) && has("LIKELY_TYPO", 5) && P.ext_count == 2);
	CHECK(strstr(P.diags.items[0].message, "'mx'") != NULL);

	/* Broken bytes are errors naming their line. */
	mts_policy_free(&P);
	CHECK(mts_policy_parse(&P, "version: STSv1\nmo\0de: enforce\n", 29) == -1 && has("CONTROL_CHAR", 2));
	mts_policy_free(&P);
	CHECK(parse("version: STSv1\rmode: enforce\n") == -1 && has("BAD_LINE_ENDING", 1));
	CHECK(parse("version: STSv1\nx: \xff\xfe\n") == -1 && has("INVALID_UTF8", 2));
	CHECK(parse("version: STSv1\nmode : enforce\n") == -1 && has("INVALID_KEY", 2));
	CHECK(parse("version STSv1\n") == -1 && has("MISSING_COLON", 1));

	/* Many mx lines: duplicates are still found (hashed index). */
	big = malloc(200000);
	big[0] = '\0';
	strcat(big, "version: STSv1\nmode: enforce\nmax_age: 1\n");
	for (i = 0; i < 3000; i++)
		sprintf(big + strlen(big), "mx: h%zu.example\n", i);
	strcat(big, "mx: H1234.example\n");
	CHECK(parse(big) == 0 && P.mx_count == 3000 && has("DUPLICATE_MX", 3004));
	free(big);

	/* A hostile file: a diagnostic per line, only the first ones kept. */
	big = malloc(2000001);
	memset(big, '\n', 2000000);
	big[2000000] = '\0';
	CHECK(parse(big) == -1 && P.diags.count == MTS_DIAG_KEEP_MAX && P.diags.dropped > 0);
	free(big);

	mts_policy_free(&P);
	return CHECK_DONE();
}
