/* csv: streaming RFC 4180 reader (see csv.h). Owns the file descriptor, one
 * large read buffer holding at least the current record whole, and one output
 * buffer into which the fields of the current record are unescaped. A record
 * that runs past the end of the read buffer is re-parsed after a refill, so
 * the parser itself never has to suspend mid-field. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <strings.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef HEED_CSV_BUFSIZE
#define HEED_CSV_BUFSIZE (1u << 20) /* override at build time to test refills */
#endif
#define DETECT_MAX (4u << 20)       /* look no further than this for the header line */
#define RECORD_MAX (16u << 20)      /* a longer record is one bad record: memory stays bounded */

#define PAD 16                      /* slack after buffers for word-wide scans and copies */

enum { NEED_MORE = 2 };            /* parse_record: buffer ends inside the record */
enum { FIELD_NEXT = 10, REC_END, REC_BREAK }; /* how plain_field ended */

struct heed_csv {
	int fd;
	char *path;
	unsigned char *buf;  /* raw bytes [0, len); buf[len] is a '\n' sentinel, then PAD-1 bytes */
	size_t cap, pos, len; /* pos: start of the unparsed data */
	long long base;       /* file offset of buf[0] */
	int eof;
	long line;            /* physical line at pos */
	long rec_line;
	long long rec_off;
	char delim;
	char tie;       /* detection: a candidate as frequent as delim on the header (0: none) */
	int enc;
	char *out;              /* unescaped fields of the current record, NUL-separated */
	size_t outcap;
	char **fields;
	size_t nf, fcap;
};

/* Windows-1252 0x80..0x9F; the five unassigned bytes map to the C1 code points. */
static const unsigned short cp1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static char *put_cp1252(char *o, unsigned char ch)
{
	unsigned cp = ch >= 0xA0 ? ch : cp1252_c1[ch - 0x80];
	if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
	} else {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
	}
	*o++ = (char)(0x80 | (cp & 0x3F));
	return o;
}

/* Check s[0, n) is UTF-8 (the rules of heed_utf8_valid), skipping ASCII a
 * word at a time. Returns 1, or 0 with *bad set to the first bad byte. */
