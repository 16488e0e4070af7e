/* Unit tests for core/contact.c: record init/clear, activities, email
 * normalisation, HTML entity decoding and organisation keys. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "contact.h"
#include "util.h"

#define CHECK_OWNED(expr, want)  \
	do {                         \
		char *s_ = (expr);       \
		CHECK_STR(s_, want);     \
		free(s_);                \
	} while (0)

static void test_init_clear(void)
{
	heed_contact c;
	memset(&c, 0x5A, sizeof c);
	heed_contact_init(&c);
	CHECK_INT(c.id, 0);
	CHECK(c.email == NULL && c.attrs == NULL && c.acts == NULL && c.hist == NULL);
	CHECK_INT(c.org.employees, -1);
	CHECK_INT(c.org.id, 0);
	CHECK(isnan(c.deal.value));
	CHECK(isnan(c.deal.probability));
	CHECK_INT(c.deal.present, 0);
	CHECK_STR(c.stage, "");
	CHECK_INT(c.nacts, 0);

	/* Fill every owned pointer; ASan reports anything clear misses. */
	c.email = xstrdup("a@b.c");
	c.source = xstrdup("crm");
	c.external_id = xstrdup("42");
	c.first_name = xstrdup("Ada");
	c.last_name = xstrdup("Lim");
	c.title = xstrdup("CTO");
	c.phone = xstrdup("+1");
	c.owner = xstrdup("sam");
	c.org.name = xstrdup("Corvid");
	c.org.key = xstrdup("corvid");
	c.org.domain = xstrdup("corvid.example");
	c.org.industry = xstrdup("Birds");
	c.org.country = xstrdup("NZ");
	c.org.employees = 12;
	c.score_parts = xstrdup("[]");
	c.attrs = xstrdup("{}");
	c.deal.present = 1;
	c.deal.value = 1000;
	c.deal.currency = xstrdup("EUR");
	c.deal.decision_makers = xstrdup("CFO");
	strcpy(c.stage, "lead");
	heed_activity_add(&c, "note", 10, "{\"text\":\"hi\"}");
	c.hist = xcalloc(1, sizeof *c.hist);
	c.nhist = 1;
	c.hist[0].from = xstrdup("lead");
	c.hist[0].to = xstrdup("mql");
	c.hist[0].actor = xstrdup("cli");
	c.hist[0].reason = xstrdup("score");
	c.hist[0].plugins = xstrdup("[]");

	heed_contact_clear(&c);
	CHECK(c.email == NULL && c.org.name == NULL && c.acts == NULL && c.hist == NULL);
	CHECK_INT(c.nacts, 0);
	CHECK_INT(c.nhist, 0);
	CHECK_INT(c.org.employees, -1);
	CHECK(isnan(c.deal.value));
	CHECK_INT(c.deal.present, 0);
	CHECK_STR(c.stage, "");
	heed_contact_clear(&c); /* clearing twice is harmless */

	heed_org o = {0};
	o.name = xstrdup("X");
	o.key = xstrdup("x");
	o.employees = 5;
	heed_org_clear(&o);
	CHECK(o.name == NULL && o.key == NULL);
	CHECK_INT(o.employees, -1);
}

static void test_activities(void)
{
	heed_contact c;
	heed_contact_init(&c);
	char kind[16] = "email";
	char data[16] = "{\"n\":1}";
	heed_activity_add(&c, kind, 100, data);
	strcpy(kind, "XXXXX"); /* the contact holds its own copies */
	strcpy(data, "{}");
	heed_activity_add(&c, "call", 50, NULL); /* earlier: goes first */
	heed_activity_add(&c, "meeting", 100, "{\"n\":3}"); /* same time: after "email" */
	heed_activity_add(&c, "web", 200, "{}");
	c.acts[c.nacts - 1].id = 7; /* added in time order: the last one added is last */
	CHECK_INT(c.nacts, 4);
	CHECK_STR(c.acts[0].kind, "call");
	CHECK_INT(c.acts[0].at, 50);
	CHECK(c.acts[0].data == NULL);
	CHECK_INT(c.acts[0].id, 0);
	CHECK_STR(c.acts[1].kind, "email");
	CHECK_STR(c.acts[1].data, "{\"n\":1}");
	CHECK_INT(c.acts[1].at, 100);
	CHECK_STR(c.acts[2].kind, "meeting");
	CHECK_STR(c.acts[3].kind, "web");
	CHECK_INT(c.acts[3].at, 200);
	CHECK_INT(c.acts[3].id, 7);
	heed_contact_clear(&c);
}

