/* report: typed table cells and their three renderings (see report.h). */
#include "report.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const struct format {
	const char *name;
	heed_format fmt;
	const char *separator;
	int quoting; /* 1: RFC 4180 quotes when needed */
	int header;
} formats[] = {
	{ "table", HEED_FMT_TABLE, "  ", 0, 1 },
	{ "json", HEED_FMT_JSON, ",", 0, 0 },
	{ "csv", HEED_FMT_CSV, ",", 1, 1 },
	{ "line", HEED_FMT_LINE, " = ", 0, 0 },
	{ "markdown", HEED_FMT_MARKDOWN, " | ", 0, 1 },
};

static size_t max_width; /* 0 = cells are never cut */

void heed_report_set_width(size_t cols)
{
	max_width = cols;
}

int heed_format_parse(const char *name, heed_format *out, char **err)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (heed_streq(name, formats[i].name))
			return *out = formats[i].fmt, HEED_OK;
	heed_seterr(err, "unknown format '%s' (use table, json, csv, line or markdown)", name ? name : "");
	return HEED_EUSAGE;
}

enum cell_kind { C_NULL, C_STR, C_NUM, C_BOOL };

struct cell {
	enum cell_kind kind;
	char *text; /* rendered text (NULL for C_NULL) */
};

struct heed_table {
	char **cols;
	size_t ncols;
	struct cell *cells;
	size_t ncells, cap;
};

heed_table *heed_table_new(const char *const *cols, size_t ncols)
{
	heed_table *t = xcalloc(1, sizeof *t);
	t->cols = xcalloc(ncols, sizeof *t->cols);
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		t->cols[i] = xstrdup(cols[i]);
	return t;
}

void heed_table_free(heed_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i].text);
	free(t->cols);
	free(t->cells);
	free(t);
}

static void push(heed_table *t, enum cell_kind k, char *text)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof *t->cells);
	}
	t->cells[t->ncells++] = (struct cell){ text ? k : C_NULL, text };
}

void heed_table_str(heed_table *t, const char *s)
{
	push(t, C_STR, xstrdup(s));
}

void heed_table_num(heed_table *t, double v, int decimals)
{
	if (!isfinite(v))
		return push(t, C_NULL, NULL);
	char *s = xasprintf("%.*f", decimals, v);
	if (decimals > 0) { /* trim trailing zeros: 12.50 -> 12.5, 3.00 -> 3 */
		char *e = s + strlen(s) - 1;
		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
	if (strcmp(s, "-0") == 0)
		strcpy(s, "0");
	push(t, C_NUM, s);
}

void heed_table_int(heed_table *t, int64_t v)
{
	push(t, C_NUM, xasprintf("%lld", (long long)v));
}

void heed_table_bool(heed_table *t, int v)
{
	push(t, C_BOOL, xstrdup(v ? "true" : "false"));
}

void heed_table_time(heed_table *t, heed_time v)
{
	char buf[32];
	if (!v)
		return push(t, C_NULL, NULL);
	heed_time_format(v, buf);
	push(t, C_STR, xstrdup(buf));
}

void heed_table_date(heed_table *t, heed_time v)
{
	char buf[16];
	if (!v)
		return push(t, C_NULL, NULL);
	heed_time_format_date(v, buf);
	push(t, C_STR, xstrdup(buf));
}

size_t heed_table_rows(const heed_table *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

size_t heed_utf8_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		if ((c & 0xC0) != 0x80) {
			/* combining diacritics U+0300..U+036F take no column */
			if (!(c == 0xCC || (c == 0xCD && p[1] < 0xB0)))
				w++;
		}
		p++;
	}
	return w;
}

/* Would a spreadsheet read this text as a formula? (=, @, or a sign that does
 * not start a number such as a phone number "+45 33…" or "-2"). */
static int looks_like_formula(const char *s)
{
	if (*s == '=' || *s == '@' || *s == '\t' || *s == '\r')
		return 1;
	return (*s == '+' || *s == '-') && s[1] && !isdigit((unsigned char)s[1]) && s[1] != ' ' &&
	       s[1] != '.';
}

static void print_csv_field(FILE *out, const char *s, int text)
{
	if (!s)
		return;
	if (text && looks_like_formula(s)) { /* CSV injection: keep it text */
		fputs("\"'", out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
		return;
	}
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* One line of a table cell: newlines shown as a visible return mark, other
 * control characters (terminal escapes in imported data) as '?'. */
static void print_cell_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("⏎", out);
		else if (c == '\t')
			fputc(' ', out);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', out);
		else
			fputc(c, out);
	}
}

void heed_print_text(FILE *out, const char *s)
{
	if (s)
		print_cell_text(out, s);
}

/* Narrow the widest columns until a row fits max_width (never below 4). */
static void fit_widths(size_t *w, size_t ncols)
{
	if (!max_width || !ncols)
		return;
	size_t total = 2 * (ncols - 1);
	for (size_t c = 0; c < ncols; c++)
		total += w[c];
	while (total > max_width) {
		size_t widest = 0;
		for (size_t c = 1; c < ncols; c++)
			if (w[c] > w[widest])
				widest = c;
		if (w[widest] <= 4)
			break;
		w[widest]--;
		total--;
	}
}

/* Print the first width-1 columns of s, then "…". */
static void print_cut(FILE *out, const char *s, size_t width)
{
	size_t used = 0, len = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (; p[len]; len++) {
		unsigned c = p[len];
		int starts = (c & 0xC0) != 0x80 && !(c == 0xCC || (c == 0xCD && p[len + 1] < 0xB0));
		if (starts && used + 1 >= width)
			break;
		used += starts;
	}
	char *head = xstrndup(s, len);
	print_cell_text(out, head);
	free(head);
	fputs("…", out);
}

