/* plugin_values: the values the plugin host hands out and takes back, apart
 * from the host itself: the field names a map may fill, and freeing and
 * reuse of checks, score parts, field sets and map specs (see plugin.h). */
#include "plugin_int.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Fields a map may fill, sorted for bsearch; attrs.<key> is handled apart. */
static const char *const field_names[] = {
	"created_at", "deal.close_date", "deal.currency", "deal.decision_makers", "deal.probability",
	"deal.value", "do_not_contact", "email", "external_id", "first_name", "last_name", "org.country",
	"org.domain", "org.employees", "org.industry", "org.name", "owner", "phone", "stage", "stage_at",
	"title",
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int heed_field_known(const char *name)
{
	if (!name)
		return 0;
	if (strncmp(name, "attrs.", 6) == 0)
		return name[6] != '\0';
	return bsearch(&name, field_names, sizeof field_names / sizeof field_names[0], sizeof field_names[0],
	               name_cmp) != NULL;
}

/* ---- freeing ---- */

static void fields_free(heed_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
	free(f);
}

void heed_mapspec_clear(heed_mapspec *m)
{
	free(m->plugin);
	free(m->source);
	for (size_t i = 0; i < m->nplaceholders; i++)
		free(m->placeholders[i]);
	free(m->placeholders);
	fields_free(m->fields, m->nfields);
	free(m->stage_column);
	fields_free(m->stage_values, m->nstage_values);
	free(m->stage_default);
	free(m->time_layout);
	memset(m, 0, sizeof *m);
}

void heed_plugin_info_clear(heed_plugin_info *info)
{
	free(info->name);
	free(info->version);
	for (size_t i = 0; i < info->ntargets; i++)
		free(info->targets[i]);
	free(info->targets);
	heed_mapspec_clear(&info->map);
	heed_policies_free(info->policies, info->npolicies);
	memset(info, 0, sizeof *info);
}

void heed_checks_clear(heed_checks *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].plugin);
		free(c->v[i].name);
		free(c->v[i].reason);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

void heed_parts_add(heed_parts *p, const char *plugin, const char *name, size_t nlen,
                    const char *reason, size_t rlen, double points)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	heed_part *t = &p->v[p->n++];
	t->plugin = plugin;
	t->name = name ? heed_text_copy(&p->text, name, nlen) : NULL;
	t->reason = heed_text_copy(&p->text, reason ? reason : "", reason ? rlen : 0);
	t->points = points;
}

void heed_parts_cut(heed_parts *p, size_t n)
{
	if (p->n > n)
		p->n = n;
}

void heed_parts_reset(heed_parts *p)
{
	p->n = 0;
	p->total = 0;
	heed_text_rewind(&p->text);
}

void heed_parts_clear(heed_parts *p)
{
	heed_text_free(&p->text);
	free(p->v);
	memset(p, 0, sizeof *p);
}

void heed_fieldset_clear(heed_fieldset *f)
{
	fields_free(f->f, f->n);
	for (size_t i = 0; i < f->nacts; i++) {
		free(f->acts[i].kind);
		free(f->acts[i].at);
		free(f->acts[i].data);
	}
	free(f->acts);
	for (size_t i = 0; i < f->nwarnings; i++)
		free(f->warnings[i]);
	free(f->warnings);
	memset(f, 0, sizeof *f);
}
