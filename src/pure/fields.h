/* The "v=VERSION; name=value; ..." TXT record shape shared by MTA-STS
 * (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3):
 *   record      = version 1*(field-delim field) [field-delim]
 *   field-delim = *WSP ";" *WSP
 *   field       = name "=" value,  name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 * This scanner checks that structure; each record type checks its values. */
#ifndef MTS_FIELDS_H
#define MTS_FIELDS_H

#include <stddef.h>

#include "diag.h"
#include "text.h"

struct mts_field {
	struct mts_span name, value; /* value: up to the next ';', trailing whitespace trimmed */
	size_t pos;                  /* 1-based character position of the name */
};

typedef void mts_field_cb(void *ctx, const struct mts_field *f);

/* 1 when txt begins with version, optional whitespace and ';' (the rule by
 * which senders select records of this type among all TXT records). */
int mts_fields_selected(const char *txt, size_t len, const char *version);

/* Scans txt; calls cb for every field after the version. Structural errors
 * are recorded in d with the given code. Returns the number of fields, or
 * -1 on a structural error. */
long mts_fields_parse(const char *txt, size_t len, const char *version, struct mts_diags *d,
                      const char *code, mts_field_cb *cb, void *ctx);

/* The RFC's ext-value: 1*(%x21-3A / %x3C / %x3E-7E). Returns the 0-based
 * offset of the first bad character, or -1 when the value is valid. */
long mts_fields_bad_value_char(struct mts_span v);

#endif