static int utf8_ok(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0;
	while (i < n) {
		uint64_t w;
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		unsigned ch = s[i];
		if (ch < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned cp, min;
		if ((ch & 0xE0) == 0xC0)
			len = 2, min = 0x80, cp = ch & 0x1F;
		else if ((ch & 0xF0) == 0xE0)
			len = 3, min = 0x800, cp = ch & 0x0F;
		else if ((ch & 0xF8) == 0xF0)
			len = 4, min = 0x10000, cp = ch & 0x07;
		else
			goto bad;
		if (len > n - i)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += len;
	}
	return 1;
bad:
	*bad = i;
	return 0;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(HEED_CSV_NO_SWAR)
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* High bit set in each byte of v that is zero; the lowest one is always exact. */
static inline uint64_t zero_bytes(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* Copy bytes from *pp to *op up to the first byte equal to a, b or c (or, if
 * high is HIGHS, with the top bit set), eight at a time. Both pointers end on
 * that byte. The buffers must allow reading and writing 8 bytes past it. */
static inline void copy_run(const unsigned char **pp, char **op, unsigned char a,
                            unsigned char b, unsigned char c, uint64_t high, uint64_t *seen)
{
	const unsigned char *p = *pp;
	char *o = *op;
	const uint64_t ma = a * ONES, mb = b * ONES, mc = c * ONES;
	for (;;) {
		uint64_t w, m;
		memcpy(&w, p, 8);
		memcpy(o, &w, 8);
		*seen |= w;
		m = zero_bytes(w ^ ma) | zero_bytes(w ^ mb) | zero_bytes(w ^ mc) | (w & high);
		if (m) {
			unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
			*pp = p + k;
			*op = o + k;
			return;
		}
		p += 8;
		o += 8;
	}
}
#else
static inline void copy_run(const unsigned char **pp, char **op, unsigned char a,
                            unsigned char b, unsigned char c, uint64_t high, uint64_t *seen)
{
	const unsigned char *p = *pp;
	char *o = *op;
	while (*p != a && *p != b && *p != c && !(high && *p >= 0x80)) {
		*seen |= *p;
		*o++ = (char)*p++;
	}
	*pp = p;
	*op = o;
}
#endif

/* Move unparsed data to the front, grow if full, and read more. */
static int fill(heed_csv *c, char **err)
{
	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->base += (long long)c->pos;
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == c->cap) {
		c->cap *= 2;
		c->buf = xrealloc(c->buf, c->cap + PAD);
	}
	/* fill the buffer, not just one read: a pipe gives 64 KB at a time, and
	 * each refill re-scans the record in hand */
	size_t start = c->len;
	while (c->len < c->cap) {
		ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			heed_seterr(err, "%s: read error: %s", c->path, strerror(errno));
			c->buf[c->len] = '\n';
			return HEED_ERR;
		}
		if (r == 0) {
			c->eof = 1;
			break;
		}
		c->len += (size_t)r;
	}
	const unsigned char *nul = memchr(c->buf + start, 0, c->len - start);
	int utf16_bom = c->base == 0 && c->len >= 2 &&
	                ((c->buf[0] == 0xFF && c->buf[1] == 0xFE) || (c->buf[0] == 0xFE && c->buf[1] == 0xFF));
	if (nul && !utf16_bom) { /* the byte order mark gets its own message */ /* text has no NUL: binary, or UTF-16 without a byte order mark */
		heed_seterr(err, "%s: byte offset %lld: a NUL byte; this is not a text CSV (binary, or"
		                 " UTF-16 without a byte order mark?)",
		            c->path, c->base + (long long)(nul - c->buf));
		c->len = (size_t)(nul - c->buf);
		c->eof = 1;
		c->buf[c->len] = '\n';
		memset(c->buf + c->len + 1, 0, PAD - 1);
		return HEED_EINPUT;
	}
	c->buf[c->len] = '\n';
	memset(c->buf + c->len + 1, 0, PAD - 1);
	return HEED_OK;
}

/* Count candidate delimiters outside quotes on the first non-blank line.
 * Returns 1 if that line ends inside the buffer (or at end of file). */
static int detect(heed_csv *c, char *delim)
{
	static const char cand[] = {',', ';', '\t', '|'};
	size_t count[4] = {0, 0, 0, 0};
	const unsigned char *p = c->buf + c->pos, *end = c->buf + c->len;
	int inq = 0, done = 0;
	while (p < end && (*p == '\n' || *p == '\r'))
		p++;
	for (; p < end; p++) {
		if (*p == '"') {
			inq = !inq;
		} else if (!inq && (*p == '\n' || *p == '\r')) {
			done = 1;
			break;
		} else if (!inq) {
			for (int k = 0; k < 4; k++)
				count[k] += *p == (unsigned char)cand[k];
		}
	}
	int best = 0;
	for (int k = 1; k < 4; k++)
		if (count[k] > count[best])
			best = k;
	*delim = cand[best];
	c->tie = 0;
	for (int k = 0; k < 4; k++)
		if (k != best && count[k] && count[k] == count[best] && !c->tie)
			c->tie = cand[k];
	return done || c->eof;
}

int heed_csv_encoding_parse(const char *name, int *enc)
{
	static const struct { const char *name; int enc; } names[] = {
		{ "utf-8", HEED_CSV_UTF8 }, { "utf8", HEED_CSV_UTF8 },
		{ "cp1252", HEED_CSV_CP1252 }, { "windows-1252", HEED_CSV_CP1252 },
		{ "latin-1", HEED_CSV_LATIN1 }, { "latin1", HEED_CSV_LATIN1 },
		{ "iso-8859-1", HEED_CSV_LATIN1 }, { "utf-16", HEED_CSV_UTF16 }, { "utf16", HEED_CSV_UTF16 },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i].name) == 0)
			return *enc = names[i].enc, HEED_OK;
	return HEED_EUSAGE;
}

/* Convert the open file c->fd to UTF-8 through iconv into an unlinked
 * temporary file, and read that instead: streaming, in 64 KB steps.
 * UTF-16 needs its byte order mark (iconv takes the byte order from it). */
