/* domain: see domain.h. */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

/* Mailbox providers: an address there says nothing about an employer. */
static const char *const free_mail[] = {
	"163.com", "aol.com", "gmail.com", "gmx.at", "gmx.ch", "gmx.de", "gmx.net", "googlemail.com",
	"hotmail.co.uk", "hotmail.com", "hotmail.de", "icloud.com", "live.com", "mail.com", "mail.ru",
	"me.com", "msn.com", "outlook.com", "outlook.de", "posteo.de", "proton.me", "protonmail.com",
	"qq.com", "t-online.de", "web.de", "yahoo.co.uk", "yahoo.com", "yahoo.de", "yandex.ru",
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

const char *heed_domain_of_email(const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at || !at[1] || !strchr(at + 1, '.'))
		return NULL;
	if (bsearch(at + 1, free_mail, sizeof free_mail / sizeof free_mail[0], sizeof free_mail[0], cmp))
		return NULL;
	return at + 1;
}
