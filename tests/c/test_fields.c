/* fields.c: the strict tag lists of MTA-STS/TLS-RPT and the lenient modes
 * the DMARC (RFC 7489 §6.4) and DKIM (RFC 6376 §3.2) parsers need. */
#include "../../src/pure/fields.h"
#include "check.h"

#define MAX_TAGS 16

/* The tags one scan passed to its callback, as NUL-terminated copies. */
static struct {
	char name[64], value[128];
	size_t pos;
} TAGS[MAX_TAGS];
static size_t NTAGS;
static struct mts_diags D;

static void copy(char *out, size_t size, struct mts_span s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;
	memcpy(out, s.ptr, n);
	out[n] = '\0';
}

static void on_tag(void *ctx, const struct mts_field *f)
{
	(void)ctx;
	if (NTAGS < MAX_TAGS) {
		copy(TAGS[NTAGS].name, sizeof TAGS[NTAGS].name, f->name);
		copy(TAGS[NTAGS].value, sizeof TAGS[NTAGS].value, f->value);
		TAGS[NTAGS].pos = f->pos;
	}
	NTAGS++;
}

static const struct mts_fields_syntax STRICT = { "v", "STSv1", 0, "STS_SYNTAX", NULL };
static const struct mts_fields_syntax DMARC = { "v", "DMARC1", MTS_FIELDS_WSP, "DMARC_SYNTAX", NULL };
static const struct mts_fields_syntax DKIM_SIG = { "v", "1", MTS_FIELDS_FWS, "DKIM_SYNTAX", mts_fields_dkim_name };
static const struct mts_fields_syntax DKIM_KEY = { "v", "DKIM1", MTS_FIELDS_FWS | MTS_FIELDS_VERSION_OPTIONAL,
	                                           "DKIM_SYNTAX", mts_fields_dkim_name };

static long scan(const struct mts_fields_syntax *syn, const char *txt)
{
	mts_diags_free(&D);
	mts_diags_init(&D);
	NTAGS = 0;
	return mts_fields_scan(txt, strlen(txt), syn, &D, on_tag, NULL);
}

/* The old entry point, as sts_record.c calls it. */
static long parse(const char *txt)
{
	mts_diags_free(&D);
	mts_diags_init(&D);
	NTAGS = 0;
	return mts_fields_parse(txt, strlen(txt), "v=STSv1", &D, "STS_SYNTAX", on_tag, NULL);
}

static int tag_is(size_t i, const char *name, const char *value)
{
	return i < NTAGS && strcmp(TAGS[i].name, name) == 0 && strcmp(TAGS[i].value, value) == 0;
}

static int has(const char *code)
{
	size_t i;
	for (i = 0; i < D.count; i++)
		if (strcmp(D.items[i].code, code) == 0)
			return 1;
	return 0;
}

static int first_error_has(const char *code, const char *text)
{
	const struct mts_diag *e = mts_diags_first_error(&D);
	return e != NULL && strcmp(e->code, code) == 0 && strstr(e->message, text) != NULL;
}

static int selected(const struct mts_fields_syntax *syn, const char *txt)
{
	return mts_fields_begins_with_version(txt, strlen(txt), syn);
}

