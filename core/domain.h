/* domain: the organisation an email address tells: its domain, unless it is a
 * mailbox provider anyone can sign up with (gmail.com, web.de, ...). */
#ifndef HEED_DOMAIN_H
#define HEED_DOMAIN_H

/* The domain of a normalised email, lower case (a pointer into email), or
 * NULL when there is none or it is a free mailbox provider's. */
const char *heed_domain_of_email(const char *email);

#endif
