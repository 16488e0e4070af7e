/* json: writer into heed_buf and a recursive-descent, callback-driven parser
 * (see json.h). The parser owns one scratch buffer per call for decoded strings. */
#include "json.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256

/* ---- writer ---- */

void heed_json_strn(heed_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		heed_buf_add(b, "null", 4);
		return;
	}
	size_t clean = 0; /* the common case: nothing to escape, one copy */
	while (clean < n && (unsigned char)s[clean] >= 0x20 && s[clean] != '"' && s[clean] != '\\')
		clean++;
	if (clean == n && n <= 254) {
		char q[256];
		q[0] = '"';
		memcpy(q + 1, s, n);
		q[n + 1] = '"';
		heed_buf_add(b, q, n + 2);
		return;
	}
	heed_buf_addc(b, '"');
	size_t run = 0; /* start of the pending span that needs no escaping */
	for (size_t i = clean; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		heed_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (ch) {
		case '"': heed_buf_add(b, "\\\"", 2); break;
		case '\\': heed_buf_add(b, "\\\\", 2); break;
		case '\n': heed_buf_add(b, "\\n", 2); break;
		case '\r': heed_buf_add(b, "\\r", 2); break;
		case '\t': heed_buf_add(b, "\\t", 2); break;
		case '\b': heed_buf_add(b, "\\b", 2); break;
		case '\f': heed_buf_add(b, "\\f", 2); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			heed_buf_add(b, u, 6);
		}
		}
	}
	heed_buf_add(b, s + run, n - run);
	heed_buf_addc(b, '"');
}

