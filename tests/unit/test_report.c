/* Unit tests for core/report.c: how a table prints on a narrow terminal, with
 * and without rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "util.h"

/* What t prints in format f; caller frees. */
static char *printed(const heed_table *t, heed_format f)
{
	FILE *tmp = tmpfile();
	heed_table_print(t, f, tmp);
	long n = ftell(tmp);
	char *s = xcalloc((size_t)n + 1, 1);
	rewind(tmp);
	if (fread(s, 1, (size_t)n, tmp) != (size_t)n)
		s[0] = '\0';
	fclose(tmp);
	return s;
}

static size_t widest_line(const char *s)
{
	size_t w = 0;
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = xstrndup(s, n);
		if (heed_utf8_width(line) > w)
			w = heed_utf8_width(line);
		free(line);
		s += n + (s[n] == '\n');
	}
	return w;
}

static const char *const wide[] = { "id", "email", "source", "external_id", "first_name", "last_name",
	                                "title", "phone", "owner", "org_id", "stage", "peak", "score",
	                                "score_parts", "do_not_contact", "attrs", "created_at",
	                                "updated_at", "stage_changed_at", "score_set" };
enum { NWIDE = sizeof wide / sizeof wide[0] };

/* An empty result on an 80-column terminal: every name in full, nothing cut,
 * no line wider than the terminal, and it says there are no rows. */
static void test_empty_narrow(void)
{
	heed_report_set_width(80);
	heed_table *t = heed_table_new(wide, NWIDE);
	char *s = printed(t, HEED_FMT_TABLE);
	for (size_t i = 0; i < NWIDE; i++)
		CHECK(strstr(s, wide[i]) != NULL);
	CHECK(strstr(s, "…") == NULL);
	CHECK(widest_line(s) <= 80);
	CHECK(strstr(s, "(no rows)") != NULL);
	free(s);
	heed_table_free(t);
	heed_report_set_width(0);
}

/* Not on a terminal (no width): the header alone, as before. */
static void test_empty_pipe(void)
{
	const char *cols[] = { "stage", "count" };
	heed_table *t = heed_table_new(cols, 2);
	char *s = printed(t, HEED_FMT_TABLE);
	CHECK_STR(s, "stage  count\n");
	free(s);
	heed_table_free(t);
}

/* With rows, cells are still cut to fit the terminal. */
static void test_rows_cut(void)
{
	heed_report_set_width(40);
	heed_table *t = heed_table_new(wide, NWIDE);
	for (size_t i = 0; i < NWIDE; i++)
		heed_table_str(t, "some text in a cell");
	char *s = printed(t, HEED_FMT_TABLE);
	CHECK(strstr(s, "…") != NULL);
	CHECK(strstr(s, "(no rows)") == NULL);
	free(s);
	heed_table_free(t);
	heed_report_set_width(0);
}

int main(void)
{
	test_empty_narrow();
	test_empty_pipe();
	test_rows_cut();
	return check_done("report");
}
