/* Unit tests for core/csv.c: the shared import cases (read from
 * $HEED_SRC/../shared/cases/import) and generated edge cases written to $HEED_TMP:
 * line endings, quoting, delimiter detection, encodings, errors and resumption,
 * and records that straddle the read buffer. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "csv.h"
#include "util.h"

static char tmpdir[4096];

static void mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0777);
			*p = '/';
		}
	}
	mkdir(tmp, 0777);
}

/* Write n bytes to $HEED_TMP/name; returns the path (static, overwritten next call). */
static const char *put_file(const char *name, const char *data, size_t n)
{
	static char path[4200];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fwrite(data, 1, n, f);
	fclose(f);
	return path;
}

#define PUT(name, lit) put_file(name, lit, sizeof lit - 1)

/* Read a whole file into a transcript, one line per call of heed_csv_next:
 * "LINE:[f1][f2]..." for a record, "!message" for an error. Caller frees. */
static char *dump(const char *path, char delim, int enc)
{
	heed_csv_opts o = {delim, enc};
	heed_buf b = {0};
	char *err = NULL;
	heed_csv *c = heed_csv_open(path, &o, &err);
	if (!c) {
		heed_buf_addf(&b, "open failed: %s", err ? err : "?");
		free(err);
		return heed_buf_detach(&b);
	}
	heed_buf_add(&b, "", 0);
	for (int guard = 0; guard < 1000; guard++) {
		char **f;
		size_t n;
		int rc = heed_csv_next(c, &f, &n, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			heed_buf_addf(&b, "!%s\n", err ? err : "(no message)");
			free(err);
			err = NULL;
			continue;
		}
		heed_buf_addf(&b, "%ld:", heed_csv_line(c));
		for (size_t i = 0; i < n; i++)
			heed_buf_addf(&b, "[%s]", f[i]);
		heed_buf_addc(&b, '\n');
	}
	heed_csv_close(c);
	return heed_buf_detach(&b);
}

#define CHECK_DUMP(path, delim, enc, want) \
	do {                                   \
		char *d_ = dump(path, delim, enc); \
		CHECK_STR(d_, want);               \
		free(d_);                          \
	} while (0)

/* ---- the shared import cases ---- */

static int cases_dir(char *out, size_t cap)
{
	const char *src = getenv("HEED_SRC");
	struct stat st;
	snprintf(out, cap, "%s/../shared/cases/import", src ? src : ".");
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_case_bom_crlf(const char *dir)
{
	char path[4200];
	char *err = NULL, **f;
	size_t n;
	snprintf(path, sizeof path, "%s/bom-crlf-quoted-newline.csv", dir);
	heed_csv *c = heed_csv_open(path, NULL, &err);
	CHECK(c != NULL);
	if (!c) {
		free(err);
		return;
	}
	CHECK_INT(heed_csv_delim(c), ',');
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_INT(n, 5); /* trailing comma: an empty fifth column */
	CHECK_STR(f[0], "email");
	CHECK_STR(f[3], "notes");
	CHECK_STR(f[4], "");
	CHECK_INT(heed_csv_line(c), 1);
	CHECK_INT(heed_csv_offset(c), 3); /* after the BOM */
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_INT(n, 5);
	CHECK_STR(f[0], "sam.ree@corvid.example");
	CHECK_STR(f[1], "Sam");
	CHECK_STR(f[3], "said \"call me Tuesday\"\nthen left a voicemail");
	CHECK_STR(f[4], "");
	CHECK_INT(heed_csv_line(c), 2);
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_INT(n, 5);
	CHECK_STR(f[0], "ada.lim@corvid.example");
	CHECK_STR(f[3], "likes, commas");
	CHECK_INT(heed_csv_line(c), 4); /* Sam's record took lines 2 and 3 */
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 0);
	CHECK(err == NULL);
	heed_csv_close(c);
}

static void test_case_semicolon(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/blank-email-rows.csv", dir);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8,
	           "1:[first_name][last_name][email1]\n"
	           "2:[Mira][Solberg][mira.solberg@fjordtech.example]\n"
	           "3:[Tomas][Vik][]\n"
	           "4:[Elin][Haug][elin.haug@fjordtech.example]\n"
	           "5:[Per][Lunde][]\n");
	char *err = NULL;
	heed_csv *c = heed_csv_open(path, NULL, &err);
	CHECK(c && heed_csv_delim(c) == ';');
	heed_csv_close(c);
	/* A given delimiter wins over detection. */
	CHECK_DUMP(path, ',', HEED_CSV_UTF8,
	           "1:[first_name;last_name;email1]\n"
	           "2:[Mira;Solberg;mira.solberg@fjordtech.example]\n"
	           "3:[Tomas;Vik;]\n"
	           "4:[Elin;Haug;elin.haug@fjordtech.example]\n"
	           "5:[Per;Lunde;]\n");
}

