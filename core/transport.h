/* transport: hands one rendered email to the outside world: `file` writes an
 * .eml file (atomically: temporary name, then link; never over an existing file), `sendmail` pipes it to
 * a command, `smtp` talks to a server through libcurl (STARTTLS, auth). Knows
 * nothing of the store; mail.c records what happened. */
#ifndef HEED_TRANSPORT_H
#define HEED_TRANSPORT_H

#include <stddef.h>
#include "mail.h"

enum {
	HEED_SENT = 0,      /* handed over */
	HEED_SEND_RETRY = 1, /* not handed over, worth another try (no connection, 4xx) */
	HEED_SEND_FAIL = 2   /* refused for good (5xx, bad configuration) */
};

typedef struct heed_envelope {
	const char *from, *to;       /* bare addresses */
	const char *message;         /* the RFC 5322 message, CRLF line ends */
	size_t len;
	const char *name;            /* file: the file name stem (unique per message) */
} heed_envelope;

/* A transport for a run of messages: smtp keeps its connection open between
 * them. cfg must outlive it. Never NULL; close with heed_transport_close. */
typedef struct heed_transport heed_transport;
heed_transport *heed_transport_open(const heed_mail_config *cfg);
void heed_transport_close(heed_transport *t);
/* Send e through the configured transport. Returns HEED_SENT, HEED_SEND_RETRY
 * or HEED_SEND_FAIL; the last two with *err (for smtp: the server's reply). */
int heed_transport_send(heed_transport *t, const heed_envelope *e, char **err);
/* 1 if name is a transport heed knows. */
int heed_transport_known(const char *name);

#endif
