/* contact: the in-memory records heed passes between modules (a contact with
 * its organisation, deal, activities and stage history), their release, and
 * the normalisation rules for emails and organisation keys. */
#ifndef HEED_CONTACT_H
#define HEED_CONTACT_H

#include <stddef.h>
#include <stdint.h>
#include "htime.h"

typedef struct heed_org {
	int64_t id;        /* 0 = not stored / none */
	char *name;        /* as first seen (display spelling) */
	char *key;         /* normalised match key, see heed_org_key */
	char *domain, *industry, *country;
	int64_t employees; /* -1 = unknown */
} heed_org;

typedef struct heed_deal {
	int present;           /* 0 = the contact has no deal */
	double value;          /* NaN = unknown */
	char *currency;
	heed_time close_date;  /* 0 = unknown */
	char *decision_makers; /* free text: who approves, how */
	double probability;    /* 0..1, NaN = unknown */
	int probability_user;  /* 1 = set by a user; stage changes never overwrite it */
} heed_deal;

typedef struct heed_activity {
	int64_t id;
	char *kind;
	heed_time at;
	char *data; /* JSON object text, or NULL */
} heed_activity;

typedef struct heed_history {
	int64_t id;
	char *from, *to;
	heed_time at, from_since; /* from_since: when the contact entered `from` */
	char *actor, *reason, *plugins;
	int forced;
} heed_history;

typedef struct heed_contact {
	int64_t id;
	char *email;       /* normalised: trimmed, lower case; NULL if none */
	char *source;      /* namespace of external_id */
	char *external_id;
	char *first_name, *last_name, *title, *phone, *owner;
	heed_org org;
	char stage[16];
	int peak;          /* furthest funnel rank reached (see heed_stage_rank) */
	double score;      /* NaN = not scored */
	char *score_parts; /* as stored: JSON, see parts.h for its layouts */
	int do_not_contact;
	char *attrs;       /* JSON object text; NULL = {} */
	heed_time created_at, updated_at, stage_changed_at;
	heed_deal deal;
	heed_activity *acts; /* ascending by time */
	size_t nacts;
	heed_history *hist;  /* ascending by time; loaded only on request */
	size_t nhist;
} heed_contact;

void heed_contact_init(heed_contact *c);   /* zero + unknown markers */
void heed_contact_clear(heed_contact *c);  /* free owned memory, re-init */
void heed_org_clear(heed_org *o);
/* Add an activity (id 0) to c->acts, copying kind and data_json (either may be NULL).
 * acts stay ascending by time: it goes after every activity at or before `at`, so
 * adding in (at, id) order always appends it last. */
void heed_activity_add(heed_contact *c, const char *kind, heed_time at, const char *data_json);

/* Normalise an email in place semantics: returns a new string (caller frees), trimmed
 * (ASCII blanks and U+00A0) and ASCII lower-cased, or NULL if s is empty, has no '@'
 * with text on both sides, or has a blank inside. */
char *heed_email_norm(const char *s);
/* Organisation match key (caller frees): decodes HTML entities, folds case and
 * apostrophe variants, drops punctuation and legal suffixes (Ltd, Inc, GmbH...).
 * Latin letters fold to ASCII (u-umlaut -> u, sharp s -> ss); words are joined by
 * single spaces; other scripts are kept as they are. NULL in, NULL out. */
char *heed_org_key(const char *name);
/* The same, keeping legal suffixes when drop_suffixes is 0 ("acme gmbh" vs "acme"). */
char *heed_org_key_ex(const char *name, int drop_suffixes);
/* Decode HTML character entities (&amp; &uuml; &#39; &#x2019;...) into UTF-8; caller frees. */
char *heed_html_decode(const char *s);

#endif