static void test_case_ragged(const char *dir)
{
	char path[4200], want[8000];
	snprintf(path, sizeof path, "%s/ragged-and-unterminated.csv", dir);
	snprintf(want, sizeof want,
	         "1:[email][first_name][last_name]\n"
	         "2:[ok.one@kestrel.example][Ok][One]\n"
	         "3:[too.many@kestrel.example][Too][Many][extra]\n"
	         "4:[too.few@kestrel.example]\n"
	         "5:[ok.two@kestrel.example][Ok][Two]\n"
	         "!%s: line 6: unterminated quote starting on line 6\n",
	         path);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8, want);
}

static void test_case_cp1252(const char *dir)
{
	char path[4200], want[8000];
	snprintf(path, sizeof path, "%s/cp1252-encoded.csv", dir);
	snprintf(want, sizeof want,
	         "1:[email][first_name][last_name][company]\n"
	         "!%s: line 2: invalid UTF-8 at byte offset 64 (field 2); if the file is Windows-1252, "
	         "use --encoding cp1252 (or latin-1)\n",
	         path);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8, want);
	CHECK_DUMP(path, 0, HEED_CSV_CP1252,
	           "1:[email][first_name][last_name][company]\n"
	           "2:[j.mueller@stahlwerk.example][J\xc3\xbcrgen][M\xc3\xbcller]"
	           "[Stahlwerk S\xc3\xbc" "d]\n");
}

static void test_case_others(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/apostrophe-variants.csv", dir);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8,
	           "1:[first_name][last_name][email][company]\n"
	           "2:[Rowan][O'Leary][rowan@harbours-edge.example][Harbour's Edge Ltd]\n"
	           "3:[Nell][Tasker][nell@harbours-edge.example][Harbour\xe2\x80\x99s Edge Ltd]\n"
	           "4:[Abe][D\xe2\x80\x99Souza][abe@harbours-edge.example][HARBOUR'S EDGE LTD]\n");
	snprintf(path, sizeof path, "%s/same-email-case-and-space.csv", dir);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8,
	           "1:[email][first_name]\n"
	           "2:[  Noor.Haddad@Quill.example ][Noor]\n"
	           "3:[noor.haddad@quill.example][Noor]\n"
	           "4:[NOOR.HADDAD@QUILL.EXAMPLE][N.]\n");
	snprintf(path, sizeof path, "%s/html-entity-company.csv", dir);
	char *d = dump(path, 0, HEED_CSV_UTF8);
	CHECK(strstr(d, "5:[Ute][Falk][ute@muehle.example][Brandt M&uuml;hle &amp; S&ouml;hne]\n"));
	free(d);
	snprintf(path, sizeof path, "%s/reimport-updated.csv", dir);
	CHECK_DUMP(path, 0, HEED_CSV_UTF8,
	           "1:[email][first_name][title]\n"
	           "2:[quinn.ashby@lattice.example][Quinn][Head of Data]\n");
}

/* Every case file reads to the end; all but the two known-bad ones cleanly and
 * with the header's field count on every row. */
static void test_case_all(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int files = 0;
	CHECK(dh != NULL);
	while (dh && (de = readdir(dh)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".csv") != 0)
			continue;
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		int bad_ok = strcmp(de->d_name, "ragged-and-unterminated.csv") == 0 ||
		             strcmp(de->d_name, "cp1252-encoded.csv") == 0;
		char *err = NULL, **f;
		size_t n, header = 0;
		int rc, records = 0, errors = 0, ragged = 0;
		heed_csv *c = heed_csv_open(path, NULL, &err);
		CHECK(c != NULL);
		if (!c) {
			free(err);
			continue;
		}
		while ((rc = heed_csv_next(c, &f, &n, &err)) != 0) {
			if (rc < 0) {
				errors++;
				free(err);
				err = NULL;
				continue;
			}
			if (records++ == 0)
				header = n;
			else if (n != header)
				ragged++;
			for (size_t i = 0; i < n; i++)
				CHECK(heed_utf8_valid(f[i], strlen(f[i]), NULL));
		}
		heed_csv_close(c);
		files++;
		if (!bad_ok) {
			CHECK_INT(errors, 0);
			CHECK_INT(ragged, 0);
			CHECK(records >= 2);
			if (errors || ragged)
				fprintf(stderr, "  in %s\n", de->d_name);
		} else {
			CHECK_INT(errors, 1);
		}
	}
	if (dh)
		closedir(dh);
	CHECK(files >= 10);
}

