/* The _mta-sts TXT record (RFC 8461 §3.1): "v=STSv1; id=...". */
#ifndef MTS_STS_RECORD_H
#define MTS_STS_RECORD_H

#include <stddef.h>

#include "diag.h"
#include "policy.h" /* struct mts_ext */
#include "text.h"

#define MTS_RECORD_INLINE_EXT 4

struct mts_sts_record {
	struct mts_span id;
	struct mts_ext *ext; /* fields other than v and id, in order */
	size_t ext_count, ext_cap;
	struct mts_diags diags; /* line is 0; messages give the character position */
	struct mts_ext ext_inline[MTS_RECORD_INLINE_EXT];
};

/* 1 when the record begins with "v=STSv1" *WSP ";" — the §3.1 selection rule
 * that decides which TXT records at _mta-sts count at all. */
int mts_sts_record_selected(const char *txt, size_t len);

/* Parses txt[0..len) (the character-strings already concatenated). Returns
 * 0, or -1 with errors in r->diags. Always call mts_sts_record_free. */
int mts_sts_record_parse(struct mts_sts_record *r, const char *txt, size_t len);
void mts_sts_record_free(struct mts_sts_record *r);

#endif
