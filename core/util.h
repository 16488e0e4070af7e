/* util: memory wrappers that abort on exhaustion, a growable string buffer,
 * and heed's error codes and error-message helper. Owns nothing global. */
#ifndef HEED_UTIL_H
#define HEED_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Return codes: HEED_OK or a negative code; the message travels in char **err. */
enum {
	HEED_OK = 0,
	HEED_ERR = -1,       /* generic failure */
	HEED_EUSAGE = -2,    /* bad command line */
	HEED_ENOTFOUND = -3, /* no such contact / plugin / file */
	HEED_ECONFLICT = -4, /* unique key clash or stage changed under us */
	HEED_EPLUGIN = -5,   /* a plugin failed (others may have run) */
	HEED_EINPUT = -6,    /* bad input data (CSV row, field value) */
	HEED_EREFUSED = -7,  /* an illegal stage move */
	HEED_ESKIPPED = -8,  /* not done on purpose (do_not_contact, unsubscribed, cap); reason in *err */
	HEED_ERETRY = -9     /* a transient failure: a retry is scheduled */
};

#if defined(__GNUC__)
#define HEED_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HEED_PRINTF(a, b)
#endif

/* Allocation wrappers: never return NULL; print a message and abort on OOM. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);           /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) HEED_PRINTF(1, 2); /* caller frees */
char *xvasprintf(const char *fmt, va_list ap);

/* Set *err (if err is non-NULL and *err is still NULL) to a formatted message.
 * The first error wins: later calls are ignored. Caller frees *err. */
void heed_seterr(char **err, const char *fmt, ...) HEED_PRINTF(2, 3);

/* Growable NUL-terminated byte buffer. Zero-initialise ({0}) before use. */
typedef struct heed_buf {
	char *s;
	size_t len, cap;
} heed_buf;

void heed_buf_add(heed_buf *b, const char *s, size_t n);
void heed_buf_adds(heed_buf *b, const char *s);
void heed_buf_addc(heed_buf *b, char c);
void heed_buf_addf(heed_buf *b, const char *fmt, ...) HEED_PRINTF(2, 3);
void heed_buf_add_utf8(heed_buf *b, unsigned cp); /* one code point, UTF-8 encoded */
void heed_buf_reset(heed_buf *b);          /* len = 0, keeps memory */
void heed_buf_free(heed_buf *b);
char *heed_buf_detach(heed_buf *b);        /* returns the string (caller frees), resets b */
const char *heed_buf_str(heed_buf *b);     /* never NULL; valid until the next change */

/* Text copied into blocks that never move while in use: each copy stays valid
 * until a rewind (which reuses the blocks from the first) or free. Zero-
 * initialise ({0}) before use. */
struct heed_text_block;
typedef struct heed_text {
	struct heed_text_block *first, *cur;
} heed_text;
char *heed_text_copy(heed_text *t, const char *s, size_t n); /* s[0..n) and a NUL */
void heed_text_rewind(heed_text *t);
void heed_text_free(heed_text *t);

/* Small string helpers. */
int heed_streq(const char *a, const char *b);      /* NULL-safe equality */
/* NULL or "". Inline: called per field on every row of an import. */
static inline int heed_empty(const char *s)
{
	return !s || !*s;
}
char *heed_trim(char *s);                           /* in place; returns s advanced past spaces */
int heed_utf8_valid(const char *s, size_t n, size_t *bad_off); /* 1 if valid, else 0 and *bad_off */

#endif
