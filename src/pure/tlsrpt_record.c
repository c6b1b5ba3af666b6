/* RFC 8460 §3:
 *   tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 *   tlsrpt-version = %s"v=TLSRPTv1"
 *   tlsrpt-rua    = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri    = URI  (senders support "mailto:" and "https:")
 * Structure is scanned by fields.c; this file checks rua and the values. */
#include "tlsrpt_record.h"

#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "fields.h"

#define VERSION "v=TLSRPTv1"

#define ERR(r, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_ERROR, "TLSRPT_SYNTAX", __VA_ARGS__)
#define WARN(r, code, ...) mts_diag_add(&(r)->diags, 0, MTS_SEV_WARNING, code, __VA_ARGS__)

int mts_tlsrpt_record_selected(const char *txt, size_t len)
{
	return mts_fields_selected(txt, len, VERSION);
}

static int starts_with_ci(struct mts_span s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && mts_caseeq(s.ptr, n, prefix, n);
}

/* 1 when p[0..n) is a port number 1-65535. */
static int valid_port(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;
	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Checks one URI and, when usable, appends it. pos is its 1-based position. */
static void add_uri(struct mts_tlsrpt_record *r, struct mts_span u, size_t pos)
{
	struct mts_rua rua;
	struct mts_rua *slot;
	const char *at, *end;
	size_t i, n;
	char ex[64];

	mts_excerpt(ex, sizeof ex, u.ptr, u.len);
	for (i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.ptr[i];
		if (c < 0x21 || c > 0x7e) {
			ERR(r, "position %zu: rua URI '%s' contains a space or a non-ASCII character (percent-encode it)",
			    pos, ex);
			return;
		}
	}
	memset(&rua, 0, sizeof rua);
	rua.uri = u;
	if (starts_with_ci(u, "mailto:")) {
		rua.scheme = MTS_RUA_MAILTO;
		rua.address.ptr = u.ptr + 7;
		end = memchr(rua.address.ptr, '?', u.len - 7);
		rua.address.len = end ? (size_t)(end - rua.address.ptr) : u.len - 7;
		at = NULL;
		for (i = 0; i < rua.address.len; i++)
			if (rua.address.ptr[i] == '@')
				at = rua.address.ptr + i;
		if (at == NULL || at == rua.address.ptr) {
			ERR(r, "position %zu: '%s' is not a mail address (local@domain)", pos, ex);
			return;
		}
		rua.host.ptr = at + 1;
		rua.host.len = (size_t)(rua.address.ptr + rua.address.len - rua.host.ptr);
	} else if (starts_with_ci(u, "https:")) {
		rua.scheme = MTS_RUA_HTTPS;
		if (u.len < 8 || memcmp(u.ptr + 6, "//", 2) != 0) {
			ERR(r, "position %zu: '%s' must be of the form https://host/path", pos, ex);
			return;
		}
		/* authority = host [ ":" port ] (RFC 3986 §3.2); no userinfo, no IP literal */
		rua.host.ptr = u.ptr + 8;
		for (n = 0; n < u.len - 8; n++)
			if (strchr("/?#", rua.host.ptr[n]) != NULL)
				break;
		if (memchr(rua.host.ptr, '@', n) != NULL) {
			ERR(r, "position %zu: '%s' has user information before the host: use https://host/path", pos, ex);
			return;
		}
		if (n > 0 && rua.host.ptr[0] == '[') {
			ERR(r, "position %zu: '%s' names an IP address: use a host name (its certificate must name it)", pos, ex);
			return;
		}
		end = memchr(rua.host.ptr, ':', n);
		rua.host.len = end ? (size_t)(end - rua.host.ptr) : n;
		if (end && !valid_port(end + 1, n - rua.host.len - 1)) {
			ERR(r, "position %zu: '%s' has a bad port (1 to 65535 expected)", pos, ex);
			return;
		}
	} else {
		for (i = 0; i < u.len && (mts_is_alnum((unsigned char)u.ptr[i]) || strchr("+-.", u.ptr[i])); i++)
			;
		if (i == 0 || i == u.len || u.ptr[i] != ':' || !mts_is_alpha((unsigned char)u.ptr[0])) {
			ERR(r, "position %zu: '%s' is not a URI (expected mailto: or https:)", pos, ex);
			return;
		}
		WARN(r, "UNSUPPORTED_SCHEME", "position %zu: '%s' is ignored: senders deliver reports only to mailto: and https:",
		     pos, ex);
		return;
	}
	if (mts_domain_check(rua.host.ptr, rua.host.len) != MTS_DOMAIN_OK) {
		mts_excerpt(ex, sizeof ex, rua.host.ptr, rua.host.len);
		ERR(r, "position %zu: '%s' in rua is not a valid domain", pos, ex);
		return;
	}
	slot = mts_array_push((void **)&r->rua, &r->rua_count, &r->rua_cap, r->rua_inline, sizeof *r->rua);
	if (slot == NULL) {
		r->diags.oom = 1;
		return;
	}
	*slot = rua;
}

static void field_rua(struct mts_tlsrpt_record *r, const struct mts_field *f)
{
	const char *p = f->value.ptr, *end = p + f->value.len;
	size_t base = f->pos + f->name.len + 1;

	if (f->value.len == 0) {
		ERR(r, "position %zu: rua is empty", f->pos);
		return;
	}
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *s = p, *e = comma ? comma : end;
		struct mts_span u;
		while (s < e && mts_is_wsp((unsigned char)*s))
			s++;
		while (e > s && mts_is_wsp((unsigned char)e[-1]))
			e--;
		if (s == e) {
			ERR(r, "position %zu: empty URI in rua", base + (size_t)(p - f->value.ptr));
			return;
		}
		u.ptr = s;
		u.len = (size_t)(e - s);
		add_uri(r, u, base + (size_t)(s - f->value.ptr));
		p = comma ? comma + 1 : end;
		if (comma && p == end)
			ERR(r, "position %zu: rua ends with ','", base + f->value.len);
	}
}

