/* contact: initialisation and release of the in-memory records, and the
 * normalisation rules for emails, HTML entities and organisation keys
 * (see contact.h). */
#include "contact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- records ---- */

void heed_contact_init(heed_contact *c)
{
	memset(c, 0, sizeof *c);
	c->org.employees = -1;
	c->deal.value = NAN;
	c->deal.probability = NAN;
	c->score = NAN; /* not scored yet */
	c->stage[0] = '\0';
}

void heed_org_clear(heed_org *o)
{
	free(o->name);
	free(o->key);
	free(o->domain);
	free(o->industry);
	free(o->country);
	memset(o, 0, sizeof *o);
	o->employees = -1;
}

void heed_contact_clear(heed_contact *c)
{
	free(c->email);
	free(c->source);
	free(c->external_id);
	free(c->first_name);
	free(c->last_name);
	free(c->title);
	free(c->phone);
	free(c->owner);
	heed_org_clear(&c->org);
	free(c->score_parts);
	free(c->attrs);
	free(c->deal.currency);
	free(c->deal.decision_makers);
	for (size_t i = 0; i < c->nacts; i++) {
		free(c->acts[i].kind);
		free(c->acts[i].data);
	}
	free(c->acts);
	for (size_t i = 0; i < c->nhist; i++) {
		heed_history *h = &c->hist[i];
		free(h->from);
		free(h->to);
		free(h->actor);
		free(h->reason);
		free(h->plugins);
	}
	free(c->hist);
	heed_contact_init(c);
}

void heed_activity_add(heed_contact *c, const char *kind, heed_time at, const char *data_json)
{
	/* Keep acts ascending by time; an equal time goes after the ones already there. */
	size_t i = c->nacts;
	c->acts = xrealloc(c->acts, (c->nacts + 1) * sizeof *c->acts);
	while (i > 0 && c->acts[i - 1].at > at)
		i--;
	memmove(c->acts + i + 1, c->acts + i, (c->nacts - i) * sizeof *c->acts);
	c->acts[i] = (heed_activity){.id = 0, .kind = xstrdup(kind), .at = at,
	                             .data = xstrdup(data_json)};
	c->nacts++;
}

/* ---- email ---- */

static int is_ascii_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Length of a blank (ASCII space or UTF-8 NO-BREAK SPACE) starting at s[0]. */
static size_t blank_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && is_ascii_space(s[0]))
		return 1;
	if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	return 0;
}

static size_t blank_before(const unsigned char *s, size_t n)
{
	if (n >= 1 && is_ascii_space(s[n - 1]))
		return 1;
	if (n >= 2 && s[n - 2] == 0xC2 && s[n - 1] == 0xA0)
		return 2;
	return 0;
}

char *heed_email_norm(const char *s)
{
	if (!s)
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), k;
	while ((k = blank_at(u, n)) > 0)
		u += k, n -= k;
	while ((k = blank_before(u, n)) > 0)
		n -= k;
	const unsigned char *at = NULL;
	for (size_t i = 0; i < n; i++) {
		if (blank_at(u + i, n - i))
			return NULL;
		if (u[i] == '@')
			at = u + i;
	}
	if (!at || at == u || at == u + n - 1)
		return NULL;
	char *out = xstrndup((const char *)u, n);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* ---- HTML entities ---- */

typedef struct entity {
	const char *name;
	unsigned cp;
} entity;