static int convert(heed_csv *c, char **err)
{
	const char *from = c->enc == HEED_CSV_UTF16 ? "UTF-16" : "ISO-8859-1";
	enum { IN = 1 << 16, OUT = 4 * IN };
	char *in = xmalloc(IN), *out = xmalloc(OUT);
	FILE *tmp = tmpfile();
	iconv_t cd = iconv_open("UTF-8", from);
	int rc = HEED_OK;
	size_t have = 0;
	long long off = 0; /* file offset of in[0] */
	if (!tmp || cd == (iconv_t)-1) {
		heed_seterr(err, "%s: cannot convert from %s: %s", c->path, from, strerror(errno));
		rc = HEED_ERR;
		goto done;
	}
	for (int eof = 0; !eof || have;) {
		ssize_t r = eof ? 0 : read(c->fd, in + have, IN - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			heed_seterr(err, "%s: read error: %s", c->path, strerror(errno));
			rc = HEED_ERR;
			goto done;
		}
		eof |= r == 0;
		have += (size_t)r;
		const unsigned char *u = (const unsigned char *)in;
		int bom = have >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF));
		if (off == 0 && c->enc == HEED_CSV_UTF16 && !bom && (have >= 2 || eof)) {
			heed_seterr(err, "%s: --encoding utf-16 needs a file that starts with a UTF-16 byte"
			                 " order mark; this one does not", c->path);
			rc = HEED_EINPUT;
			goto done;
		}
		char *ip = in, *op = out;
		size_t il = have, ol = OUT;
		size_t k = iconv(cd, &ip, &il, &op, &ol);
		if (k == (size_t)-1 && (errno == EILSEQ || (errno == EINVAL && eof))) {
			heed_seterr(err, "%s: byte offset %lld: not valid %s%s", c->path,
			            off + (long long)(ip - in), from, errno == EINVAL ? " (the file ends inside a character)" : "");
			rc = HEED_EINPUT;
			goto done;
		}
		fwrite(out, 1, (size_t)(op - out), tmp);
		off += (long long)(ip - in);
		memmove(in, ip, il); /* an incomplete character waits for the next read */
		have = il;
		if (eof && il == 0)
			break;
	}
	if (fflush(tmp) != 0 || ferror(tmp)) {
		heed_seterr(err, "%s: writing the converted text failed", c->path);
		rc = HEED_ERR;
		goto done;
	}
	close(c->fd);
	c->fd = dup(fileno(tmp));
	lseek(c->fd, 0, SEEK_SET);
done:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (tmp)
		fclose(tmp);
	free(in);
	free(out);
	return rc;
}

