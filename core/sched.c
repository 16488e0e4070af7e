/* sched: zones, due expressions and schedules (see sched.h). Zone arithmetic
 * goes through the C library (TZ, tzset, localtime_r, mktime), which reads the
 * system zoneinfo; TZ is process-wide, so every conversion holds one lock,
 * sets TZ to its zone and puts the process's own TZ back before unlocking, so
 * local time elsewhere (os.date in plugins) keeps the process's zone.
 * setenv is not safe against other threads reading TZ (localtime), so zone
 * conversions run on the main thread only, never while the import or score
 * threads run (nothing in those threads converts zones). */
#include "sched.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *zone_dir(void)
{
	const char *d = getenv("TZDIR");
	return heed_empty(d) ? "/usr/share/zoneinfo" : d;
}

enum { ZONE_CACHE = 16 };
static char zone_seen[ZONE_CACHE][HEED_ZONE_MAX]; /* zones found valid (under tz_lock) */
static int nzone_seen;

/* 1 if zone is parts of [A-Za-z0-9_+-] separated by single '/' (no leading,
 * trailing or doubled '/', no "." or ".." parts). */
static int zone_name_ok(const char *zone)
{
	size_t part = 0;
	for (const char *p = zone; *p; p++) {
		if (*p == '/') {
			if (part == 0)
				return 0;
			part = 0;
		} else if (isalnum((unsigned char)*p) || strchr("_+-", *p)) {
			part++;
		} else {
			return 0;
		}
	}
	return part > 0;
}

/* 1 if path is a regular file that starts with the TZif magic. */
static int zone_file_ok(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char magic[4];
	int ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

int heed_sched_zone_valid(const char *zone)
{
	if (heed_empty(zone) || strlen(zone) >= HEED_ZONE_MAX)
		return 0;
	if (strcmp(zone, "UTC") == 0)
		return 1;
	pthread_mutex_lock(&tz_lock);
	int seen = 0;
	for (int i = 0; i < nzone_seen && !seen; i++)
		seen = strcmp(zone_seen[i], zone) == 0;
	pthread_mutex_unlock(&tz_lock);
	if (seen)
		return 1;
	if (!zone_name_ok(zone))
		return 0;
	char *path = xasprintf("%s/%s", zone_dir(), zone);
	int ok = zone_file_ok(path);
	free(path);
	pthread_mutex_lock(&tz_lock);
	if (ok && nzone_seen < ZONE_CACHE)
		snprintf(zone_seen[nzone_seen++], HEED_ZONE_MAX, "%s", zone);
	pthread_mutex_unlock(&tz_lock);
	return ok;
}

static int zone_check(const char *zone, char **err)
{
	if (heed_sched_zone_valid(zone))
		return HEED_OK;
	heed_seterr(err, "unknown time zone '%s' (want an IANA name such as Europe/Warsaw, or UTC;"
	                 " the system zoneinfo in %s has no such zone)", zone ? zone : "", zone_dir());
	return HEED_EINPUT;
}

/* Switch TZ to zone; *saved = the process's own TZ (NULL = unset) for
 * zone_restore, which frees it. Call both with tz_lock held. */
static void zone_use(const char *zone, char **saved)
{
	const char *own = getenv("TZ");
	*saved = own ? xstrdup(own) : NULL;
	setenv("TZ", zone, 1);
	tzset();
}

static void zone_restore(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

int heed_sched_to_local(heed_time t, const char *zone, heed_local *out, char **err)
{
	int rc = zone_check(zone, err);
	if (rc != HEED_OK)
		return rc;
	struct tm tm;
	time_t tt = (time_t)t;
	int ok;
	if (strcmp(zone, "UTC") == 0) { /* no zone state needed */
		ok = gmtime_r(&tt, &tm) != NULL;
	} else {
		char *saved;
		pthread_mutex_lock(&tz_lock);
		zone_use(zone, &saved);
		ok = localtime_r(&tt, &tm) != NULL;
		zone_restore(saved);
		pthread_mutex_unlock(&tz_lock);
	}
	if (!ok) {
		heed_seterr(err, "time %lld cannot be shown in zone %s", (long long)t, zone);
		return HEED_EINPUT;
	}
	*out = (heed_local){ .year = tm.tm_year + 1900, .mon = tm.tm_mon + 1, .mday = tm.tm_mday,
	                     .hour = tm.tm_hour, .min = tm.tm_min, .sec = tm.tm_sec, .wday = tm.tm_wday };
	return HEED_OK;
}

int heed_sched_from_local(const heed_local *l, const char *zone, heed_time *out, char **err)
{
	int rc = zone_check(zone, err);
	if (rc != HEED_OK)
		return rc;
	struct tm tm = { .tm_year = l->year - 1900, .tm_mon = l->mon - 1, .tm_mday = l->mday,
	                 .tm_hour = l->hour, .tm_min = l->min, .tm_sec = l->sec, .tm_isdst = -1 };
	time_t t;
	if (strcmp(zone, "UTC") == 0) {
		t = timegm(&tm);
	} else {
		char *saved;
		pthread_mutex_lock(&tz_lock);
		zone_use(zone, &saved);
		t = mktime(&tm);
		zone_restore(saved);
		pthread_mutex_unlock(&tz_lock);
	}
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31)) {
		heed_seterr(err, "%04d-%02d-%02d %02d:%02d is not a time in zone %s", l->year, l->mon,
		            l->mday, l->hour, l->min, zone);
		return HEED_EINPUT;
	}
	*out = (heed_time)t;
	return HEED_OK;
}

