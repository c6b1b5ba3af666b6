/* libFuzzer target: the TLS-RPT (_smtp._tls) TXT record parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pure/tlsrpt_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mts_tlsrpt_record r;
	size_t i;
	char *txt = malloc(size ? size : 1);
	if (txt == NULL)
		return 0;
	memcpy(txt, data, size);
	(void)mts_tlsrpt_record_selected(txt, size);
	if (mts_tlsrpt_record_parse(&r, txt, size) == 0) {
		/* A valid record has at least one usable URI, each inside the input. */
		if (r.rua_count == 0)
			abort();
		for (i = 0; i < r.rua_count; i++)
			if (r.rua[i].uri.ptr < txt || r.rua[i].uri.ptr + r.rua[i].uri.len > txt + size ||
			    r.rua[i].host.len == 0)
				abort();
	} else if (r.diags.errors == 0) {
		abort();
	}
	mts_tlsrpt_record_free(&r);
	free(txt);
	return 0;
}
