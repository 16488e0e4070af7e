/* parts: the stored layout of score parts, written compact and read in
 * either layout (see parts.h). */
#include "parts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define LIT(s) s, sizeof s - 1

void heed_parts_encode(heed_buf *b, heed_parts_enc *enc, const heed_part *v, size_t n)
{
	heed_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		const heed_part *x = &v[i];
		if (x->plugin != enc->plugin || !enc->head.len) {
			heed_buf_reset(&enc->head);
			heed_buf_addc(&enc->head, '[');
			heed_json_str(&enc->head, x->plugin);
			heed_buf_addc(&enc->head, ',');
			enc->plugin = x->plugin;
		}
		if (i)
			heed_buf_addc(b, ',');
		heed_buf_add(b, enc->head.s, enc->head.len);
		heed_json_str(b, x->name);
		heed_buf_addc(b, ',');
		heed_json_num(b, x->points);
		heed_buf_addc(b, ',');
		heed_json_str(b, x->reason);
		heed_buf_addc(b, ']');
	}
	heed_buf_addc(b, ']');
}

void heed_parts_enc_free(heed_parts_enc *enc)
{
	heed_buf_free(&enc->head);
	enc->plugin = NULL;
}

/* ---- reading ---- */

/* The fields of a part: its position in the compact layout. A part shows
 * whatever of it is usable: a field whose value has the wrong kind (points
 * "5", a name that is a number, an array) reads as unknown, and keys heed
 * does not know are skipped whatever their value. Only text that is not a
 * list of parts, or holds a NUL that would cut a shown string, is refused. */
enum { F_PLUGIN, F_NAME, F_POINTS, F_REASON, F_COUNT };
static const char *const field_names[F_COUNT] = { "plugin", "name", "points", "reason" };

struct reader {
	heed_part_fn fn;
	void *ud;
	char **err;
	int depth;          /* 0 outside, 1 in the list, 2 in a part, more in a value skipped */
	int keyed;          /* the part is an object (the older layout) */
	int field;          /* the field the next value fills; -1 none */
	size_t nparts;
	heed_buf text[F_COUNT]; /* plugin, name, reason (F_POINTS unused) */
	double points;
};

static int bad(struct reader *r, const char *what)
{
	if (r->depth == 0)
		heed_seterr(r->err, "score parts: %s", what);
	else
		heed_seterr(r->err, "score parts: %s (part %zu)", what, r->nparts + 1);
	return 1;
}

static void part_begin(struct reader *r, int keyed)
{
	r->depth = 2;
	r->keyed = keyed;
	r->field = keyed ? -1 : 0;
	for (int i = 0; i < F_COUNT; i++)
		heed_buf_reset(&r->text[i]);
	r->points = NAN;
}

static int part_end(struct reader *r)
{
	r->depth = 1;
	r->nparts++;
	return r->fn(r->ud, heed_buf_str(&r->text[F_PLUGIN]), heed_buf_str(&r->text[F_NAME]), r->points,
	             heed_buf_str(&r->text[F_REASON]));
}

/* The field a value of a part fills: by key in an object, by position in an
 * array; -1 for none (an unknown key, a position past the reason). */
static int value_field(struct reader *r)
{
	int f = r->field;
	if (!r->keyed)
		r->field++;
	else
		r->field = -1;
	return f >= F_COUNT ? -1 : f;
}

/* Field f had a value it cannot use: it reads as unknown. */
static void unusable(struct reader *r, int f)
{
	if (f == F_POINTS)
		r->points = NAN;
	else if (f >= 0)
		heed_buf_reset(&r->text[f]);
}

/* An array or object begins: the list, a part, or a value inside a part. */
static int rd_begin(struct reader *r, int obj)
{
	switch (r->depth) {
	case 0:
		if (obj)
			return bad(r, "not a list of parts");
		r->depth = 1;
		return 0;
	case 1:
		part_begin(r, obj);
		return 0;
	case 2:
		unusable(r, value_field(r));
		/* fall through */
	default:
		r->depth++;
		return 0;
	}
}

