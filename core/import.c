/* import: CSV → map → store (see import.h). A row becomes a record in four
 * steps: declarative fields (C), the map's row function (plugin), normalising,
 * then create-or-merge in the store. */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colmap.h"
#include "csv.h"
#include "domain.h"
#include "export.h"
#include "json.h"
#include "stage.h"
#include "util.h"

#include "import_int.h"

static const char *const field_names[] = {
	"email", "external_id", "first_name", "last_name", "title", "phone", "owner",
	"do_not_contact", "created_at", "stage", "stage_at", "org.name", "org.domain",
	"org.industry", "org.employees", "org.country", "deal.value", "deal.currency",
	"deal.close_date", "deal.decision_makers", "deal.probability", "source",
};

static enum field_id field_id(const char *name)
{
	for (int i = 0; i < F_ATTR; i++)
		if (strcmp(name, field_names[i]) == 0)
			return (enum field_id)i;
	if (strncmp(name, "attrs.", 6) == 0 && name[6])
		return F_ATTR;
	return F_UNKNOWN;
}

int heed_import_field(const char *name)
{
	return field_id(name) != F_UNKNOWN;
}

/* Keep one message (taking msg) for the report; counts warnings. */
static void add_message(struct importer *im, char *msg, int bad)
{
	heed_import_report *rep = im->rep;
	pthread_mutex_lock(&im->sh->mu);
	if (!bad)
		rep->warnings++;
	if (rep->nmsgs < HEED_IMPORT_MAXMSG) {
		rep->msgs = xrealloc(rep->msgs, (rep->nmsgs + 1) * sizeof *rep->msgs);
		im->sh->lines = xrealloc(im->sh->lines, (rep->nmsgs + 1) * sizeof *im->sh->lines);
		im->sh->lines[rep->nmsgs] = im->line;
		rep->msgs[rep->nmsgs++] = msg;
		msg = NULL;
	}
	pthread_mutex_unlock(&im->sh->mu);
	free(msg);
}

void import_report(struct importer *im, int bad, const char *fmt, ...)
{
	if (bad)
		im->row_bad = 1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("%s:%ld: %s%s", im->file, im->line, bad ? "" : "warning: ", msg);
	if (bad && im->cur && !im->cur->why)
		im->cur->why = msg;
	else
		free(msg);
	add_message(im, line, bad);
}

/* Tell the plan callback what became of the row in hand (when one listens). */
static void plan(struct importer *im, const char *action, int64_t id, const char *fmt, ...)
	HEED_PRINTF(4, 5);
static void plan(struct importer *im, const char *action, int64_t id, const char *fmt, ...)
{
	if (!im->o->on_row)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *why = xvasprintf(fmt, ap);
	va_end(ap);
	im->o->on_row(im->o->on_row_ud, im->line, action, id, why);
	free(why);
}

/* List the messages in file order (threads may have added them out of order). */
static void sort_messages(struct importer *im)
{
	heed_import_report *rep = im->rep;
	for (size_t i = 1; i < rep->nmsgs; i++) { /* insertion sort: at most 50, stable */
		char *m = rep->msgs[i];
		long l = im->sh->lines[i];
		size_t j = i;
		for (; j > 0 && im->sh->lines[j - 1] > l; j--) {
			rep->msgs[j] = rep->msgs[j - 1];
			im->sh->lines[j] = im->sh->lines[j - 1];
		}
		rep->msgs[j] = m;
		im->sh->lines[j] = l;
	}
}

void heed_import_report_clear(heed_import_report *rep)
{
	for (size_t i = 0; i < rep->nmsgs; i++)
		free(rep->msgs[i]);
	free(rep->msgs);
	memset(rep, 0, sizeof *rep);
}

/* ---- set-up ---- */

static long find_col(struct importer *im, const char *name)
{
	for (size_t i = 0; i < im->ncols; i++)
		if (strcmp(im->header[i], name) == 0)
			return (long)i;
	return -1;
}

static int missing_column(struct importer *im, const char *what, const char *col, char **err)
{
	heed_buf cols = { 0 };
	for (size_t i = 0; i < im->ncols; i++) {
		if (i)
			heed_buf_adds(&cols, ", ");
		heed_buf_adds(&cols, im->header[i]);
	}
	heed_seterr(err, "map '%s' %s: column '%s' is not in the header of %s (its columns: %s)",
	            im->spec->plugin, what, col, im->file, heed_buf_str(&cols));
	heed_buf_free(&cols);
	return HEED_EINPUT;
}

