/* json: a small JSON writer into heed_buf and a callback-driven parser.
 * Used for contact attributes, score parts and --format json output. */
#ifndef HEED_JSON_H
#define HEED_JSON_H

#include <stdint.h>
#include "util.h"

/* Writers append to b. Strings are escaped; NULL strings are written as null.
 * Non-finite numbers are written as null. */
void heed_json_str(heed_buf *b, const char *s);
void heed_json_strn(heed_buf *b, const char *s, size_t n);
void heed_json_num(heed_buf *b, double v);   /* integers print without a fraction */
void heed_json_int(heed_buf *b, int64_t v);

/* Parser events. Keys arrive through key(); scalars through the value callbacks.
 * Return non-zero from a callback to stop parsing (heed_json_parse then returns HEED_ERR).
 * Strings given to key() and str() are decoded UTF-8, n bytes long and valid only
 * during the callback. They are not NUL-terminated (one without escapes is handed
 * over straight from the text), and a \u0000 escape yields an embedded NUL byte. */
typedef struct heed_json_cb {
	int (*begin_obj)(void *ud);
	int (*end_obj)(void *ud);
	int (*begin_arr)(void *ud);
	int (*end_arr)(void *ud);
	int (*key)(void *ud, const char *s, size_t n);
	int (*str)(void *ud, const char *s, size_t n);
	int (*num)(void *ud, double v);
	int (*boolean)(void *ud, int v);
	int (*null)(void *ud);
} heed_json_cb;

/* Parse text (NUL-terminated). Returns HEED_OK, or HEED_EINPUT with *err naming the offset. */
int heed_json_parse(const char *text, const heed_json_cb *cb, void *ud, char **err);

#endif
