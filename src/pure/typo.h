/* Spotting misspelt policy keys ("nmx", "Mode", "max-age") so that the
 * warning can name the key the author meant. */
#ifndef MTS_TYPO_H
#define MTS_TYPO_H

#include <stddef.h>

/* The known policy key that k[0..n) most likely misspells, or NULL. */
const char *mts_policy_key_typo(const char *k, size_t n);

#endif