/* Sorted by name (strcmp order) for bsearch. */
static const entity entities[] = {
	{"AElig", 0xC6},  {"Aacute", 0xC1}, {"Acirc", 0xC2},  {"Agrave", 0xC0}, {"Aring", 0xC5},
	{"Atilde", 0xC3}, {"Auml", 0xC4},   {"Ccedil", 0xC7}, {"ETH", 0xD0},    {"Eacute", 0xC9},
	{"Ecirc", 0xCA},  {"Egrave", 0xC8}, {"Euml", 0xCB},   {"Iacute", 0xCD}, {"Icirc", 0xCE},
	{"Igrave", 0xCC}, {"Iuml", 0xCF},   {"Ntilde", 0xD1}, {"OElig", 0x152}, {"Oacute", 0xD3},
	{"Ocirc", 0xD4},  {"Ograve", 0xD2}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6},
	{"Scaron", 0x160}, {"THORN", 0xDE}, {"Uacute", 0xDA}, {"Ucirc", 0xDB},  {"Ugrave", 0xD9},
	{"Uuml", 0xDC},   {"Yacute", 0xDD}, {"aacute", 0xE1}, {"acirc", 0xE2},  {"acute", 0xB4},
	{"aelig", 0xE6},  {"agrave", 0xE0}, {"amp", '&'},     {"apos", '\''},   {"aring", 0xE5},
	{"atilde", 0xE3}, {"auml", 0xE4},   {"bdquo", 0x201E}, {"ccedil", 0xE7}, {"copy", 0xA9},
	{"eacute", 0xE9}, {"ecirc", 0xEA},  {"egrave", 0xE8}, {"eth", 0xF0},    {"euml", 0xEB},
	{"euro", 0x20AC}, {"gt", '>'},      {"hellip", 0x2026}, {"iacute", 0xED}, {"icirc", 0xEE},
	{"igrave", 0xEC}, {"iuml", 0xEF},   {"laquo", 0xAB},  {"ldquo", 0x201C}, {"lsquo", 0x2018},
	{"lt", '<'},      {"mdash", 0x2014}, {"nbsp", 0xA0},  {"ndash", 0x2013}, {"ntilde", 0xF1},
	{"oacute", 0xF3}, {"ocirc", 0xF4},  {"oelig", 0x153}, {"ograve", 0xF2}, {"oslash", 0xF8},
	{"otilde", 0xF5}, {"ouml", 0xF6},   {"quot", '"'},    {"raquo", 0xBB},  {"rdquo", 0x201D},
	{"reg", 0xAE},    {"rsquo", 0x2019}, {"scaron", 0x161}, {"szlig", 0xDF}, {"thorn", 0xFE},
	{"trade", 0x2122}, {"uacute", 0xFA}, {"ucirc", 0xFB}, {"ugrave", 0xF9}, {"uuml", 0xFC},
	{"yacute", 0xFD}, {"yuml", 0xFF},
};

static int entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const entity *)elem)->name);
}

/* Decode the entity at s (on '&'). Returns its length and *cp, or 0 if not one. */
static size_t entity_at(const char *s, unsigned *cp)
{
	const char *p = s + 1;
	if (*p == '#') {
		unsigned long v = 0;
		int base = 10, nd = 0;
		p++;
		if (*p == 'x' || *p == 'X')
			base = 16, p++;
		for (;; p++, nd++) {
			int dv;
			if (*p >= '0' && *p <= '9')
				dv = *p - '0';
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				dv = *p - 'a' + 10;
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				dv = *p - 'A' + 10;
			else
				break;
			if (v <= 0x10FFFF)
				v = v * (unsigned long)base + (unsigned long)dv;
		}
		if (nd == 0 || *p != ';' || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = (unsigned)v;
		return (size_t)(p + 1 - s);
	}
	char name[8];
	size_t n = 0;
	while (n < sizeof name - 1 && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		name[n++] = *p++;
	if (n == 0 || *p != ';')
		return 0;
	name[n] = '\0';
	const entity *e = bsearch(name, entities, sizeof entities / sizeof entities[0],
	                          sizeof entities[0], entity_cmp);
	if (!e)
		return 0;
	*cp = e->cp;
	return (size_t)(p + 1 - s);
}

char *heed_html_decode(const char *s)
{
	heed_buf b = {0};
	if (!s)
		return NULL;
	heed_buf_add(&b, "", 0);
	const char *run = s;
	for (const char *p = s; (p = strchr(p, '&')) != NULL;) {
		unsigned cp;
		size_t n = entity_at(p, &cp);
		if (n == 0) {
			p++;
			continue;
		}
		heed_buf_add(&b, run, (size_t)(p - run));
		heed_buf_add_utf8(&b, cp);
		p += n;
		run = p;
	}
	heed_buf_adds(&b, run);
	return heed_buf_detach(&b);
}

/* ---- organisation keys ---- */

/* ASCII folding of U+00C0..U+00FF; '_' separates words, '*' marks two-letter folds. */
static const char latin1_fold[] = "aaaaaa*ceeeeiiiidnooooo_ouuuuy**"
                                  "aaaaaa*ceeeeiiiidnooooo_ouuuuy*y";
/* ASCII folding of U+0100..U+017F (Latin Extended-A); '*' marks two-letter folds. */
static const char latin_ext_fold[] = "aaaaaacccccccc"
                                     "dddd"
                                     "eeeeeeeeee"
                                     "gggggggg"
                                     "hhhh"
                                     "iiiiiiiiii"
                                     "**"
                                     "jj"
                                     "kkk"
                                     "llllllllll"
                                     "nnnnnnnnn"
                                     "oooooo"
                                     "**"
                                     "rrrrrr"
                                     "ssssssss"
                                     "tttttt"
                                     "uuuuuuuuuuuu"
                                     "ww"
                                     "yyy"
                                     "zzzzzz"
                                     "s";

_Static_assert(sizeof latin1_fold == 65, "latin1_fold covers U+00C0..U+00FF");
_Static_assert(sizeof latin_ext_fold == 129, "latin_ext_fold covers U+0100..U+017F");

static const char *two_letter_fold(unsigned cp)
{
	switch (cp) {
	case 0xC6: case 0xE6: return "ae";
	case 0xDE: case 0xFE: return "th";
	case 0xDF: return "ss";
	case 0x132: case 0x133: return "ij";
	case 0x152: case 0x153: return "oe";
	default: return "";
	}
}

/* Decode one UTF-8 sequence at s; returns its length (1 for an invalid byte, *cp = ~0). */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
		len = 2, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		len = 4, c &= 0x07;
	else
		goto bad;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (s[k] & 0x3F);
	}
	*cp = c;
	return len;
bad:
	*cp = ~0u;
	return 1;
}

