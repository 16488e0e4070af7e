/* test_sched: zones, due expressions and schedules. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "sched.h"
#include "util.h"

static heed_time T(const char *s)
{
	heed_time t = 0;
	CHECK(heed_time_parse(s, &t) == HEED_OK);
	return t;
}

static const char *due(const char *expr, const char *base, const char *zone)
{
	static char out[32];
	heed_time t;
	char *err = NULL;
	if (heed_sched_due(expr, T(base), zone, &t, &err) != HEED_OK) {
		snprintf(out, sizeof out, "error");
		free(err);
		return out;
	}
	heed_time_format(t, out);
	return out;
}

/* A conversion puts the process's TZ back: local time elsewhere (os.date in
 * plugins) must not follow the zone of the contact converted last. */
static void test_zone_restores_tz(void)
{
	heed_local l;
	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK(heed_sched_to_local(T("2026-07-01T08:00:00Z"), "Asia/Tokyo", &l, NULL) == HEED_OK);
	CHECK_INT(l.hour, 17);
	CHECK_STR(getenv("TZ"), "America/New_York");
	time_t tt = (time_t)T("2026-07-01T08:00:00Z");
	struct tm tm;
	localtime_r(&tt, &tm);
	CHECK_INT(tm.tm_hour, 4);
	heed_time t;
	CHECK(heed_sched_from_local(&l, "Asia/Tokyo", &t, NULL) == HEED_OK);
	CHECK_STR(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
	tzset();
	CHECK(heed_sched_to_local(T("2026-07-01T08:00:00Z"), "Asia/Tokyo", &l, NULL) == HEED_OK);
	CHECK(getenv("TZ") == NULL);
}

static void test_zones(void)
{
	CHECK(heed_sched_zone_valid("Europe/Warsaw"));
	CHECK(heed_sched_zone_valid("UTC"));
	CHECK(!heed_sched_zone_valid("Europe/Atlantis"));
	CHECK(!heed_sched_zone_valid("../etc/passwd"));
	/* folders and malformed names are not zones */
	CHECK(!heed_sched_zone_valid("Europe"));
	CHECK(!heed_sched_zone_valid("America/"));
	CHECK(!heed_sched_zone_valid("Europe//Berlin"));
	CHECK(!heed_sched_zone_valid("/Europe/Berlin"));
	CHECK(!heed_sched_zone_valid("Europe/./Berlin"));
	CHECK(heed_sched_zone_valid("Europe/Berlin"));
	heed_local l;
	CHECK(heed_sched_to_local(T("2026-07-01T08:00:00Z"), "Europe/Warsaw", &l, NULL) == HEED_OK);
	CHECK_INT(l.hour, 10);
	CHECK(heed_sched_to_local(T("2026-01-01T08:00:00Z"), "Europe/Warsaw", &l, NULL) == HEED_OK);
	CHECK_INT(l.hour, 9);
	char *err = NULL;
	CHECK(heed_sched_to_local(0, "Mars/Olympus", &l, &err) == HEED_EINPUT);
	CHECK(err && strstr(err, "Mars/Olympus"));
	free(err);
}

static void test_due(void)
{
	/* a reminder 15 minutes before a 10:00 meeting in Warsaw, winter and summer */
	CHECK_STR(due("2026-01-15 10:00 -15m", "2026-01-01T00:00:00Z", "Europe/Warsaw"), "2026-01-15T08:45:00Z");
	CHECK_STR(due("2026-07-15 10:00 -15m", "2026-01-01T00:00:00Z", "Europe/Warsaw"), "2026-07-15T07:45:00Z");
	CHECK_STR(due("2026-07-15T10:00Z -15m", "2026-01-01T00:00:00Z", "Europe/Warsaw"), "2026-07-15T09:45:00Z");
	CHECK_STR(due("+3d", "2026-12-03T09:00:00Z", "UTC"), "2026-12-06T09:00:00Z");
	/* across the spring change: one local day later, same clock, 23 hours */
	CHECK_STR(due("+1d", "2026-03-28T09:00:00Z", "Europe/Warsaw"), "2026-03-29T08:00:00Z");
	/* Friday: two business days is Tuesday; the next business day is Monday */
	CHECK_STR(due("+2bd", "2026-12-04T10:00:00Z", "UTC"), "2026-12-08T10:00:00Z");
	CHECK_STR(due("next business day 09:00", "2026-12-04T16:00:00Z", "Europe/Berlin"), "2026-12-07T08:00:00Z");
	CHECK_STR(due("tomorrow 09:30", "2026-12-03T23:30:00Z", "Europe/Warsaw"), "2026-12-05T08:30:00Z");
	CHECK_STR(due("", "2026-12-03T09:00:00Z", "UTC"), "2026-12-03T09:00:00Z");
	CHECK_STR(due("+2x", "2026-12-03T09:00:00Z", "UTC"), "error");
	CHECK_STR(due("soon", "2026-12-03T09:00:00Z", "UTC"), "error");
	CHECK_STR(due("+1d", "2026-12-03T09:00:00Z", "Nowhere/Land"), "error");
}

static void test_schedule(void)
{
	heed_schedule s;
	char buf[32], *err = NULL;
	CHECK(heed_sched_parse("every weekday 08:00 Europe/Berlin", NULL, &s, NULL) == HEED_OK);
	heed_time_format(heed_sched_next(&s, T("2026-12-04T12:00:00Z")), buf); /* Friday noon */
	CHECK_STR(buf, "2026-12-07T07:00:00Z");
	heed_time_format(heed_sched_prev(&s, T("2026-12-06T12:00:00Z")), buf); /* Sunday */
	CHECK_STR(buf, "2026-12-04T07:00:00Z");
	CHECK(heed_sched_parse("every mon,thu 09:15", "Europe/Warsaw", &s, NULL) == HEED_OK);
	heed_time_format(heed_sched_next(&s, T("2026-07-06T07:15:00Z")), buf); /* Monday 09:15 itself */
	CHECK_STR(buf, "2026-07-09T07:15:00Z");
	CHECK(heed_sched_parse("every fortnight 08:00", NULL, &s, &err) == HEED_EINPUT);
	CHECK(err && strstr(err, "fortnight"));
	free(err), err = NULL;
	CHECK(heed_sched_parse("daily 25:00", NULL, &s, &err) == HEED_EINPUT);
	free(err), err = NULL;
	CHECK(heed_sched_parse("daily 08:00 Nowhere/Land", NULL, &s, &err) == HEED_EINPUT);
	CHECK(err && strstr(err, "Nowhere/Land"));
	free(err);
}

int main(void)
{
	test_zones();
	test_zone_restores_tz();
	test_due();
	test_schedule();
	return check_done("test_sched");
}
