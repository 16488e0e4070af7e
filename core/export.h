/* export: contacts out as CSV or JSON Lines. CSV columns are heed field names
 * (email, org.name, deal.value, attrs.KEY...), so `heed import` reads an export
 * back without a map; cells a spreadsheet would run as a formula are
 * neutralised with a leading quote, which that import strips again. */
#ifndef HEED_EXPORT_H
#define HEED_EXPORT_H

#include <stdio.h>
#include "store.h"
#include "util.h"

/* The first characters of a cell that export neutralises with a leading quote
 * (a line break too: the CSV reader turns a CR into one, and the quote must still come off). */
#define HEED_EXPORT_GUARDED "=+-@\t\r\n"

typedef struct heed_export_opts {
	int jsonl;                  /* 1 = JSON Lines, 0 = CSV */
	const char *stage;          /* NULL = every stage */
	double min_score;           /* NaN = no limit */
	const char *const *where;   /* "column=value" filters, all must hold */
	size_t nwhere;
} heed_export_opts;

/* Check the filters of o: OUT *err names a bad one. Returns HEED_OK or HEED_EUSAGE. */
int heed_export_check(const heed_export_opts *o, char **err);
/* Write the contacts o selects to out, in id order. OUT: *count written. */
int heed_export_run(heed_store *s, const heed_export_opts *o, FILE *out, long *count, char **err);

/* Append c as one JSON object (the JSON Lines form, no newline) to b. */
void heed_export_json(heed_buf *b, const heed_contact *c);

/* 1 if header[0..n) starts with the columns of a CSV export: a file heed wrote,
 * whose neutralised formula cells an import should restore. */
int heed_export_is_header(const char *const *header, size_t n);

#endif
