/* import_int: what the import's files share (import.c runs the rows,
 * import_values.c turns cell text into contact fields): a row being built,
 * the importer state and its report. */
#ifndef HEED_IMPORT_INT_H
#define HEED_IMPORT_INT_H

#include <pthread.h>

#include "csv.h"
#include "import.h"
#include "keyset.h"
#include "store.h"
#include "util.h"

enum field_id {
	F_EMAIL, F_EXTERNAL_ID, F_FIRST_NAME, F_LAST_NAME, F_TITLE, F_PHONE, F_OWNER,
	F_DO_NOT_CONTACT, F_CREATED_AT, F_STAGE, F_STAGE_AT, F_ORG_NAME, F_ORG_DOMAIN,
	F_ORG_INDUSTRY, F_ORG_EMPLOYEES, F_ORG_COUNTRY, F_DEAL_VALUE, F_DEAL_CURRENCY,
	F_DEAL_CLOSE_DATE, F_DEAL_DECISION_MAKERS, F_DEAL_PROBABILITY, F_SOURCE, F_ATTR, F_UNKNOWN
};

/* A declarative field bound to its column. */
struct binding {
	enum field_id id;
	const char *attr; /* key for F_ATTR */
	size_t col;
};

/* One row being built. */
struct record {
	heed_contact c;
	char *stage;          /* mapped stage name or NULL */
	heed_time stage_at;
	int has_created;
	char **akey, **aval;  /* attributes in first-set order; a later value of a key replaces it */
	size_t na, acap;
	heed_fieldset extra;  /* from the row function */
	heed_time *act_at;    /* parsed times of extra.acts */
	long line;            /* where the row starts in the file */
	int bad;              /* the row cannot be stored */
	int skip;             /* nothing to store: empty row, or the row function said so */
	char *why;            /* the first reason the row is bad, for the plan */
};

struct importer {
	heed_store *s;
	heed_plugins *p;
	const heed_import_opts *o;
	const heed_mapspec *spec;
	heed_import_report *rep;
	heed_csv *csv;
	char **header;
	size_t ncols;
	struct binding *b;
	size_t nb;
	long stage_col;       /* -1: none */
	unsigned char *mapped; /* per column: used by a binding */
	const char *file;
	long line;            /* row in hand (each thread has its own importer copy) */
	int row_bad;
	int unguard;          /* strip the quote heed's export puts before formula cells */
	size_t named;         /* columns before the trailing unnamed ones (a trailing separator) */
	int domain_col;       /* the map binds org.domain to a column: it wins, empty too */
	struct record *cur;   /* the row in hand */
	int64_t max_before;   /* highest contact id before the import: higher ids are its own */
	int find_first;       /* the last keyed row matched: look up the next before inserting */
	char *source;         /* "import:MAP FILE" for the history of changed fields */
	heed_keyset *keys;    /* bulk mode (an empty store): the keys made so far; else NULL */
	struct org_memo *memo; /* the producer's organisation keys by name (import.c) */
	/* bulk mode: contacts created (ids given) but not yet inserted, written
	 * HEED_STORE_ROWS to a statement by import_flush */
	heed_contact *pend[HEED_STORE_ROWS];
	size_t npend;
	int64_t next_id;
	heed_time now;
	struct shared *sh;    /* what both threads' copies share */
};

/* Guarded by mu: rep->msgs, rep->warnings and the line of each message. */
struct shared {
	pthread_mutex_t mu;
	long *lines;          /* line of each message, to list them in file order */
};

/* Record a bad-row error (bad) or a warning for the row in hand, "FILE:LINE: msg". */
void import_report(struct importer *im, int bad, const char *fmt, ...) HEED_PRINTF(3, 4);

/* import_bulk.c: an import into an empty store runs without the unique key
 * indexes (heed_store_bulk_keys) and matches rows on im->keys instead, while
 * every row's keys agree with the key set. A row whose keys name different
 * contacts (or one names a contact and the other none) needs the store's own
 * merge rules: IMPORT_INDEXED, and the caller builds the indexes (what is
 * stored so far has no duplicate: every key went through the set) and goes on
 * with them from that row. */
enum { IMPORT_INDEXED = -100 };
/* The contact c's keys name. OUT: *id (0 = new). IMPORT_INDEXED, or a store error. */
int import_bulk_find(struct importer *im, const heed_contact *c, int64_t *id, char **err);
/* Remember the keys of contact c, just created. IMPORT_INDEXED when it cannot. */
int import_bulk_remember(struct importer *im, const heed_contact *c);
/* Build the indexes and leave bulk mode (im->keys freed and NULL). */
int import_bulk_end(struct importer *im, char **err);
/* Insert the contacts bulk mode has created but not yet written (import.c).
 * Before anything reads or changes a stored contact, and before the rows in
 * hand are given back to the reader thread. */
int import_flush(struct importer *im, char **err);

/* import_values.c */
/* Parse v (ISO 8601, else the map's time layout); 0 after reporting a bad row. */
int import_parse_time(struct importer *im, const char *field, const char *v, heed_time *out);
void import_set_str(char **dst, const char *v);  /* replace *dst with a copy of v (NULL: clear) */
void import_attrs_clear(struct record *r);
/* Set field id (attr: the key for F_ATTR) of the row to cell text v, reporting what is wrong. */
void import_apply(struct importer *im, struct record *r, enum field_id id, const char *name,
                  const char *attr, const char *v);

#endif
