/* plugin_int: the interface between the plugin host (plugin.c) and a plugin
 * engine (luahost.c). An engine loads one plugin file into an isolated state
 * and runs its functions; the host composes plugins and validates results. */
#ifndef HEED_PLUGIN_INT_H
#define HEED_PLUGIN_INT_H

#include <stdio.h>

#include "plugin.h"

typedef struct heed_plugin_info {
	char *name, *version;
	int api;
	char **targets;        /* stages that have criteria */
	size_t ntargets;
	int has_score;
	int has_map;
	heed_mapspec map;      /* valid when has_map */
	int line;              /* line where the plugin's table is returned, for host errors */
	int score_line;        /* line where score is defined, for host errors */
	heed_policy *policies; /* strings owned here (plugin points at name) */
	size_t npolicies;
} heed_plugin_info;

typedef struct heed_engine {
	const char *name;
	/* Load and run the file; OUT: *state and *info. Errors name file and line. */
	int (*load)(const char *path, void **state, heed_plugin_info *info, char **err);
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