/* ---- due expressions ---- */

/* Move t by days local days (business days skip Saturday and Sunday), keeping
 * the clock. */
static int add_days(heed_time *t, long days, int business, const char *zone, char **err)
{
	heed_local l;
	int rc = heed_sched_to_local(*t, zone, &l, err);
	if (rc != HEED_OK)
		return rc;
	if (!business) {
		l.mday += (int)days;
		return heed_sched_from_local(&l, zone, t, err);
	}
	int step = days < 0 ? -1 : 1, wday = l.wday;
	for (long left = days < 0 ? -days : days; left > 0;) {
		l.mday += step;
		wday = (wday + step + 7) % 7;
		if (wday != 0 && wday != 6)
			left--;
	}
	return heed_sched_from_local(&l, zone, t, err);
}

static int set_clock(heed_time *t, int h, int m, const char *zone, char **err)
{
	heed_local l;
	int rc = heed_sched_to_local(*t, zone, &l, err);
	if (rc == HEED_OK) {
		l.hour = h, l.min = m, l.sec = 0;
		rc = heed_sched_from_local(&l, zone, t, err);
	}
	return rc;
}

static int parse_clock(const char *w, int *h, int *m)
{
	if (!isdigit((unsigned char)w[0]))
		return 0;
	int n = 0;
	if (sscanf(w, "%2d:%2d%n", h, m, &n) != 2 || w[n] || *h > 23 || *m > 59 || *h < 0 || *m < 0)
		return 0;
	return 1;
}

/* An ISO start word (and the clock word after a bare date). Local unless zoned. */
static int parse_start(char **w, int nw, int *used, const char *zone, heed_time *t, char **err)
{
	const char *s = w[0];
	size_t n = strlen(s);
	heed_time u;
	int zoned = n > 10 && (s[n - 1] == 'Z' || s[n - 1] == 'z' || strchr(s + 10, '+') ||
	                       (n > 16 && strchr(s + 16, '-')));
	char buf[40];
	*used = 1;
	if (n == 10 && nw > 1 && strchr(w[1], ':') && isdigit((unsigned char)w[1][0])) {
		snprintf(buf, sizeof buf, "%sT%s", s, w[1]);
		s = buf;
		*used = 2;
		n = strlen(s);
		zoned = s[n - 1] == 'Z' || strchr(s + 10, '+') || (n > 16 && strchr(s + 16, '-'));
	}
	if (heed_time_parse(s, &u) != HEED_OK) {
		heed_seterr(err, "'%s' is not a date or time (want e.g. 2026-01-15 or 2026-01-15T10:00)", s);
		return HEED_EINPUT;
	}
	if (zoned) {
		*t = u;
		return HEED_OK;
	}
	heed_local l; /* the UTC reading of the text is its wall clock */
	int rc = heed_sched_to_local(u, "UTC", &l, err);
	if (rc == HEED_OK)
		rc = heed_sched_from_local(&l, zone, t, err);
	return rc;
}

