/* htime: the clock (real or HEED_NOW), ISO 8601 and layout parsing, and
 * formatting (see htime.h). Calendar arithmetic is proleptic Gregorian and
 * done here, without timegm or the C library's time zone state. */
#include "htime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define SECS_PER_DAY 86400

static int now_ready;       /* heed_time_init has run */
static int now_fixed;       /* HEED_NOW was set */
static heed_time now_value; /* its value */

/* ---- calendar arithmetic ---- */

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a valid civil date. The year is counted from March
 * so that the leap day falls at the end; 400-year cycles hold 146097 days. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	if (m <= 2)
		y--;
	int64_t cycle = floor_div(y, 400);
	int64_t yoc = y - cycle * 400;                       /* year of cycle, 0..399 */
	int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* day of (March) year */
	int64_t doc = yoc * 365 + yoc / 4 - yoc / 100 + doy; /* day of cycle */
	return cycle * 146097 + doc - 719468;                /* 719468: 0000-03-01 to 1970-01-01 */
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t cycle = floor_div(z, 146097);
	int64_t doc = z - cycle * 146097;                                  /* 0..146096 */
	int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365; /* 0..399 */
	int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);             /* 0..365 */
	int64_t mp = (5 * doy + 2) / 153;                                  /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoc + cycle * 400 + (*m <= 2);
}

static int make_time(int64_t y, int mo, int d, int h, int mi, int s, heed_time *out)
{
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return HEED_EINPUT;
	*out = days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 + s;
	return HEED_OK;
}

/* ---- clock ---- */

int heed_time_init(char **err)
{
	const char *env = getenv("HEED_NOW");
	now_ready = 1;
	now_fixed = 0;
	if (!env || !*env)
		return HEED_OK;
	if (heed_time_parse(env, &now_value) != HEED_OK) {
		heed_seterr(err, "HEED_NOW: cannot parse '%s' (want ISO 8601, e.g. 2024-05-01T09:00:00Z)",
		            env);
		return HEED_EUSAGE;
	}
	now_fixed = 1;
	return HEED_OK;
}

heed_time heed_time_now(void)
{
	if (!now_ready)
		heed_time_init(NULL);
	return now_fixed ? now_value : (heed_time)time(NULL);
}

/* ---- parsing ---- */

/* Read exactly n digits at *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return 0;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

int heed_time_parse(const char *s, heed_time *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	heed_time t;
	if (!s)
		return HEED_EINPUT;
	const char *p = s;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return HEED_EINPUT;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return HEED_EINPUT;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return HEED_EINPUT;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					return HEED_EINPUT;
				while (*p >= '0' && *p <= '9')
					p++; /* fractions are dropped */
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (!digits(&p, 2, &zh))
				return HEED_EINPUT;
			if (*p == ':' ? (p++, !digits(&p, 2, &zm)) : (*p && !digits(&p, 2, &zm)))
				return HEED_EINPUT;
			if (zh > 23 || zm > 59)
				return HEED_EINPUT;
		}
	}
	if (*p != '\0')
		return HEED_EINPUT;
	if (make_time(y, mo, d, h, mi, sec, &t) != HEED_OK)
		return HEED_EINPUT;
	t -= sign * (zh * 3600 + zm * 60);
	if (t < HEED_TIME_MIN || t > HEED_TIME_MAX)
		return HEED_EINPUT; /* an offset pushed it out of years 0000..9999 */
	*out = t;
	return HEED_OK;
}

int heed_time_parse_layout(const char *s, const char *layout, heed_time *out)
{
	int y = -1, mo = -1, d = -1, h = 0, mi = 0, sec = 0;
	heed_time t;
	if (!s || !layout)
		return HEED_EINPUT;
	const char *p = s, *l = layout;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*l) {
		int *slot = NULL, width = 2;
		size_t tok = 2;
		if (strncmp(l, "YYYY", 4) == 0)
			slot = &y, width = 4, tok = 4;
		else if (strncmp(l, "DD", 2) == 0)
			slot = &d;
		else if (strncmp(l, "MM", 2) == 0)
			slot = &mo;
		else if (strncmp(l, "HH", 2) == 0)
			slot = &h;
		else if (strncmp(l, "MI", 2) == 0)
			slot = &mi;
		else if (strncmp(l, "SS", 2) == 0)
			slot = &sec;
		/* The input may stop once the date is complete: the rest defaults to 0. */
		if (*p == '\0' || ((*p == ' ' || *p == '\t') && p[strspn(p, " \t")] == '\0')) {
			if (y >= 0 && mo >= 0 && d >= 0)
				break;
			return HEED_EINPUT;
		}
		if (!slot) {
			if (*p != *l)
				return HEED_EINPUT;
			p++, l++;
			continue;
		}
		int v = 0, n = 0;
		while (n < width && *p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0'), n++;
		if (n == 0 || (width == 4 && n != 4))
			return HEED_EINPUT;
		*slot = v;
		l += tok;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' || y < 0 || mo < 0 || d < 0)
		return HEED_EINPUT;
	if (make_time(y, mo, d, h, mi, sec, &t) != HEED_OK)
		return HEED_EINPUT;
	*out = t;
	return HEED_OK;
}

/* ---- formatting ---- */

static char *put_num(char *o, int64_t v, int width)
{
	if (v < 0)
		v = 0;
	for (int i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + width;
}

static char *put_date(char *o, heed_time t)
{
	int64_t y;
	int m, d;
	civil_from_days(floor_div(t, SECS_PER_DAY), &y, &m, &d);
	if (y > 9999)
		y = 9999;
	o = put_num(o, y, 4);
	*o++ = '-';
	o = put_num(o, m, 2);
	*o++ = '-';
	return put_num(o, d, 2);
}

/* Years 0000..9999 only: what ISO 8601 text without a sign can say. */
static heed_time clamp(heed_time t)
{
	return t < HEED_TIME_MIN ? HEED_TIME_MIN : t > HEED_TIME_MAX ? HEED_TIME_MAX : t;
}

void heed_time_format(heed_time t, char *out)
{
	t = clamp(t);
	int64_t sod = t - floor_div(t, SECS_PER_DAY) * SECS_PER_DAY;
	char *o = put_date(out, t);
	*o++ = 'T';
	o = put_num(o, sod / 3600, 2);
	*o++ = ':';
	o = put_num(o, sod / 60 % 60, 2);
	*o++ = ':';
	o = put_num(o, sod % 60, 2);
	*o++ = 'Z';
	*o = '\0';
}

void heed_time_format_date(heed_time t, char *out)
{
	t = clamp(t);
	char *o = put_date(out, t);
	*o = '\0';
}

int64_t heed_time_days(heed_time a, heed_time b)
{
	return floor_div(b, SECS_PER_DAY) - floor_div(a, SECS_PER_DAY);
}