static void test_email(void)
{
	CHECK_OWNED(heed_email_norm("  Noor.Haddad@Quill.example "), "noor.haddad@quill.example");
	CHECK_OWNED(heed_email_norm("NOOR.HADDAD@QUILL.EXAMPLE"), "noor.haddad@quill.example");
	CHECK_OWNED(heed_email_norm("\tx@y.z\r\n"), "x@y.z");
	CHECK_OWNED(heed_email_norm("\xc2\xa0" "a@b.c" "\xc2\xa0"), "a@b.c");
	CHECK_OWNED(heed_email_norm("J\xc3\x9cRGEN@Example.COM"), "j\xc3\x9crgen@example.com");
	CHECK_OWNED(heed_email_norm("first+tag@sub.example.org"), "first+tag@sub.example.org");
	CHECK_OWNED(heed_email_norm(NULL), NULL);
	CHECK_OWNED(heed_email_norm(""), NULL);
	CHECK_OWNED(heed_email_norm("   \t "), NULL);
	CHECK_OWNED(heed_email_norm("no-at-sign.example"), NULL);
	CHECK_OWNED(heed_email_norm("two words@example.com"), NULL);
	CHECK_OWNED(heed_email_norm("a@b\tc.com"), NULL);
	CHECK_OWNED(heed_email_norm("@example.com"), NULL);
	CHECK_OWNED(heed_email_norm("user@"), NULL);
}

static void test_html_decode(void)
{
	CHECK_OWNED(heed_html_decode("Brandt M&uuml;hle &amp; S&ouml;hne"),
	            "Brandt M\xc3\xbchle & S\xc3\xb6hne");
	CHECK_OWNED(heed_html_decode("&lt;b&gt;&quot;x&quot;&apos;"), "<b>\"x\"'");
	CHECK_OWNED(heed_html_decode("a&nbsp;b"), "a\xc2\xa0" "b");
	CHECK_OWNED(heed_html_decode("&Auml;&Ouml;&Uuml;&auml;&szlig;"),
	            "\xc3\x84\xc3\x96\xc3\x9c\xc3\xa4\xc3\x9f");
	CHECK_OWNED(heed_html_decode("&eacute;&egrave;&aacute;&agrave;&ccedil;&ntilde;&oslash;&aring;"),
	            "\xc3\xa9\xc3\xa8\xc3\xa1\xc3\xa0\xc3\xa7\xc3\xb1\xc3\xb8\xc3\xa5");
	CHECK_OWNED(heed_html_decode("O&#39;Leary &#8217; &#x2019; &#X41; &#x1F600;"),
	            "O'Leary \xe2\x80\x99 \xe2\x80\x99 A \xf0\x9f\x98\x80");
	CHECK_OWNED(heed_html_decode("&amp;amp;"), "&amp;");
	/* Not entities: kept verbatim. */
	CHECK_OWNED(heed_html_decode("AT&T & Sons"), "AT&T & Sons");
	CHECK_OWNED(heed_html_decode("&bogus; &amp &Amp; &#; &#x; &#0; &#xD800; &#1114112; &"),
	            "&bogus; &amp &Amp; &#; &#x; &#0; &#xD800; &#1114112; &");
	CHECK_OWNED(heed_html_decode("&#99999999999999999999;"), "&#99999999999999999999;");
	CHECK_OWNED(heed_html_decode(""), "");
	CHECK_OWNED(heed_html_decode(NULL), NULL);
}