static int read_header(struct importer *im, char **err)
{
	char **f;
	size_t n;
	int r = heed_csv_next(im->csv, &f, &n, err);
	if (r == 0) {
		heed_seterr(err, "%s is empty: no header line", im->file);
		return HEED_EINPUT;
	}
	if (r < 0)
		return r;
	im->ncols = n;
	im->header = xcalloc(n, sizeof *im->header);
	im->mapped = xcalloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		im->header[i] = xstrdup(heed_trim(f[i]));
		if (im->header[i][0])
			im->named = i + 1;
	}
	im->line = heed_csv_line(im->csv);
	/* an unnamed column's values would be lost; only trailing ones (a header
	 * ending in a separator, as many exports write) are let through */
	for (size_t i = 0; i < n; i++)
		if (!im->header[i][0] && (i < im->named || im->named == 0)) {
			heed_seterr(err, "%s: line %ld: column %zu of the header has no name; name it"
			                 " or remove the column", im->file, im->line, i + 1);
			return HEED_EINPUT;
		}
	for (size_t i = 0; i < n && n <= 4096; i++) /* a map names columns by header: a repeat is unreachable */
		for (size_t k = 0; k < i && im->header[i][0]; k++)
			if (strcmp(im->header[i], im->header[k]) == 0) {
				import_report(im, 0, "column %zu repeats the header '%s' of column %zu; maps read"
				              " column %zu only", i + 1, im->header[i], k + 1, k + 1);
				break;
			}
	return HEED_OK;
}

/* Bind the map's fields to the columns of the header. */
static int bind_fields(struct importer *im, char **err)
{
	const heed_mapspec *m = im->spec;
	im->b = xcalloc(m->nfields ? m->nfields : 1, sizeof *im->b);
	for (size_t i = 0; i < m->nfields; i++) {
		enum field_id id = field_id(m->fields[i].name);
		if (id == F_UNKNOWN) {
			heed_seterr(err, "map '%s': unknown field '%s'", m->plugin, m->fields[i].name);
			return HEED_EINPUT;
		}
		long col = find_col(im, m->fields[i].value);
		if (col < 0) {
			char *what = xasprintf("field %s", m->fields[i].name);
			int rc = missing_column(im, what, m->fields[i].value, err);
			free(what);
			return rc;
		}
		im->mapped[col] = 1;
		im->domain_col |= id == F_ORG_DOMAIN;
		im->b[im->nb++] = (struct binding){ id, id == F_ATTR ? m->fields[i].name + 6 : NULL,
			                                (size_t)col };
	}
	im->stage_col = -1;
	if (m->stage_column) {
		im->stage_col = find_col(im, m->stage_column);
		if (im->stage_col < 0)
			return missing_column(im, "stage", m->stage_column, err);
		im->mapped[im->stage_col] = 1;
	}
	return HEED_OK;
}

/* ---- per row ---- */

/* A placeholder matches a trimmed cell ignoring ASCII case: "Select" = "SELECT". */
static int is_placeholder(const heed_mapspec *m, const char *v)
{
	for (size_t i = 0; i < m->nplaceholders; i++)
		if (strcasecmp(v, m->placeholders[i]) == 0)
			return 1;
	return 0;
}

static void record_clear(struct record *r)
{
	heed_contact_clear(&r->c);
	free(r->stage);
	r->stage = NULL;
	r->stage_at = 0;
	r->has_created = 0;
	import_attrs_clear(r);
	heed_fieldset_clear(&r->extra);
	memset(&r->extra, 0, sizeof r->extra);
	free(r->act_at);
	r->act_at = NULL;
	r->line = 0;
	r->bad = r->skip = 0;
	free(r->why);
	r->why = NULL;
}

/* Trim the cells of a row and replace empty ones and placeholders by NULL.
 * Returns the number of cells left. */
static size_t blank_cells(struct importer *im, char **f)
{
	size_t left = 0;
	for (size_t i = 0; i < im->ncols; i++) {
		/* heed's export keeps attribute values exactly (spaces, a lone tab) */
		int exact = im->unguard && strncmp(im->header[i], "attrs.", 6) == 0;
		char *v = exact ? f[i] : heed_trim(f[i]);
		if (im->unguard && v[0] == '\'' && v[1] && strchr(HEED_EXPORT_GUARDED "'", v[1]))
			v++; /* a cell heed's export neutralised against spreadsheet formulas */
		f[i] = (*v == '\0' || is_placeholder(im->spec, v)) ? NULL : v;
		if (f[i] && i >= im->named) {
			import_report(im, 0, "column %zu has no header name; its value is ignored", i + 1);
			f[i] = NULL;
		}
		left += f[i] != NULL;
	}
	return left;
}

