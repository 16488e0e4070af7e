/* Unit tests for core/json.c: writer escaping and numbers, parser events,
 * escapes and surrogate pairs, number grammar, errors with byte offsets. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "util.h"

/* ---- writer ---- */

static char *w_str(const char *s)
{
	heed_buf b = {0};
	heed_json_str(&b, s);
	return heed_buf_detach(&b);
}

static char *w_num(double v)
{
	heed_buf b = {0};
	heed_json_num(&b, v);
	return heed_buf_detach(&b);
}

static char *w_int(int64_t v)
{
	heed_buf b = {0};
	heed_json_int(&b, v);
	return heed_buf_detach(&b);
}

#define CHECK_OWNED(expr, want)        \
	do {                               \
		char *s_ = (expr);             \
		CHECK_STR(s_, want);           \
		free(s_);                      \
	} while (0)

static void test_writer(void)
{
	CHECK_OWNED(w_str("plain"), "\"plain\"");
	CHECK_OWNED(w_str(NULL), "null");
	CHECK_OWNED(w_str(""), "\"\"");
	CHECK_OWNED(w_str("a\"b\\c\nd\te\rf\bg\fh\x01i\x1f"),
	            "\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i\\u001f\"");
	CHECK_OWNED(w_str("M\xc3\xbchle / \xe2\x82\xac"), "\"M\xc3\xbchle / \xe2\x82\xac\"");

	heed_buf b = {0};
	heed_json_strn(&b, "a\0b", 3);
	CHECK_STR(heed_buf_str(&b), "\"a\\u0000b\"");
	heed_buf_reset(&b);
	heed_json_strn(&b, "abcdef", 3);
	CHECK_STR(heed_buf_str(&b), "\"abc\"");
	heed_buf_free(&b);

	CHECK_OWNED(w_num(3), "3");
	CHECK_OWNED(w_num(-42), "-42");
	CHECK_OWNED(w_num(0), "0");
	CHECK_OWNED(w_num(-0.0), "0");
	CHECK_OWNED(w_num(2.5), "2.5");
	CHECK_OWNED(w_num(0.1), "0.1");
	CHECK_OWNED(w_num(-0.001), "-0.001");
	CHECK_OWNED(w_num(1e20), "1e+20");
	CHECK_OWNED(w_num(123456789012.0), "123456789012");
	CHECK_OWNED(w_num(NAN), "null");
	CHECK_OWNED(w_num(INFINITY), "null");
	CHECK_OWNED(w_num(-INFINITY), "null");
	char *third = w_num(1.0 / 3.0);
	CHECK(strtod(third, NULL) == 1.0 / 3.0);
	free(third);

	CHECK_OWNED(w_int(0), "0");
	CHECK_OWNED(w_int(INT64_MAX), "9223372036854775807");
	CHECK_OWNED(w_int(INT64_MIN), "-9223372036854775808");
}

/* ---- parser: events logged as text ---- */

static int ev_begin_obj(void *ud)
{
	heed_buf_adds(ud, "{ ");
	return 0;
}

static int ev_end_obj(void *ud)
{
	heed_buf_adds(ud, "} ");
	return 0;
}

static int ev_begin_arr(void *ud)
{
	heed_buf_adds(ud, "[ ");
	return 0;
}

static int ev_end_arr(void *ud)
{
	heed_buf_adds(ud, "] ");
	return 0;
}

/* Strings come with their length: one without escapes points into the text. */
static int ev_key(void *ud, const char *s, size_t n)
{
	heed_buf_addf(ud, "k:%.*s ", (int)n, s);
	return 0;
}

static int ev_str(void *ud, const char *s, size_t n)
{
	heed_buf_addf(ud, "s:%.*s(%zu) ", (int)n, s, n);
	return 0;
}

static int ev_num(void *ud, double v)
{
	heed_buf_addf(ud, "n:%.17g ", v);
	return 0;
}

static int ev_bool(void *ud, int v)
{
	heed_buf_addf(ud, "b:%d ", v);
	return 0;
}

static int ev_null(void *ud)
{
	heed_buf_adds(ud, "null ");
	return 0;
}

static const heed_json_cb logger = {ev_begin_obj, ev_end_obj, ev_begin_arr, ev_end_arr, ev_key,
                                    ev_str,       ev_num,     ev_bool,      ev_null};

/* Parse text; returns the event log, or "ERR(rc): message". Caller frees. */
static char *events(const char *text)
{
	heed_buf b = {0};
	char *err = NULL;
	int rc = heed_json_parse(text, &logger, &b, &err);
	if (rc != HEED_OK) {
		heed_buf_reset(&b);
		heed_buf_addf(&b, "ERR(%d): %s", rc, err ? err : "(no message)");
	}
	free(err);
	return heed_buf_detach(&b);
}

