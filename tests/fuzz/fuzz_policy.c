/* libFuzzer target: the policy parser must accept any bytes without
 * crashing, leaking or reading out of bounds, and its result must be
 * self-consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pure/mx_match.h"
#include "../../src/pure/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mts_policy p;
	size_t i;
	/* A private copy, so ASan catches any read past the end. */
	char *text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	if (mts_policy_parse(&p, text, size) == 0) {
		if (p.mode == MTS_MODE_UNSET || p.max_age < 0 || p.max_age > MTS_MAX_AGE_LIMIT)
			abort();
		if (p.mx_count == 0 && p.mode != MTS_MODE_NONE)
			abort();
		for (i = 0; i < p.mx_count; i++) {
			const struct mts_span *m = &p.mx[i];
			/* Every pattern matches a host built from it. */
			char host[300];
			if (m->len + 2 > sizeof host)
				abort();
			if (m->ptr[0] == '*') {
				host[0] = 'x';
				memcpy(host + 1, m->ptr + 1, m->len - 1);
			} else {
				memcpy(host, m->ptr, m->len);
			}
			if (!mts_mx_match(m->ptr, m->len, host, m->len))
				abort();
		}
	} else if (p.diags.errors == 0) {
		abort();
	}
	mts_policy_free(&p);
	free(text);
	return 0;
}
