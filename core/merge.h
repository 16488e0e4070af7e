/* merge: folds one contact into another in one transaction (`heed merge`).
 * The kept contact gets every activity, stage-history row and merge record of
 * the other, its deal facts and attributes where it had none, its empty fields
 * filled (each fill recorded as a field change from the merge), and the more
 * advanced of the two stages. The folded contact is kept as JSON in merges. */
#ifndef HEED_MERGE_H
#define HEED_MERGE_H

#include "store.h"

typedef struct heed_merge_result {
	int fields;          /* fields filled */
	long activities;     /* activities moved */
	char from[16], to[16]; /* stage of the kept contact before and after */
} heed_merge_result;

/* Merge contact drop into keep. OUT: *res. HEED_EUSAGE when they are the same,
 * HEED_ENOTFOUND when one is missing; the store is unchanged on any error. */
int heed_merge_run(heed_store *s, int64_t keep, int64_t drop, heed_merge_result *res, char **err);

#endif