/* ---- generated edge cases ---- */

static void test_edges(void)
{
	const char *p;
	char want[8000];

	p = PUT("empty.csv", "");
	CHECK_DUMP(p, 0, 0, "");
	{
		char *err = NULL, **f = (char **)1;
		size_t n = 9;
		heed_csv *c = heed_csv_open(p, NULL, &err);
		CHECK(c != NULL);
		CHECK_INT(heed_csv_delim(c), ',');
		CHECK_INT(heed_csv_next(c, &f, &n, &err), 0);
		CHECK(f == NULL);
		CHECK_INT(n, 0);
		CHECK_INT(heed_csv_next(c, &f, &n, &err), 0); /* stays at EOF */
		heed_csv_close(c);
	}
	p = PUT("bom-only.csv", "\xEF\xBB\xBF");
	CHECK_DUMP(p, 0, 0, "");
	p = PUT("blank-lines-only.csv", "\n\r\n\r\n");
	CHECK_DUMP(p, 0, 0, "");

	p = PUT("header-only.csv", "a,b,c\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b][c]\n");
	p = PUT("header-only-no-eol.csv", "a,b,c");
	CHECK_DUMP(p, 0, 0, "1:[a][b][c]\n");
	p = PUT("header-bom-crlf.csv", "\xEF\xBB\xBFid;name\r\n");
	CHECK_DUMP(p, 0, 0, "1:[id][name]\n");

	p = PUT("cr-only.csv", "a,b\r1,2\r\"x\ry\",3\r4,5");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1][2]\n3:[x\ny][3]\n5:[4][5]\n");
	p = PUT("mixed-eol.csv", "a,b\r\n1,2\n3,4\r5,6\r\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1][2]\n3:[3][4]\n4:[5][6]\n");
	p = PUT("last-no-eol.csv", "a,b\n1,2");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1][2]\n");
	p = PUT("last-cr-no-lf.csv", "a,b\n1,2\r");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1][2]\n");
	p = PUT("blank-lines.csv", "a\n\n\r\nb\n\n");
	CHECK_DUMP(p, 0, 0, "1:[a]\n4:[b]\n");

	p = PUT("quote-eof.csv", "a,b\n1,\"two\"");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1][two]\n");
	p = PUT("quote-eof-doubled.csv", "a,\"say \"\"hi\"\"\"");
	CHECK_DUMP(p, 0, 0, "1:[a][say \"hi\"]\n");
	p = PUT("quote-eof-open.csv", "a,b\n1,\"");
	snprintf(want, sizeof want, "1:[a][b]\n!%s: line 2: unterminated quote starting on line 2\n",
	         p);
	CHECK_DUMP(p, 0, 0, want);
	p = PUT("quote-eof-open2.csv", "a,\"b\"\"");
	snprintf(want, sizeof want, "!%s: line 1: unterminated quote starting on line 1\n", p);
	CHECK_DUMP(p, 0, 0, want);

	p = PUT("quotes.csv", "\"\",\"a,b\",\"\"\"\",x\"y, \"sp\"\n");
	CHECK_DUMP(p, 0, 0, "1:[][a,b][\"][x\"y][ \"sp\"]\n");
	/* Text after a closing quote is a bad record, not glued on ("a@x.com"junk). */
	p = PUT("quote-junk.csv", "email,n\n\"a@x.com\"junk,1\nx,\"two\nlines\"tail\nb,2\n");
	snprintf(want, sizeof want,
	         "1:[email][n]\n!%s: line 2: field 1: text after the closing quote (a quote inside a"
	         " quoted field must be doubled)\n!%s: line 4: field 2: text after the closing quote (a"
	         " quote inside a quoted field must be doubled)\n5:[b][2]\n",
	         p, p);
	CHECK_DUMP(p, 0, 0, want);
	p = PUT("trailing-empty.csv", "a,b,\n,,\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b][]\n2:[][][]\n");
	p = PUT("multiline.csv", "id,note\n1,\"one\ntwo\r\nthree\"\n2,x\n");
	CHECK_DUMP(p, 0, 0, "1:[id][note]\n2:[1][one\ntwo\nthree]\n5:[2][x]\n");

	/* Resumption: an unterminated quote starts over on the following line. */
	p = PUT("resume-quote.csv", "a,b\n\"x,y\nc,d\ne,f\n");
	snprintf(want, sizeof want,
	         "1:[a][b]\n!%s: line 2: unterminated quote starting on line 2\n3:[c][d]\n4:[e][f]\n",
	         p);
	CHECK_DUMP(p, 0, 0, want);
	/* The quote opens on a later line of the same record; the retry from line 2
	 * meets the same open quote again. */
	p = PUT("resume-quote2.csv", "a,\"b\nc\",\"d\ne\n");
	snprintf(want, sizeof want,
	         "!%s: line 1: unterminated quote starting on line 2\n"
	         "!%s: line 2: unterminated quote starting on line 2\n3:[e]\n",
	         p, p);
	CHECK_DUMP(p, 0, 0, want);
}

