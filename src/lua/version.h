/* What mtasts.pure and mtasts.core share about themselves: the version
 * (the same in both, so a mismatched pair shows) and how their one
 * luaopen_* symbol is exported from a module built with hidden visibility. */
#ifndef MTS_VERSION_H
#define MTS_VERSION_H

#define MTS_VERSION "0.1.0"
#define MTS_EXPORT __attribute__((visibility("default")))

#endif
