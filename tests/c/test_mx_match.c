#include "../../src/pure/mx_match.h"
#include "check.h"

static int m(const char *p, const char *h)
{
	return mts_mx_match(p, strlen(p), h, strlen(h));
}

int main(void)
{
	CHECK(m("mx1.example.com", "mx1.example.com"));
	CHECK(m("mx1.example.com", "MX1.Example.COM."));
	CHECK(!m("mx1.example.com", "mx2.example.com"));
	CHECK(m("*.example.com", "mx1.example.com"));
	CHECK(m("*.example.com", "mx1.example.com."));
	CHECK(!m("*.example.com", "example.com"));
	CHECK(!m("*.example.com", "a.b.example.com"));
	CHECK(!m("*.example.com", ".example.com"));
	CHECK(!m("*.example.com", "mx1.example.org"));
	CHECK(!m("*.example.com", "mx1xexample.com"));
	CHECK(!m("", "a"));
	CHECK(!m("a", ""));
	CHECK(!m("*.", "a."));
	return CHECK_DONE();
}