static int apply_offset(const char *w, heed_time *t, const char *zone, char **err)
{
	char *end;
	long n = strtol(w, &end, 10);
	if (end == w + 1 || n > 100000 || n < -100000)
		return HEED_EINPUT;
	if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		*t += (heed_time)n * 60;
	else if (strcmp(end, "h") == 0)
		*t += (heed_time)n * 3600;
	else if (strcmp(end, "d") == 0)
		return add_days(t, n, 0, zone, err);
	else if (strcmp(end, "w") == 0)
		return add_days(t, n * 7, 0, zone, err);
	else if (strcmp(end, "bd") == 0)
		return add_days(t, n, 1, zone, err);
	else
		return HEED_EINPUT;
	return HEED_OK;
}

enum { MAX_WORDS = 16 };

static int due_words(char **w, int nw, heed_time *t, const char *zone, const char *expr, char **err)
{
	int rc = HEED_OK, i = 0, h, m;
	if (nw > 0 && strcmp(w[0], "now") == 0) {
		*t = heed_time_now();
		i = 1;
	} else if (nw > 0 && isdigit((unsigned char)w[0][0]) && strlen(w[0]) >= 10 && w[0][4] == '-') {
		int used;
		rc = parse_start(w, nw, &used, zone, t, err);
		i = used;
	}
	for (; i < nw && rc == HEED_OK; i++) {
		if (w[i][0] == '+' || w[i][0] == '-') {
			rc = apply_offset(w[i], t, zone, err);
			if (rc == HEED_EINPUT)
				heed_seterr(err, "due '%s': cannot read '%s' (want +N or -N with m, h, d, w or bd,"
				                 " e.g. +2d or -15m)", expr, w[i]);
		} else if (parse_clock(w[i], &h, &m)) {
			rc = set_clock(t, h, m, zone, err);
		} else if (strcmp(w[i], "tomorrow") == 0) {
			rc = add_days(t, 1, 0, zone, err);
		} else if (strcmp(w[i], "next") == 0 && i + 2 < nw && strcmp(w[i + 1], "business") == 0 &&
		           strcmp(w[i + 2], "day") == 0) {
			rc = add_days(t, 1, 1, zone, err);
			i += 2;
		} else {
			heed_seterr(err, "due '%s': cannot read '%s' (want a date, +N<m|h|d|w|bd>, HH:MM,"
			                 " tomorrow or next business day)", expr, w[i]);
			rc = HEED_EINPUT;
		}
	}
	return rc;
}

int heed_sched_due(const char *expr, heed_time base, const char *zone, heed_time *out, char **err)
{
	if (heed_empty(zone))
		zone = "UTC";
	int rc = zone_check(zone, err);
	if (rc != HEED_OK)
		return rc;
	char *copy = xstrdup(expr ? expr : ""), *w[MAX_WORDS], *save = NULL;
	int nw = 0;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (nw == MAX_WORDS) {
			heed_seterr(err, "due '%s': more than %d words", expr, MAX_WORDS);
			free(copy);
			return HEED_EINPUT;
		}
		w[nw++] = tok;
	}
	heed_time t = base;
	rc = due_words(w, nw, &t, zone, expr ? expr : "", err);
	free(copy);
	if (rc == HEED_OK)
		*out = t;
	return rc;
}

