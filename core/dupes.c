/* dupes: likely duplicates (see dupes.h). Email and name groups come from the
 * store; phones are normalised here and grouped by sorting. */
#include "dupes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Calling codes of the countries heed can turn a national number of into E.164. */
static const struct {
	const char *iso, *code;
} calling[] = {
	{ "AT", "43" }, { "AU", "61" }, { "BE", "32" }, { "BR", "55" }, { "CA", "1" },
	{ "CH", "41" }, { "DE", "49" }, { "DK", "45" }, { "ES", "34" }, { "FI", "358" },
	{ "FR", "33" }, { "GB", "44" }, { "IE", "353" }, { "IN", "91" }, { "IT", "39" },
	{ "NL", "31" }, { "NO", "47" }, { "NZ", "64" }, { "PL", "48" }, { "PT", "351" },
	{ "SE", "46" }, { "UK", "44" }, { "US", "1" },
};

static const char *calling_code(const char *country)
{
	for (size_t i = 0; country && i < sizeof calling / sizeof calling[0]; i++)
		if (strcasecmp(country, calling[i].iso) == 0)
			return calling[i].code;
	return NULL;
}

char *heed_dupes_e164(const char *phone, const char *country)
{
	char digits[32];
	size_t n = 0;
	int plus = 0;
	const char *p = phone;
	while (*p == ' ')
		p++;
	if (*p == '+')
		plus = 1, p++;
	for (; *p; p++) {
		int intl = plus || (n >= 2 && digits[0] == '0' && digits[1] == '0');
		if (*p == '(' && p[1] == '0' && p[2] == ')' && intl && n > 0) {
			p += 2; /* +49 (0) 30: the trunk prefix, not dialled from abroad */
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof digits)
				return NULL;
			digits[n++] = *p;
		} else if (*p == 'x' || *p == 'X' || *p == 'e' || *p == 'E' || *p == '#') {
			break; /* an extension */
		} else if (!strchr(" -./()", *p)) {
			return NULL;
		}
	}
	digits[n] = '\0';
	const char *d = digits;
	const char *cc = "";
	if (!plus && strncmp(d, "00", 2) == 0) {
		d += 2;
	} else if (!plus) {
		const char *code = calling_code(country);
		if (!code)
			return NULL;
		if (strcmp(code, "1") == 0 && strlen(d) == 11 && d[0] == '1')
			d++; /* 1 555 ... dialled with the national prefix */
		else if (d[0] == '0')
			d++; /* the trunk prefix */
		cc = code;
	}
	size_t len = strlen(cc) + strlen(d);
	if (len < 8 || len > 15)
		return NULL;
	return xasprintf("+%s%s", cc, d);
}

struct acc {
	heed_dupe *v;
	size_t n, cap;
	const char *why;
};

static void push(struct acc *a, const char *why, const char *key, int64_t *ids, size_t nids)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n++] = (heed_dupe){ why, xstrdup(key), ids, nids };
}

static int cmp_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

static int on_group(void *ud, const char *key, const char *ids)
{
	struct acc *a = ud;
	size_t cap = 1;
	for (const char *p = ids; *p; p++)
		cap += *p == ' ';
	int64_t *v = xcalloc(cap, sizeof *v);
	size_t n = 0;
	for (char *p = (char *)ids, *end; *p && n < cap; p = end) {
		v[n++] = strtoll(p, &end, 10);
		if (end == p)
			break;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_id);
	push(a, a->why, key, v, n);
	return 0;
}

struct phone {
	char *e164;
	int64_t id;
};

struct phones {
	struct phone *v;
	size_t n, cap;
};

static int on_phone(void *ud, int64_t id, const char *phone, const char *country)
{
	struct phones *ps = ud;
	char *e = heed_dupes_e164(phone, country);
	if (!e)
		return 0;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->v = xrealloc(ps->v, ps->cap * sizeof *ps->v);
	}
	ps->v[ps->n++] = (struct phone){ e, id };
	return 0;
}

static int cmp_phone(const void *x, const void *y)
{
	const struct phone *a = x, *b = y;
	int c = strcmp(a->e164, b->e164);
	return c ? c : cmp_id(&a->id, &b->id);
}

static void group_phones(struct phones *ps, struct acc *a)
{
	if (ps->n > 1) /* qsort(NULL, 0, …) is undefined: no phones, no list */
		qsort(ps->v, ps->n, sizeof *ps->v, cmp_phone);
	for (size_t i = 0; i < ps->n;) {
		size_t j = i + 1;
		while (j < ps->n && strcmp(ps->v[j].e164, ps->v[i].e164) == 0)
			j++;
		if (j - i > 1) {
			int64_t *ids = xcalloc(j - i, sizeof *ids);
			for (size_t k = i; k < j; k++)
				ids[k - i] = ps->v[k].id;
			push(a, "phone", ps->v[i].e164, ids, j - i);
		}
		i = j;
	}
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i].e164);
	free(ps->v);
}

int heed_dupes_find(heed_store *s, heed_dupe **out, size_t *n, char **err)
{
	struct acc a = { 0 };
	struct phones ps = { 0 };
	a.why = "email";
	int rc = heed_store_dupe_groups(s, 0, on_group, &a, err);
	a.why = "name+org";
	if (rc == HEED_OK)
		rc = heed_store_dupe_groups(s, 1, on_group, &a, err);
	if (rc == HEED_OK)
		rc = heed_store_phones(s, on_phone, &ps, err);
	group_phones(&ps, &a);
	if (rc != HEED_OK) {
		heed_dupes_free(a.v, a.n);
		a.v = NULL, a.n = 0;
	}
	*out = a.v;
	*n = a.n;
	return rc;
}

void heed_dupes_free(heed_dupe *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].key);
		free(d[i].ids);
	}
	free(d);
}
