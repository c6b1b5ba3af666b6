#include "typo.h"

#include <string.h>

#include "text.h"

#define TYPO_MAX 16

static const char *const known[] = { "version", "mode", "max_age", "mx" };

/* Optimal-string-alignment distance (a transposition counts as one edit),
 * ASCII case ignored. Both strings are at most TYPO_MAX long. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t d[TYPO_MAX + 1][TYPO_MAX + 1], i, j;
	for (i = 0; i <= an; i++)
		d[i][0] = i;
	for (j = 0; j <= bn; j++)
		d[0][j] = j;
	for (i = 1; i <= an; i++)
		for (j = 1; j <= bn; j++) {
			size_t cost = mts_lower((unsigned char)a[i - 1]) != mts_lower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[an][bn];
}

/* Lower-cases k and drops the separators people swap ('-', '_', '.'). */
static size_t squash(char *out, const char *k, size_t n)
{
	size_t i, o = 0;
	for (i = 0; i < n; i++)
		if (k[i] != '-' && k[i] != '_' && k[i] != '.')
			out[o++] = (char)mts_lower((unsigned char)k[i]);
	return o;
}

const char *mts_policy_key_typo(const char *k, size_t n)
{
	char sk[TYPO_MAX], sknown[TYPO_MAX];
	size_t i, skn;

	if (n == 0 || n > TYPO_MAX)
		return NULL;
	skn = squash(sk, k, n);
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t kl = strlen(known[i]);
		size_t sl = squash(sknown, known[i], kl);
		if (skn == sl && memcmp(sk, sknown, sl) == 0)
			return known[i];
		if ((n > kl ? n - kl : kl - n) <= 1 && edit_distance(k, n, known[i], kl) <= 1)
			return known[i];
	}
	return NULL;
}
