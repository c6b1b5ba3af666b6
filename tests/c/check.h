/* A minimal test harness for the C unit tests: CHECK records a failure with
 * its line and goes on; main returns the number of failures. */
#ifndef MTS_CHECK_H
#define MTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		check_count++;                                                       \
		if (!(cond)) {                                                       \
			check_failures++;                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                    \
	} while (0)

#define CHECK_DONE()                                                                 \
	(printf("%s: %d checks, %d failed\n", __FILE__, check_count, check_failures), \
	 check_failures != 0)

#endif
