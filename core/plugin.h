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
#include "util.h"

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
typedef struct heed_parts {
	heed_part *v;
	size_t n;
	double total;
	size_t cap;            /* parts allocated in v */
	heed_text text;        /* the names and reasons */
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
 * Returns the number of plugins changed, or HEED_ENOTFOUND when only names no plugin (by name or
 * file stem) in the folder; *report then says "no plugin 'x' in DIR". Part names, versions strings and map specs handed out
 * before a refresh stay valid until the next refresh (or close). */
int heed_plugins_refresh(heed_plugins *p, const char *only, char **report);
/* An explicit reload: load again every suspended plugin (only = one name or
 * file stem, or NULL for all) from its file, changed or not, so its calls run
 * again (heed_plugins_refresh alone reloads changed files only, and runs
 * before every REPL input, where it must not lift a suspension). OUT: *report
 * as for heed_plugins_refresh (caller frees). Returns the number reloaded. */
int heed_plugins_lift(heed_plugins *p, const char *only, char **report);

/* One plugin file of the folder, for listings. Strings are owned by p (valid
 * until the next refresh). */
typedef struct heed_plugin_status {
	const char *name;    /* the plugin's name; the file name when none is loaded */
	const char *version; /* NULL when none is loaded */
	int api;
	const char *file;
	long long loaded_at; /* unix time the active version was loaded; 0 = none */
	const char *status;  /* "ok"; "kept" (the file changed and failed: the old version runs); "failed";
	                      * "suspended" (too many limit errors: its calls fail until a reload) */
	const char *error;   /* the last load error, else the suspending limit error, or NULL */
	long long limits[3]; /* instructions, time_ms, memory_mb in force */
} heed_plugin_status;

/* Number of plugin files, and the status of file i (in name order). OUT: *out. */
size_t heed_plugins_nfiles(const heed_plugins *p);
int heed_plugins_status(const heed_plugins *p, size_t i, heed_plugin_status *out);
/* Validate one plugin file as a load would (syntax, api level, fields, selftest,
 * limits.conf beside it), then run its tests, printing to out. No store is
 * touched. HEED_OK when valid and its tests pass, else an error with *err. */
int heed_plugins_check(const char *file, FILE *out, char **err);

/* The storage behind heed.kv, the plugins' key-value store (kept in the
 * contact store, so it survives reloads). value: text, NULL = absent (get;
 * caller frees) or delete (set). Calls come from the thread running plugins. */
typedef struct heed_kv {
	void *ctx;
	int (*get)(void *ctx, const char *plugin, const char *key, char **value, char **err);
	int (*set)(void *ctx, const char *plugin, const char *key, const char *value, char **err);
} heed_kv;
/* Give the plugins (also those loaded later) a key-value store; kv is copied.
 * Without one, heed.kv calls fail with a message saying so. */
void heed_plugins_set_kv(heed_plugins *p, const heed_kv *kv);

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
/* The same for the plugins with a score function: the ones that make a score. Caller frees. */
char *heed_plugins_score_versions(const heed_plugins *p);

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
/* The failed calls of criteria and score since the last look, one line per
 * plugin: "plugin 'x' 1.0: 12 failed calls; the first: <error>". Resets the
 * counts. NULL when none failed; caller frees. */
char *heed_plugins_failures(heed_plugins *p);

/* The map spec of plugin `name`, or NULL with *err if it has none / is not loaded. Owned by p. */
const heed_mapspec *heed_plugins_mapspec(const heed_plugins *p, const char *name, char **err);
/* Call the row function of plugin `name`'s map. OUT: out filled (caller clears). */
int heed_plugins_map_row(heed_plugins *p, const char *name, const heed_row *row,
                         heed_fieldset *out, char **err);

/* Run the tests plugins carry (their `tests` table), one line each to out;
 * only = one plugin's name, or NULL for all. OUT: counts. HEED_ENOTFOUND when
 * `only` names no loaded plugin. */
int heed_plugins_test(heed_plugins *p, const char *only, FILE *out, int *passed, int *failed);

/* A rendered email template. Strings owned by it (heed_rendered_clear). */
typedef struct heed_rendered {
	char *subject, *body;
	const char *plugin; /* the plugin whose template it was: owned by its heed_plugins */
} heed_rendered;
/* Render email template `name` for contact c with payload (JSON object text or
 * NULL), from the first plugin in name order that has it (see plugins/README.md,
 * Templates). OUT: *out (caller clears). HEED_ENOTFOUND when no plugin has it;
 * HEED_EPLUGIN when rendering failed (plugin, template, file, line, contact). */
int heed_plugins_render(heed_plugins *p, const char *name, const heed_contact *c, const char *payload,
                        heed_rendered *out, char **err);
void heed_rendered_clear(heed_rendered *r);

void heed_checks_clear(heed_checks *c);
void heed_parts_reset(heed_parts *p); /* no parts, total 0; keeps the memory */
void heed_parts_clear(heed_parts *p); /* frees everything */
void heed_fieldset_clear(heed_fieldset *f);

/* ---- follow-up policies (see plugins/README.md, "Follow-up policies") ---- */

enum { HEED_ON_STAGE, HEED_ON_EVENT, HEED_ON_SCHEDULE };

/* A policy a plugin declares. Strings are owned by the heed_plugins. */
typedef struct heed_policy {
	const char *plugin, *name;
	int on;                    /* HEED_ON_*: entering stage, an event, a schedule */
	const char *stage;         /* only contacts in this stage (NULL = any) */
	char **events;             /* HEED_ON_EVENT: the activity kinds */
	size_t nevents;
	const char *schedule;      /* HEED_ON_SCHEDULE: e.g. "every weekday 09:00" */
	int line;                  /* where it is declared */
} heed_policy;

/* What fired a policy: the trigger's time (the base of relative due times). */
typedef struct heed_trigger {
	int on;                    /* HEED_ON_* */
	heed_time at;
	const char *occurrence;    /* text naming this firing, part of the idempotency key */
	const heed_activity *event; /* HEED_ON_EVENT: the activity */
} heed_trigger;

/* One follow-up a policy asked for, as the plugin gave it (validated by the
 * engine: action is task, email, stage-check or script; key non-empty). */
typedef struct heed_fu_spec {
	char *action, *key, *due, *tz, *tmpl, *title, *payload; /* due: expression; payload: JSON */
	int64_t due_at;            /* when due is NULL: an absolute time given as a number, else 0 */
} heed_fu_spec;

typedef struct heed_fu_specs {
	heed_fu_spec *v;
	size_t n;
} heed_fu_specs;
void heed_fu_specs_clear(heed_fu_specs *s); /* frees everything, n = 0 */

/* Load one file as a plugin set of its own (a follow-up script); errors are
 * kept as with heed_plugins_open. NULL with *err if the file cannot be read. */
heed_plugins *heed_plugins_open_file(const char *path, char **err);

/* Every loaded plugin's policies, in plugin then declaration order. */
size_t heed_plugins_npolicies(const heed_plugins *p);
const heed_policy *heed_plugins_policy(const heed_plugins *p, size_t i);
/* Run policy i for contact c fired by t; OUT: its follow-ups appended to out.
 * HEED_EPLUGIN with *err naming plugin, policy, file, line and contact. */
int heed_plugins_policy_run(heed_plugins *p, size_t i, const heed_contact *c, const heed_trigger *t,
                            heed_fu_specs *out, char **err);

#endif