static void on_field(void *ctx, const struct mts_field *f)
{
	struct mts_tlsrpt_record *r = ctx;
	char ex[64];
	long bad;

	if (mts_span_is(f->name.ptr, f->name.len, "rua")) {
		if (r->has_rua) {
			WARN(r, "DUPLICATE_FIELD", "position %zu: a second rua= is ignored; the first counts", f->pos);
			return;
		}
		r->has_rua = 1;
		field_rua(r, f);
		return;
	}
	if (mts_span_is(f->name.ptr, f->name.len, "v")) {
		WARN(r, "DUPLICATE_FIELD", "position %zu: a second v= is ignored", f->pos);
		return;
	}
	bad = mts_fields_bad_value_char(f->value);
	if (bad >= 0 || f->value.len == 0) {
		mts_excerpt(ex, sizeof ex, f->name.ptr, f->name.len);
		ERR(r, "position %zu: field '%s' has an empty or invalid value", f->pos, ex);
		return;
	}
	if (mts_ext_push(&r->ext, &r->ext_count, &r->ext_cap, r->ext_inline, f->name, f->value) == NULL)
		r->diags.oom = 1;
}

int mts_tlsrpt_record_parse(struct mts_tlsrpt_record *r, const char *txt, size_t len)
{
	r->has_rua = 0;
	r->rua = r->rua_inline;
	r->rua_count = 0;
	r->rua_cap = MTS_TLSRPT_INLINE;
	r->ext = r->ext_inline;
	r->ext_count = 0;
	r->ext_cap = MTS_TLSRPT_INLINE;
	mts_diags_init(&r->diags);

	if (mts_fields_parse(txt, len, VERSION, &r->diags, "TLSRPT_SYNTAX", on_field, r) < 0)
		return -1;
	if (!r->has_rua)
		ERR(r, "the record has no rua= field (where to send reports)");
	else if (r->rua_count == 0 && r->diags.errors == 0)
		ERR(r, "rua has no mailto: or https: URI that senders can use");
	return r->diags.errors ? -1 : 0;
}

void mts_tlsrpt_record_free(struct mts_tlsrpt_record *r)
{
	if (r->rua != r->rua_inline)
		free(r->rua);
	if (r->ext != r->ext_inline)
		free(r->ext);
	r->rua = r->rua_inline;
	r->ext = r->ext_inline;
	r->rua_count = r->ext_count = 0;
	mts_diags_free(&r->diags);
}
