/* Unit tests for core/parts.c: the compact stored layout, reading it and the
 * older object layout alike, the readable JSON of both, and text that is not
 * score parts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parts.h"
#include "util.h"

/* The parts read back, one "plugin|name|points|reason;" each. */
static int collect(void *ud, const char *plugin, const char *name, double points, const char *reason)
{
	heed_buf_addf(ud, "%s|%s|%.17g|%s;", plugin, name, points, reason);
	return 0;
}

static char *read_all(const char *text, int *rc)
{
	heed_buf b = { 0 };
	char *err = NULL;
	*rc = heed_parts_read(text, collect, &b, &err);
	if (*rc != HEED_OK)
		heed_buf_adds(&b, err ? err : "(no message)");
	free(err);
	return heed_buf_detach(&b);
}

static void test_encode(void)
{
	static const char a[] = "bench", z[] = "zeta";
	heed_part v[] = {
		{ a, "industry", "health", 10 },
		{ a, "visits", "7 \"visits\"", 10.5 },
		{ z, "size", "", -0.1 },
		{ a, "tiny", "1e-7", 1e-7 },
	};
	heed_parts_enc enc = { 0 };
	heed_buf b = { 0 };
	heed_parts_encode(&b, &enc, v, 4);
	CHECK_STR(b.s, "[[\"bench\",\"industry\",10,\"health\"],[\"bench\",\"visits\",10.5,\"7 \\\"visits\\\"\"],"
	               "[\"zeta\",\"size\",-0.1,\"\"],[\"bench\",\"tiny\",1e-07,\"1e-7\"]]");
	heed_buf_reset(&b);
	heed_parts_encode(&b, &enc, v, 0);
	CHECK_STR(b.s, "[]");
	heed_buf_reset(&b);
	heed_parts_encode(&b, &enc, v + 2, 1); /* the cached plugin is zeta: still right */
	CHECK_STR(b.s, "[[\"zeta\",\"size\",-0.1,\"\"]]");

	/* points read back exactly as written */
	heed_buf_reset(&b);
	heed_parts_encode(&b, &enc, v, 4);
	int rc;
	char *got = read_all(b.s, &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, "bench|industry|10|health;bench|visits|10.5|7 \"visits\";zeta|size|-0.10000000000000001|;"
	               "bench|tiny|9.9999999999999995e-08|1e-7;");
	free(got);
	heed_buf_free(&b);
	heed_parts_enc_free(&enc);
}

/* Both layouts read the same and give the same readable JSON. */
static void test_layouts(void)
{
	const char *old = "[{\"plugin\":\"bench\",\"name\":\"industry\",\"points\":10,\"reason\":\"health\"},"
	                  "{\"plugin\":\"bench\",\"name\":\"visits\",\"points\":10.5,\"reason\":\"M\\u00fcller\"}]";
	const char *compact = "[[\"bench\",\"industry\",10,\"health\"],[\"bench\",\"visits\",10.5,\"M\\u00fcller\"]]";
	const char *want = "bench|industry|10|health;bench|visits|10.5|M\xc3\xbcller;";
	int rc;
	char *got = read_all(old, &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, want);
	free(got);
	got = read_all(compact, &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, want);
	free(got);

	const char *readable = "[{\"plugin\":\"bench\",\"name\":\"industry\",\"points\":10,\"reason\":\"health\"},"
	                       "{\"plugin\":\"bench\",\"name\":\"visits\",\"points\":10.5,\"reason\":\"M\xc3\xbcller\"}]";
	heed_buf b = { 0 };
	CHECK_INT(heed_parts_readable(&b, old, NULL), HEED_OK);
	CHECK_STR(b.s, readable);
	heed_buf_reset(&b);
	CHECK_INT(heed_parts_readable(&b, compact, NULL), HEED_OK);
	CHECK_STR(b.s, readable);
	heed_buf_reset(&b);
	CHECK_INT(heed_parts_readable(&b, NULL, NULL), HEED_OK);
	CHECK_STR(b.s, "[]");
	heed_buf_reset(&b);
	CHECK_INT(heed_parts_readable(&b, "[]", NULL), HEED_OK);
	CHECK_STR(b.s, "[]");
	heed_buf_free(&b);

	/* old objects in any key order, without a reason, with keys heed ignores */
	got = read_all("[{\"points\":2,\"name\":\"n\",\"extra\":\"x\",\"plugin\":\"p\"}]", &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, "p|n|2|;");
	free(got);
	/* a short compact part: what is missing stays empty */
	got = read_all("[[\"p\",\"n\"]]", &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, "p|n|nan|;");
	free(got);
}

/* What a part holds that heed cannot use: skipped, or read as unknown, and
 * the part and the parts around it still read. */