static void test_org_key(void)
{
	/* The three spellings of the apostrophe-variants case. */
	char *k1 = heed_org_key("Harbour's Edge Ltd");
	char *k2 = heed_org_key("Harbour\xe2\x80\x99s Edge Ltd");
	char *k3 = heed_org_key("HARBOUR'S EDGE LTD");
	CHECK_STR(k1, "harbours edge");
	CHECK_STR(k2, k1);
	CHECK_STR(k3, k1);
	free(k1);
	free(k2);
	free(k3);

	/* HTML-entity spelling equals the decoded UTF-8 spelling. */
	char *h1 = heed_org_key("Brandt M&uuml;hle &amp; S&ouml;hne");
	char *h2 = heed_org_key("Brandt M\xc3\xbchle & S\xc3\xb6hne");
	CHECK_STR(h1, "brandt muhle sohne");
	CHECK_STR(h2, h1);
	free(h1);
	free(h2);

	CHECK_OWNED(heed_org_key("O\xc2\xb4" "Brien & O`Brien \xe2\x80\x98" "Co\xe2\x80\x99"),
	            "obrien obrien");
	CHECK_OWNED(heed_org_key("Acme, Inc."), "acme");
	CHECK_OWNED(heed_org_key("ACME Corporation"), "acme");
	CHECK_OWNED(heed_org_key("Acme LLC"), "acme");
	CHECK_OWNED(heed_org_key("Acme L.L.C."), "acme");
	CHECK_OWNED(heed_org_key("Acme plc"), "acme");
	CHECK_OWNED(heed_org_key("Acme Limited"), "acme");
	CHECK_OWNED(heed_org_key("Acme B.V."), "acme");
	CHECK_OWNED(heed_org_key("Acme S.A."), "acme");
	CHECK_OWNED(heed_org_key("Acme Corp"), "acme");
	CHECK_OWNED(heed_org_key("Acme GmbH & Co. KG"), "acme");
	CHECK_OWNED(heed_org_key("Acme Pty Ltd"), "acme");
	CHECK_OWNED(heed_org_key("Inc"), "inc");              /* a lone suffix stays */
	CHECK_OWNED(heed_org_key("Incognito Systems"), "incognito systems");
	CHECK_OWNED(heed_org_key("Co-operative Bank"), "co operative bank");
	CHECK_OWNED(heed_org_key("Caf\xc3\xa9 Z\xc3\xbcrich AG"), "cafe zurich");
	CHECK_OWNED(heed_org_key("Gro\xc3\x9f" "e Stra\xc3\x9f" "e"), "grosse strasse");
	CHECK_OWNED(heed_org_key("\xc3\x86ther \xc3\x98resund \xc3\x85s"), "aether oresund as");
	CHECK_OWNED(heed_org_key("\xc5\x81\xc3\xb3" "d\xc5\xba \xc5\xa0koda \xc4\x8c" "esk\xc3\xa1"),
	            "lodz skoda ceska");
	CHECK_OWNED(heed_org_key("  Many \t  spaces\xc2\xa0here  "), "many spaces here");
	CHECK_OWNED(heed_org_key("Smith-Jones / Partners"), "smith jones partners");
	CHECK_OWNED(heed_org_key("Caf&eacute; &#x2019;Noir&#8217;"), "cafe noir");
	CHECK_OWNED(heed_org_key("Alpha \xe2\x80\x93 Beta"), "alpha beta");
	/* Scripts without a fold are kept, not dropped. */
	CHECK_OWNED(heed_org_key("\xd0\xaf\xd0\xbd\xd0\xb4\xd0\xb5\xd0\xba\xd1\x81 Ltd"),
	            "\xd0\xaf\xd0\xbd\xd0\xb4\xd0\xb5\xd0\xba\xd1\x81");
	CHECK_OWNED(heed_org_key("!!!"), "");
	CHECK_OWNED(heed_org_key(NULL), NULL);
}

int main(void)
{
	test_init_clear();
	test_activities();
	test_email();
	test_html_decode();
	test_org_key();
	return check_done("test_contact");
}