/* Report text the row function returned that is not UTF-8; the reader
 * guarantees it for the file, so only plugin output needs the check. */
static int plugin_text_ok(struct importer *im, const char *what, const char *v)
{
	size_t bad;
	if (!v || heed_utf8_valid(v, strlen(v), &bad))
		return 1;
	import_report(im, 1, "map %s: row function returned invalid UTF-8 in %s at byte %zu",
	       im->spec->plugin, what, bad);
	return 0;
}

/* Build the record of one CSV row (cells already blanked): declarative part,
 * then the row function. */
static void build(struct importer *im, struct record *r, char **f)
{
	const heed_mapspec *m = im->spec;
	if (m->keep_rest)
		for (size_t i = 0; i < im->ncols; i++)
			if (!im->mapped[i] && f[i] && im->header[i][0])
				import_apply(im, r, F_ATTR, "attrs", im->header[i], f[i]);
	for (size_t i = 0; i < im->nb; i++) {
		const struct binding *b = &im->b[i];
		if (f[b->col])
			import_apply(im, r, b->id, field_names[b->id < F_ATTR ? b->id : 0], b->attr, f[b->col]);
	}
	if (m->stage_column || m->stage_default) {
		const char *st = m->stage_default ? m->stage_default : "lead";
		const char *v = im->stage_col >= 0 ? f[im->stage_col] : NULL;
		for (size_t i = 0; v && i < m->nstage_values; i++)
			if (strcmp(v, m->stage_values[i].name) == 0)
				st = m->stage_values[i].value;
		import_apply(im, r, F_STAGE, "stage", NULL, st);
	}
	if (!m->has_row_fn)
		return;
	heed_row row = { (const char *const *)im->header, (const char *const *)f, im->ncols, im->file,
		             im->line };
	char *err = NULL;
	if (heed_plugins_map_row(im->p, m->plugin, &row, &r->extra, &err) != HEED_OK) {
		import_report(im, 1, "%s", err ? err : "map row function failed");
		free(err);
		return;
	}
	for (size_t i = 0; i < r->extra.n; i++) {
		const heed_field *x = &r->extra.f[i];
		if (heed_empty(x->value) || !plugin_text_ok(im, "a field name", x->name) ||
		    !plugin_text_ok(im, x->name, x->value))
			continue;
		enum field_id id = field_id(x->name);
		import_apply(im, r, id, x->name, id == F_ATTR ? x->name + 6 : NULL, x->value);
	}
	for (size_t i = 0; i < r->extra.nacts; i++) {
		const heed_newact *a = &r->extra.acts[i];
		plugin_text_ok(im, "an activity kind", a->kind);
		plugin_text_ok(im, "activity data", a->data);
	}
	for (size_t i = 0; i < r->extra.nwarnings; i++)
		import_report(im, 0, "%s", r->extra.warnings[i]);
}

/* Attributes as one JSON object text (later keys win when merged by the store). */
static void finish_attrs(struct record *r)
{
	if (!r->na)
		return;
	heed_buf b = { 0 };
	heed_buf_addc(&b, '{');
	for (size_t i = 0; i < r->na; i++) {
		if (i)
			heed_buf_addc(&b, ',');
		heed_json_str(&b, r->akey[i]);
		heed_buf_addc(&b, ':');
		heed_json_str(&b, r->aval[i]);
	}
	heed_buf_addc(&b, '}');
	free(r->c.attrs);
	r->c.attrs = heed_buf_detach(&b);
	import_attrs_clear(r); /* done: a second call changes nothing */
}

static int add_activities(struct importer *im, struct record *r, int64_t id, char **err)
{
	int rc = HEED_OK;
	for (size_t i = 0; i < r->extra.nacts && rc == HEED_OK; i++) {
		heed_newact *a = &r->extra.acts[i];
		rc = heed_store_add_activity(im->s, id, a->kind, r->act_at[i], a->data, err);
	}
	return rc;
}

