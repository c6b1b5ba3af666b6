/* Small system helpers the C network cores (fetch.c, smtp_probe.c) share:
 * the deadline clock, string copies and epoll registration. */
#ifndef MTS_NETUTIL_H
#define MTS_NETUTIL_H

#include <stdint.h>
#include <sys/epoll.h>

#include "../pure/clock.h" /* mts_monotonic_ms: the deadline clock */

/* A malloc'd copy of s; NULL for NULL or when out of memory. (strdup is
 * not C99, and the build is -std=c99.) */
char *mts_strdup(const char *s);

/* epoll_ctl(epfd, op, fd) with an event of these flags and data, built here
 * so callers need no zeroed struct of their own. Returns epoll_ctl's value
 * (errno set); each caller keeps its own policy for EEXIST and ENOENT. */
int mts_epoll_set(int epfd, int op, int fd, uint32_t events, epoll_data_t data);

/* 1 when this process cannot open one more file descriptor right now
 * (EMFILE, ENFILE): a failure seen then is local, never the peer's. */
int mts_fds_exhausted(void);

#endif
