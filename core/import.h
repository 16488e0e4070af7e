/* import: reads a CSV through a plugin's map into the store. By default one
 * transaction: any bad row leaves the store unchanged; --skip-bad imports the
 * good rows and lists the others. Dedupes by (source, external id) then email. */
#ifndef HEED_IMPORT_H
#define HEED_IMPORT_H

#include "plugin.h"
#include "store.h"

enum heed_on_match { HEED_MATCH_UPDATE = 0, HEED_MATCH_SKIP, HEED_MATCH_FAIL };

/* What became of one row: action is create, update, merge, skip or error;
 * id the contact (0 = none); reason says why. Strings live for the call. */
typedef void (*heed_import_row_fn)(void *ud, long line, const char *action, int64_t id,
                                   const char *reason);

typedef struct heed_import_opts {
	const char *file;
	const char *map;    /* plugin name; NULL = the column map (see colmap.h) */
	const char *const *cols; /* "field=Header" pairs for the column map */
	size_t ncols;
	int dry_run;        /* do everything, then roll back */
	int skip_bad;       /* import good rows, report bad ones */
	char delim;         /* 0 = detect */
	int encoding;       /* enum heed_csv_encoding */
	int on_match;       /* enum heed_on_match: a row that matches a stored contact */
	int keep_suffixes;  /* organisation names match with their legal suffixes (GmbH, Ltd) */
	const char *const *keep; /* fields an update only fills, never overwrites */
	size_t nkeep;
	heed_import_row_fn on_row; /* called once per row, in file order (NULL = none) */
	void *on_row_ud;
} heed_import_opts;

typedef struct heed_import_report {
	/* updated + unchanged: rows that matched a contact stored before the import;
	 * merged: rows that matched a contact an earlier row of the file created */
	long rows, created, updated, unchanged, merged, moved, skipped, bad, warnings, no_key;
	long matched_skipped; /* of skipped: rows that matched a stored contact (--on-match skip) */
	char **msgs;        /* "FILE:LINE: ..." errors and warnings, at most HEED_IMPORT_MAXMSG */
	size_t nmsgs;
	long no_key_lines[8]; /* first lines whose rows have neither email nor external id */
	int committed;
	int update_only;      /* the map only updates existing contacts */
} heed_import_report;

enum { HEED_IMPORT_MAXMSG = 50 };

/* Run an import. OUT: *rep (free with heed_import_report_clear). Returns HEED_OK,
 * HEED_EINPUT when rows were bad (nothing stored unless skip_bad), or another
 * code with *err for a failure that stops the import (file, map, store). */
int heed_import_run(heed_store *s, heed_plugins *p, const heed_import_opts *o,
                    heed_import_report *rep, char **err);
void heed_import_report_clear(heed_import_report *rep);
/* 1 if name is a field an import can fill (email, org.name, attrs.x, source...). */
int heed_import_field(const char *name);

#endif
