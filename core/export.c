/* export: contacts to CSV or JSON Lines (see export.h). Reads the store a
 * chunk at a time; a CSV export reads it twice, first to learn the attribute
 * keys that become columns. */
#include "export.h"
#include "stage.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* The fixed columns, in output order; attrs.KEY columns follow, keys sorted. */
enum col {
	C_EMAIL, C_SOURCE, C_EXTERNAL_ID, C_FIRST_NAME, C_LAST_NAME, C_TITLE, C_PHONE, C_OWNER,
	C_DNC, C_STAGE, C_STAGE_AT, C_CREATED_AT, C_ORG_NAME, C_ORG_DOMAIN, C_ORG_INDUSTRY,
	C_ORG_EMPLOYEES, C_ORG_COUNTRY, C_DEAL_VALUE, C_DEAL_CURRENCY, C_DEAL_CLOSE,
	C_DEAL_DM, C_DEAL_PROB, C_FIXED
};

static const char *const col_names[C_FIXED] = {
	"email", "source", "external_id", "first_name", "last_name", "title", "phone", "owner",
	"do_not_contact", "stage", "stage_at", "created_at", "org.name", "org.domain",
	"org.industry", "org.employees", "org.country", "deal.value", "deal.currency",
	"deal.close_date", "deal.decision_makers", "deal.probability",
};

/* Attributes of one contact as parallel key/value arrays (text of scalars). */
struct attrs {
	char **k, **v;
	size_t n, cap;
	int depth;
	char *key; /* key awaiting its value */
};

static void attrs_reset(struct attrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->k[i]);
		free(a->v[i]);
	}
	a->n = 0;
	a->depth = 0;
	free(a->key);
	a->key = NULL;
}

static int put(struct attrs *a, char *v)
{
	if (a->depth == 1 && a->key) {
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 16;
			a->k = xrealloc(a->k, a->cap * sizeof *a->k);
			a->v = xrealloc(a->v, a->cap * sizeof *a->v);
		}
		a->k[a->n] = a->key;
		a->v[a->n++] = v;
		a->key = NULL;
		return 0;
	}
	free(v);
	return 0;
}

static int on_open(void *ud)
{
	struct attrs *a = ud;
	if (a->depth == 1) { /* a nested value is not exported as a column */
		free(a->key);
		a->key = NULL;
	}
	a->depth++;
	return 0;
}

static int on_close(void *ud)
{
	((struct attrs *)ud)->depth--;
	return 0;
}

static int on_key(void *ud, const char *s, size_t n)
{
	struct attrs *a = ud;
	if (a->depth == 1) {
		free(a->key);
		a->key = xstrndup(s, n);
	}
	return 0;
}

static int on_str(void *ud, const char *s, size_t n)
{
	return put(ud, xstrndup(s, n));
}

static int on_num(void *ud, double v)
{
	heed_buf b = { 0 };
	heed_json_num(&b, v);
	return put(ud, heed_buf_detach(&b));
}

static int on_bool(void *ud, int v)
{
	return put(ud, xstrdup(v ? "true" : "false"));
}

static int on_null(void *ud)
{
	return put(ud, NULL);
}

static const heed_json_cb attr_cb = { on_open, on_close, on_open, on_close, on_key,
	                                  on_str, on_num, on_bool, on_null };

static void attrs_parse(struct attrs *a, const char *json)
{
	attrs_reset(a);
	if (json)
		heed_json_parse(json, &attr_cb, a, NULL); /* the store holds valid JSON */
}

static const char *attrs_get(const struct attrs *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->k[i], key) == 0)
			return a->v[i];
	return NULL;
}

/* A sorted set of attribute keys. */
struct keys {
	char **k;
	size_t n, cap;
};

static void keys_add(struct keys *ks, const char *key)
{
	size_t lo = 0, hi = ks->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ks->k[mid], key);
		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 16;
		ks->k = xrealloc(ks->k, ks->cap * sizeof *ks->k);
	}
	memmove(ks->k + lo + 1, ks->k + lo, (ks->n - lo) * sizeof *ks->k);
	ks->k[lo] = xstrdup(key);
	ks->n++;
}

static void keys_free(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
}

static void add_time(heed_buf *b, heed_time t)
{
	char tb[24];
	if (!t)
		return;
	heed_time_format(t, tb);
	heed_buf_adds(b, tb);
}

