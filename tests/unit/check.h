/* check.h: the tiny assertion kit shared by heed's C unit tests.
 * CHECK* records a failure and goes on; main returns check_done(). */
#ifndef HEED_CHECK_H
#define HEED_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                   \
	do {                                                                              \
		check_count++;                                                                \
		if (!(cond)) {                                                                \
			check_failures++;                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                             \
	} while (0)

#define CHECK_STR(got, want)                                                              \
	do {                                                                                  \
		const char *g_ = (got), *w_ = (want);                                             \
		check_count++;                                                                    \
		if (!((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0))) {         \
			check_failures++;                                                             \
			fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
			        #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                        \
		}                                                                                 \
	} while (0)

#define CHECK_INT(got, want)                                                                  \
	do {                                                                                      \
		long long g_ = (long long)(got), w_ = (long long)(want);                              \
		check_count++;                                                                        \
		if (g_ != w_) {                                                                       \
			check_failures++;                                                                 \
			fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, #got, g_, \
			        w_);                                                                      \
		}                                                                                     \
	} while (0)

#define CHECK_NEAR(got, want, eps)                                                          \
	do {                                                                                    \
		double g_ = (got), w_ = (want);                                                     \
		check_count++;                                                                      \
		if (!(fabs(g_ - w_) <= (eps))) {                                                    \
			check_failures++;                                                               \
			fprintf(stderr, "%s:%d: %s: got %g, want %g\n", __FILE__, __LINE__, #got, g_, w_); \
		}                                                                                   \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_count - check_failures, check_failures);
	return check_failures ? 1 : 0;
}

#endif
