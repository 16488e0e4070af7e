/* import_values: cell text → contact fields for the import (see import_int.h):
 * times, numbers, booleans, attributes, and the rules of each field. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "stage.h"
#include "util.h"

#include "import_int.h"

int import_parse_time(struct importer *im, const char *field, const char *v, heed_time *out)
{
	const char *layout = im->spec->time_layout;
	if (heed_time_parse(v, out) == HEED_OK)
		return 1;
	if (layout && heed_time_parse_layout(v, layout, out) == HEED_OK)
		return 1;
	import_report(im, 1, "field %s: '%s' is not a date or time (expected %s)", field, v,
	       layout ? layout : "ISO 8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z");
	return 0;
}

static int parse_number(const char *v, double *out)
{
	char buf[64];
	size_t n = 0;
	for (const char *p = v; *p && n + 1 < sizeof buf; p++)
		if (*p != ',' && *p != '_' && *p != ' ')
			buf[n++] = *p; /* thousands separators */
	buf[n] = '\0';
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (n == 0 || errno || !isfinite(d))
		return 0;
	if (*end == '%' && end[1] == '\0')
		d /= 100;
	else if (*end)
		return 0;
	*out = d;
	return 1;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", NULL };
	static const char *const no[] = { "0", "no", "n", "false", "f", NULL };
	for (int i = 0; yes[i]; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 1;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 1;
	return 0;
}

void import_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* Set attribute key to v. A key set twice (a kept column, then an explicit
 * field or the row function's repaired value) keeps one entry, the last value,
 * so the store never sees the same key twice. */
static void add_attr(struct record *r, const char *key, const char *v)
{
	for (size_t i = 0; i < r->na; i++)
		if (strcmp(r->akey[i], key) == 0) {
			import_set_str(&r->aval[i], v);
			return;
		}
	if (r->na == r->acap) {
		r->acap = r->acap ? r->acap * 2 : 8;
		r->akey = xrealloc(r->akey, r->acap * sizeof *r->akey);
		r->aval = xrealloc(r->aval, r->acap * sizeof *r->aval);
	}
	r->akey[r->na] = xstrdup(key);
	r->aval[r->na++] = xstrdup(v);
}

void import_attrs_clear(struct record *r)
{
	for (size_t i = 0; i < r->na; i++) {
		free(r->akey[i]);
		free(r->aval[i]);
	}
	r->na = 0;
}

/* Web exports often HTML-escape text (M&uuml;ller, O&#39;Brien, A &amp; B): every
 * field is stored decoded except the keys, which are matched as they are. */
static int decodes_entities(enum field_id id)
{
	return id != F_EMAIL && id != F_EXTERNAL_ID;
}

/* Apply one field to the record. v is non-empty. */
void import_apply(struct importer *im, struct record *r, enum field_id id, const char *name,
                  const char *attr, const char *v)
{
	heed_contact *c = &r->c;
	char *decoded = NULL;
	double d;
	int flag;
	if (decodes_entities(id) && strchr(v, '&'))
		v = decoded = heed_html_decode(v);
	switch (id) {
	case F_EMAIL: {
		char *e = heed_email_norm(v);
		if (!e)
			import_report(im, 0, "email '%s' is not an address; the contact is stored without email", v);
		free(c->email);
		c->email = e;
		break;
	}
	case F_EXTERNAL_ID: import_set_str(&c->external_id, v); break;
	case F_FIRST_NAME: import_set_str(&c->first_name, v); break;
	case F_LAST_NAME: import_set_str(&c->last_name, v); break;
	case F_TITLE: import_set_str(&c->title, v); break;
	case F_PHONE: import_set_str(&c->phone, v); break;
	case F_OWNER: import_set_str(&c->owner, v); break;
	case F_DO_NOT_CONTACT:
		if (parse_bool(v, &flag))
			c->do_not_contact = flag;
		else
			import_report(im, 1, "field do_not_contact: '%s' is not yes/no", v);
		break;
	case F_CREATED_AT:
		if (import_parse_time(im, name, v, &c->created_at))
			r->has_created = 1;
		break;
	case F_STAGE:
		if (heed_stage_parse(v) < 0)
			import_report(im, 1, "field stage: '%s' is not a stage (lead, prospect, opportunity, won,"
			              " lost, disqualified)", v);
		else
			import_set_str(&r->stage, v);
		break;
	case F_STAGE_AT: import_parse_time(im, name, v, &r->stage_at); break;
	case F_ORG_NAME: import_set_str(&c->org.name, v); break;
	case F_ORG_DOMAIN: import_set_str(&c->org.domain, v); break;
	case F_ORG_INDUSTRY: import_set_str(&c->org.industry, v); break;
	case F_ORG_COUNTRY: import_set_str(&c->org.country, v); break;
	case F_ORG_EMPLOYEES:
		if (parse_number(v, &d) && d >= 0 && d < 1e12 && !strchr(v, '%'))
			c->org.employees = (int64_t)d;
		else
			import_report(im, 0, "field org.employees: '%s' is not a head count; left unknown", v);
		break;
	case F_DEAL_VALUE:
		if (parse_number(v, &d))
			c->deal.value = d, c->deal.present = 1;
		else
			import_report(im, 1, "field deal.value: '%s' is not a number", v);
		break;
	case F_DEAL_CURRENCY: import_set_str(&c->deal.currency, v), c->deal.present = 1; break;
	case F_DEAL_CLOSE_DATE:
		if (import_parse_time(im, name, v, &c->deal.close_date))
			c->deal.present = 1;
		break;
	case F_DEAL_DECISION_MAKERS: import_set_str(&c->deal.decision_makers, v), c->deal.present = 1; break;
	case F_DEAL_PROBABILITY:
		if (parse_number(v, &d) && d > 1 && d <= 100 && !strchr(v, '%'))
			d /= 100; /* "40" means 40 % */
		if (parse_number(v, &d) && (d > 1 && !strchr(v, '%') ? (d /= 100, 1) : 1) && d >= 0 && d <= 1)
			c->deal.probability = d, c->deal.probability_user = 1, c->deal.present = 1;
		else
			import_report(im, 1, "field deal.probability: '%s' is not a probability (0..1 or 0%%..100%%)", v);
		break;
	case F_SOURCE: import_set_str(&c->source, v); break;
	case F_ATTR: add_attr(r, attr, v); break;
	case F_UNKNOWN: import_report(im, 1, "unknown field '%s'", name); break;
	}
	free(decoded);
}