static void strict_mode(void)
{
	/* both entry points agree, and keep today's rules */
	CHECK(scan(&STRICT, "v=STSv1; id=abc;") == 1 && tag_is(0, "id", "abc") && TAGS[0].pos == 10);
	CHECK(parse("v=STSv1; id=abc;") == 1 && tag_is(0, "id", "abc"));
	CHECK(scan(&STRICT, "v=STSv1 ;\tid=abc ; x=y") == 2 && tag_is(1, "x", "y") && D.count == 0);
	CHECK(scan(&STRICT, "v=STSv1; id=abc ") == 1 && has("TRAILING_WHITESPACE"));
	CHECK(parse("v=STSv1; id=abc ") == 1 && has("TRAILING_WHITESPACE"));
	CHECK(scan(&STRICT, "v=STSv1") == 0 && D.count == 0);
	CHECK(scan(&STRICT, "v=STSv1; id = abc") == -1 && first_error_has("STS_SYNTAX", "valid field name"));
	CHECK(scan(&STRICT, "v=STSv1; id= abc") == 1 && tag_is(0, "id", " abc")); /* the value check is the record's */
	CHECK(scan(&STRICT, "v = STSv1; id=abc") == -1 && first_error_has("STS_SYNTAX", "must begin with 'v=STSv1'"));
	CHECK(scan(&STRICT, " v=STSv1; id=abc") == -1);
	CHECK(scan(&STRICT, "id=abc; v=STSv1") == -1 && first_error_has("STS_SYNTAX", "must begin with") &&
	      !has("VERSION_NOT_FIRST"));
	CHECK(scan(&STRICT, "v=STSv10; id=abc") == -1 && first_error_has("STS_SYNTAX", "position 8: expected ';'"));
	CHECK(scan(&STRICT, "v=STSv1;; id=abc") == -1 && first_error_has("STS_SYNTAX", "empty field"));
	CHECK(scan(&STRICT, "v=STSv1; id") == -1 && first_error_has("STS_SYNTAX", "expected 'name=value'"));
	CHECK(scan(&STRICT, "v=STSv1;\r\n id=abc") == -1); /* no folding in strict mode */
	CHECK(scan(&STRICT, "v=STSv1; id=a; v=STSv1") == 2 && tag_is(1, "v", "STSv1"));

	CHECK(selected(&STRICT, "v=STSv1;"));
	CHECK(selected(&STRICT, "v=STSv1 \t; id=x"));
	CHECK(!selected(&STRICT, "v=STSv1"));
	CHECK(!selected(&STRICT, "v = STSv1;"));
	CHECK(!selected(&STRICT, "v=STSv10;"));
	CHECK(mts_fields_selected("v=STSv1 ; id=x", 14, "v=STSv1"));
	CHECK(!mts_fields_selected("v=STSv1", 7, "v=STSv1"));
}

static void wsp_mode(void)
{
	CHECK(scan(&DMARC, "v=DMARC1; p=none") == 1 && tag_is(0, "p", "none"));
	CHECK(scan(&DMARC, "v = DMARC1 ;p= reject ; rua =\tmailto:d@example.com ") == 2 && tag_is(0, "p", "reject") &&
	      tag_is(1, "rua", "mailto:d@example.com") && D.count == 0);
	CHECK(scan(&DMARC, "v=DMARC1;p=none;") == 1);
	CHECK(scan(&DMARC, "v=DMARC1") == 0 && D.count == 0);
	CHECK(scan(&DMARC, "v=DMARC1; sp=") == 1 && tag_is(0, "sp", "")); /* empty values: the record's call */
	CHECK(scan(&DMARC, "v=DMARC1; p=a b") == 1 && tag_is(0, "p", "a b"));
	CHECK(scan(&DMARC, "v=DMARC1; p=none") == 1 && TAGS[0].pos == 11);

	/* the version tag comes first */
	CHECK(scan(&DMARC, "p=none; v=DMARC1") == -1 && first_error_has("VERSION_NOT_FIRST", "position 9") &&
	      NTAGS == 0);
	CHECK(scan(&DMARC, "p=none; rua=mailto:a@b") == -1 && first_error_has("DMARC_SYNTAX", "must begin with 'v=DMARC1'") &&
	      !has("VERSION_NOT_FIRST") && NTAGS == 0);
	CHECK(scan(&DMARC, "v=DMARC2; p=none") == -1 && first_error_has("DMARC_SYNTAX", "found 'v=DMARC2"));
	CHECK(scan(&DMARC, "v=dmarc1; p=none") == -1);
	CHECK(scan(&DMARC, "V=DMARC1; p=none") == -1 && first_error_has("DMARC_SYNTAX", "must begin with"));
	CHECK(scan(&DMARC, "") == -1 && first_error_has("DMARC_SYNTAX", "must begin with"));
	CHECK(scan(&DMARC, "; v=DMARC1") == -1 && first_error_has("DMARC_SYNTAX", "must begin with"));
	CHECK(scan(&DMARC, " v=DMARC1; p=none") == -1); /* no leading whitespace without FWS */
	CHECK(scan(&DMARC, "v=DMARC1; p=none; v=DMARC1") == 2 && tag_is(1, "v", "DMARC1")); /* a repeat: the record's call */

	/* structure errors are still errors */
	CHECK(scan(&DMARC, "v=DMARC1;; p=none") == -1 && first_error_has("DMARC_SYNTAX", "empty field"));
	CHECK(scan(&DMARC, "v=DMARC1 p=none") == -1 && first_error_has("DMARC_SYNTAX", "expected ';'"));
	CHECK(scan(&DMARC, "v=DMARC1; p none") == -1 && first_error_has("DMARC_SYNTAX", "expected 'name=value'"));
	CHECK(scan(&DMARC, "v=DMARC1; a b=c") == -1 && first_error_has("DMARC_SYNTAX", "valid field name"));
	CHECK(scan(&DMARC, "v=DMARC1;\r\n p=none") == -1); /* folding needs MTS_FIELDS_FWS */

	CHECK(selected(&DMARC, "v=DMARC1; p=none"));
	CHECK(selected(&DMARC, "v = DMARC1 ;p=none"));
	CHECK(selected(&DMARC, "v=DMARC1"));
	CHECK(!selected(&DMARC, "v=DMARC10; p=none"));
	CHECK(!selected(&DMARC, "p=none; v=DMARC1"));
	CHECK(!selected(&DMARC, "v=DMARC"));
	CHECK(!selected(&DMARC, ""));
}