/* ---- schedules ---- */

static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

static unsigned day_bits(const char *w)
{
	if (!strcmp(w, "day") || !strcmp(w, "daily") || !strcmp(w, "days"))
		return 0x7f;
	if (!strcmp(w, "weekday") || !strcmp(w, "weekdays"))
		return 0x3e;
	if (!strcmp(w, "weekend") || !strcmp(w, "weekends"))
		return 0x41;
	unsigned bits = 0;
	char *copy = xstrdup(w), *save = NULL;
	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(d);
		int found = -1;
		if (n > 0 && d[n - 1] == 's')
			n--; /* mondays */
		for (int k = 0; k < 7 && found < 0; k++)
			if ((n == 3 || n == strlen(day_names[k])) && strncmp(d, day_names[k], n) == 0)
				found = k;
		if (found < 0) {
			bits = 0;
			break;
		}
		bits |= 1u << found;
	}
	free(copy);
	return bits;
}

int heed_sched_parse(const char *spec, const char *zone_default, heed_schedule *out, char **err)
{
	char *copy = xstrdup(spec ? spec : ""), *save = NULL, *w[8];
	int nw = 0, rc = HEED_EINPUT, i = 0;
	for (char *t = strtok_r(copy, " \t", &save); t && nw < 8; t = strtok_r(NULL, " \t", &save))
		w[nw++] = t;
	memset(out, 0, sizeof *out);
	if (nw > 0 && strcmp(w[0], "every") == 0)
		i++;
	if (i >= nw || !(out->days = day_bits(w[i]))) {
		heed_seterr(err, "schedule '%s': want the days first (day, weekday, weekend, monday…sunday"
		                 " or a list such as mon,thu)", spec ? spec : "");
		goto done;
	}
	if (++i >= nw || !parse_clock(w[i], &out->hour, &out->min)) {
		heed_seterr(err, "schedule '%s': want a clock time HH:MM after the days", spec);
		goto done;
	}
	const char *zone = ++i < nw ? w[i] : heed_empty(zone_default) ? "UTC" : zone_default;
	if (i + 1 < nw) {
		heed_seterr(err, "schedule '%s': unexpected '%s' after the zone", spec, w[i + 1]);
		goto done;
	}
	if ((rc = zone_check(zone, err)) != HEED_OK) {
		char *inner = err ? *err : NULL;
		if (err)
			*err = NULL;
		heed_seterr(err, "schedule '%s': %s", spec, inner ? inner : "bad zone");
		free(inner);
		goto done;
	}
	snprintf(out->zone, sizeof out->zone, "%s", zone);
	rc = HEED_OK;
done:
	free(copy);
	return rc;
}

/* The occurrence on the local day `day` days from t's local date, or 0 when
 * that day is not in the schedule. */
static heed_time occurrence(const heed_schedule *s, heed_time t, int day)
{
	heed_local l;
	heed_time u;
	if (heed_sched_to_local(t, s->zone, &l, NULL) != HEED_OK)
		return 0;
	l.mday += day;
	l.hour = s->hour, l.min = s->min, l.sec = 0;
	if (heed_sched_from_local(&l, s->zone, &u, NULL) != HEED_OK ||
	    heed_sched_to_local(u, s->zone, &l, NULL) != HEED_OK)
		return 0;
	return s->days & (1u << l.wday) ? u : 0;
}

heed_time heed_sched_next(const heed_schedule *s, heed_time after)
{
	for (int d = 0; d <= 8; d++) {
		heed_time u = occurrence(s, after, d);
		if (u && u > after)
			return u;
	}
	return 0;
}

heed_time heed_sched_prev(const heed_schedule *s, heed_time at)
{
	for (int d = 0; d >= -8; d--) {
		heed_time u = occurrence(s, at, d);
		if (u && u <= at)
			return u;
	}
	return 0;
}