heed_csv *heed_csv_open(const char *path, const heed_csv_opts *opts, char **err)
{
	static const heed_csv_opts defaults = {0, HEED_CSV_UTF8};
	heed_csv *c = NULL;
	int rc = HEED_EUSAGE;
	if (!opts)
		opts = &defaults;
	unsigned char d = (unsigned char)opts->delim;
	if (d == '"' || d == '\n' || d == '\r' || d >= 0x80) {
		heed_seterr(err, "%s: invalid CSV delimiter", path);
		goto done;
	}
	if (opts->encoding < HEED_CSV_UTF8 || opts->encoding > HEED_CSV_UTF16) {
		heed_seterr(err, "%s: unknown CSV encoding %d", path, opts->encoding);
		goto done;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = open(path, O_RDONLY);
	if (c->fd < 0) {
		heed_seterr(err, "%s: cannot open: %s", path, strerror(errno));
		rc = HEED_ENOTFOUND;
		goto done;
	}
	c->path = xstrdup(path);
	c->enc = opts->encoding;
	if (c->enc == HEED_CSV_LATIN1 || c->enc == HEED_CSV_UTF16) {
		if ((rc = convert(c, err)) != HEED_OK)
			goto done;
		c->enc = HEED_CSV_UTF8; /* the converted text is checked like any UTF-8 */
	}
	c->cap = HEED_CSV_BUFSIZE;
	c->buf = xcalloc(1, c->cap + PAD);
	c->line = 1;
	do {
		if ((rc = fill(c, err)) != HEED_OK)
			goto done;
	} while (c->len < 3 && !c->eof);
	if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
		c->pos = 3;
	if (c->len >= 2 && (memcmp(c->buf, "\xFF\xFE", 2) == 0 || memcmp(c->buf, "\xFE\xFF", 2) == 0)) {
		/* read as Windows-1252 it would "work" and store NULs and mojibake */
		heed_seterr(err, "%s: the file is UTF-16 (it starts with a UTF-16 byte order mark);"
		                 " use --encoding utf-16, or save it as UTF-8 (Excel: \"CSV UTF-8\") and import that",
		            path);
		rc = HEED_EINPUT;
		goto done;
	}
	c->delim = opts->delim;
	if (!c->delim) {
		while (!detect(c, &c->delim) && c->len < DETECT_MAX)
			if ((rc = fill(c, err)) != HEED_OK)
				goto done;
	}
	rc = HEED_OK;
done:
	if (rc != HEED_OK) {
		heed_csv_close(c);
		c = NULL;
	}
	return c;
}

static void push_field(heed_csv *c, char *f)
{
	if (c->nf == c->fcap) {
		c->fcap = c->fcap ? c->fcap * 2 : 32;
		c->fields = xrealloc(c->fields, c->fcap * sizeof *c->fields);
	}
	c->fields[c->nf++] = f;
}

/* Number of line breaks (LF, CR LF or lone CR) in s[0, n). */
static long count_breaks(const unsigned char *s, size_t n)
{
	long k = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= n || s[i + 1] != '\n')))
			k++;
	return k;
}

/* The 1-based field of a record that byte off of it falls in. */
static size_t field_at(const unsigned char *rs, size_t off, unsigned char delim)
{
	size_t f = 1;
	int inq = 0;
	for (size_t i = 0; i < off; i++) {
		if (rs[i] == '"')
			inq = !inq; /* a doubled quote toggles twice */
		else if (rs[i] == delim && !inq)
			f++;
	}
	return f;
}

/* The record at rs never closes its quote: report it and resume on the
 * physical line after the record's first one. */
static int unterminated(heed_csv *c, const unsigned char *rs, long qline, char **err)
{
	const unsigned char *p = rs, *end = c->buf + c->len;
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	if (p < end)
		p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
	c->pos = (size_t)(p - c->buf);
	c->line = c->rec_line + 1;
	heed_seterr(err, "%s: line %ld: unterminated quote starting on line %ld", c->path,
	            c->rec_line, qline);
	return HEED_EINPUT;
}

/* The record at c->pos is longer than RECORD_MAX: discard it up to its real
 * end, following quotes the way parse_record does so that text inside a
 * quoted field is never read as records, and report it as one bad record
 * named by its first line. Memory stays bounded: consumed bytes are dropped
 * before each refill. */
static int skip_long(heed_csv *c, char **err)
{
	enum { START, PLAIN, QUOTED, QUOTE, END } st = START;
	const unsigned char delim = (unsigned char)c->delim;
	const long first = c->line;
	const long long off = c->base + (long long)c->pos;
	long lines = 0;
	int cr = 0; /* the last byte was a CR: an LF right after it is the same break */
	int rc;
	for (;;) {
		const unsigned char *p = c->buf + c->pos, *const end = c->buf + c->len;
		for (; p < end; p++) {
			unsigned char ch = *p;
			if (cr && ch == '\n') {
				cr = 0;
				continue;
			}
			cr = 0;
			if (st == END)
				break;
			if (ch == '\n' || ch == '\r') {
				lines++;
				cr = ch == '\r';
				if (st != QUOTED)
					st = END;
			} else if (st == QUOTED) {
				if (ch == '"')
					st = QUOTE;
			} else if (ch == '"' && (st == START || st == QUOTE)) {
				st = QUOTED; /* an opening quote, or the second of a doubled one */
			} else {
				st = ch == delim ? START : PLAIN;
			}
		}
		c->pos = (size_t)(p - c->buf);
		if ((st == END && p < end) || c->eof)
			break;
		/* a break at the very end of the buffer may be a CR whose LF is next */
		if ((rc = fill(c, err)) != HEED_OK)
			return rc;
	}
	c->line = first + lines;
	c->rec_line = first;
	c->rec_off = off;
	heed_seterr(err, "%s: line %ld: record longer than 16 MB; skipped to its end (line %ld)",
	            c->path, first, st == END ? first + lines - 1 : first + lines);
	return HEED_EINPUT;
}

