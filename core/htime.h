/* htime: heed's clock and time parsing. Times are int64 seconds since the Unix
 * epoch, UTC. "Now" is HEED_NOW (ISO 8601) when set, for reproducible tests. */
#ifndef HEED_HTIME_H
#define HEED_HTIME_H

#include <stdint.h>

typedef int64_t heed_time;

/* The times heed reads and writes: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define HEED_TIME_MIN (-62167219200LL)
#define HEED_TIME_MAX (253402300799LL)

/* Read HEED_NOW once. Returns HEED_OK, or HEED_EUSAGE with *err if it does not parse. */
int heed_time_init(char **err);
heed_time heed_time_now(void);

/* Parse ISO 8601: YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM].
 * A time without a zone is UTC. Rejects out-of-range fields (month 13, Feb 30).
 * Returns HEED_OK and *out, or HEED_EINPUT. */
int heed_time_parse(const char *s, heed_time *out);

/* Parse with a layout made of DD, MM, YYYY, HH, MI, SS and literal characters,
 * e.g. "DD-MM-YYYY HH:MI". A layout may end early: "DD-MM-YYYY" also accepts
 * nothing after the date. Returns HEED_OK or HEED_EINPUT. */
int heed_time_parse_layout(const char *s, const char *layout, heed_time *out);

/* Format as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes); times outside
 * the range above are clamped to it. */
void heed_time_format(heed_time t, char *out);
/* Format as "YYYY-MM-DD" into out (at least 11 bytes). */
void heed_time_format_date(heed_time t, char *out);
/* Whole calendar days from a to b (by UTC date, b - a). */
int64_t heed_time_days(heed_time a, heed_time b);

#endif