/* Move an existing contact forward to the mapped stage, as a forced, audited import move. */
static int import_move(struct importer *im, struct record *r, int64_t id, const char *cur,
                       heed_time since, char **err)
{
	int from = heed_stage_parse(cur), to = heed_stage_parse(r->stage);
	if (from == to)
		return HEED_OK;
	int forward = heed_stage_rank(to) > heed_stage_rank(from) ||
	              (heed_stage_open(from) && !heed_stage_open(to));
	if (!forward)
		return HEED_OK; /* imports never move a contact backwards */
	heed_time at = r->stage_at ? r->stage_at : im->now;
	if (at < since) {
		char a[24], b[24];
		heed_time_format(at, a);
		heed_time_format(since, b);
		import_report(im, 0, "contact %lld enters %s at %s, before it entered %s at %s; kept as given",
		       (long long)id, r->stage, a, cur, b);
	}
	char *reason = xasprintf("imported from %s line %ld by map %s", im->file, im->line,
	                         im->spec->plugin);
	char *actor = xasprintf("import:%s", im->spec->plugin);
	heed_stage_req req = { id, from, to, at, actor, reason, heed_plugins_versions(im->p), 1 };
	char *e = NULL;
	int rc = heed_stage_move(im->s, &req, 1, &e);
	if (rc == HEED_OK) {
		im->rep->moved++;
	} else if (rc == HEED_EREFUSED) {
		import_report(im, 0, "stage of contact %lld left at %s: %s", (long long)id, cur, e);
		rc = HEED_OK;
	} else {
		heed_seterr(err, "%s", e ? e : "stage move failed");
	}
	free(e);
	free(reason);
	free(actor);
	return rc;
}

