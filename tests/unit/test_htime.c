/* Unit tests for core/htime.c: ISO 8601 and layout parsing with range checks,
 * formatting, calendar-day differences, and the HEED_NOW clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "htime.h"
#include "util.h"

/* Parse or return a marker that cannot be a valid answer in these tests. */
#define BAD ((heed_time)-999999999999)

static heed_time iso(const char *s)
{
	heed_time t;
	return heed_time_parse(s, &t) == HEED_OK ? t : BAD;
}

static heed_time lay(const char *s, const char *layout)
{
	heed_time t;
	return heed_time_parse_layout(s, layout, &t) == HEED_OK ? t : BAD;
}

static void test_parse_known(void)
{
	CHECK_INT(iso("1970-01-01"), 0);
	CHECK_INT(iso("1970-01-01T00:00:01Z"), 1);
	CHECK_INT(iso("2000-03-01T00:00:00Z"), 951868800);
	CHECK_INT(iso("2024-02-29"), 1709164800);
	CHECK_INT(iso("2024-05-01T09:30:15Z"), 1714555815);
	CHECK_INT(iso("2024-05-01 09:30:15"), 1714555815);
	CHECK_INT(iso("2024-05-01t09:30:15z"), 1714555815);
	CHECK_INT(iso("2024-05-01T09:30"), 1714555800);
	CHECK_INT(iso("2024-05-01T09:30:15.987Z"), 1714555815);
	CHECK_INT(iso("2024-05-01T11:30:15+02:00"), 1714555815);
	CHECK_INT(iso("2024-05-01T11:30:15+0200"), 1714555815);
	CHECK_INT(iso("2024-05-01T11:30:15+02"), 1714555815);
	CHECK_INT(iso("2024-05-01T04:00:15-05:30"), 1714555815);
	CHECK_INT(iso("1969-12-31T23:59:59Z"), -1);
	CHECK_INT(iso("1900-01-01"), -2208988800);
	CHECK_INT(iso("2038-01-19T03:14:08Z"), 2147483648LL);
	CHECK_INT(iso("9999-12-31T23:59:59Z"), 253402300799LL);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"", "2024", "2024-05", "2024-5-01", "2024-05-1", "24-05-01", "2024/05/01",
		"2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "2024-04-31", "2023-02-29",
		"1900-02-29", "2100-02-29", "2024-05-01T24:00", "2024-05-01T12:60",
		"2024-05-01T12:00:60", "2024-05-01T12", "2024-05-01T1:00", "2024-05-01X",
		"2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+02:", "2024-05-01T12:00:00.Z",
		"2024-05-01T12:00:00Z junk", " 2024-05-01", "2024-05-01 ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		heed_time t = 12345;
		int rc = heed_time_parse(bad[i], &t);
		if (rc != HEED_EINPUT)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK_INT(rc, HEED_EINPUT);
		CHECK_INT(t, 12345); /* untouched on failure */
	}
	CHECK_INT(heed_time_parse(NULL, &(heed_time){0}), HEED_EINPUT);
	CHECK(iso("2000-02-29") != BAD);
	CHECK(iso("2400-02-29") != BAD);
}

static int days_in(int y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Walk every date from 1600 to 2400 with a plain day counter and compare. */
static void test_calendar_walk(void)
{
	heed_time base = iso("1600-01-01");
	CHECK_INT(base, -11676096000LL);
	long long day = 0;
	int bad_parse = 0, bad_fmt = 0;
	char s[32], f[32];
	for (int y = 1600; y <= 2400; y++)
		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= days_in(y, m); d++, day++) {
				snprintf(s, sizeof s, "%04d-%02d-%02dT12:34:56Z", y, m, d);
				heed_time want = base + day * 86400 + 12 * 3600 + 34 * 60 + 56;
				if (iso(s) != want && bad_parse++ < 3)
					fprintf(stderr, "parse %s: got %lld\n", s, (long long)iso(s));
				heed_time_format(want, f);
				if (strcmp(f, s) != 0 && bad_fmt++ < 3)
					fprintf(stderr, "format %lld: got %s want %s\n", (long long)want, f, s);
			}
	CHECK_INT(day, 292560); /* 801 years of 365.2425 days */
	CHECK_INT(bad_parse, 0);
	CHECK_INT(bad_fmt, 0);
}

static void test_format(void)
{
	char out[32];
	heed_time_format(0, out);
	CHECK_STR(out, "1970-01-01T00:00:00Z");
	heed_time_format(-1, out);
	CHECK_STR(out, "1969-12-31T23:59:59Z");
	heed_time_format(1709251199, out);
	CHECK_STR(out, "2024-02-29T23:59:59Z");
	heed_time_format(253402300799LL, out);
	CHECK_STR(out, "9999-12-31T23:59:59Z");
	CHECK_INT(strlen(out), 20);
	heed_time_format_date(1709251199, out);
	CHECK_STR(out, "2024-02-29");
	heed_time_format_date(-86400, out);
	CHECK_STR(out, "1969-12-31");
	heed_time_format_date(-86401, out);
	CHECK_STR(out, "1969-12-30");
	CHECK_INT(strlen(out), 10);
}