void heed_json_str(heed_buf *b, const char *s)
{
	if (!s) {
		heed_buf_add(b, "null", 4);
		return;
	}
	/* the common case, a short string with nothing to escape: one pass, one copy */
	char q[256];
	size_t n = 0;
	while (n < sizeof q - 2 && (unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\') {
		q[n + 1] = s[n];
		n++;
	}
	if (s[n] == '\0') {
		q[0] = q[n + 1] = '"';
		heed_buf_add(b, q, n + 2);
		return;
	}
	heed_json_strn(b, s, strlen(s));
}

/* snprintf follows LC_NUMERIC; JSON always wants '.'. */
static void fix_decimal_point(char *s)
{
	const char *dp = localeconv()->decimal_point;
	if (!dp || (dp[0] == '.' && dp[1] == '\0') || dp[0] == '\0')
		return;
	size_t dn = strlen(dp);
	char *hit = strstr(s, dp);
	if (!hit)
		return;
	*hit = '.';
	memmove(hit + 1, hit + dn, strlen(hit + dn) + 1);
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static u128 pow10_u128(int p) /* 0 <= p <= 38 */
{
	static const uint64_t small[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
		1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	return p < 20 ? small[p] : (u128)small[19] * small[p - 19];
}

/* m * 2^-s * 10^p rounded to an integer, ties to even, exactly (p <= 20, s <= 70). */
static uint64_t scaled_round(uint64_t m, int s, u128 ten_p)
{
	u128 n = (u128)m * ten_p;
	u128 d = n >> s, rem = n & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
	if (rem > half || (rem == half && (d & 1)))
		d++;
	return (uint64_t)d;
}

/* The first `prec` significant digits of m * 2^-s, correctly rounded: OUT *digits
 * (prec digits, the first non-zero) and *exp10, the decimal exponent of the first digit.
 * Returns 0 when that needs a power of ten out of range. */
static int sig_digits(uint64_t m, int s, int prec, int guess, uint64_t *digits, int *exp10)
{
	uint64_t lo = 1, hi;
	for (int i = 1; i < prec; i++)
		lo *= 10;
	hi = lo * 10;
	int e = guess;
	for (;;) {
		if (prec - 1 - e < 0 || prec - 1 - e > 21)
			return 0;
		*digits = scaled_round(m, s, pow10_u128(prec - 1 - e));
		if (*digits >= hi)
			e++;
		else if (*digits < lo)
			e--;
		else
			break;
	}
	*exp10 = e;
	return 1;
}

/* 1 if the decimal digits * 10^-p reads back (round to nearest, ties to even) as
 * the double m * 2^-s with m in [2^52, 2^53). Exact integer test, like strtod. */
static int reads_back(uint64_t digits, int p, uint64_t m, int s)
{
	u128 ten_p = pow10_u128(p);
	u128 a = (u128)digits << s, b = (u128)m * ten_p;
	u128 diff = a >= b ? a - b : b - a;
	/* below v, the gap to the next double is half as wide at a power of two */
	unsigned scale = (a < b && m == (uint64_t)1 << 52) ? 4 : 2;
	u128 lhs = diff * scale;
	return lhs < ten_p || (lhs == ten_p && !(m & 1));
}

/* Write digits (prec of them) with decimal exponent e the way %g does for
 * -4 <= e < prec: no exponent, trailing zeros and a bare point dropped. */
static void put_fixed(heed_buf *b, int neg, uint64_t digits, int prec, int e)
{
	char d[24], out[48], *p = out;
	while (prec > 1 && digits % 10 == 0) { /* %g drops trailing zeros */
		digits /= 10;
		prec--;
	}
	for (int i = prec - 1; i >= 0; i--, digits /= 10)
		d[i] = (char)('0' + digits % 10);
	if (neg)
		*p++ = '-';
	if (e < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = -1; i > e; i--)
			*p++ = '0';
		memcpy(p, d, (size_t)prec);
		p += prec;
	} else {
		int whole = e + 1 < prec ? e + 1 : prec;
		memcpy(p, d, (size_t)whole);
		p += whole;
		for (int i = whole; i <= e; i++)
			*p++ = '0';
		if (prec > e + 1) {
			*p++ = '.';
			memcpy(p, d + e + 1, (size_t)(prec - e - 1));
			p += prec - e - 1;
		}
	}
	heed_buf_add(b, out, (size_t)(p - out));
}

/* The common case of heed_json_num without printf or strtod: a finite
 * non-integer with 1e-4 <= |v| < 1e15. Returns 0 (nothing written) otherwise. */
static int num_fast(heed_buf *b, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	int neg = (int)(bits >> 63), be = (int)((bits >> 52) & 0x7ff);
	if (be == 0 || be == 0x7ff)
		return 0; /* zero, subnormal, inf, nan */
	uint64_t m = (bits & (((uint64_t)1 << 52) - 1)) | ((uint64_t)1 << 52);
	int s = 1075 - be; /* |v| = m * 2^-s */
	if (s < 1 || s > 66)
		return 0; /* |v| >= 2^52 (an integer) or below about 1.4e-4 */
	/* floor(log10 |v|) up to one either way; sig_digits corrects it */
	int k = 52 - s; /* floor(k * log10(2)), 1233 / 4096 being close enough for |k| < 100 */
	int guess = k >= 0 ? (k * 1233) >> 12 : -((-k * 1233 + 4095) >> 12);
	uint64_t d;
	int e;
	if (!sig_digits(m, s, 15, guess, &d, &e) || e < -4 || e >= 15)
		return 0;
	if (reads_back(d, 14 - e, m, s)) {
		put_fixed(b, neg, d, 15, e);
		return 1;
	}
	if (!sig_digits(m, s, 17, e, &d, &e) || e < -4 || e >= 17)
		return 0;
	put_fixed(b, neg, d, 17, e);
	return 1;
}
#else
static int num_fast(heed_buf *b, double v)
{
	(void)b, (void)v;
	return 0;
}
#endif

void heed_json_num(heed_buf *b, double v)
{
	char tmp[40];
	if (!isfinite(v)) {
		heed_buf_add(b, "null", 4);
		return;
	}
	if (v == trunc(v) && fabs(v) < 1e15) {
		heed_json_int(b, (int64_t)v);
		return;
	}
	if (num_fast(b, v))
		return;
	/* Shortest of 15 or 17 significant digits that reads back exactly. */
	snprintf(tmp, sizeof tmp, "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof tmp, "%.17g", v);
	fix_decimal_point(tmp);
	heed_buf_adds(b, tmp);
}

void heed_json_int(heed_buf *b, int64_t v)
{
	char tmp[24], *e = tmp + sizeof tmp, *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	heed_buf_add(b, p, (size_t)(e - p)); /* no printf: score --all writes millions */
}

/* ---- parser ---- */

typedef struct parser {
	const char *text;
	const char *p;
	const heed_json_cb *cb;
	void *ud;
	char **err;
	heed_buf str; /* decoded string scratch, reused */
	const char *s; /* the string just parsed: in the text, or in str */
	size_t n;
	int depth;
} parser;

static int fail(parser *ps, const char *at, const char *what)
{
	heed_seterr(ps->err, "JSON: %s at byte offset %td", what, at - ps->text);
	return HEED_EINPUT;
}

static int stopped(parser *ps)
{
	heed_seterr(ps->err, "JSON: parsing stopped by a callback at byte offset %td",
	            ps->p - ps->text);
	return HEED_ERR;
}

static void skip_ws(parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = s[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Parse a string at ps->p (on the opening quote); OUT: ps->s, ps->n. */
static int parse_string(parser *ps)
{
	const char *start = ps->p;
	const char *p = ps->p + 1;
	while ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 && *p != '"' && *p != '\\')
		p++;
	if (*p == '"') { /* plain ASCII with nothing to decode: the text itself */
		ps->s = start + 1;
		ps->n = (size_t)(p - start - 1);
		ps->p = p + 1;
		return HEED_OK;
	}
	p = ps->p + 1;
	heed_buf_reset(&ps->str);
	for (;;) {
		const char *run = p;
		size_t bad;
		while (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			p++;
		if (!heed_utf8_valid(run, (size_t)(p - run), &bad))
			return fail(ps, run + bad, "invalid UTF-8 in string");
		heed_buf_add(&ps->str, run, (size_t)(p - run));
		if (*p == '"')
			break;
		if (*p == '\0')
			return fail(ps, start, "unterminated string");
		if (*p != '\\')
			return fail(ps, p, "control character in string");
		const char *esc = p++;
		switch (*p++) {
		case '"': heed_buf_addc(&ps->str, '"'); break;
		case '\\': heed_buf_addc(&ps->str, '\\'); break;
		case '/': heed_buf_addc(&ps->str, '/'); break;
		case 'b': heed_buf_addc(&ps->str, '\b'); break;
		case 'f': heed_buf_addc(&ps->str, '\f'); break;
		case 'n': heed_buf_addc(&ps->str, '\n'); break;
		case 'r': heed_buf_addc(&ps->str, '\r'); break;
		case 't': heed_buf_addc(&ps->str, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (!hex4(p, &cp))
				return fail(ps, esc, "bad \\u escape");
			p += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(ps, esc, "unpaired low surrogate");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 ||
				    lo > 0xDFFF)
					return fail(ps, esc, "unpaired high surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			heed_buf_add_utf8(&ps->str, cp);
			break;
		}
		default:
			return fail(ps, esc, "bad escape in string");
		}
	}
	ps->p = p + 1;
	ps->s = heed_buf_str(&ps->str);
	ps->n = ps->str.len;
	return HEED_OK;
}

static int parse_number(parser *ps)
{
	const char *s = ps->p, *p = s;
	char tmp[64];
	if (*p == '-')
		p++;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
	} else {
		return fail(ps, s, "bad number");
	}
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return fail(ps, s, "bad number");
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return fail(ps, s, "bad number");
		while (*p >= '0' && *p <= '9')
			p++;
	}
	size_t n = (size_t)(p - s);
	if (n >= sizeof tmp)
		return fail(ps, s, "number too long");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* strtod follows LC_NUMERIC; swap in the locale's decimal point. */
	const char *dp = localeconv()->decimal_point;
	char *dot = strchr(tmp, '.');
	if (dot && dp && dp[0] && dp[0] != '.' && dp[1] == '\0')
		*dot = dp[0];
	double v = strtod(tmp, NULL);
	ps->p = p;
	if (ps->cb->num && ps->cb->num(ps->ud, v))
		return stopped(ps);
	return HEED_OK;
}

static int parse_literal(parser *ps, const char *word, int kind)
{
	size_t n = strlen(word);
	if (strncmp(ps->p, word, n) != 0)
		return fail(ps, ps->p, "unexpected character");
	ps->p += n;
	int stop = 0;
	if (kind < 0)
		stop = ps->cb->null && ps->cb->null(ps->ud);
	else
		stop = ps->cb->boolean && ps->cb->boolean(ps->ud, kind);
	return stop ? stopped(ps) : HEED_OK;
}

static int parse_value(parser *ps);

static int parse_object(parser *ps)
{
	int rc;
	if (ps->cb->begin_obj && ps->cb->begin_obj(ps->ud))
		return stopped(ps);
	ps->p++;
	skip_ws(ps);
	if (*ps->p == '}') {
		ps->p++;
		goto end;
	}
	for (;;) {
		skip_ws(ps);
		if (*ps->p != '"')
			return fail(ps, ps->p, *ps->p ? "expected a string key" : "unexpected end of input");
		if ((rc = parse_string(ps)) != HEED_OK)
			return rc;
		if (ps->cb->key && ps->cb->key(ps->ud, ps->s, ps->n))
			return stopped(ps);
		skip_ws(ps);
		if (*ps->p != ':')
			return fail(ps, ps->p, "expected ':'");
		ps->p++;
		if ((rc = parse_value(ps)) != HEED_OK)
			return rc;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == '}') {
			ps->p++;
			break;
		}
		return fail(ps, ps->p, *ps->p ? "expected ',' or '}'" : "unexpected end of input");
	}
end:
	if (ps->cb->end_obj && ps->cb->end_obj(ps->ud))
		return stopped(ps);
	return HEED_OK;
}

static int parse_array(parser *ps)
{
	int rc;
	if (ps->cb->begin_arr && ps->cb->begin_arr(ps->ud))
		return stopped(ps);
	ps->p++;
	skip_ws(ps);
	if (*ps->p == ']') {
		ps->p++;
		goto end;
	}
	for (;;) {
		if ((rc = parse_value(ps)) != HEED_OK)
			return rc;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == ']') {
			ps->p++;
			break;
		}
		return fail(ps, ps->p, *ps->p ? "expected ',' or ']'" : "unexpected end of input");
	}
end:
	if (ps->cb->end_arr && ps->cb->end_arr(ps->ud))
		return stopped(ps);
	return HEED_OK;
}

static int parse_value(parser *ps)
{
	int rc;
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > JSON_MAX_DEPTH)
			return fail(ps, ps->p, "nesting too deep");
		rc = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
		ps->depth--;
		return rc;
	case '"':
		if ((rc = parse_string(ps)) != HEED_OK)
			return rc;
		if (ps->cb->str && ps->cb->str(ps->ud, ps->s, ps->n))
			return stopped(ps);
		return HEED_OK;
	case 't':
		return parse_literal(ps, "true", 1);
	case 'f':
		return parse_literal(ps, "false", 0);
	case 'n':
		return parse_literal(ps, "null", -1);
	case '\0':
		return fail(ps, ps->p, "unexpected end of input");
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		return fail(ps, ps->p, "unexpected character");
	}
}

int heed_json_parse(const char *text, const heed_json_cb *cb, void *ud, char **err)
{
	static const heed_json_cb none;
	parser ps = {.text = text ? text : "", .cb = cb ? cb : &none, .ud = ud, .err = err};
	ps.p = ps.text;
	int rc = parse_value(&ps);
	if (rc != HEED_OK)
		goto done;
	skip_ws(&ps);
	if (*ps.p != '\0')
		rc = fail(&ps, ps.p, "trailing characters after the value");
done:
	heed_buf_free(&ps.str);
	return rc;
}
