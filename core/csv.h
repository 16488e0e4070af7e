/* csv: a streaming RFC 4180 reader. Handles a UTF-8 BOM, CRLF or LF, quoted
 * fields with separators, doubled quotes and newlines, delimiter detection
 * (, ; tab |), and Windows-1252 input converted to UTF-8 on request; Latin-1
 * and UTF-16 (with a byte order mark) go through iconv. It never returns
 * invalid UTF-8, and refuses UTF-16 files unless told their encoding. A record
 * longer than 16 MB is one bad record, skipped to its real end (quotes still
 * followed), so memory stays bounded. Owns its file handle and row buffers. */
#ifndef HEED_CSV_H
#define HEED_CSV_H

#include <stddef.h>

typedef struct heed_csv heed_csv;

enum heed_csv_encoding { HEED_CSV_UTF8 = 0, HEED_CSV_CP1252 = 1, HEED_CSV_LATIN1 = 2, HEED_CSV_UTF16 = 3 };

/* The encoding named (utf-8, cp1252 / windows-1252, latin-1 / iso-8859-1,
 * utf-16), ignoring case. OUT: *enc. Returns HEED_OK or HEED_EUSAGE. */
int heed_csv_encoding_parse(const char *name, int *enc);

typedef struct heed_csv_opts {
	char delim;   /* 0 = detect from the header line */
	int encoding; /* enum heed_csv_encoding */
} heed_csv_opts;

/* Open path for reading. Returns NULL and sets *err (naming the file) on failure,
 * which includes a file that starts with a UTF-16 byte order mark. */
heed_csv *heed_csv_open(const char *path, const heed_csv_opts *opts, char **err);

/* Read the next record. Returns 1 with *fields and *n set (valid until the next call
 * or close), 0 at end of file, or a negative HEED_* code with *err saying file,
 * line and reason (unterminated quote starting on line N; invalid UTF-8 at
 * line N byte offset B (field F), with a hint to use --encoding cp1252;
 * field F: text after the closing quote; record longer than 16 MB).
 * After an error in one record, the next call resumes after that record (after
 * an unterminated quote: at the line after the record's first one).
 * Blank lines are skipped; line breaks inside quoted fields come back as "\n";
 * a ragged record (a different field count) is returned as it is. */
int heed_csv_next(heed_csv *c, char ***fields, size_t *n, char **err);

/* Line number (1-based) on which the last returned record started. */
long heed_csv_line(const heed_csv *c);
/* The delimiter in use (detected or given). */
char heed_csv_delim(const heed_csv *c);
/* A delimiter the header had as often as the detected one (a guess, then), or 0. */
char heed_csv_delim_tie(const heed_csv *c);
/* Byte offset in the file where the last returned record started. */
long long heed_csv_offset(const heed_csv *c);
void heed_csv_close(heed_csv *c);

#endif
