/* The "v=VERSION; name=value; ..." tag lists of mail TXT records and headers.
 *
 * Strict mode (flags 0), MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3):
 *   record      = version 1*(field-delim field) [field-delim]
 *   field-delim = *WSP ";" *WSP
 *   field       = name "=" value,  name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   the version is the exact bytes "v=STSv1" at the start of the record.
 *
 * Lenient modes, DMARC (RFC 7489 §6.4) and DKIM (RFC 6376 §3.2):
 *   MTS_FIELDS_WSP  whitespace (SP, HTAB) may also surround "=", and may end
 *                   the record without a TRAILING_WHITESPACE warning:
 *                   "v = DMARC1 ; p = none ".
 *   MTS_FIELDS_FWS  as MTS_FIELDS_WSP, and whitespace may fold: CRLF followed
 *                   by at least one SP or HTAB counts as whitespace wherever
 *                   whitespace is allowed (DKIM-Signature header values).
 *                   Inside a value, folds are left to the caller.
 *   the version is a tag (name, optional whitespace, "=", value) and must be
 *   the first one; its name and value are compared byte for byte.
 *   MTS_FIELDS_VERSION_OPTIONAL  the version tag may be absent (DKIM key
 *                   records, RFC 6376 §3.6.1); when present it is still first.
 *
 * This scanner checks that structure; each record type checks its values. */
#ifndef MTS_FIELDS_H
#define MTS_FIELDS_H

#include <stddef.h>

#include "diag.h"
#include "text.h"

struct mts_field {
	struct mts_span name, value; /* value: up to the next ';', surrounding whitespace trimmed */
	size_t pos;                  /* 1-based character position of the name */
};

typedef void mts_field_cb(void *ctx, const struct mts_field *f);

#define MTS_FIELDS_WSP 0x1u
#define MTS_FIELDS_FWS 0x2u
#define MTS_FIELDS_VERSION_OPTIONAL 0x4u

/* How one record type spells its tag list. */
struct mts_fields_syntax {
	const char *version_name;  /* "v" */
	const char *version_value; /* "STSv1", "DMARC1", "DKIM1" */
	unsigned flags;            /* 0 (strict) or MTS_FIELDS_* */
	const char *code;          /* the error code of structural errors, e.g. "STS_SYNTAX" */
	/* The tag-name rule; NULL: mts_is_ext_name (RFC 8461). */
	int (*name_ok)(const char *s, size_t n);
};

/* Scans txt; calls cb for every tag after the version (a later tag with the
 * version's name is passed on, for the record type to judge). Structural
 * errors are recorded in d with syn->code; a version tag that is present but
 * not first is recorded with the code "VERSION_NOT_FIRST". Returns the number
 * of tags passed to cb, or -1 on an error (cb may have run for earlier tags). */
long mts_fields_scan(const char *txt, size_t len, const struct mts_fields_syntax *syn, struct mts_diags *d,
                     mts_field_cb *cb, void *ctx);

/* 1 when txt begins with the version tag of syn followed by optional
 * whitespace and ';' or by the end of txt; in strict mode only ';' counts
 * (the rule by which senders select records of this type among all TXT records). */
int mts_fields_begins_with_version(const char *txt, size_t len, const struct mts_fields_syntax *syn);

/* Strict mode with version = "v=STSv1" or "v=TLSRPTv1", the shorthand of the
 * MTA-STS and TLS-RPT parsers: mts_fields_begins_with_version and
 * mts_fields_scan with flags 0 and the default tag-name rule. */
int mts_fields_selected(const char *txt, size_t len, const char *version);
long mts_fields_parse(const char *txt, size_t len, const char *version, struct mts_diags *d,
                      const char *code, mts_field_cb *cb, void *ctx);

/* The RFC's ext-value: 1*(%x21-3A / %x3C / %x3E-7E). Returns the 0-based
 * offset of the first bad character, or -1 when the value is valid. */
long mts_fields_bad_value_char(struct mts_span v);

/* DKIM's tag-name (RFC 6376 §3.2): ALPHA *(ALPHA / DIGIT / "_"). */
int mts_fields_dkim_name(const char *s, size_t n);

#endif