static void fws_mode(void)
{
	const char *sig = "v=1; a=rsa-sha256;\r\n\td=example.com; s=sel;\r\n h=from : to;\r\n b=abc\r\n  def";
	CHECK(scan(&DKIM_SIG, sig) == 5 && tag_is(0, "a", "rsa-sha256") && tag_is(1, "d", "example.com") &&
	      tag_is(3, "h", "from : to") && tag_is(4, "b", "abc\r\n  def") && D.count == 0);
	CHECK(scan(&DKIM_SIG, "\r\n v=1; d\r\n =\r\n example.com\r\n ") == 1 && tag_is(0, "d", "example.com"));
	CHECK(scan(&DKIM_SIG, "v=1; d=example.com\r\n") == 1 && tag_is(0, "d", "example.com\r\n")); /* no WSP: no fold */
	CHECK(scan(&DKIM_SIG, "v=1;\r\nd=example.com") == -1);
	CHECK(scan(&DKIM_SIG, "v=1; d-x=1") == -1 && first_error_has("DKIM_SYNTAX", "valid field name"));
	CHECK(scan(&DKIM_SIG, "v=1; 1d=1") == -1);
	CHECK(scan(&DKIM_SIG, "v=1; d_1=x") == 1);
	CHECK(scan(&DKIM_SIG, "d=example.com; v=1") == -1 && has("VERSION_NOT_FIRST"));
	CHECK(selected(&DKIM_SIG, "\r\n\tv\r\n = 1 ;"));

	/* DKIM key records: v=DKIM1 is optional, but first when present */
	CHECK(scan(&DKIM_KEY, "v=DKIM1; k=rsa; p=MIGf") == 2 && tag_is(0, "k", "rsa"));
	CHECK(scan(&DKIM_KEY, "k=rsa; p=MIGf") == 2 && tag_is(0, "k", "rsa") && tag_is(1, "p", "MIGf"));
	CHECK(scan(&DKIM_KEY, "p=") == 1 && tag_is(0, "p", ""));
	CHECK(scan(&DKIM_KEY, "") == 0 && D.count == 0);
	CHECK(scan(&DKIM_KEY, "k=rsa; v=DKIM1; p=MIGf") == -1 && first_error_has("VERSION_NOT_FIRST", "position 8"));
	CHECK(scan(&DKIM_KEY, "v=DKIM2; p=x") == -1 && first_error_has("DKIM_SYNTAX", "found 'v=DKIM2"));
	CHECK(scan(&DKIM_KEY, "; p=x") == -1 && first_error_has("DKIM_SYNTAX", "empty field"));
}

static void names(void)
{
	CHECK(mts_fields_dkim_name("a", 1));
	CHECK(mts_fields_dkim_name("a_1", 3));
	CHECK(!mts_fields_dkim_name("", 0));
	CHECK(!mts_fields_dkim_name("_a", 2));
	CHECK(!mts_fields_dkim_name("a-b", 3));
	CHECK(!mts_fields_dkim_name("a.b", 3));
}

int main(void)
{
	mts_diags_init(&D);
	strict_mode();
	wsp_mode();
	fws_mode();
	names();
	mts_diags_free(&D);
	return CHECK_DONE();
}
