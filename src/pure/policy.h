/* The MTA-STS policy file parser (RFC 8461 §3.2). Pure: bytes in, a
 * struct out; nothing here does I/O or knows about Lua. */
#ifndef MTS_POLICY_H
#define MTS_POLICY_H

#include <stddef.h>

#include "diag.h"
#include "text.h"

#define MTS_MAX_AGE_LIMIT 31557600L /* §3.2: at most one year */

enum mts_mode { MTS_MODE_UNSET = 0, MTS_MODE_ENFORCE, MTS_MODE_TESTING, MTS_MODE_NONE };

/* Growable arrays start in inline storage: typical policies never allocate. */
#define MTS_POLICY_INLINE_MX 8
#define MTS_POLICY_INLINE_EXT 4

struct mts_policy {
	int has_version;
	enum mts_mode mode;
	long max_age; /* -1 when absent or invalid */
	struct mts_span *mx; /* as written (not lower-cased), in order, no duplicates */
	size_t mx_count, mx_cap;
	struct mts_ext *ext; /* unknown keys, in order */
	size_t ext_count, ext_cap;
	struct mts_span mx_inline[MTS_POLICY_INLINE_MX];
	struct mts_ext ext_inline[MTS_POLICY_INLINE_EXT];
	struct mts_diags diags; /* errors and warnings, in input order, then "missing" errors */
};

/* Parses text[0..len). Spans in *p point into text, which must outlive *p.
 * Returns 0 when the policy is valid (warnings are possible), -1 when it has
 * errors (p->diags.errors > 0). Always call mts_policy_free afterwards. */
int mts_policy_parse(struct mts_policy *p, const char *text, size_t len);
void mts_policy_free(struct mts_policy *p);

const char *mts_mode_name(enum mts_mode m);

#endif
