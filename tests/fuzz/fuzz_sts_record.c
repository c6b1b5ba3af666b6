/* libFuzzer target: the _mta-sts TXT record parser and selector. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pure/sts_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mts_sts_record r;
	size_t i;
	char *txt = malloc(size ? size : 1);
	if (txt == NULL)
		return 0;
	memcpy(txt, data, size);
	(void)mts_sts_record_selected(txt, size);
	if (mts_sts_record_parse(&r, txt, size) == 0) {
		/* A valid record has an id of 1-32 letters and digits. */
		if (r.id.len == 0 || r.id.len > 32)
			abort();
		for (i = 0; i < r.id.len; i++)
			if (!mts_is_alnum((unsigned char)r.id.ptr[i]))
				abort();
	} else if (r.diags.errors == 0) {
		abort();
	}
	mts_sts_record_free(&r);
	free(txt);
	return 0;
}
