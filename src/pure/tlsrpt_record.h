/* The _smtp._tls TXT record of TLS-RPT (RFC 8460 §3):
 *   "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/tlsrpt" */
#ifndef MTS_TLSRPT_RECORD_H
#define MTS_TLSRPT_RECORD_H

#include <stddef.h>

#include "diag.h"
#include "policy.h" /* struct mts_ext */
#include "text.h"

enum mts_rua_scheme { MTS_RUA_MAILTO, MTS_RUA_HTTPS };

struct mts_rua {
	struct mts_span uri;
	enum mts_rua_scheme scheme;
	struct mts_span address; /* mailto: the address (without ?query); https: empty */
	struct mts_span host;    /* the mail domain of a mailto:, the host of an https: */
};

#define MTS_TLSRPT_INLINE 4

struct mts_tlsrpt_record {
	int has_rua;
	struct mts_rua *rua; /* the usable URIs (mailto: and https:), in order */
	size_t rua_count, rua_cap;
	struct mts_ext *ext;
	size_t ext_count, ext_cap;
	struct mts_diags diags;
	struct mts_rua rua_inline[MTS_TLSRPT_INLINE];
	struct mts_ext ext_inline[MTS_TLSRPT_INLINE];
};

/* 1 when txt begins with "v=TLSRPTv1" *WSP ";" (RFC 8460 §3 selection). */
int mts_tlsrpt_record_selected(const char *txt, size_t len);

/* 0, or -1 with errors in r->diags. Always call mts_tlsrpt_record_free. */
int mts_tlsrpt_record_parse(struct mts_tlsrpt_record *r, const char *txt, size_t len);
void mts_tlsrpt_record_free(struct mts_tlsrpt_record *r);

#endif
