/* keyset: the contact keys an import has created so far, for an import into
 * an empty store, which builds the store's unique indexes only at its end
 * (see heed_store_bulk_keys). It maps a key (an email, or a source and an
 * external id) to candidate contact ids by a 64-bit hash; the caller checks
 * each candidate against the store, so a hash collision costs a lookup, never
 * a wrong match. 8 bytes a slot, at most half full: 16 MB for a million keys. */
#ifndef HEED_KEYSET_H
#define HEED_KEYSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct heed_keyset heed_keyset;

/* A new, empty set; free with heed_keyset_free. */
heed_keyset *heed_keyset_new(void);
void heed_keyset_free(heed_keyset *ks);

/* The hash of the key kind ('e' email, 'x' external id) with parts a and b
 * (b may be NULL). */
uint64_t heed_keyset_hash(char kind, const char *a, const char *b);

/* Add id under hash h. Returns 0, or -1 when id does not fit (over 2^32-1):
 * then the caller gives up on the set. */
int heed_keyset_add(heed_keyset *ks, uint64_t h, int64_t id);

/* The candidates for hash h, one per call: start with *pos = 0; returns 1 and
 * sets *id, or 0 when there are no more. */
int heed_keyset_next(const heed_keyset *ks, uint64_t h, size_t *pos, int64_t *id);

#endif
