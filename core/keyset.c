/* keyset: open addressing with linear probing. A slot packs the high 32 bits
 * of the key's hash (its fingerprint) over the contact id; 0 is empty, and ids
 * start at 1, so a used slot is never 0. */
#include "keyset.h"

#include "util.h"

#include <stdlib.h>

struct heed_keyset {
	uint64_t *slot;
	size_t cap; /* a power of two */
	size_t n;
};

enum { FIRST_CAP = 1024 };

heed_keyset *heed_keyset_new(void)
{
	heed_keyset *ks = xcalloc(1, sizeof *ks);
	ks->cap = FIRST_CAP;
	ks->slot = xcalloc(ks->cap, sizeof *ks->slot);
	return ks;
}

void heed_keyset_free(heed_keyset *ks)
{
	if (!ks)
		return;
	free(ks->slot);
	free(ks);
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL; /* the end of a part: "ab","c" differs from "a","bc" */
}

uint64_t heed_keyset_hash(char kind, const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (unsigned char)kind;
	h = fnv(h, a);
	if (b)
		h = fnv(h ^ 0xff, b);
	return mix(h);
}

/* A slot's home is the low bits of its fingerprint, so entries can be placed
 * again when the table grows (the rest of the hash is not kept). */
static void put(uint64_t *slot, size_t cap, uint64_t v)
{
	size_t i = (size_t)(v >> 32) & (cap - 1);
	while (slot[i])
		i = (i + 1) & (cap - 1);
	slot[i] = v;
}

static void grow(heed_keyset *ks)
{
	size_t cap = ks->cap * 2;
	uint64_t *slot = xcalloc(cap, sizeof *slot);
	for (size_t i = 0; i < ks->cap; i++)
		if (ks->slot[i])
			put(slot, cap, ks->slot[i]);
	free(ks->slot);
	ks->slot = slot;
	ks->cap = cap;
}

int heed_keyset_add(heed_keyset *ks, uint64_t h, int64_t id)
{
	if (id <= 0 || id > (int64_t)UINT32_MAX)
		return -1;
	if ((ks->n + 1) * 2 > ks->cap)
		grow(ks);
	put(ks->slot, ks->cap, (h >> 32) << 32 | (uint64_t)id);
	ks->n++;
	return 0;
}

int heed_keyset_next(const heed_keyset *ks, uint64_t h, size_t *pos, int64_t *id)
{
	uint32_t fp = (uint32_t)(h >> 32);
	size_t mask = ks->cap - 1, i = *pos ? *pos : ((size_t)fp & mask) + 1;
	/* *pos holds the next slot to look at, plus one (0 = not started) */
	for (i--; ks->slot[i]; i = (i + 1) & mask) {
		if ((uint32_t)(ks->slot[i] >> 32) == fp) {
			*id = (int64_t)(ks->slot[i] & UINT32_MAX);
			*pos = ((i + 1) & mask) + 1;
			return 1;
		}
	}
	*pos = i + 1;
	return 0;
}