static void test_days(void)
{
	CHECK_INT(heed_time_days(iso("2024-01-01T23:00:00Z"), iso("2024-01-02T01:00:00Z")), 1);
	CHECK_INT(heed_time_days(iso("2024-01-02T01:00:00Z"), iso("2024-01-01T23:00:00Z")), -1);
	CHECK_INT(heed_time_days(iso("2024-01-01T00:00:00Z"), iso("2024-01-01T23:59:59Z")), 0);
	CHECK_INT(heed_time_days(iso("2024-02-28"), iso("2024-03-01")), 2);
	CHECK_INT(heed_time_days(iso("2023-02-28"), iso("2023-03-01")), 1);
	CHECK_INT(heed_time_days(iso("2023-01-01"), iso("2024-01-01")), 365);
	CHECK_INT(heed_time_days(iso("2024-01-01"), iso("2025-01-01")), 366);
	CHECK_INT(heed_time_days(-1, 0), 1);
	CHECK_INT(heed_time_days(-86400, -1), 0);
	CHECK_INT(heed_time_days(iso("1969-12-01"), iso("1970-01-31")), 61);
}

static void test_layout(void)
{
	const char *dmy = "DD-MM-YYYY HH:MI";
	CHECK_INT(lay("31-12-2024 23:59", dmy), iso("2024-12-31T23:59:00Z"));
	CHECK_INT(lay("31-12-2024", dmy), iso("2024-12-31"));
	CHECK_INT(lay("31-12-2024 ", dmy), iso("2024-12-31"));
	CHECK_INT(lay("  31-12-2024 08:05  ", dmy), iso("2024-12-31T08:05:00Z"));
	CHECK_INT(lay("1/2/2024", "DD/MM/YYYY"), iso("2024-02-01"));
	CHECK_INT(lay("12/31/2024", "MM/DD/YYYY"), iso("2024-12-31"));
	CHECK_INT(lay("2024.03.07 10:11:12", "YYYY.MM.DD HH:MI:SS"), iso("2024-03-07T10:11:12Z"));
	CHECK_INT(lay("29/02/2024", "DD/MM/YYYY"), iso("2024-02-29"));
	CHECK_INT(lay("20240307", "YYYYMMDD"), iso("2024-03-07"));
	CHECK_INT(lay("31/02/2024", "DD/MM/YYYY"), BAD);
	CHECK_INT(lay("29/02/2023", "DD/MM/YYYY"), BAD);
	CHECK_INT(lay("31-12", dmy), BAD);
	CHECK_INT(lay("31-12-24", "DD-MM-YYYY"), BAD);
	CHECK_INT(lay("31-12-2024 10:00", "DD-MM-YYYY"), BAD);
	CHECK_INT(lay("31.12.2024", "DD-MM-YYYY"), BAD);
	CHECK_INT(lay("31-12-2024 25:00", dmy), BAD);
	CHECK_INT(lay("", dmy), BAD);
	CHECK_INT(lay("12:00", "HH:MI"), BAD); /* no date */
	CHECK_INT(heed_time_parse_layout(NULL, dmy, &(heed_time){0}), HEED_EINPUT);
}

static void test_clock(void)
{
	char *err = NULL;
	setenv("HEED_NOW", "2024-05-01T09:00:00Z", 1);
	CHECK_INT(heed_time_init(&err), HEED_OK);
	CHECK(err == NULL);
	CHECK_INT(heed_time_now(), 1714554000);
	/* Read once: later changes to the environment do not move the clock. */
	setenv("HEED_NOW", "2030-01-01", 1);
	CHECK_INT(heed_time_now(), 1714554000);

	setenv("HEED_NOW", "yesterday", 1);
	CHECK_INT(heed_time_init(&err), HEED_EUSAGE);
	CHECK(err != NULL && strstr(err, "HEED_NOW") && strstr(err, "yesterday"));
	free(err);
	err = NULL;

	unsetenv("HEED_NOW");
	CHECK_INT(heed_time_init(&err), HEED_OK);
	heed_time real = (heed_time)time(NULL);
	heed_time now = heed_time_now();
	CHECK(now >= real - 5 && now <= real + 5);
}

int main(void)
{
	test_parse_known();
	test_parse_rejects();
	test_calendar_walk();
	test_format();
	test_days();
	test_layout();
	test_clock();
	return check_done("test_htime");
}