/* The text of fixed column `col` of c into b (nothing when unknown). */
static void col_text(const heed_contact *c, enum col col, heed_buf *b)
{
	const char *v = NULL;
	switch (col) {
	case C_EMAIL: v = c->email; break;
	case C_SOURCE: v = c->external_id ? c->source : NULL; break;
	case C_EXTERNAL_ID: v = c->external_id; break;
	case C_FIRST_NAME: v = c->first_name; break;
	case C_LAST_NAME: v = c->last_name; break;
	case C_TITLE: v = c->title; break;
	case C_PHONE: v = c->phone; break;
	case C_OWNER: v = c->owner; break;
	case C_DNC: v = c->do_not_contact ? "1" : "0"; break;
	case C_STAGE: v = c->stage; break;
	case C_STAGE_AT: add_time(b, c->stage_changed_at); break;
	case C_CREATED_AT: add_time(b, c->created_at); break;
	case C_ORG_NAME: v = c->org.name; break;
	case C_ORG_DOMAIN: v = c->org.domain; break;
	case C_ORG_INDUSTRY: v = c->org.industry; break;
	case C_ORG_EMPLOYEES:
		if (c->org.employees >= 0 && c->org.name)
			heed_json_int(b, c->org.employees);
		break;
	case C_ORG_COUNTRY: v = c->org.country; break;
	case C_DEAL_VALUE:
		if (c->deal.present && !isnan(c->deal.value))
			heed_json_num(b, c->deal.value);
		break;
	case C_DEAL_CURRENCY: v = c->deal.present ? c->deal.currency : NULL; break;
	case C_DEAL_CLOSE:
		if (c->deal.present)
			add_time(b, c->deal.close_date);
		break;
	case C_DEAL_DM: v = c->deal.present ? c->deal.decision_makers : NULL; break;
	case C_DEAL_PROB:
		if (c->deal.present && !isnan(c->deal.probability))
			heed_json_num(b, c->deal.probability);
		break;
	case C_FIXED: break;
	}
	if (v)
		heed_buf_adds(b, v);
}

static int col_find(const char *name)
{
	for (int i = 0; i < C_FIXED; i++)
		if (strcmp(col_names[i], name) == 0)
			return i;
	return -1;
}

int heed_export_is_header(const char *const *header, size_t n)
{
	if (n < C_FIXED)
		return 0;
	for (int i = 0; i < C_FIXED; i++)
		if (strcmp(header[i], col_names[i]) != 0)
			return 0;
	return 1;
}

int heed_export_check(const heed_export_opts *o, char **err)
{
	if (o->stage && heed_stage_parse(o->stage) < 0) {
		heed_seterr(err, "export: --stage '%s' is not a stage (lead, prospect, opportunity, won, lost,"
		                 " disqualified)", o->stage);
		return HEED_EUSAGE;
	}
	for (size_t i = 0; i < o->nwhere; i++) {
		const char *w = o->where[i], *eq = strchr(w, '=');
		char *name = eq ? xstrndup(w, (size_t)(eq - w)) : NULL;
		int ok = name && (col_find(name) >= 0 || (strncmp(name, "attrs.", 6) == 0 && name[6]));
		free(name);
		if (!ok) {
			heed_seterr(err, "export: --where '%s' is not COLUMN=VALUE with a column of the export"
			                 " (email, stage, org.name, org.country, attrs.KEY, ...)", w);
			return HEED_EUSAGE;
		}
	}
	return HEED_OK;
}

/* 1 if c passes every filter of o. */
static int selected(const heed_export_opts *o, const heed_contact *c, const struct attrs *a,
                    heed_buf *tmp)
{
	if (!isnan(o->min_score) && (isnan(c->score) || c->score < o->min_score))
		return 0;
	for (size_t i = 0; i < o->nwhere; i++) {
		const char *w = o->where[i], *eq = strchr(w, '=');
		size_t nlen = (size_t)(eq - w);
		const char *have;
		heed_buf_reset(tmp);
		if (nlen > 6 && strncmp(w, "attrs.", 6) == 0) {
			char *key = xstrndup(w + 6, nlen - 6);
			have = attrs_get(a, key);
			free(key);
		} else {
			char *name = xstrndup(w, nlen);
			col_text(c, (enum col)col_find(name), tmp);
			free(name);
			have = heed_buf_str(tmp);
		}
		if (strcmp(have ? have : "", eq + 1) != 0)
			return 0;
	}
	return 1;
}

