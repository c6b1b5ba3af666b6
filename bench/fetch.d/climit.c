/* bench/fetch, the physical limit: a minimal HTTPS client (OpenSSL, SNI,
 * certificate verified, one GET per fresh TCP connection, no session reuse)
 * run as one process per core against the testbed's clone policy host. It
 * measures the full-handshake fetches/s the testbed's nginx can serve.
 *
 * usage: climit IP CA_FILE CLONES SECONDS PROCS
 * Prints: RESULT <fetches/s, all processes> <fetches> <failures> */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fetch_one(SSL_CTX *ctx, const struct sockaddr_in *sa, const char *host)
{
	char req[512], buf[16384];
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0, n, got = 0;
	SSL *ssl;
	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
		close(fd);
		return 0;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set1_host(ssl, host);
	if (SSL_connect(ssl) == 1) {
		snprintf(req, sizeof req,
		         "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host);
		if (SSL_write(ssl, req, (int)strlen(req)) > 0) {
			while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
				got += n;
			ok = got > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0;
		}
	}
	SSL_free(ssl);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int clones, procs, p, width;
	double secs;
	int pipes[64][2];
	long total = 0, fails = 0;
	double rate = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: climit IP CA_FILE CLONES SECONDS PROCS\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(443);
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	clones = atoi(argv[3]);
	secs = atof(argv[4]);
	procs = atoi(argv[5]);
	if (procs < 1 || procs > 64 || clones < 1)
		return 2;
	width = clones > 9999 ? (int)snprintf(NULL, 0, "%d", clones) : 4;
	for (p = 0; p < procs; p++) {
		if (pipe(pipes[p]) != 0)
			return 1;
		if (fork() == 0) {
			SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
			long n = 0, bad = 0;
			int i = p;
			double t0, t1;
			char host[128];
			SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
			SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
			SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
			SSL_CTX_load_verify_locations(ctx, argv[2], NULL);
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
			t0 = now();
			do {
				snprintf(host, sizeof host, "mta-sts.c%0*d.clones.test", width, i % clones + 1);
				if (fetch_one(ctx, &sa, host))
					n++;
				else
					bad++;
				i += procs;
				t1 = now();
			} while (t1 - t0 < secs);
			dprintf(pipes[p][1], "%ld %ld %f\n", n, bad, n / (t1 - t0));
			_exit(0);
		}
		close(pipes[p][1]);
	}
	for (p = 0; p < procs; p++) {
		char line[128];
		long n = 0, bad = 0;
		double r = 0;
		ssize_t k = read(pipes[p][0], line, sizeof line - 1);
		if (k > 0) {
			line[k] = '\0';
			sscanf(line, "%ld %ld %lf", &n, &bad, &r);
		}
		total += n;
		fails += bad;
		rate += r;
		close(pipes[p][0]);
	}
	while (wait(NULL) > 0)
		;
	printf("RESULT %.0f %ld %ld\n", rate, total, fails);
	return 0;
}