static int rd_end(struct reader *r)
{
	if (r->depth == 2)
		return part_end(r);
	r->depth--; /* out of a skipped value, or of the list */
	return 0;
}

static int rd_begin_arr(void *ud)
{
	return rd_begin(ud, 0);
}

static int rd_begin_obj(void *ud)
{
	return rd_begin(ud, 1);
}

static int rd_end_arr(void *ud)
{
	return rd_end(ud);
}

static int rd_end_obj(void *ud)
{
	return rd_end(ud);
}

static int rd_key(void *ud, const char *s, size_t n)
{
	struct reader *r = ud;
	if (r->depth != 2)
		return 0;
	r->field = -1;
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == n && memcmp(field_names[i], s, n) == 0)
			r->field = i;
	return 0;
}

/* A scalar: the field it fills when in a part, -1 when skipped; -2 (and *err
 * set) when it stands where a part belongs. */
static int scalar_field(struct reader *r)
{
	if (r->depth < 2) {
		bad(r, "not a list of parts");
		return -2;
	}
	return r->depth == 2 ? value_field(r) : -1;
}

static int rd_str(void *ud, const char *s, size_t n)
{
	struct reader *r = ud;
	int f = scalar_field(r);
	if (f == -2)
		return 1;
	if (f == F_POINTS) {
		unusable(r, f);
	} else if (f >= 0) {
		if (memchr(s, '\0', n)) {
			char what[64];
			snprintf(what, sizeof what, "a NUL character (\\u0000) in the %s", field_names[f]);
			return bad(r, what);
		}
		heed_buf_reset(&r->text[f]);
		heed_buf_add(&r->text[f], s, n);
	}
	return 0;
}

static int rd_num(void *ud, double v)
{
	struct reader *r = ud;
	int f = scalar_field(r);
	if (f == -2)
		return 1;
	if (f == F_POINTS)
		r->points = v;
	else
		unusable(r, f);
	return 0;
}

static int rd_other(void *ud)
{
	struct reader *r = ud;
	int f = scalar_field(r);
	if (f == -2)
		return 1;
	unusable(r, f);
	return 0;
}

static int rd_bool(void *ud, int v)
{
	(void)v;
	return rd_other(ud);
}

int heed_parts_read(const char *text, heed_part_fn fn, void *ud, char **err)
{
	if (heed_empty(text))
		return HEED_OK;
	struct reader r = { .fn = fn, .ud = ud, .err = err };
	heed_json_cb cb = {
		.begin_obj = rd_begin_obj, .end_obj = rd_end_obj, .begin_arr = rd_begin_arr,
		.end_arr = rd_end_arr, .key = rd_key, .str = rd_str, .num = rd_num,
		.boolean = rd_bool, .null = rd_other,
	};
	int rc = heed_json_parse(text, &cb, &r, err);
	for (int i = 0; i < F_COUNT; i++)
		heed_buf_free(&r.text[i]);
	return rc == HEED_OK ? HEED_OK : HEED_EINPUT;
}

static int add_readable(void *ud, const char *plugin, const char *name, double points,
                        const char *reason)
{
	heed_buf *b = ud;
	heed_buf_adds(b, b->s[b->len - 1] == '[' ? "{\"plugin\":" : ",{\"plugin\":");
	heed_json_str(b, plugin);
	heed_buf_add(b, LIT(",\"name\":"));
	heed_json_str(b, name);
	heed_buf_add(b, LIT(",\"points\":"));
	heed_json_num(b, points);
	heed_buf_add(b, LIT(",\"reason\":"));
	heed_json_str(b, reason);
	heed_buf_addc(b, '}');
	return 0;
}

int heed_parts_readable(heed_buf *b, const char *text, char **err)
{
	heed_buf out = { 0 };
	heed_buf_addc(&out, '[');
	int rc = heed_parts_read(text, add_readable, &out, err);
	heed_buf_addc(&out, ']');
	if (rc == HEED_OK)
		heed_buf_add(b, out.s, out.len);
	heed_buf_free(&out);
	return rc;
}