/* A detection candidate's name for messages. */
static const char *delim_name(char d)
{
	return d == ',' ? "comma" : d == ';' ? "semicolon" : d == '\t' ? "tab" : "pipe";
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The key a row matches on, for the plan: "email 'x'" or "external id 'y'". */
static const char *key_kind(const heed_contact *c)
{
	return c->external_id ? "external id" : "email";
}

static const char *key_value(const heed_contact *c)
{
	return c->external_id ? c->external_id : c->email;
}

/* Insert the record as a new contact. Returns HEED_ECONFLICT (without a
 * message) when its key belongs to a contact already. */
static int create(struct importer *im, struct record *r, char **err)
{
	heed_contact *c = &r->c;
	int st = heed_stage_parse(r->stage ? r->stage : "lead");
	strcpy(c->stage, heed_stage_names[st]); /* "disqualified" fits in 16; snprintf cost 0.5k a row */
	c->peak = heed_stage_rank(st) > 0 ? heed_stage_rank(st) : 0;
	if (!r->has_created)
		c->created_at = im->now;
	c->updated_at = im->now;
	c->stage_changed_at = r->stage_at ? r->stage_at : c->created_at;
	int keyed = c->email || c->external_id, rc;
	if (im->keys) { /* bulk mode: the id now, the row with the next HEED_STORE_ROWS */
		c->id = im->next_id++;
		im->pend[im->npend++] = c;
		rc = im->npend == HEED_STORE_ROWS ? import_flush(im, err) : HEED_OK;
		if (rc != HEED_OK)
			return rc;
		goto created;
	}
	rc = heed_store_insert(im->s, c, keyed ? NULL : err);
	if (rc == HEED_ECONFLICT && keyed)
		return rc;
	if (rc != HEED_OK)
		return keyed ? heed_store_insert(im->s, c, err) : rc; /* reproduce the message */
created:
	im->rep->created++;
	if (c->deal.present && isnan(c->deal.probability))
		c->deal.probability = heed_stage_prob(st);
	if (keyed)
		plan(im, "create", c->id, "new contact: no contact has %s '%s'", key_kind(c), key_value(c));
	else
		plan(im, "create", c->id, "new contact: the row has neither email nor external id to match on");
	return HEED_OK;
}

/* Merge the record into contact id, which it matched. OUT: *applied = 0 when
 * the row was left out (--on-match skip, a clash). */
static int update(struct importer *im, struct record *r, int64_t id, int *applied, char **err)
{
	heed_contact *c = &r->c;
	heed_import_report *rep = im->rep;
	int own = id > im->max_before; /* made by an earlier row of this file */
	*applied = 0;
	if (!own && im->o->on_match == HEED_MATCH_SKIP) {
		rep->skipped++;
		rep->matched_skipped++; /* it did match: the summary counts it as matched, skipped */
		plan(im, "skip", id, "matches contact %lld by %s '%s'; --on-match skip", (long long)id,
		     key_kind(c), key_value(c));
		return HEED_OK;
	}
	if (!own && im->o->on_match == HEED_MATCH_FAIL) {
		import_report(im, 1, "matches existing contact %lld by %s '%s' (--on-match fail)", (long long)id,
		       key_kind(c), key_value(c));
		return HEED_OK;
	}
	int changed = 0, rc;
	/* a merge can clash (its new email belongs to another contact): then this
	 * row alone is bad and whatever it wrote is undone */
	char *clash = NULL;
	heed_merge_rules rules = { im->source, im->line, im->o->keep, im->o->nkeep };
	if ((rc = heed_store_savepoint(im->s, err)) == HEED_OK)
		rc = heed_store_merge_with(im->s, id, c, im->now, &rules, &changed, &clash);
	if (rc == HEED_ECONFLICT) {
		import_report(im, 1, "%s", clash);
		free(clash);
		return heed_store_release(im->s, 1, err);
	}
	if (clash)
		heed_seterr(err, "%s", clash);
	free(clash);
	if (rc == HEED_OK)
		rc = heed_store_release(im->s, 0, err);
	heed_contact cur;
	heed_contact_init(&cur);
	if (rc == HEED_OK && r->stage)
		rc = heed_store_load(im->s, id, HEED_LOAD_BARE, &cur, err);
	if (rc == HEED_OK && r->stage) {
		long before = rep->moved;
		rc = import_move(im, r, id, cur.stage, cur.stage_changed_at, err);
		changed += rep->moved > before;
	}
	heed_contact_clear(&cur);
	if (rc != HEED_OK)
		return rc;
	*applied = 1;
	if (own)
		rep->merged++; /* not an existing contact: counted apart from updated/unchanged */
	else if (changed)
		rep->updated++;
	else
		rep->unchanged++;
	if (own)
		plan(im, "merge", id, "same %s '%s' as an earlier row (contact %lld); %d change%s",
		     key_kind(c), key_value(c), (long long)id, changed, changed == 1 ? "" : "s");
	else if (changed)
		plan(im, "update", id, "matches contact %lld by %s '%s'; %d change%s", (long long)id,
		     key_kind(c), key_value(c), changed, changed == 1 ? "" : "s");
	else
		plan(im, "skip", id, "matches contact %lld by %s '%s'; nothing to change", (long long)id,
		     key_kind(c), key_value(c));
	return HEED_OK;
}

/* Store the record: create, or merge into the contact it matches. */
static int store_record(struct importer *im, struct record *r, char **err)
{
	heed_contact *c = &r->c;
	heed_import_report *rep = im->rep;
	int rc = HEED_OK;
	if (heed_empty(c->external_id)) {
		free(c->source);
		c->source = NULL; /* the namespace only qualifies an external id */
	} else if (heed_empty(c->source)) {
		import_set_str(&c->source, im->spec->source ? im->spec->source : im->spec->plugin);
	}
	if (!c->email && !c->external_id) {
		if (im->spec->update_only) {
			import_report(im, 0, "row has neither email nor external id to match; skipped");
			plan(im, "skip", 0, "neither email nor external id, and map %s only updates",
			     im->spec->plugin);
			rep->skipped++;
			return HEED_OK;
		}
		if (rep->no_key < 8)
			rep->no_key_lines[rep->no_key] = im->line;
		rep->no_key++;
	}
	finish_attrs(r);
	/* an org.domain column wins over the email, empty included */
	const char *dom = im->domain_col && heed_empty(c->org.domain) ? NULL : heed_domain_of_email(c->email);
	if (dom && !heed_empty(c->org.name) && heed_empty(c->org.domain))
		import_set_str(&c->org.domain, dom); /* a work address tells the organisation's domain */
	if ((rc = heed_store_org_match(im->s, &c->org, dom, err)) != HEED_OK)
		return rc;
	int64_t id = 0;
	int applied = 1, keyed = c->email || c->external_id;
	/* while rows keep matching (a re-import), look before inserting: a failed
	 * insert costs more than a lookup; a fresh import only inserts */
	int indexed_now = 0; /* bulk mode ended at this row: from here the store's indexes match */
	if (keyed && im->keys && (rc = import_bulk_find(im, c, &id, err)) == IMPORT_INDEXED)
		rc = import_bulk_end(im, err), indexed_now = 1;
	if (rc == HEED_OK && keyed && !im->keys && (im->spec->update_only || im->find_first || indexed_now))
		rc = heed_store_find(im->s, c->source, c->external_id, c->email, &id, err);
	if (rc != HEED_OK)
		return rc;
	if (!id && !im->spec->update_only) {
		rc = create(im, r, err);
		if (rc == HEED_ECONFLICT) {
			rc = heed_store_find(im->s, c->source, c->external_id, c->email, &id, err);
		} else {
			id = c->id, keyed = 0, im->find_first = 0;
			if (rc == HEED_OK && im->keys && import_bulk_remember(im, c) == IMPORT_INDEXED)
				rc = import_bulk_end(im, err);
		}
		if (rc != HEED_OK)
			return rc;
	}
	/* what follows reads or writes stored contacts: the ones in hand go first */
	if (im->npend && (keyed || c->deal.present || r->extra.nacts) && (rc = import_flush(im, err)) != HEED_OK)
		return rc;
	if (keyed) {
		im->find_first = id != 0;
		if (!id) {
			import_report(im, 0, "no contact with %s '%s'%s; row skipped", key_kind(c), key_value(c),
			       im->spec->update_only ? " (this map only updates existing contacts)" : "");
			plan(im, "skip", 0, "no contact with %s '%s' to update", key_kind(c), key_value(c));
			rep->skipped++;
			return HEED_OK;
		}
		rc = update(im, r, id, &applied, err);
	}
	if (rc == HEED_OK && applied && c->deal.present)
		rc = heed_store_set_deal(im->s, id, &c->deal, err);
	if (rc == HEED_OK && applied)
		rc = add_activities(im, r, id, err);
	return rc;
}

/* ---- the row pipeline ----
 * A producer thread reads and maps rows (CSV, map, row function, normalising)
 * while the calling thread stores them, so parsing overlaps SQLite's work.
 * Each thread has its own copy of the importer for its row in hand. */

enum { BATCH = 256, NBATCH = 4 };

struct batch {
	struct record r[BATCH];
	size_t n;
	int last; /* the file ends in this batch */
};

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *b;          /* NBATCH batches used as a ring */
	size_t head, tail, full;  /* producer fills b[head]; consumer takes b[tail] */
	int stop;                 /* the consumer gave up: the producer ends */
	struct importer im;       /* the producer's copy */
};

