/* The one monotonic clock of the C layers: deadlines and durations must not
 * jump with the wall clock. Reading a clock is no I/O, so it lives in the
 * pure layer (mtasts.now is built on it). */
#ifndef MTS_CLOCK_H
#define MTS_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC since an arbitrary start. */
long long mts_monotonic_ms(void);

/* Seconds of CLOCK_MONOTONIC, fractions included. */
double mts_monotonic_s(void);

#endif