static void test_detect(void)
{
	const char *p;
	p = PUT("tab.csv", "a\tb\tc\n1\t2\t3\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b][c]\n2:[1][2][3]\n");
	p = PUT("pipe.csv", "a|b,c|d\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b,c][d]\n");
	/* Separators inside quotes do not count. */
	p = PUT("quoted-commas.csv", "\"a,b,c\";\"d,e\";f\n1;2;3\n");
	CHECK_DUMP(p, 0, 0, "1:[a,b,c][d,e][f]\n2:[1][2][3]\n");
	/* A tie goes to the comma; so does a single column. */
	p = PUT("tie.csv", "a,b;c\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b;c]\n");
	p = PUT("single.csv", "email\nx@y.z\n");
	CHECK_DUMP(p, 0, 0, "1:[email]\n2:[x@y.z]\n");
	/* Detection looks at the header line only. */
	p = PUT("later-semis.csv", "a,b\n1;2;3;4,5\n");
	CHECK_DUMP(p, 0, 0, "1:[a][b]\n2:[1;2;3;4][5]\n");
	/* Leading blank lines are skipped before detecting. */
	p = PUT("blank-first.csv", "\n\na;b\n");
	CHECK_DUMP(p, 0, 0, "3:[a][b]\n");
	p = PUT("given-tab.csv", "a,b\tc\n");
	CHECK_DUMP(p, '\t', 0, "1:[a,b][c]\n");
}