/* Organisation keys the producer made, by name: a file names each
 * organisation on many rows, and folding a name costs more than a lookup.
 * Direct-mapped; a clash only replaces the older entry. */
enum { MEMO_SLOTS = 1 << 16 };
struct org_memo {
	char *name[MEMO_SLOTS], *key[MEMO_SLOTS];
};

/* The key of name (caller frees). */
static char *org_key_of(struct importer *im, const char *name)
{
	struct org_memo *m = im->memo;
	int drop = !im->o->keep_suffixes;
	if (!m)
		return heed_org_key_ex(name, drop);
	size_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h &= MEMO_SLOTS - 1;
	if (!m->name[h] || strcmp(m->name[h], name) != 0) {
		free(m->name[h]);
		free(m->key[h]);
		m->name[h] = xstrdup(name);
		m->key[h] = heed_org_key_ex(name, drop);
	}
	return m->key[h] ? xstrdup(m->key[h]) : NULL;
}

static void org_memo_free(struct org_memo *m)
{
	for (size_t i = 0; m && i < MEMO_SLOTS; i++) {
		free(m->name[i]);
		free(m->key[i]);
	}
	free(m);
}

/* Work done off the store's thread: activity times, organisation key, attrs. */
static void prepare(struct importer *im, struct record *r)
{
	heed_contact *c = &r->c;
	if (r->extra.nacts) {
		r->act_at = xcalloc(r->extra.nacts, sizeof *r->act_at);
		for (size_t i = 0; i < r->extra.nacts; i++) {
			heed_newact *a = &r->extra.acts[i];
			r->act_at[i] = im->now;
			if (heed_empty(a->kind))
				import_report(im, 1, "an activity without a kind");
			else if (!heed_empty(a->at))
				import_parse_time(im, "activities.at", a->at, &r->act_at[i]);
		}
	}
	if (!heed_empty(c->org.name) && !c->org.key)
		c->org.key = org_key_of(im, c->org.name);
	finish_attrs(r);
}

