/* dupes: likely duplicate contacts already in the store (`heed dupes`): the
 * same email once trimmed and folded, the same name at the same organisation,
 * or the same phone number in E.164 form. */
#ifndef HEED_DUPES_H
#define HEED_DUPES_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

typedef struct heed_dupe {
	const char *why;   /* "email", "name+org" or "phone" */
	char *key;         /* what they share */
	int64_t *ids;      /* ascending */
	size_t nids;
} heed_dupe;

/* Find every group. OUT: *out, *n (free with heed_dupes_free). */
int heed_dupes_find(heed_store *s, heed_dupe **out, size_t *n, char **err);
void heed_dupes_free(heed_dupe *d, size_t n);

/* phone in E.164 ("+4930123456"), caller frees; NULL when it cannot be told:
 * no country code and no known country (ISO 3166 alpha-2, e.g. "DE") for a
 * national number, or not 8..15 digits. Text after "x" or "ext" is an extension. */
char *heed_dupes_e164(const char *phone, const char *country);

#endif
