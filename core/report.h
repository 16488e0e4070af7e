/* report: tabular output in the formats every report command shares
 * (table, json, csv). A heed_table collects typed cells, then prints them.
 * The formats are one table of {name, separator, quoting, header}. */
#ifndef HEED_REPORT_H
#define HEED_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "htime.h"
#include "util.h"

typedef enum heed_format {
	HEED_FMT_TABLE, HEED_FMT_JSON, HEED_FMT_CSV,
	HEED_FMT_LINE,     /* one "column = value" line per cell, a blank line between rows */
	HEED_FMT_MARKDOWN  /* a GitHub-style pipe table */
} heed_format;

/* Parse a --format value. Returns HEED_OK or HEED_EUSAGE with *err. */
int heed_format_parse(const char *name, heed_format *out, char **err);

typedef struct heed_table heed_table;

/* A table with the given column names (copied). Free with heed_table_free. */
heed_table *heed_table_new(const char *const *cols, size_t ncols);
void heed_table_free(heed_table *t);
/* Append cells left to right; a row is complete after ncols cells. */
void heed_table_str(heed_table *t, const char *s);        /* NULL = null */
void heed_table_num(heed_table *t, double v, int decimals); /* NaN = null */
void heed_table_int(heed_table *t, int64_t v);
void heed_table_bool(heed_table *t, int v);
void heed_table_time(heed_table *t, heed_time v);         /* 0 = null; ISO 8601 */
void heed_table_date(heed_table *t, heed_time v);         /* 0 = null; YYYY-MM-DD */
size_t heed_table_rows(const heed_table *t);
/* Print: table (aligned, UTF-8 aware, control characters shown as ?), json (array
 * of objects), csv (RFC 4180; text a spreadsheet would run as a formula is
 * written as '=… so it stays text), line, markdown. NULL shows as "-" in table
 * and markdown, as "NULL" in line; an empty string shows as nothing. */
void heed_table_print(const heed_table *t, heed_format f, FILE *out);

/* Cut table-format cells so a row fits in cols terminal columns (0 = never
 * cut, the default). Set by the REPL for the terminal it runs on. */
void heed_report_set_width(size_t cols);

/* Print text for a terminal: control characters (escape sequences from
 * imported data) become '?', newlines a visible mark. NULL prints nothing. */
void heed_print_text(FILE *out, const char *s);

/* Display width of UTF-8 text (code points; combining marks count 0). */
size_t heed_utf8_width(const char *s);

#endif