/* Read and map up to BATCH rows into b. */
static void fill(struct importer *im, struct batch *b)
{
	b->n = 0;
	b->last = 0;
	while (b->n < BATCH) {
		struct record *r = &b->r[b->n];
		record_clear(r); /* last round's row: freed here, off the store's thread */
		char **f;
		size_t n;
		char *cerr = NULL;
		int got = heed_csv_next(im->csv, &f, &n, &cerr);
		if (got == 0) {
			b->last = 1;
			return;
		}
		im->line = r->line = heed_csv_line(im->csv);
		im->row_bad = 0;
		im->cur = r;
		if (got < 0) {
			im->row_bad = 1; /* the reader's message already names file and line */
			r->why = xstrdup(cerr);
			add_message(im, cerr, 1);
		} else if (n != im->ncols) {
			import_report(im, 1, "%zu fields, but the header has %zu (too %s)", n, im->ncols,
			       n > im->ncols ? "many" : "few");
		} else if (blank_cells(im, f) == 0) {
			r->skip = 1; /* every cell empty or a placeholder: nothing to import */
		} else {
			build(im, r, f);
			if (r->extra.skip)
				r->skip = 1;
			else if (!im->row_bad)
				prepare(im, r);
		}
		r->bad = im->row_bad;
		b->n++;
	}
}

static void *produce(void *arg)
{
	struct pipeline *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->full == NBATCH && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		int stop = q->stop;
		struct batch *b = &q->b[q->head];
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		fill(&q->im, b);
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % NBATCH;
		q->full++;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (b->last)
			break;
	}
	return NULL;
}

/* Store the records of one batch, in file order. */
static int consume(struct importer *im, struct batch *b, char **err)
{
	int rc = HEED_OK;
	if (heed_store_interrupted(im->s)) { /* Ctrl-C in the REPL: stop here; it all rolls back */
		heed_seterr(err, "interrupted");
		return HEED_ERR;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct record *r = &b->r[i];
		im->line = r->line;
		im->row_bad = r->bad;
		im->cur = r;
		im->rep->rows++;
		if (rc == HEED_OK && !r->bad && !r->skip)
			rc = store_record(im, r, err);
		else if (r->skip)
			im->rep->skipped++;
		if (r->skip && !r->bad)
			plan(im, "skip", 0, "%s", r->extra.skip ? "the map's row function skipped it"
			                                        : "every cell is empty or a placeholder");
		if (im->row_bad) {
			im->rep->bad++;
			plan(im, "error", 0, "%s", r->why ? r->why : "bad row");
		}
	}
	if (rc == HEED_OK)
		rc = import_flush(im, err); /* the rows go back to the reader thread */
	return rc; /* the producer clears the records when it refills the batch */
}

int import_flush(struct importer *im, char **err)
{
	size_t n = im->npend;
	im->npend = 0;
	return n ? heed_store_insert_rows(im->s, im->pend, n, err) : HEED_OK;
}

static int run_rows(struct importer *im, char **err)
{
	struct pipeline q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	q.b = xcalloc(NBATCH, sizeof *q.b);
	for (size_t i = 0; i < NBATCH; i++)
		for (size_t k = 0; k < BATCH; k++)
			heed_contact_init(&q.b[i].r[k].c);
	q.im = *im;
	q.im.memo = xcalloc(1, sizeof *q.im.memo);
	pthread_t producer;
	int rc = HEED_OK, threaded = pthread_create(&producer, NULL, produce, &q) == 0;
	for (int last = 0; !last && rc == HEED_OK;) {
		struct batch *b;
		if (threaded) {
			pthread_mutex_lock(&q.mu);
			while (q.full == 0)
				pthread_cond_wait(&q.cv, &q.mu);
			b = &q.b[q.tail];
			pthread_mutex_unlock(&q.mu);
		} else {
			b = &q.b[0]; /* no thread to be had: read and store in turn */
			fill(&q.im, b);
		}
		last = b->last;
		rc = consume(im, b, err);
		if (threaded) {
			pthread_mutex_lock(&q.mu);
			q.tail = (q.tail + 1) % NBATCH;
			q.full--;
			q.stop = rc != HEED_OK;
			pthread_cond_broadcast(&q.cv);
			pthread_mutex_unlock(&q.mu);
		}
	}
	if (threaded)
		pthread_join(producer, NULL);
	org_memo_free(q.im.memo);
	for (size_t i = 0; i < NBATCH; i++) {
		for (size_t k = 0; k < BATCH; k++) {
			record_clear(&q.b[i].r[k]);
			free(q.b[i].r[k].akey);
			free(q.b[i].r[k].aval);
		}
	}
	free(q.b);
	pthread_mutex_destroy(&q.mu);
	pthread_cond_destroy(&q.cv);
	return rc;
}

/* Open the CSV, read its header and, without a plugin map, build the column
 * map from it (*own, freed by the caller). */
