/* sched: wall-clock time in IANA zones (through the system's zoneinfo), due-time
 * expressions ("+3d", "next business day 09:00", "2026-01-15 10:00 -15m") and
 * recurring schedules ("every weekday 08:00 Europe/Berlin"). Times stay UTC
 * seconds (heed_time); zones only shape how local dates and clocks are read. */
#ifndef HEED_SCHED_H
#define HEED_SCHED_H

#include "htime.h"

#define HEED_ZONE_MAX 64 /* bytes of a zone name, with the NUL */

/* A local wall-clock time. mon 1..12, wday 0 = Sunday (read-only: computed). */
typedef struct heed_local {
	int year, mon, mday, hour, min, sec, wday;
} heed_local;

/* 1 if zone is "UTC" or a name the system zoneinfo has as a TZif file (e.g.
 * Europe/Warsaw; not a folder such as Europe). */
int heed_sched_zone_valid(const char *zone);
/* Conversions leave the process's TZ as it was; call them on the main thread
 * only (they set TZ for the moment, which other threads' localtime may read).
 * t as wall-clock time in zone. OUT: *out. HEED_EINPUT with *err for an unknown zone. */
int heed_sched_to_local(heed_time t, const char *zone, heed_local *out, char **err);
/* The UTC time of wall-clock l in zone (mday/hour may overflow: they are
 * normalised). A clock time skipped by a DST change moves forward. OUT: *out. */
int heed_sched_from_local(const heed_local *l, const char *zone, heed_time *out, char **err);

/* Evaluate a due expression against base, reading dates and clocks in zone.
 * Words, left to right: an optional start (ISO date or date-time, "now";
 * without a zone suffix it is wall-clock time in zone), then any of:
 * +N/-N with unit m, h, d, w or bd (business days; d, w, bd keep the clock),
 * "tomorrow", "next business day", and HH:MM (that clock time on the day).
 * OUT: *out. HEED_EINPUT with *err naming the word it cannot read. */
int heed_sched_due(const char *expr, heed_time base, const char *zone, heed_time *out, char **err);

/* A recurring schedule: at hour:min local time on the days of `days`. */
typedef struct heed_schedule {
	unsigned days; /* bit wday (0 = Sunday) */
	int hour, min;
	char zone[HEED_ZONE_MAX];
} heed_schedule;

/* Parse "[every] day|weekday|weekend|monday…sunday[,…] HH:MM [ZONE]" ("daily"
 * and three-letter day names work too). zone_default (NULL = UTC) applies when
 * the spec names none. OUT: *out. HEED_EINPUT with *err saying which word. */
int heed_sched_parse(const char *spec, const char *zone_default, heed_schedule *out, char **err);
/* The first occurrence after `after`, and the last at or before `at`. */
heed_time heed_sched_next(const heed_schedule *s, heed_time after);
heed_time heed_sched_prev(const heed_schedule *s, heed_time at);

#endif