static void test_tolerant(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* an unknown key holding an array or an object (as stores before held) */
		{ "[{\"plugin\":\"x\",\"name\":\"n\",\"points\":5,\"reason\":\"r\",\"extra\":[1,2]}]", "x|n|5|r;" },
		{ "[{\"extra\":{\"plugin\":\"no\",\"points\":9,\"deep\":[[{}]]},\"plugin\":\"x\",\"name\":\"n\","
		  "\"points\":5,\"reason\":\"r\"},{\"plugin\":\"y\",\"name\":\"m\",\"points\":1}]",
		  "x|n|5|r;y|m|1|;" },
		{ "[{\"plugin\":\"x\",\"tags\":[],\"name\":\"n\",\"meta\":{},\"points\":5,\"on\":true,\"z\":null}]",
		  "x|n|5|;" },
		/* points that are not a number: unknown; the other parts as they are */
		{ "[{\"plugin\":\"p\",\"name\":\"a\",\"points\":\"5\",\"reason\":\"r\"},"
		  "{\"plugin\":\"p\",\"name\":\"b\",\"points\":2,\"reason\":\"s\"}]",
		  "p|a|nan|r;p|b|2|s;" },
		{ "[{\"points\":\"ten\"}]", "||nan|;" },
		{ "[{\"plugin\":\"p\",\"points\":[5]},{\"plugin\":\"q\",\"points\":null}]", "p||nan|;q||nan|;" },
		/* the same in the compact layout, and positions past the reason */
		{ "[[\"p\",\"n\",\"ten\",\"r\"],[\"p\",\"m\",3,\"s\"]]", "p|n|nan|r;p|m|3|s;" },
		{ "[[\"p\",3,1,\"r\"]]", "p||1|r;" },
		{ "[[[\"deep\"],\"n\",1,\"r\"]]", "|n|1|r;" },
		{ "[[\"p\",\"n\",1,\"r\",{\"more\":[1]},\"x\"]]", "p|n|1|r;" },
		/* a key given twice: the last one */
		{ "[{\"plugin\":\"p\",\"reason\":\"a\",\"reason\":\"b\",\"points\":1,\"points\":\"x\"}]", "p||nan|b;" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		char *got = read_all(cases[i].text, &rc);
		if (rc != HEED_OK || strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "case %zu: %s -> %s\n", i, cases[i].text, got);
		CHECK_INT(rc, HEED_OK);
		CHECK_STR(got, cases[i].want);
		free(got);
	}

	/* readable JSON: unknown points as null, extra keys gone */
	heed_buf b = { 0 };
	CHECK_INT(heed_parts_readable(&b,
	                              "[{\"plugin\":\"x\",\"name\":\"n\",\"points\":\"5\",\"reason\":\"r\","
	                              "\"extra\":[1,2]}]",
	                              NULL),
	          HEED_OK);
	CHECK_STR(b.s, "[{\"plugin\":\"x\",\"name\":\"n\",\"points\":null,\"reason\":\"r\"}]");
	heed_buf_free(&b);
}

/* A NUL in a shown string would cut it: the text is refused, saying where. */
static void test_nul(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[{\"plugin\":\"p\",\"name\":\"n\",\"points\":1,\"reason\":\"ok\\u0000hidden\"}]",
		  "score parts: a NUL character (\\u0000) in the reason (part 1)" },
		{ "[[\"p\",\"n\",1,\"r\"],[\"p\\u0000q\",\"n\",1,\"r\"]]",
		  "p|n|1|r;score parts: a NUL character (\\u0000) in the plugin (part 2)" }, /* part 1 read first */
		{ "[{\"name\":\"\\u0000\"}]", "score parts: a NUL character (\\u0000) in the name (part 1)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		char *got = read_all(cases[i].text, &rc);
		CHECK_INT(rc, HEED_EINPUT);
		CHECK_STR(got, cases[i].want);
		free(got);
	}
	/* where heed shows nothing of it, a NUL does no harm */
	int rc;
	char *got = read_all("[{\"plugin\":\"p\",\"note\":\"a\\u0000b\",\"points\":\"1\\u0000\"}]", &rc);
	CHECK_INT(rc, HEED_OK);
	CHECK_STR(got, "p||nan|;");
	free(got);
}

static void test_not_parts(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\"plugin\":\"p\"}", "score parts: not a list of parts" },
		{ "7", "score parts: not a list of parts" },
		{ "[1]", "score parts: not a list of parts (part 1)" },
		{ "[[\"p\",\"n\",1,\"r\"],\"x\"]", "p|n|1|r;score parts: not a list of parts (part 2)" },
		{ "[[\"p\",\"n\",1,\"r\"]", NULL },
		{ "not json", NULL },
		{ "NaN", NULL },
		{ "[[\"\xff\",\"n\",1,\"r\"]]", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;
		char *got = read_all(bad[i].text, &rc);
		if (rc != HEED_EINPUT)
			fprintf(stderr, "not refused: %s -> %s\n", bad[i].text, got);
		CHECK_INT(rc, HEED_EINPUT);
		if (bad[i].want)
			CHECK_STR(got, bad[i].want);
		free(got);
		heed_buf b = { 0 };
		char *err = NULL;
		CHECK_INT(heed_parts_readable(&b, bad[i].text, &err), HEED_EINPUT);
		CHECK(b.len == 0);
		CHECK(err != NULL);
		free(err);
		heed_buf_free(&b);
	}
}

int main(void)
{
	test_encode();
	test_layouts();
	test_tolerant();
	test_nul();
	test_not_parts();
	return check_done("test_parts");
}
