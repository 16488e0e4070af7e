/* plugin_int: the interface between the plugin host (plugin.c) and a plugin
 * engine (luahost.c). An engine loads one plugin file into an isolated state
 * and runs its functions; the host composes plugins and validates results. */
#ifndef HEED_PLUGIN_INT_H
#define HEED_PLUGIN_INT_H

#include <stdio.h>

#include "plugin.h"

/* Limits on a plugin; 0 = not set. Defaults and ceilings below; a plugin's
 * `limits` table may raise them up to the ceilings, the folder's limits.conf
 * overrides both. */
typedef struct heed_limits {
	long long instructions; /* VM instructions per call */
	long long time_ms;      /* wall-clock per call */
	long long memory_mb;    /* memory of the plugin's state */
} heed_limits;

#define HEED_LIMIT_INSTRUCTIONS 10000000LL
#define HEED_LIMIT_INSTRUCTIONS_MAX 10000000000LL
#define HEED_LIMIT_TIME_MS 2000LL
#define HEED_LIMIT_TIME_MS_MAX 600000LL
#define HEED_LIMIT_MEMORY_MB 64LL
#define HEED_LIMIT_MEMORY_MB_MAX 4096LL

/* The plugin folder's limits.conf (see plugin_conf.c). */
typedef struct heed_limits_conf heed_limits_conf;
/* Read dir/limits.conf; never NULL (empty when the file is absent). A bad line
 * stops the reading with *err naming file and line. Free with heed_limits_conf_free. */
heed_limits_conf *heed_limits_conf_read(const char *dir, char **err);
void heed_limits_conf_free(heed_limits_conf *c);
/* The configured limits for the plugin file at path (0 = not set). */
heed_limits heed_limits_conf_for(const heed_limits_conf *c, const char *path);

typedef struct heed_plugin_info {
	char *name, *version;
	int api;
	char **targets;        /* stages that have criteria */
	size_t ntargets;
	int has_score;
	int has_map;
	int has_selftest;      /* the plugin has a selftest function: run it before activating */
	heed_mapspec map;      /* valid when has_map */
	int line;              /* line where the plugin's table is returned, for host errors */
	int score_line;        /* line where score is defined, for host errors */
	heed_policy *policies; /* strings owned here (plugin points at name) */
	size_t npolicies;
	heed_limits limits;    /* the limits in force */
} heed_plugin_info;

typedef struct heed_engine {
	const char *name;
	/* Load and run the file with the configured limits conf (NULL = none); OUT:
	 * *state and *info. Errors name file and line. */
	int (*load)(const char *path, const heed_limits *conf, void **state, heed_plugin_info *info,
	            char **err);
	/* Append the checks of the plugin's criteria[target]. Errors name function, file, line, contact. */
	int (*criteria)(void *state, const heed_contact *c, const char *target, heed_checks *out, char **err);
	/* Append the plugin's score parts (validated by the host). */
	int (*score)(void *state, const heed_contact *c, heed_parts *out, char **err);
	/* Call map.row(row); OUT: out. */
	int (*map_row)(void *state, const heed_row *row, heed_fieldset *out, char **err);
	/* Run the plugin's own tests, printing one line each to out; counts them. */
	int (*test)(void *state, FILE *out, int *passed, int *failed);
	/* Run the plugin's policy number i (declaration order); OUT: follow-ups appended. */
	int (*policy)(void *state, size_t i, const heed_contact *c, const heed_trigger *t,
	              heed_fu_specs *out, char **err);
	/* Render template name (subject and body); HEED_ENOTFOUND if the plugin has none of that name. */
	int (*render)(void *state, const char *name, const heed_contact *c, const char *payload,
	              heed_rendered *out, char **err);
	/* Run the plugin's selftest; HEED_OK or HEED_EPLUGIN with *err. */
	int (*selftest)(void *state, char **err);
	/* Why the plugin is suspended (its calls fail at once after repeated limit errors; owned by
	 * the state, valid until its next call), or NULL when it runs normally. */
	const char *(*suspended)(void *state);
	/* Give the plugin the host's key-value store (NULL = none); kv outlives the state. */
	void (*set_kv)(void *state, const heed_kv *kv);
	void (*unload)(void *state);
} heed_engine;

extern const heed_engine heed_lua_engine;

/* Append a part for an engine; name and reason (NULL = "") are copied. The
 * plugin's name must outlive the parts (it is not copied). */
void heed_parts_add(heed_parts *p, const char *plugin, const char *name, size_t nlen,
                    const char *reason, size_t rlen, double points);
/* Drop the parts from n on (their text stays until the next reset). */
void heed_parts_cut(heed_parts *p, size_t n);

void heed_plugin_info_clear(heed_plugin_info *info);
void heed_policies_free(heed_policy *v, size_t n);
void heed_mapspec_clear(heed_mapspec *m);
/* 1 if name is a field a map may fill (see heed_field in plugin.h), else 0. */
int heed_field_known(const char *name);

#endif