static void test_parse_values(void)
{
	CHECK_OWNED(events("{\"name\":\"Ada\",\"n\":[1,-2.5,3e2,true,false,null],\"o\":{}}"),
	            "{ k:name s:Ada(3) k:n [ n:1 n:-2.5 n:300 b:1 b:0 null ] k:o { } } ");
	CHECK_OWNED(events("  [ ]  "), "[ ] ");
	CHECK_OWNED(events("\t\r\n\"top\"\n"), "s:top(3) ");
	CHECK_OWNED(events("0"), "n:0 ");
	CHECK_OWNED(events("-0.5e-1"), "n:-0.050000000000000003 ");
	CHECK_OWNED(events("1E+2"), "n:100 ");
	CHECK_OWNED(events("[[[\"deep\"]]]"), "[ [ [ s:deep(4) ] ] ] ");
	CHECK_OWNED(events("{\"\":\"\"}"), "{ k: s:(0) } ");
}

static void test_parse_escapes(void)
{
	CHECK_OWNED(events("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\""),
	            "s:a\"b\\c/d\be\ff\ng\rh\ti(17) ");
	CHECK_OWNED(events("\"\\u00fc\\u00DF\""), "s:\xc3\xbc\xc3\x9f(4) ");
	CHECK_OWNED(events("\"\\u20ac\""), "s:\xe2\x82\xac(3) ");
	CHECK_OWNED(events("\"\\u0041\\u007a\""), "s:Az(2) ");
	/* U+1F600 as a surrogate pair → 4-byte UTF-8. */
	CHECK_OWNED(events("\"x\\ud83d\\ude00y\""), "s:x\xf0\x9f\x98\x80y(6) ");
	CHECK_OWNED(events("\"\\uDBFF\\uDFFF\""), "s:\xf4\x8f\xbf\xbf(4) ");
	CHECK_OWNED(events("\"M\xc3\xbchle\""), "s:M\xc3\xbchle(6) ");
	/* \u0000 is kept as a byte: n counts it. */
	CHECK_OWNED(events("[\"a\\u0000b\"]"), "[ s:a(3) ] ");
}

static void test_parse_errors(void)
{
	CHECK_OWNED(events(""), "ERR(-6): JSON: unexpected end of input at byte offset 0");
	CHECK_OWNED(events("   "), "ERR(-6): JSON: unexpected end of input at byte offset 3");
	CHECK_OWNED(events("{\"a\":1,}"), "ERR(-6): JSON: expected a string key at byte offset 7");
	CHECK_OWNED(events("[1 2]"), "ERR(-6): JSON: expected ',' or ']' at byte offset 3");
	CHECK_OWNED(events("{\"a\" 1}"), "ERR(-6): JSON: expected ':' at byte offset 5");
	CHECK_OWNED(events("{\"a\":1"), "ERR(-6): JSON: unexpected end of input at byte offset 6");
	CHECK_OWNED(events("{} x"), "ERR(-6): JSON: trailing characters after the value at byte offset 3");
	CHECK_OWNED(events("\"abc"), "ERR(-6): JSON: unterminated string at byte offset 0");
	CHECK_OWNED(events("[\"a\nb\"]"), "ERR(-6): JSON: control character in string at byte offset 3");
	CHECK_OWNED(events("\"\\x\""), "ERR(-6): JSON: bad escape in string at byte offset 1");
	CHECK_OWNED(events("\"\\u12g4\""), "ERR(-6): JSON: bad \\u escape at byte offset 1");
	CHECK_OWNED(events("\"\\ud800\""), "ERR(-6): JSON: unpaired high surrogate at byte offset 1");
	CHECK_OWNED(events("\"\\ud800\\u0041\""),
	            "ERR(-6): JSON: unpaired high surrogate at byte offset 1");
	CHECK_OWNED(events("\"ab\\udc00\""), "ERR(-6): JSON: unpaired low surrogate at byte offset 3");
	CHECK_OWNED(events("\"ok\xff\""), "ERR(-6): JSON: invalid UTF-8 in string at byte offset 3");
	CHECK_OWNED(events("01"), "ERR(-6): JSON: trailing characters after the value at byte offset 1");
	CHECK_OWNED(events("1."), "ERR(-6): JSON: bad number at byte offset 0");
	CHECK_OWNED(events(".5"), "ERR(-6): JSON: unexpected character at byte offset 0");
	CHECK_OWNED(events("-"), "ERR(-6): JSON: bad number at byte offset 0");
	CHECK_OWNED(events("1e"), "ERR(-6): JSON: bad number at byte offset 0");
	CHECK_OWNED(events("[tru]"), "ERR(-6): JSON: unexpected character at byte offset 1");
	CHECK_OWNED(events("nul"), "ERR(-6): JSON: unexpected character at byte offset 0");
	CHECK_OWNED(events("{1:2}"), "ERR(-6): JSON: expected a string key at byte offset 1");

	/* Nesting is bounded. */
	char deep[600];
	memset(deep, '[', 599);
	deep[599] = '\0';
	char *e = events(deep);
	CHECK(strstr(e, "nesting too deep at byte offset 256") != NULL);
	free(e);

	/* A NULL callback table only validates. */
	char *err = NULL;
	CHECK_INT(heed_json_parse("{\"a\":[1,2,{\"b\":null}]}", NULL, NULL, &err), HEED_OK);
	CHECK(err == NULL);
	CHECK_INT(heed_json_parse("{\"a\":}", NULL, NULL, &err), HEED_EINPUT);
	CHECK_STR(err, "JSON: unexpected character at byte offset 5");
	free(err);
}