static void print_line(const heed_table *t, FILE *out)
{
	size_t rows = heed_table_rows(t), kw = 0;
	for (size_t c = 0; c < t->ncols; c++)
		if (heed_utf8_width(t->cols[c]) > kw)
			kw = heed_utf8_width(t->cols[c]);
	for (size_t r = 0; r < rows; r++) {
		if (r)
			fputc('\n', out);
		for (size_t c = 0; c < t->ncols; c++) {
			const struct cell *cell = &t->cells[r * t->ncols + c];
			fprintf(out, "%*s%s%s", (int)(kw - heed_utf8_width(t->cols[c])), "", t->cols[c],
			        formats[HEED_FMT_LINE].separator);
			print_cell_text(out, cell->text ? cell->text : "NULL");
			fputc('\n', out);
		}
	}
}

static void print_md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		char one[2] = { *s, 0 };
		print_cell_text(out, one);
	}
}

static void print_markdown(const heed_table *t, FILE *out)
{
	size_t rows = heed_table_rows(t);
	for (size_t r = 0; r <= rows + 1; r++) {
		fputs("| ", out);
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputs(formats[HEED_FMT_MARKDOWN].separator, out);
			if (r == 1) {
				fputs("---", out);
				continue;
			}
			const struct cell *cell = r ? &t->cells[(r - 2) * t->ncols + c] : NULL;
			print_md_cell(out, r ? (cell->text ? cell->text : "-") : t->cols[c]);
		}
		fputs(" |\n", out);
	}
}

/* No rows: the column names in full (never cut: there is nothing to fit
 * them to), wrapped between names at the terminal's width; "(no rows)" on a
 * terminal, where a lone header is easy to miss. */
static void print_empty_table(const heed_table *t, FILE *out)
{
	size_t used = 0;
	for (size_t c = 0; c < t->ncols; c++) {
		size_t cw = heed_utf8_width(t->cols[c]), sep = c ? strlen(formats[HEED_FMT_TABLE].separator) : 0;
		if (max_width && used && used + sep + cw > max_width) {
			fputc('\n', out);
			used = sep = 0;
		}
		if (sep)
			fputs(formats[HEED_FMT_TABLE].separator, out);
		print_cell_text(out, t->cols[c]);
		used += sep + cw;
	}
	fputc('\n', out);
	if (max_width)
		fputs("(no rows)\n", out);
}

static void print_table(const heed_table *t, FILE *out)
{
	if (heed_table_rows(t) == 0) {
		print_empty_table(t, out);
		return;
	}
	size_t *w = xcalloc(t->ncols, sizeof *w);
	size_t rows = heed_table_rows(t);
	for (size_t c = 0; c < t->ncols; c++)
		w[c] = heed_utf8_width(t->cols[c]);
	for (size_t i = 0; i < rows * t->ncols; i++) {
		const char *s = t->cells[i].text ? t->cells[i].text : "-";
		size_t cw = heed_utf8_width(s);
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	fit_widths(w, t->ncols);
	for (size_t r = 0; r <= rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const struct cell *cell = r ? &t->cells[(r - 1) * t->ncols + c] : NULL;
			const char *s = r ? (cell->text ? cell->text : "-") : t->cols[c];
			int right = cell && cell->kind == C_NUM;
			size_t sw = heed_utf8_width(s);
			size_t pad = sw > w[c] ? 0 : w[c] - sw;
			if (c)
				fputs(formats[HEED_FMT_TABLE].separator, out);
			if (right)
				fprintf(out, "%*s", (int)pad, "");
			if (sw > w[c])
				print_cut(out, s, w[c]);
			else
				print_cell_text(out, s);
			if (!right && c + 1 < t->ncols)
				fprintf(out, "%*s", (int)pad, "");
		}
		fputc('\n', out);
	}
	free(w);
}

static void print_json(const heed_table *t, FILE *out)
{
	heed_buf b = { 0 };
	size_t rows = heed_table_rows(t);
	heed_buf_addc(&b, '[');
	for (size_t r = 0; r < rows; r++) {
		heed_buf_adds(&b, r ? ",\n{" : "\n{");
		for (size_t c = 0; c < t->ncols; c++) {
			const struct cell *cell = &t->cells[r * t->ncols + c];
			if (c)
				heed_buf_addc(&b, ',');
			heed_json_str(&b, t->cols[c]);
			heed_buf_addc(&b, ':');
			if (cell->kind == C_STR)
				heed_json_str(&b, cell->text);
			else
				heed_buf_adds(&b, cell->text ? cell->text : "null");
		}
		heed_buf_addc(&b, '}');
	}
	heed_buf_adds(&b, rows ? "\n]\n" : "]\n");
	fputs(b.s, out);
	heed_buf_free(&b);
}

static void print_csv(const heed_table *t, FILE *out)
{
	size_t rows = heed_table_rows(t);
	for (size_t r = 0; r <= rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputs(formats[HEED_FMT_CSV].separator, out);
			const struct cell *cell = r ? &t->cells[(r - 1) * t->ncols + c] : NULL;
			print_csv_field(out, cell ? cell->text : t->cols[c], cell && cell->kind == C_STR);
		}
		fputs("\r\n", out);
	}
}

void heed_table_print(const heed_table *t, heed_format f, FILE *out)
{
	switch (f) {
	case HEED_FMT_TABLE: print_table(t, out); break;
	case HEED_FMT_JSON: print_json(t, out); break;
	case HEED_FMT_CSV: print_csv(t, out); break;
	case HEED_FMT_LINE: print_line(t, out); break;
	case HEED_FMT_MARKDOWN: print_markdown(t, out); break;
	}
}