/* Step past the line break at *p (LF, CR or CRLF). 0, or NEED_MORE when a CR
 * ends the buffer before the file does (it may be half of a CRLF). */
static int line_break(const unsigned char **p, const unsigned char *end, int eof)
{
	if (**p == '\n') {
		(*p)++;
		return 0;
	}
	if (*p + 1 == end && !eof)
		return NEED_MORE;
	*p += (*p + 1 < end && (*p)[1] == '\n') ? 2 : 1;
	return 0;
}

/* Skip blank lines (they are not records). 1 when a record starts at c->pos,
 * else 0 at end of file or NEED_MORE. */
static int skip_blank(heed_csv *c)
{
	const unsigned char *p = c->buf + c->pos, *end = c->buf + c->len;
	for (;;) {
		if (p == end)
			return c->eof ? 0 : NEED_MORE;
		if (*p != '\r' && *p != '\n')
			return 1;
		if (line_break(&p, end, c->eof) == NEED_MORE)
			return NEED_MORE;
		c->line++;
		c->pos = (size_t)(p - c->buf);
	}
}

/* What scanning one record gathers besides the fields. */
struct scan {
	const unsigned char *rs; /* where the record starts */
	char *o;                 /* the next byte of c->out */
	long nl;                 /* line breaks inside quoted fields */
	uint64_t seen;           /* OR of every word scanned: covers all non-ASCII bytes */
	uint64_t high;           /* bytes to convert (cp1252), else 0 */
	size_t junk_field;       /* field with text after its closing quote (1-based), 0: none */
	long junk_line;
};

/* The quoted field at *p (past its opening quote on return: past the closing
 * one). 1, NEED_MORE, or an error for a quote never closed. */
static int quoted_field(heed_csv *c, const unsigned char **pp, struct scan *sc, char **err)
{
	const unsigned char *p = *pp + 1, *end = c->buf + c->len;
	const int eof = c->eof;
	long qline = c->line + sc->nl;
	for (;;) {
		copy_run(&p, &sc->o, '"', '\n', '\r', sc->high, &sc->seen);
		if (p == end) {
			if (!eof)
				return NEED_MORE;
			c->rec_line = c->line;
			c->rec_off = c->base + (sc->rs - c->buf);
			return unterminated(c, sc->rs, qline, err);
		}
		if (*p == '"') {
			if (p + 1 == end && !eof)
				return NEED_MORE;
			if (p + 1 < end && p[1] == '"') {
				*sc->o++ = '"';
				p += 2;
				continue;
			}
			p++;
			if (!sc->junk_field && p < end && *p != (unsigned char)c->delim && *p != '\n' && *p != '\r') {
				sc->junk_field = c->nf;
				sc->junk_line = c->line + sc->nl;
			}
			*pp = p;
			return 1;
		}
		if (*p != '\n' && *p != '\r') {
			sc->o = put_cp1252(sc->o, *p++);
			continue;
		}
		if (line_break(&p, end, eof) == NEED_MORE)
			return NEED_MORE;
		*sc->o++ = '\n';
		sc->nl++;
	}
}

/* Unquoted text up to the next delimiter or line break (text after a closing
 * quote too: the record is then reported as bad). FIELD_NEXT at a delimiter,
 * REC_END at the end of the file, REC_BREAK at a line break, or NEED_MORE. */