/* Stop after the second number. */
static int stop_at_two(void *ud, double v)
{
	(void)v;
	return ++*(int *)ud == 2;
}

static void test_parse_stop(void)
{
	heed_json_cb cb = {0};
	cb.num = stop_at_two;
	int count = 0;
	char *err = NULL;
	CHECK_INT(heed_json_parse("[1,2,3,4]", &cb, &count, &err), HEED_ERR);
	CHECK_INT(count, 2);
	CHECK(err != NULL && strstr(err, "stopped") != NULL);
	free(err);
}

/* Written strings and numbers read back unchanged. */
static int grab_str(void *ud, const char *s, size_t n)
{
	heed_buf_add(ud, s, n);
	return 0;
}

/* heed_json_num as it was written with printf: %.15g when that reads back, else %.17g. */
static void num_reference(double v, char *out, size_t n)
{
	if (v == trunc(v) && fabs(v) < 1e15) {
		snprintf(out, n, "%.0f", v);
		return;
	}
	snprintf(out, n, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, n, "%.17g", v);
}

static int num_same(double v)
{
	char want[64];
	num_reference(v, want, sizeof want);
	char *got = w_num(v);
	int same = strcmp(got, want) == 0;
	if (!same)
		fprintf(stderr, "heed_json_num(%a): got %s, want %s\n", v, got, want);
	free(got);
	return same;
}

/* The printf-free path must write exactly what printf would, digit for digit. */
static void test_num_digits(void)
{
	long bad = 0;
	for (int k = -20000; k <= 20000; k++) {
		bad += !num_same(k / 60.0);
		bad += !num_same(k * 1.5);
		bad += !num_same(k / 7.0);
		bad += !num_same(k * 0.1);
		bad += !num_same(k * 0.01 + 0.005);
	}
	for (int e = -6; e <= 16; e++) { /* around every power of ten, both sides */
		double p = pow(10, e);
		double v = p;
		for (int i = 0; i < 40; i++, v = nextafter(v, 0))
			bad += !num_same(v) + !num_same(-v);
		v = p;
		for (int i = 0; i < 40; i++, v = nextafter(v, INFINITY))
			bad += !num_same(v) + !num_same(-v);
		for (int i = 1; i < 1000; i++)
			bad += !num_same(p - i * 0.5) + !num_same(p * (1 - i * 1e-16));
	}
	for (int e = -16; e <= 52; e++) { /* powers of two: the narrower gap below */
		double v = ldexp(1, e);
		bad += !num_same(v) + !num_same(nextafter(v, 0)) + !num_same(nextafter(v, INFINITY));
		bad += !num_same(v * 1.5) + !num_same(v / 3);
	}
	uint64_t x = 88172645463325252ULL; /* xorshift: random bit patterns in range */
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t bits = (x & 0x800fffffffffffffULL) | ((uint64_t)(1023 - 16 + (x >> 52) % 70) << 52);
		double v;
		memcpy(&v, &bits, sizeof v);
		bad += !num_same(v);
	}
	CHECK(bad == 0);
}

static void test_round_trip(void)
{
	static const char *const samples[] = {
		"", "plain", "quote \" backslash \\ slash /", "line\nbreak\r\ttab",
		"ctl \x01\x02\x1f\x7f", "Br\xc3\xa4ndt M\xc3\xbchle & S\xc3\xb6hne \xe2\x80\x99 \xf0\x9f\x98\x80",
	};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		heed_buf w = {0}, r = {0};
		heed_json_str(&w, samples[i]);
		heed_json_cb cb = {0};
		cb.str = grab_str;
		CHECK_INT(heed_json_parse(heed_buf_str(&w), &cb, &r, NULL), HEED_OK);
		CHECK_STR(heed_buf_str(&r), samples[i]);
		heed_buf_free(&w);
		heed_buf_free(&r);
	}
	static const double nums[] = {0, 1, -1, 0.1, 1.0 / 3.0, 6.02214076e23, -1e-300, 12345.678};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		heed_buf w = {0}, r = {0};
		heed_json_num(&w, nums[i]);
		char *text = heed_buf_detach(&w);
		char *ev = events(text);
		heed_buf_addf(&r, "n:%.17g ", nums[i]);
		CHECK_STR(ev, heed_buf_str(&r));
		free(ev);
		free(text);
		heed_buf_free(&r);
	}
}

int main(void)
{
	test_writer();
	test_parse_values();
	test_parse_escapes();
	test_parse_errors();
	test_parse_stop();
	test_round_trip();
	test_num_digits();
	return check_done("test_json");
}