static int open_input(struct importer *im, heed_mapspec **own, char **err)
{
	const heed_import_opts *o = im->o;
	heed_csv_opts co = { o->delim, o->encoding };
	im->csv = heed_csv_open(o->file, &co, err);
	if (!im->csv)
		return HEED_ENOTFOUND;
	int rc = read_header(im, err);
	if (rc != HEED_OK)
		return rc;
	if (heed_csv_delim_tie(im->csv)) { /* a guess: say which, and how to choose */
		char d = heed_csv_delim(im->csv), t = heed_csv_delim_tie(im->csv);
		im->line = heed_csv_line(im->csv);
		import_report(im, 0, "the header has as many %ss as %ss; read as %s-separated (if it is"
		              " %s-separated, import with --delimiter %s)", delim_name(d), delim_name(t),
		              delim_name(d), delim_name(t), t == '\t' ? "tab" : t == ',' ? "," : t == ';' ? "';'" : "'|'");
	}
	if (!o->map) {
		*own = heed_colmap_build((const char *const *)im->header, im->ncols, o->cols, o->ncols, err);
		if (!*own)
			return HEED_EUSAGE;
		im->spec = *own;
		im->unguard = heed_export_is_header((const char *const *)im->header, im->ncols);
	}
	return HEED_OK;
}

int heed_import_run(heed_store *s, heed_plugins *p, const heed_import_opts *o,
                    heed_import_report *rep, char **err)
{
	struct shared sh = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct importer im = { .s = s, .p = p, .o = o, .rep = rep, .file = o->file, .sh = &sh };
	memset(rep, 0, sizeof *rep);
	im.now = heed_time_now();
	int rc = HEED_OK, began = 0, bulk = 0;
	heed_mapspec *own = NULL; /* the column map, when there is no plugin map */
	if (o->map) {
		im.spec = heed_plugins_mapspec(p, o->map, err);
		if (!im.spec) {
			rc = HEED_ENOTFOUND;
			goto done;
		}
	}
	if ((rc = open_input(&im, &own, err)) != HEED_OK)
		goto done;
	rep->update_only = im.spec->update_only;
	im.source = xasprintf("import:%s %s", im.spec->plugin, base_name(o->file));
	if ((rc = bind_fields(&im, err)) != HEED_OK)
		goto done;
	/* an empty store (looked at again inside the transaction): bulk mode */
	if (!im.spec->update_only && (rc = heed_store_max_id(s, &im.max_before, err)) != HEED_OK)
		goto done;
	bulk = !im.spec->update_only && im.max_before == 0;
	if (bulk && (rc = heed_store_bulk_memory(s, 1, err)) != HEED_OK)
		goto done;
	if ((rc = heed_store_begin(s, err)) != HEED_OK)
		goto done;
	began = 1;
	if ((rc = heed_store_max_id(s, &im.max_before, err)) != HEED_OK)
		goto done;
	if (bulk && im.max_before == 0 && (rc = heed_store_bulk_keys(s, 0, err)) == HEED_OK &&
	    (rc = heed_store_next_id(s, &im.next_id, err)) == HEED_OK)
		im.keys = heed_keyset_new();
	if (rc == HEED_OK)
		rc = run_rows(&im, err);
	if (rc == HEED_OK && rep->bad && !o->skip_bad)
		rc = HEED_EINPUT;
	if (rc == HEED_OK && im.keys)
		rc = import_bulk_end(&im, err);
	heed_keyset_free(im.keys); /* a failed import: the rollback brings the indexes back */
done:
	if (began) {
		if (rc == HEED_OK && !o->dry_run) {
			rc = heed_store_commit(s, err);
			rep->committed = rc == HEED_OK;
		} else {
			heed_store_rollback(s);
		}
	}
	if (bulk)
		heed_store_bulk_memory(s, 0, NULL);
	if (rc == HEED_EINPUT && rep->bad && !o->skip_bad)
		heed_seterr(err, "%ld bad row%s in %s; nothing was imported (fix them, or use --skip-bad"
		                 " to import the good rows)",
		            rep->bad, rep->bad == 1 ? "" : "s", o->file);
	heed_csv_close(im.csv);
	for (size_t i = 0; i < im.ncols; i++)
		free(im.header[i]);
	free(im.header);
	free(im.mapped);
	free(im.b);
	sort_messages(&im);
	free(sh.lines);
	heed_colmap_free(own);
	free(im.source);
	return rc;
}