static int plain_field(heed_csv *c, const unsigned char **pp, struct scan *sc)
{
	const unsigned char *p = *pp, *end = c->buf + c->len;
	const unsigned char delim = (unsigned char)c->delim;
	int rc;
	for (;;) {
		copy_run(&p, &sc->o, delim, '\n', '\r', sc->high, &sc->seen);
		if (p == end) {
			if (!c->eof)
				return NEED_MORE;
			rc = REC_END;
			break;
		}
		if (*p == delim) {
			p++;
			rc = FIELD_NEXT;
			break;
		}
		if (*p != '\n' && *p != '\r') {
			sc->o = put_cp1252(sc->o, *p++);
			continue;
		}
		if (line_break(&p, end, c->eof) == NEED_MORE)
			return NEED_MORE;
		rc = REC_BREAK;
		break;
	}
	*sc->o++ = '\0';
	*pp = p;
	return rc;
}

/* The checks on a whole record: its size, text after a closing quote, UTF-8. */
static int check_record(heed_csv *c, const struct scan *sc, const unsigned char *p, char **err)
{
	const unsigned char *rs = sc->rs;
	if ((size_t)(p - rs) > RECORD_MAX) {
		heed_seterr(err, "%s: line %ld: record longer than 16 MB", c->path, c->rec_line);
		return HEED_EINPUT;
	}
	if (sc->junk_field) {
		heed_seterr(err, "%s: line %ld: field %zu: text after the closing quote (a quote inside"
		                 " a quoted field must be doubled)", c->path, sc->junk_line, sc->junk_field);
		return HEED_EINPUT;
	}
	size_t bad;
	if (c->enc == HEED_CSV_UTF8 && (sc->seen & 0x8080808080808080ull) &&
	    !utf8_ok(rs, (size_t)(p - rs), &bad)) {
		heed_seterr(err,
		            "%s: line %ld: invalid UTF-8 at byte offset %lld (field %zu); if the file is "
		            "Windows-1252, use --encoding cp1252 (or latin-1)",
		            c->path, c->rec_line + count_breaks(rs, bad), c->rec_off + (long long)bad,
		            field_at(rs, bad, (unsigned char)c->delim));
		return HEED_EINPUT;
	}
	return 1;
}

/* Parse one record from c->pos. Returns 1, 0 at end of file, NEED_MORE, or an error. */
static int parse_record(heed_csv *c, char **err)
{
	int rc = skip_blank(c);
	if (rc != 1)
		return rc;
	const unsigned char *p = c->buf + c->pos, *end = c->buf + c->len;
	struct scan sc = { .rs = p, .high = c->enc == HEED_CSV_CP1252 ? 0x8080808080808080ull : 0 };
	size_t need = (size_t)(end - p) * (c->enc == HEED_CSV_CP1252 ? 3 : 1) + PAD;
	if (c->outcap < need) {
		free(c->out);
		c->outcap = need + need / 2;
		c->out = xmalloc(c->outcap);
	}
	sc.o = c->out;
	c->nf = 0;
	do {
		push_field(c, sc.o);
		if (p < end && *p == '"' && (rc = quoted_field(c, &p, &sc, err)) != 1)
			return rc;
		rc = plain_field(c, &p, &sc);
		if (rc == NEED_MORE)
			return rc;
	} while (rc == FIELD_NEXT);
	c->rec_line = c->line;
	c->rec_off = c->base + (sc.rs - c->buf);
	c->line += sc.nl + (rc == REC_BREAK);
	c->pos = (size_t)(p - c->buf);
	return check_record(c, &sc, p, err);
}

int heed_csv_next(heed_csv *c, char ***fields, size_t *n, char **err)
{
	*fields = NULL;
	*n = 0;
	for (;;) {
		int rc = parse_record(c, err);
		if (rc == NEED_MORE) {
			if (c->len - c->pos >= RECORD_MAX && !c->eof)
				return skip_long(c, err);
			if ((rc = fill(c, err)) != HEED_OK)
				return rc;
			continue;
		}
		if (rc == 1) {
			*fields = c->fields;
			*n = c->nf;
		}
		return rc;
	}
}

long heed_csv_line(const heed_csv *c)
{
	return c->rec_line;
}

char heed_csv_delim(const heed_csv *c)
{
	return c->delim;
}

char heed_csv_delim_tie(const heed_csv *c)
{
	return c->tie;
}

long long heed_csv_offset(const heed_csv *c)
{
	return c->rec_off;
}

void heed_csv_close(heed_csv *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c->buf);
	free(c->out);
	free(c->fields);
	free(c);
}
