/* bench/parse, C side: mts_policy_parse + mts_policy_free on every policy of
 * the corpus, in a loop. Built by bench/parse with -O2 against the sources in src/pure/.
 * usage: cparse CORPUS.json SECONDS ROUNDS
 * Prints: RESULT <best round, policies/s> <worst round> <accepted per pass> <corpus size>
 * Timing is CLOCK_PROCESS_CPUTIME_ID (CPU time of this process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

struct item {
	char *s;
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "cparse: %s\n", msg);
	exit(3);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	if (f == NULL)
		die("cannot open the corpus");
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				die("out of memory");
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes a JSON array of strings, in place (escapes only shrink). */
static struct item *read_corpus(char *s, size_t *count)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0;
	char *p = strchr(s, '[');
	if (p == NULL)
		die("corpus: expected a JSON array");
	for (p++;;) {
		char *o;
		while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
			p++;
		if (*p == ']')
			break;
		if (*p != '"')
			die("corpus: expected a string");
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			items = realloc(items, cap * sizeof *items);
			if (items == NULL)
				die("out of memory");
		}
		o = ++p;
		items[n].s = o;
		while (*p != '"') {
			if (*p == '\0')
				die("corpus: unterminated string");
			if (*p != '\\') {
				*o++ = *p++;
				continue;
			}
			switch (p[1]) {
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case '"': case '\\': case '/': *o++ = p[1]; break;
			case 'u': {
				char hex[5] = { 0 };
				unsigned long cp;
				memcpy(hex, p + 2, 4);
				cp = strtoul(hex, NULL, 16);
				p += 4;
				if (cp >= 0xD800 && cp < 0xDC00 && p[2] == '\\' && p[3] == 'u') {
					memcpy(hex, p + 4, 4);
					cp = 0x10000 + ((cp - 0xD800) << 10) + (strtoul(hex, NULL, 16) - 0xDC00);
					p += 6;
				}
				o += put_utf8(o, cp);
				break;
			}
			default: die("corpus: bad escape");
			}
			p += 2;
		}
		items[n].len = (size_t)(o - items[n].s);
		n++;
		p++;
	}
	*count = n;
	return items;
}

static size_t pass(const struct item *items, size_t n)
{
	size_t i, ok = 0;
	for (i = 0; i < n; i++) {
		struct mts_policy p;
		if (mts_policy_parse(&p, items[i].s, items[i].len) == 0)
			ok++;
		mts_policy_free(&p);
	}
	return ok;
}

int main(int argc, char **argv)
{
	size_t len, n, accepted = 0;
	char *text;
	struct item *items;
	double seconds, t0, best = 0, worst = 1e300;
	int rounds, r;

	if (argc != 4)
		die("usage: cparse CORPUS.json SECONDS ROUNDS");
	seconds = atof(argv[2]);
	rounds = atoi(argv[3]);
	text = slurp(argv[1], &len);
	items = read_corpus(text, &n);
	if (n == 0)
		die("corpus: empty");

	t0 = now();
	do
		accepted = pass(items, n);
	while (now() - t0 < 0.5);

	for (r = 0; r < rounds; r++) {
		double start = now(), el, rate;
		unsigned long passes = 0;
		do {
			pass(items, n);
			passes++;
			el = now() - start;
		} while (el < seconds);
		rate = (double)passes * (double)n / el;
		if (rate > best)
			best = rate;
		if (rate < worst)
			worst = rate;
	}
	printf("RESULT %.0f %.0f %zu %zu\n", best, worst, accepted, n);
	free(items);
	free(text);
	return 0;
}