/* One CSV cell: quoted when it holds a comma, quote or line break; a leading
 * = + - @ TAB CR (or a quote before one) gets a quote so spreadsheets show
 * text (OWASP CSV injection). */
static void csv_cell(heed_buf *b, const char *v)
{
	if (!v || !*v)
		return;
	int guard = strchr(HEED_EXPORT_GUARDED, v[0]) ||
	            (v[0] == '\'' && v[1] && strchr(HEED_EXPORT_GUARDED "'", v[1]));
	int quote = strpbrk(v, ",\"\r\n") != NULL;
	if (quote)
		heed_buf_addc(b, '"');
	if (guard)
		heed_buf_addc(b, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			heed_buf_addc(b, '"');
		heed_buf_addc(b, *p);
	}
	if (quote)
		heed_buf_addc(b, '"');
}

static void csv_header(heed_buf *b, const struct keys *ks)
{
	for (int i = 0; i < C_FIXED; i++) {
		if (i)
			heed_buf_addc(b, ',');
		heed_buf_adds(b, col_names[i]);
	}
	for (size_t i = 0; i < ks->n; i++) {
		char *h = xasprintf("attrs.%s", ks->k[i]);
		heed_buf_addc(b, ',');
		csv_cell(b, h);
		free(h);
	}
	heed_buf_adds(b, "\r\n");
}

static void csv_row(heed_buf *b, const heed_contact *c, const struct attrs *a,
                    const struct keys *ks, heed_buf *tmp)
{
	for (int i = 0; i < C_FIXED; i++) {
		if (i)
			heed_buf_addc(b, ',');
		heed_buf_reset(tmp);
		col_text(c, (enum col)i, tmp);
		csv_cell(b, heed_buf_str(tmp));
	}
	for (size_t i = 0; i < ks->n; i++) {
		heed_buf_addc(b, ',');
		csv_cell(b, attrs_get(a, ks->k[i]));
	}
	heed_buf_adds(b, "\r\n");
}

static void json_time(heed_buf *b, heed_time t)
{
	char tb[24];
	if (!t) {
		heed_buf_adds(b, "null");
		return;
	}
	heed_time_format(t, tb);
	heed_json_str(b, tb);
}

void heed_export_json(heed_buf *b, const heed_contact *c)
{
	heed_buf_addf(b, "{\"id\":%lld,\"email\":", (long long)c->id);
	heed_json_str(b, c->email);
	static const struct { const char *name; size_t off; } strs[] = {
		{ "source", offsetof(heed_contact, source) },
		{ "external_id", offsetof(heed_contact, external_id) },
		{ "first_name", offsetof(heed_contact, first_name) },
		{ "last_name", offsetof(heed_contact, last_name) },
		{ "title", offsetof(heed_contact, title) },
		{ "phone", offsetof(heed_contact, phone) },
		{ "owner", offsetof(heed_contact, owner) },
	};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		heed_buf_addf(b, ",\"%s\":", strs[i].name);
		heed_json_str(b, *(char *const *)((const char *)c + strs[i].off));
	}
	heed_buf_adds(b, ",\"stage\":");
	heed_json_str(b, c->stage);
	heed_buf_adds(b, ",\"stage_at\":");
	json_time(b, c->stage_changed_at);
	heed_buf_adds(b, ",\"created_at\":");
	json_time(b, c->created_at);
	heed_buf_adds(b, ",\"score\":");
	heed_json_num(b, c->score);
	heed_buf_addf(b, ",\"do_not_contact\":%s,\"org\":", c->do_not_contact ? "true" : "false");
	if (c->org.name) {
		heed_buf_adds(b, "{\"name\":");
		heed_json_str(b, c->org.name);
		heed_buf_adds(b, ",\"domain\":");
		heed_json_str(b, c->org.domain);
		heed_buf_adds(b, ",\"industry\":");
		heed_json_str(b, c->org.industry);
		heed_buf_adds(b, ",\"employees\":");
		heed_json_num(b, c->org.employees >= 0 ? (double)c->org.employees : NAN);
		heed_buf_adds(b, ",\"country\":");
		heed_json_str(b, c->org.country);
		heed_buf_addc(b, '}');
	} else {
		heed_buf_adds(b, "null");
	}
	heed_buf_adds(b, ",\"deal\":");
	if (c->deal.present) {
		heed_buf_adds(b, "{\"value\":");
		heed_json_num(b, c->deal.value);
		heed_buf_adds(b, ",\"currency\":");
		heed_json_str(b, c->deal.currency);
		heed_buf_adds(b, ",\"close_date\":");
		json_time(b, c->deal.close_date);
		heed_buf_adds(b, ",\"decision_makers\":");
		heed_json_str(b, c->deal.decision_makers);
		heed_buf_adds(b, ",\"probability\":");
		heed_json_num(b, c->deal.probability);
		heed_buf_addc(b, '}');
	} else {
		heed_buf_adds(b, "null");
	}
	heed_buf_adds(b, ",\"attrs\":");
	heed_buf_adds(b, c->attrs ? c->attrs : "{}");
	heed_buf_adds(b, ",\"activities\":[");
	for (size_t i = 0; i < c->nacts; i++) {
		heed_buf_adds(b, i ? ",{\"kind\":" : "{\"kind\":");
		heed_json_str(b, c->acts[i].kind);
		heed_buf_adds(b, ",\"at\":");
		json_time(b, c->acts[i].at);
		heed_buf_adds(b, ",\"data\":");
		heed_buf_adds(b, c->acts[i].data ? c->acts[i].data : "{}");
		heed_buf_addc(b, '}');
	}
	heed_buf_adds(b, "]}");
}

