/* Unit tests for core/dupes.c: phone numbers to E.164 (country codes, trunk
 * prefixes, 00, extensions, what cannot be told). */
#include <stdlib.h>

#include "check.h"
#include "dupes.h"

static void check_e164(const char *phone, const char *country, const char *want, int line)
{
	char *got = heed_dupes_e164(phone, country);
	if (!((got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0)))
		fprintf(stderr, "line %d: ", line);
	CHECK_STR(got, want);
	free(got);
}

#define E164(p, c, w) check_e164(p, c, w, __LINE__)

int main(void)
{
	E164("+49 30 1234567", NULL, "+49301234567");
	E164("+49 (30) 1234-567", "GB", "+49301234567");   /* an international number ignores the country */
	E164("0049 30 1234567", NULL, "+49301234567");
	E164("+49 (0) 30 123456", NULL, "+4930123456");      /* the trunk "(0)" is dropped */
	E164("+49(0)30123456", "DE", "+4930123456");
	E164("0049 (0) 30 123456", NULL, "+4930123456");
	E164("(0)30 123456", "DE", "+4930123456");             /* national: the trunk 0 as ever */
	E164("030 1234567", "DE", "+49301234567");           /* trunk prefix dropped */
	E164("030 1234567", "de", "+49301234567");
	E164("(555) 123-4567", "US", "+15551234567");
	E164("1-555-123-4567", "US", "+15551234567");
	E164("020 7946 0958", "GB", "+442079460958");
	E164("+47 111 11 111 ext. 12", NULL, "+4711111111");  /* extension cut */
	E164("+1 555 123 4567 x89", NULL, "+15551234567");
	E164("030 1234567", NULL, NULL);                     /* national, country unknown */
	E164("030 1234567", "Germany", NULL);                /* only ISO codes */
	E164("+49 12", NULL, NULL);                          /* too short */
	E164("+49 1234 5678 9012 3456", NULL, NULL);         /* too long */
	E164("call me", "DE", NULL);
	E164("", "DE", NULL);
	return check_done("test_dupes");
}