static void test_encoding(void)
{
	const char *p;
	char want[8000];

	/* Bad UTF-8: the error names the physical line and the file offset, and
	 * reading continues with the next record. */
	p = PUT("bad-utf8.csv", "a,b\n\"multi\nline\",ok\xff\n\xc3\xa9,\xe2\x82\xac\n");
	snprintf(want, sizeof want,
	         "1:[a][b]\n!%s: line 3: invalid UTF-8 at byte offset 19 (field 2); if the file is "
	         "Windows-1252, use --encoding cp1252 (or latin-1)\n4:[\xc3\xa9][\xe2\x82\xac]\n",
	         p);
	CHECK_DUMP(p, 0, 0, want);

	static const char *const invalid[] = {
		"\xc0\xaf",         /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong */
		"\xed\xa0\x80",     /* UTF-16 surrogate */
		"\xf4\x90\x80\x80", /* above U+10FFFF */
		"\xc3",             /* truncated */
		"\x80",             /* stray continuation */
		"\xf8\x88\x80\x80\x80",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		char data[64];
		int n = snprintf(data, sizeof data, "h\nx%s\n", invalid[i]);
		p = put_file("invalid.csv", data, (size_t)n);
		snprintf(want, sizeof want,
		         "1:[h]\n!%s: line 2: invalid UTF-8 at byte offset 3 (field 1); if the file is "
		         "Windows-1252, use --encoding cp1252 (or latin-1)\n",
		         p);
		CHECK_DUMP(p, 0, 0, want);
	}
	p = PUT("valid4.csv", "\xf0\x9f\x98\x80,\xf4\x8f\xbf\xbf\n");
	CHECK_DUMP(p, 0, 0, "1:[\xf0\x9f\x98\x80][\xf4\x8f\xbf\xbf]\n");

	/* Windows-1252: every byte 0x80..0xFF becomes its UTF-8 character. */
	char all[200];
	size_t n = 0;
	for (int b = 0x80; b <= 0xFF; b++)
		all[n++] = (char)b;
	all[n++] = '\n';
	p = put_file("cp1252-all.csv", all, n);
	char *d = dump(p, 0, HEED_CSV_CP1252);
	heed_buf exp = {0};
	static const unsigned c1[32] = {
		0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160,
		0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
		0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178,
	};
	heed_buf_adds(&exp, "1:[");
	for (unsigned b = 0x80; b <= 0xFF; b++) {
		unsigned cp = b < 0xA0 ? c1[b - 0x80] : b;
		char u[4];
		if (cp < 0x800) {
			u[0] = (char)(0xC0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3F));
			heed_buf_add(&exp, u, 2);
		} else {
			u[0] = (char)(0xE0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			heed_buf_add(&exp, u, 3);
		}
	}
	heed_buf_adds(&exp, "]\n");
	CHECK_STR(d, heed_buf_str(&exp));
	/* Spot checks independent of the table above. */
	CHECK(strstr(d, "\xe2\x82\xac") != NULL);             /* 0x80 euro */
	CHECK(strstr(d, "\xe2\x80\x99") != NULL);             /* 0x92 right quote */
	CHECK(strstr(d, "\xc5\xb8\xc2\xa0") != NULL);         /* 0x9F Y diaeresis, 0xA0 nbsp */
	CHECK(strstr(d, "\xc3\xbc\xc3\xbd\xc3\xbe\xc3\xbf]") != NULL); /* 0xFC..0xFF */
	free(d);
	heed_buf_free(&exp);

	/* In Windows-1252 mode quotes and delimiters still work around high bytes. */
	p = PUT("cp1252-quoted.csv", "\"S\xfc" "d, \x93" "A\x94\xa0\";\xe9\n");
	CHECK_DUMP(p, 0, HEED_CSV_CP1252,
	           "1:[S\xc3\xbc" "d, \xe2\x80\x9c" "A\xe2\x80\x9d\xc2\xa0][\xc3\xa9]\n");
}

static void test_open_errors(void)
{
	char *err = NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/does-not-exist.csv", tmpdir);
	heed_csv *c = heed_csv_open(path, NULL, &err);
	CHECK(c == NULL);
	CHECK(err != NULL && strstr(err, path) && strstr(err, "cannot open"));
	free(err);
	err = NULL;
	heed_csv_opts bad = {'"', 0};
	c = heed_csv_open(PUT("x.csv", "a\n"), &bad, &err);
	CHECK(c == NULL);
	CHECK(err != NULL && strstr(err, "delimiter"));
	free(err);
	/* UTF-16 (either byte order) is refused at open, in either encoding mode:
	 * read as Windows-1252 it would come back as NULs and mojibake. */
	static const char *const boms[] = {"\xff\xfe" "a\0,\0b\0\n\0", "\xfe\xff" "\0a\0,\0b\0\n"};
	for (int i = 0; i < 2; i++) {
		for (int enc = HEED_CSV_UTF8; enc <= HEED_CSV_CP1252; enc++) {
			heed_csv_opts o = {0, enc};
			err = NULL;
			c = heed_csv_open(put_file("utf16.csv", boms[i], 10), &o, &err);
			CHECK(c == NULL);
			CHECK(err != NULL && strstr(err, "utf16.csv: the file is UTF-16"));
			free(err);
		}
	}
	heed_csv_close(NULL);
}