/* First pass of a CSV export: the attribute keys of the selected contacts. */
static int collect_keys(heed_store *s, const heed_export_opts *o, heed_chunk *ch,
                        struct attrs *a, struct keys *ks, char **err)
{
	heed_scan scan = { .stage = o->stage };
	heed_buf tmp = { 0 };
	int rc;
	while ((rc = heed_store_scan(s, &scan, ch, err)) == HEED_OK && heed_chunk_count(ch)) {
		for (size_t i = 0; i < heed_chunk_count(ch); i++) {
			const heed_contact *c = heed_chunk_at(ch, i);
			if (!c->attrs)
				continue;
			attrs_parse(a, c->attrs);
			if (!selected(o, c, a, &tmp))
				continue;
			for (size_t k = 0; k < a->n; k++)
				keys_add(ks, a->k[k]);
		}
	}
	heed_buf_free(&tmp);
	return rc;
}

int heed_export_run(heed_store *s, const heed_export_opts *o, FILE *out, long *count, char **err)
{
	heed_chunk *ch = heed_chunk_new();
	struct attrs a = { 0 };
	struct keys ks = { 0 };
	heed_buf line = { 0 }, tmp = { 0 };
	int rc = HEED_OK;
	*count = 0;
	if (!o->jsonl) {
		if ((rc = collect_keys(s, o, ch, &a, &ks, err)) != HEED_OK)
			goto done;
		csv_header(&line, &ks);
	}
	heed_scan scan = { .stage = o->stage };
	while ((rc = heed_store_scan(s, &scan, ch, err)) == HEED_OK && heed_chunk_count(ch)) {
		for (size_t i = 0; i < heed_chunk_count(ch); i++) {
			const heed_contact *c = heed_chunk_at(ch, i);
			attrs_parse(&a, c->attrs);
			if (!selected(o, c, &a, &tmp))
				continue;
			if (o->jsonl)
				heed_export_json(&line, c), heed_buf_addc(&line, '\n');
			else
				csv_row(&line, c, &a, &ks, &tmp);
			(*count)++;
		}
		fwrite(line.s ? line.s : "", 1, line.len, out);
		heed_buf_reset(&line);
	}
	if (line.len)
		fwrite(line.s, 1, line.len, out);
	if (rc == HEED_OK && (fflush(out) != 0 || ferror(out))) {
		heed_seterr(err, "export: writing the output failed");
		rc = HEED_ERR;
	}
done:
	attrs_reset(&a);
	free(a.k);
	free(a.v);
	keys_free(&ks);
	heed_buf_free(&line);
	heed_buf_free(&tmp);
	heed_chunk_free(ch);
	return rc;
}