static int is_apostrophe(unsigned cp)
{
	return cp == '\'' || cp == '`' || cp == 0xB4 || cp == 0x2018 || cp == 0x2019 ||
	       cp == 0x02BC || cp == 0x2032;
}

static const char *const legal_suffixes[] = {
	"ag",  "bv",      "co",  "corp",  "corporation", "company", "gmbh", "inc", "incorporated",
	"kg",  "limited", "llc", "llp",   "ltd",         "plc",     "pty",  "sa",
};

static int is_legal_suffix(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof legal_suffixes / sizeof legal_suffixes[0]; i++)
		if (strlen(legal_suffixes[i]) == n && memcmp(legal_suffixes[i], w, n) == 0)
			return 1;
	return 0;
}

char *heed_org_key(const char *name)
{
	return heed_org_key_ex(name, 1);
}

char *heed_org_key_ex(const char *name, int drop_suffixes)
{
	if (!name)
		return NULL;
	char *dec = heed_html_decode(name);
	heed_buf b = {0};
	int gap = 0; /* a word break is pending */
	heed_buf_add(&b, "", 0);
	for (const unsigned char *p = (const unsigned char *)dec; *p;) {
		unsigned cp;
		const unsigned char *at = p;
		p += utf8_next(p, &cp);
		const char *out = NULL;
		char one[2] = {0, 0};
		if (is_apostrophe(cp) || cp == '.') {
			continue; /* joins: Harbour's -> harbours, L.L.C. -> llc */
		} else if (cp < 0x80) {
			if (cp >= 'A' && cp <= 'Z')
				cp += 'a' - 'A';
			if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
				one[0] = (char)cp, out = one;
		} else if (cp >= 0xC0 && cp <= 0x17F) {
			char f = cp < 0x100 ? latin1_fold[cp - 0xC0] : latin_ext_fold[cp - 0x100];
			if (f == '*')
				out = two_letter_fold(cp);
			else if (f != '_')
				one[0] = f, out = one;
		} else if (cp == ~0u || (cp >= 0x80 && cp < 0xC0) || (cp >= 0x2000 && cp <= 0x206F) ||
		           cp == 0x3000) {
			out = NULL; /* C1, Latin-1 symbols, general punctuation, bad bytes: a break */
		} else {
			if (gap && b.len > 0)
				heed_buf_addc(&b, ' ');
			gap = 0;
			heed_buf_add(&b, (const char *)at, (size_t)(p - at));
			continue;
		}
		if (!out) {
			gap = 1;
			continue;
		}
		if (gap && b.len > 0)
			heed_buf_addc(&b, ' ');
		gap = 0;
		heed_buf_adds(&b, out);
	}
	/* Drop trailing legal-form words, keeping at least one word. */
	while (drop_suffixes) {
		char *sp = strrchr(b.s, ' ');
		if (!sp || !is_legal_suffix(sp + 1, strlen(sp + 1)))
			break;
		*sp = '\0';
		b.len = (size_t)(sp - b.s);
	}
	free(dec);
	return heed_buf_detach(&b);
}
