/* import_bulk: matching rows on the import's own key set while the store's
 * unique indexes are down (see import_int.h). A key set hit is only a
 * candidate: the stored contact's key is compared before it counts. */
#include <string.h>

#include "contact.h"
#include "store.h"

#include "import_int.h"

static uint64_t key_hash(char kind, const heed_contact *c)
{
	return kind == 'e' ? heed_keyset_hash('e', c->email, NULL)
	                   : heed_keyset_hash('x', c->source ? c->source : "", c->external_id);
}

/* 1 if stored contact cur has the key of kind that c has. */
static int same_key(char kind, const heed_contact *cur, const heed_contact *c)
{
	if (kind == 'e')
		return heed_streq(cur->email, c->email);
	return heed_streq(cur->external_id, c->external_id) &&
	       heed_streq(cur->source ? cur->source : "", c->source ? c->source : "");
}

/* The contact that has c's key of kind. OUT: *id (0 = none). */
static int lookup(struct importer *im, char kind, const heed_contact *c, int64_t *id, char **err)
{
	uint64_t h = key_hash(kind, c);
	size_t pos = 0;
	int64_t cand;
	int rc = HEED_OK;
	*id = 0;
	while (rc == HEED_OK && !*id && heed_keyset_next(im->keys, h, &pos, &cand)) {
		if ((rc = import_flush(im, err)) != HEED_OK) /* the candidate may be in hand, not stored */
			break;
		heed_contact cur;
		heed_contact_init(&cur);
		rc = heed_store_load(im->s, cand, HEED_LOAD_BARE, &cur, err);
		if (rc == HEED_OK && same_key(kind, &cur, c))
			*id = cand;
		heed_contact_clear(&cur);
	}
	return rc;
}

int import_bulk_find(struct importer *im, const heed_contact *c, int64_t *id, char **err)
{
	int64_t by_ext = 0, by_email = 0;
	int rc = HEED_OK;
	*id = 0;
	int has_ext = !heed_empty(c->external_id), has_email = !heed_empty(c->email);
	if (has_ext)
		rc = lookup(im, 'x', c, &by_ext, err);
	if (rc == HEED_OK && has_email)
		rc = lookup(im, 'e', c, &by_email, err);
	if (rc != HEED_OK)
		return rc;
	/* both keys, naming different contacts (or only one naming any): which
	 * one wins, and what the merge changes, is the store's to decide */
	if (has_ext && has_email && by_ext != by_email)
		return IMPORT_INDEXED;
	*id = by_ext ? by_ext : by_email;
	return HEED_OK;
}

int import_bulk_remember(struct importer *im, const heed_contact *c)
{
	if (!heed_empty(c->email) && heed_keyset_add(im->keys, key_hash('e', c), c->id) != 0)
		return IMPORT_INDEXED;
	if (!heed_empty(c->external_id) && heed_keyset_add(im->keys, key_hash('x', c), c->id) != 0)
		return IMPORT_INDEXED;
	return HEED_OK;
}

int import_bulk_end(struct importer *im, char **err)
{
	heed_keyset_free(im->keys); /* first: the index sort wants the memory */
	im->keys = NULL;
	int rc = import_flush(im, err);
	/* no duplicate can fail the build: every key went through the set */
	return rc == HEED_OK ? heed_store_bulk_keys(im->s, 1, err) : rc;
}
