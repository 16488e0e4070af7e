/* plugin: the plugin host. Loads every plugin of a directory through an engine
 * (Lua 5.4 today, see plugin_int.h), composes criteria (all must pass) and
 * scores (parts add up) across plugins, and turns every plugin failure into a
 * heed error that names plugin, function, file, line and contact. The rest of
 * heed calls plugins only through this header: it does not know about Lua. */
#ifndef HEED_PLUGIN_H
#define HEED_PLUGIN_H

#include <stddef.h>
#include <stdio.h>
#include "contact.h"

typedef struct heed_plugins heed_plugins;

typedef struct heed_check {
	char *plugin, *name, *reason;
	int pass;
} heed_check;

typedef struct heed_checks {
	heed_check *v;
	size_t n;
} heed_checks;

typedef struct heed_part {
	const char *plugin;       /* the plugin's name: owned by its heed_plugins */
	const char *name, *reason; /* owned by the heed_parts; reason "" when none */
	double points;
} heed_part;

/* Score parts of one contact. Zero-initialise ({0}) before use. Reset it for the
 * next contact (its memory is kept and reused) and clear it when done. */
typedef struct heed_parts_text heed_parts_text;
typedef struct heed_parts {
	heed_part *v;
	size_t n;
	double total;
	size_t cap;            /* parts allocated in v */
	heed_parts_text *text; /* blocks holding the names and reasons */
} heed_parts;

/* One CSV row handed to a map: parallel arrays of header names and values.
 * Placeholder values have already been replaced by NULL. */
typedef struct heed_row {
	const char *const *names;
	const char *const *values;
	size_t n;
	const char *file;
	long line;
} heed_row;

/* A field name → value pair. Field names: email, external_id, first_name,
 * last_name, title, phone, owner, do_not_contact, created_at, stage, stage_at,
 * org.name, org.domain, org.industry, org.employees, org.country, deal.value,
 * deal.currency, deal.close_date, deal.decision_makers, deal.probability,
 * attrs.<key>. */
typedef struct heed_field {
	char *name, *value;
} heed_field;

typedef struct heed_newact {
	char *kind, *at, *data; /* at: time text; data: JSON object text or NULL */
} heed_newact;

/* What a map's row function returned: fields, activities, warnings, skip. */
typedef struct heed_fieldset {
	heed_field *f;
	size_t n;
	heed_newact *acts;
	size_t nacts;
	char **warnings;
	size_t nwarnings;
	int skip; /* the row function asked to skip this row */
} heed_fieldset;

/* The declarative part of a plugin's `map`: applied in C, without calling the
 * engine, so plain column mappings import at full speed. */
typedef struct heed_mapspec {
	char *plugin;          /* owning plugin's name */
	char *source;          /* external-id namespace; defaults to the plugin name */
	char **placeholders;   /* values that mean empty, e.g. "Select" */
	size_t nplaceholders;
	heed_field *fields;    /* name = heed field, value = CSV column header */
	size_t nfields;
	char *stage_column;    /* column deciding the initial stage, or NULL */
	heed_field *stage_values; /* name = column value, value = stage */
	size_t nstage_values;
	char *stage_default;   /* stage when no value matches; NULL = lead */
	char *time_layout;     /* layout of date columns (see htime.h); NULL = ISO 8601 */
	int keep_rest;         /* unmapped, non-empty columns go to attrs under their header */
	int update_only;       /* rows only update contacts that already exist */
	int has_row_fn;        /* the map has a row function: call heed_plugins_map_row */
} heed_mapspec;

/* Load every *.lua in dir, in name order. Returns NULL with *err only when the
 * directory cannot be read; a plugin that fails to load is left out and its
 * error kept (see heed_plugins_nerrors). Free with heed_plugins_close. */
heed_plugins *heed_plugins_open(const char *dir, char **err);
void heed_plugins_close(heed_plugins *p);

/* Bring the loaded set in line with the plugin folder: a new file loads, a removed file unloads, a
 * changed file (mtime/size/inode) is compiled and validated in a fresh state (syntax, api level,
 * required fields, its selftest) and swapped in only if valid; otherwise the old version stays
 * active and the error is kept. only = one plugin name, or NULL for all. Never call it while a
 * batch is running on p. OUT: *report = one line per change or failure ("reloaded score 1.2 → 1.3",
 * "kept qualify 1.0: plugins/qualify.lua:12: ..."), NULL when nothing changed (caller frees).
 * Returns the number of plugins changed. Part names, versions strings and map specs handed out
 * before a refresh stay valid until the next refresh (or close). */
int heed_plugins_refresh(heed_plugins *p, const char *only, char **report);

size_t heed_plugins_count(const heed_plugins *p);
const char *heed_plugins_name(const heed_plugins *p, size_t i);
/* Load errors: "plugin 'x' (plugins/x.lua:12): message". */
size_t heed_plugins_nerrors(const heed_plugins *p);
const char *heed_plugins_error(const heed_plugins *p, size_t i);
/* "name@version,name@version" of every loaded plugin, by name. Owned by p. */
const char *heed_plugins_versions(const heed_plugins *p);
/* The same for the plugins with criteria for target: the ones that decide a
 * move there. Caller frees. */
char *heed_plugins_versions_for(const heed_plugins *p, const char *target);

/* Run every plugin's criteria for moving to target; OUT: out gets one check per
 * criterion (appended). Returns HEED_OK, or HEED_EPLUGIN with *err if a plugin
 * failed (its criteria then count as failed checks). *err holds one line per
 * failed plugin. */
int heed_plugins_criteria(heed_plugins *p, const heed_contact *c, const char *target,
                          heed_checks *out, char **err);
/* 1 if any plugin has criteria for target. */
int heed_plugins_has_criteria(const heed_plugins *p, const char *target);

/* Run every plugin's score; OUT: parts appended and total summed. A plugin that
 * fails or returns a non-finite number contributes nothing and yields
 * HEED_EPLUGIN with *err (one line per failed plugin); the other plugins'
 * parts are kept. */
int heed_plugins_score(heed_plugins *p, const heed_contact *c, heed_parts *out, char **err);
int heed_plugins_has_score(const heed_plugins *p);

/* The map spec of plugin `name`, or NULL with *err if it has none / is not loaded. Owned by p. */
const heed_mapspec *heed_plugins_mapspec(const heed_plugins *p, const char *name, char **err);
/* Call the row function of plugin `name`'s map. OUT: out filled (caller clears). */
int heed_plugins_map_row(heed_plugins *p, const char *name, const heed_row *row,
                         heed_fieldset *out, char **err);

/* Run the tests plugins carry (their `tests` table), one line each to out;
 * only = one plugin's name, or NULL for all. OUT: counts. HEED_ENOTFOUND when
 * `only` names no loaded plugin. */
int heed_plugins_test(heed_plugins *p, const char *only, FILE *out, int *passed, int *failed);

void heed_checks_clear(heed_checks *c);
void heed_parts_reset(heed_parts *p); /* no parts, total 0; keeps the memory */
void heed_parts_clear(heed_parts *p); /* frees everything */
void heed_fieldset_clear(heed_fieldset *f);

#endif