/* Records that straddle the read buffer, and one far larger than it. */
static void test_large(void)
{
	heed_buf src = {0};
	const long rows = 60000;
	heed_buf_adds(&src, "\xEF\xBB\xBFid,name,note,tail\r\n");
	for (long i = 0; i < rows; i++) {
		if (i % 7 == 0)
			heed_buf_addf(&src, "%ld,J\xc3\xbcrgen %ld,\"multi\r\nline \"\"%ld\"\"\",\r\n", i, i,
			              i);
		else
			heed_buf_addf(&src, "%ld,Name %ld,plain note %ld,t\r\n", i, i, i);
	}
	const char *p = put_file("large.csv", src.s, src.len);
	heed_buf_free(&src);

	char *err = NULL, **f;
	size_t n;
	heed_csv *c = heed_csv_open(p, NULL, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_STR(f[0], "id");
	long line = 2, bad = 0;
	char want[128];
	for (long i = 0; i < rows; i++) {
		int rc = heed_csv_next(c, &f, &n, &err);
		int ok = rc == 1 && n == 4 && heed_csv_line(c) == line && atol(f[0]) == i;
		if (ok && i % 7 == 0) {
			snprintf(want, sizeof want, "J\xc3\xbcrgen %ld", i);
			ok = strcmp(f[1], want) == 0;
			snprintf(want, sizeof want, "multi\nline \"%ld\"", i);
			ok = ok && strcmp(f[2], want) == 0 && f[3][0] == '\0';
			line += 2;
		} else if (ok) {
			snprintf(want, sizeof want, "plain note %ld", i);
			ok = strcmp(f[2], want) == 0 && strcmp(f[3], "t") == 0;
			line += 1;
		}
		if (!ok && bad++ < 3)
			fprintf(stderr, "large.csv row %ld: rc %d line %ld (want %ld) %s\n", i, rc,
			        heed_csv_line(c), line, err ? err : "");
		if (!ok)
			break;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 0);
	heed_csv_close(c);

	/* One 3 MB quoted field with embedded newlines. */
	size_t big = 3u << 20;
	char *data = xmalloc(big + 64);
	size_t k = 0;
	k += (size_t)sprintf(data, "a,\"");
	for (size_t i = 0; i < big; i++)
		data[k++] = i % 1000 == 999 ? '\n' : (char)('a' + i % 26);
	k += (size_t)sprintf(data + k, "\",z\nnext,row,here\n");
	p = put_file("huge-field.csv", data, k);
	free(data);
	c = heed_csv_open(p, NULL, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_INT(n, 3);
	CHECK_INT(strlen(f[1]), big);
	CHECK(f[1][0] == 'a' && f[1][999] == '\n' && f[1][1000] == 'm');
	CHECK_STR(f[2], "z");
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 1);
	CHECK_INT(heed_csv_line(c), 1 + (long)(big / 1000) + 1);
	CHECK_STR(f[2], "here");
	CHECK_INT(heed_csv_next(c, &f, &n, &err), 0);
	heed_csv_close(c);
}

/* A record over 16 MB is one bad record named by its first line and skipped
 * to its real end: text inside its quotes is never read as records. */
static void test_too_long(void)
{
	size_t big = 17u << 20;
	char *data = xmalloc(big + 256);
	size_t k = (size_t)sprintf(data, "email,note\nf@x.com,\"");
	memset(data + k, 'x', big);
	k += big;
	k += (size_t)sprintf(data + k, "\r\nmallory@evil.example,\"\"Injected\"\"\ntail\"\r\nok@x.com,fine\n");
	const char *p = put_file("too-long-quoted.csv", data, k);
	char want[8000];
	snprintf(want, sizeof want,
	         "1:[email][note]\n!%s: line 2: record longer than 16 MB; skipped to its end (line 4)\n"
	         "5:[ok@x.com][fine]\n", p);
	CHECK_DUMP(p, 0, 0, want);

	k = (size_t)sprintf(data, "email,note\nf@x.com,");
	memset(data + k, 'y', big);
	k += big;
	k += (size_t)sprintf(data + k, "\nok@x.com,fine\n");
	p = put_file("too-long-plain.csv", data, k);
	snprintf(want, sizeof want,
	         "1:[email][note]\n!%s: line 2: record longer than 16 MB; skipped to its end (line 2)\n"
	         "3:[ok@x.com][fine]\n", p);
	CHECK_DUMP(p, 0, 0, want);
	free(data);
}

int main(void)
{
	const char *t = getenv("HEED_TMP");
	snprintf(tmpdir, sizeof tmpdir, "%s/csv", t && *t ? t : "/tmp/heed-test");
	mkdir_p(tmpdir);

	char dir[4096];
	if (cases_dir(dir, sizeof dir)) {
		test_case_bom_crlf(dir);
		test_case_semicolon(dir);
		test_case_ragged(dir);
		test_case_cp1252(dir);
		test_case_others(dir);
		test_case_all(dir);
	} else {
		printf("test_csv: skip: no import cases at %s\n", dir);
	}
	test_edges();
	test_detect();
	test_encoding();
	test_open_errors();
	test_large();
	test_too_long();
	return check_done("test_csv");
}
