/* parts: score parts as stored with a contact (contacts.score_parts). heed
 * writes the compact layout [[plugin, name, points, reason], …]; it reads that
 * and the older [{"plugin":…,"name":…,"points":…,"reason":…}, …] that stores
 * made before still hold until their next score. Output for people and
 * programs (show, --format json) is always the readable object layout. */
#ifndef HEED_PARTS_H
#define HEED_PARTS_H

#include "plugin.h"
#include "util.h"

/* What the writer keeps between calls: the start of a part of the plugin it
 * saw last, escaped once rather than once per part. Zero-initialise; free
 * with heed_parts_enc_free. */
typedef struct heed_parts_enc {
	const char *plugin;
	heed_buf head;
} heed_parts_enc;

/* Append the stored (compact) form of parts v[0..n) to b. */
void heed_parts_encode(heed_buf *b, heed_parts_enc *enc, const heed_part *v, size_t n);
void heed_parts_enc_free(heed_parts_enc *enc);

/* One part read back: the strings are NUL-terminated and valid during the
 * call only; a text field is "" and points NaN when missing or unusable (a
 * value of the wrong kind). Return non-zero to stop reading. */
typedef int (*heed_part_fn)(void *ud, const char *plugin, const char *name, double points,
                            const char *reason);

/* Call fn for each part of stored text (either layout), in order; keys and
 * positions heed does not know are skipped, whatever their value. Returns
 * HEED_OK, or HEED_EINPUT with *err saying what is wrong with the text: not
 * JSON, not a list of parts, or a NUL (\u0000) in a plugin, name or reason. */
int heed_parts_read(const char *text, heed_part_fn fn, void *ud, char **err);

/* Append the readable JSON of stored text to b: an array of objects
 * {"plugin","name","points","reason"}; "[]" for NULL or empty text. On a text
 * that is not score parts, appends nothing and returns HEED_EINPUT (*err). */
int heed_parts_readable(heed_buf *b, const char *text, char **err);

#endif
