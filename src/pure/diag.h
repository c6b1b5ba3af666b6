/* Diagnostics: the errors and warnings a parser reports, each with a
 * stable code (documented in docs/diagnostics.md) and a readable message. */
#ifndef MTS_DIAG_H
#define MTS_DIAG_H

#include <stddef.h>

#define MTS_DIAG_MESSAGE_MAX 200
/* A hostile input can produce a diagnostic per line; keep the first few. */
#define MTS_DIAG_KEEP_MAX 100

enum mts_severity { MTS_SEV_ERROR, MTS_SEV_WARNING };

struct mts_diag {
	unsigned line; /* 1-based line, 0 when the diagnostic is about the whole input */
	enum mts_severity severity;
	const char *code; /* static string, e.g. "DUPLICATE_FIELD" */
	char message[MTS_DIAG_MESSAGE_MAX];
};

/* Most inputs have a few diagnostics: they live inside the struct, so that
 * parsing allocates nothing (a 1 KB+ malloc per parse showed in profiles). */
#define MTS_DIAG_INLINE 8

struct mts_diags {
	struct mts_diag *items; /* inline_items until more are needed */
	size_t count, cap;
	size_t dropped; /* diagnostics past MTS_DIAG_KEEP_MAX, counted not kept */
	size_t errors;  /* every error, kept or dropped */
	int oom;        /* an allocation failed: the list is incomplete */
	struct mts_diag inline_items[MTS_DIAG_INLINE];
};

/* Initialises d in place (it points into itself: never copy a struct mts_diags). */
void mts_diags_init(struct mts_diags *d);
void mts_diags_free(struct mts_diags *d);

/* Records one diagnostic; the message is printf-formatted. */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
void mts_diag_add(struct mts_diags *d, unsigned line, enum mts_severity sev,
                  const char *code, const char *fmt, ...);

/* The first error, or NULL. */
const struct mts_diag *mts_diags_first_error(const struct mts_diags *d);

/* Writes a printable, bounded excerpt of s into out (for messages). */
void mts_excerpt(char *out, size_t outsz, const char *s, size_t n);

#endif
