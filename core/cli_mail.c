/* cli_mail: the email commands: mail (queue one message through the send
 * rules, optionally deliver it), outbox (list messages; deliver the due ones)
 * and config (the mail.* settings). See mail.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "htime.h"
#include "json.h"
#include "mail.h"
#include "sched.h"
#include "store_mail.h"
#include "util.h"

static int config_or_fail(heed_cli *cli, heed_mail_config *cfg)
{
	char *err = NULL;
	int rc = heed_mail_config_load(cli->store, cfg, &err);
	return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
}

/* Check that payload is a JSON object. */
static int payload_ok(const char *payload)
{
	const char *p = payload;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p != '{')
		return 0;
	heed_json_cb cb = { 0 };
	char *err = NULL;
	int rc = heed_json_parse(payload, &cb, NULL, &err);
	free(err);
	return rc == HEED_OK;
}

/* Deliver every due message (after a bulk queue); counts to stderr. */
static int send_due(heed_cli *cli)
{
	heed_mail_config cfg;
	int exit = config_or_fail(cli, &cfg);
	if (exit != EXIT_OK)
		return exit;
	long sent = 0, deferred = 0, retry = 0, failed = 0;
	char *err = NULL;
	int rc = heed_mail_deliver_due(cli->store, &cfg, 0, &sent, &deferred, &retry, &failed, &err);
	heed_mail_config_clear(&cfg);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	fprintf(stderr, "outbox: %ld sent, ", sent);
	if (deferred) /* not a failure: they go out the next UTC day */
		fprintf(stderr, "%ld deferred to tomorrow (daily cap), ", deferred);
	fprintf(stderr, "%ld to retry, %ld failed or skipped\n", retry, failed);
	if (failed || retry)
		cli->failed = 1;
	return EXIT_OK;
}

/* mail --stage S | --all TEMPLATE --key PREFIX: one message per contact, key PREFIX:ID. */
static int mail_many(heed_cli *cli, const cli_args *a, const char *tmpl, const char *payload)
{
	const char *stage = cli_opt(a, "--stage"), *prefix = cli_opt(a, "--key");
	if (heed_empty(prefix))
		return cli_fail(EXIT_USAGE, xasprintf("mail: --stage/--all need --key PREFIX (each message's"
		                                      " key is PREFIX:CONTACT-ID, so a rerun sends nothing twice)"));
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	int64_t *ids = NULL;
	size_t n = 0;
	char *err = NULL;
	int rc = heed_store_ids(cli->store, stage, &ids, &n, &err);
	long queued = 0, skipped = 0, failed = 0;
	for (size_t i = 0; rc == HEED_OK && i < n; i++) {
		char *key = xasprintf("%s:%lld", prefix, (long long)ids[i]), *msg = NULL;
		int64_t id;
		int r = heed_mail_queue(cli->store, cli->plugins, ids[i], tmpl, payload, key, &id, &msg);
		if (r == HEED_OK)
			queued++;
		else if (r == HEED_ESKIPPED)
			skipped++;
		else if (r == HEED_EPLUGIN)
			failed++, cli_print_error(msg);
		else /* no such template, or the store failed: the same for every contact */
			rc = r, err = msg, msg = NULL;
		free(msg);
		free(key);
		if (failed >= 10 && queued == 0) {
			rc = HEED_EPLUGIN; /* the template fails for everyone: say it ten times, not a million */
			err = xasprintf("mail: template '%s' failed for the first %ld contacts; stopped", tmpl, failed);
		}
	}
	free(ids);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	printf("%ld in the outbox under %s:ID (queued now or before), %ld skipped (heed outbox --status"
	       " skipped), %ld failed\n", queued, prefix, skipped, failed);
	if (failed)
		cli->failed = 1;
	return cli_opt(a, "--send") ? send_due(cli) : EXIT_OK;
}

int cmd_mail(heed_cli *cli, const cli_args *a)
{
	int many = cli_opt(a, "--stage") || cli_opt(a, "--all");
	const char *payload = cli_opt(a, "--payload"), *key = cli_opt(a, "--key");
	if (a->npos != (many ? 1 : 2))
		return cli_fail(EXIT_USAGE, xasprintf("mail: usage: heed mail CONTACT TEMPLATE …, or"
		                                      " heed mail --stage S|--all TEMPLATE --key PREFIX …"));
	const char *tmpl = a->pos[many ? 0 : 1];
	if (payload && !payload_ok(payload))
		return cli_fail(EXIT_USAGE, xasprintf("mail: --payload '%s' is not a JSON object"
		                                      " (e.g. '{\"offer\":\"trial\"}')", payload));
	if (many)
		return mail_many(cli, a, tmpl, payload);
	int64_t id, msg = 0;
	int exit;
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	if ((exit = cli_contact(cli, a->pos[0], &id)) != EXIT_OK)
		return exit;
	char when[24], *k = NULL, *err = NULL;
	heed_time_format(heed_time_now(), when);
	if (!key)
		key = k = xasprintf("manual:%lld:%s:%s", (long long)id, tmpl, when);
	heed_outmsg prev; /* a message under this key already: say so, not "queued" */
	int had = heed_store_outbox_by_key(cli->store, key, &prev, NULL) == HEED_OK;
	int rc = heed_mail_queue(cli->store, cli->plugins, id, tmpl, payload, key, &msg, &err);
	if (rc == HEED_OK && had)
		printf("message %lld already exists under key %s (%s): not queued again\n", (long long)msg, key,
		       prev.status);
	else if (rc == HEED_OK)
		printf("queued message %lld for contact %lld (template %s)\n", (long long)msg, (long long)id, tmpl);
	int sent_before = had && strcmp(prev.status, "sent") == 0;
	if (had)
		heed_outmsg_clear(&prev);
	free(k);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	if (!cli_opt(a, "--send") || sent_before)
		return EXIT_OK;
	heed_mail_config cfg;
	if ((exit = config_or_fail(cli, &cfg)) != EXIT_OK)
		return exit;
	rc = heed_mail_deliver(cli->store, &cfg, msg, &err);
	heed_outmsg m;
	if (rc == HEED_ERETRY && heed_store_outbox_get(cli->store, msg, &m, NULL) == HEED_OK) {
		if (heed_mail_deferred(&m)) { /* the daily cap: not an error, it goes out tomorrow */
			char at[24];
			heed_time_format(m.next_at, at);
			printf("message %lld deferred to tomorrow (daily cap): it goes out from %s (UTC)\n",
			       (long long)msg, at);
			rc = HEED_OK;
			free(err);
			err = NULL;
		}
		heed_outmsg_clear(&m);
	} else if (rc == HEED_OK && (rc = heed_store_outbox_get(cli->store, msg, &m, &err)) == HEED_OK) {
		if (strcmp(m.status, "sending") == 0)
			printf("message %lld was handed to the %s transport at an earlier run that did not"
			       " record the outcome: it is not sent again\n", (long long)msg, m.transport);
		else
			printf("sent message %lld through the %s transport\n", (long long)msg, m.transport);
		heed_outmsg_clear(&m);
	}
	heed_mail_config_clear(&cfg);
	return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
}

static const char *const statuses[] = { "queued", "sending", "sent", "failed", "skipped", NULL };

static void outbox_row(heed_table *t, const heed_outmsg *m)
{
	heed_table_int(t, m->id);
	heed_table_str(t, m->status);
	heed_table_int(t, m->contact);
	heed_table_str(t, m->rcpt);
	heed_table_str(t, m->tmpl);
	heed_table_str(t, m->subject);
	heed_table_int(t, m->attempts);
	heed_table_time(t, m->created_at);
	heed_table_time(t, strcmp(m->status, "queued") == 0 ? m->next_at : m->done_at ? m->done_at : m->handed_at);
	if (strcmp(m->status, "sending") == 0 && !m->last_error) {
		char at[24], *note;
		heed_time_format(m->handed_at, at);
		note = xasprintf("handed to %s at %s; outcome not recorded (in progress, or the sender"
		                 " died): never handed over again", m->transport ? m->transport : "?", at);
		heed_table_str(t, note);
		free(note);
	} else {
		heed_table_str(t, m->last_error);
	}
	heed_table_str(t, m->key);
}

/* outbox --requeue ID: a person checked that a sending message never arrived
 * (or fixed what failed one): it goes out again on the next --send. */
static int outbox_requeue(heed_cli *cli, const char *v)
{
	char *end, *err = NULL;
	long long id = strtoll(v, &end, 10);
	if (end == v || *end || id <= 0)
		return cli_fail(EXIT_USAGE, xasprintf("outbox: --requeue '%s' is not a message id", v));
	heed_outmsg m;
	int done = 0, rc = heed_store_outbox_get(cli->store, id, &m, &err);
	if (rc == HEED_OK)
		rc = heed_store_outbox_requeue(cli->store, id, heed_time_now(), &done, &err);
	if (rc == HEED_OK && !done) {
		heed_seterr(&err, "outbox: message %lld is %s; only a sending or failed one can be put back",
		            id, m.status);
		rc = HEED_EINPUT;
	}
	heed_outmsg_clear(&m);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	fprintf(stderr, "outbox: message %lld is queued again\n", id);
	return EXIT_OK;
}

int cmd_outbox(heed_cli *cli, const cli_args *a)
{
	const char *status = cli_opt(a, "--status"), *lim = cli_opt(a, "--limit");
	long limit = 50;
	char *end;
	if (status) {
		int ok = 0;
		for (int i = 0; statuses[i]; i++)
			ok |= strcmp(statuses[i], status) == 0;
		if (!ok)
			return cli_fail(EXIT_USAGE, xasprintf("outbox: --status '%s' is not queued, sending, sent,"
			                                      " failed or skipped", status));
	}
	if (lim && ((limit = strtol(lim, &end, 10)) < 0 || end == lim || *end))
		return cli_fail(EXIT_USAGE, xasprintf("outbox: --limit '%s' is not a whole number >= 0", lim));
	if (!cli_store(cli))
		return EXIT_ERROR;
	const char *rq = cli_opt(a, "--requeue");
	if (rq) {
		int exit = outbox_requeue(cli, rq);
		if (exit != EXIT_OK)
			return exit;
	}
	if (cli_opt(a, "--send")) {
		int exit = send_due(cli);
		if (exit != EXIT_OK)
			return exit;
	}
	heed_outmsg *v;
	size_t n;
	char *err = NULL;
	int rc = heed_store_outbox_list(cli->store, status, limit, &v, &n, &err);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	const char *cols[] = { "id", "status", "contact", "to", "template", "subject", "attempts",
	                       "created", "next/done", "last error", "key" };
	heed_table *t = heed_table_new(cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < n; i++)
		outbox_row(t, &v[i]);
	long c[5];
	if (cli->fmt == HEED_FMT_TABLE && heed_store_outbox_counts(cli->store, c, &err) == HEED_OK)
		printf("outbox: %ld queued, %ld sending, %ld sent, %ld failed, %ld skipped%s\n", c[0], c[1], c[2],
		       c[3], c[4], (long)n == limit ? " (newest first; --limit 0 for all)" : "");
	free(err);
	heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	heed_outmsgs_free(v, n);
	return EXIT_OK;
}

/* The settings beside mail.*: the follow-ups' zones (core/followup.c). */
static const char *const zone_settings[] = {
	"timezone", "IANA zone follow-ups read dates and clocks in (default: UTC), e.g. Europe/Berlin",
	"timezone.OWNER", "an owner's IANA zone, for that owner's contacts (e.g. timezone.ann America/New_York)",
	NULL, NULL,
};

static int zone_setting(const char *key)
{
	return strcmp(key, "timezone") == 0 || (strncmp(key, "timezone.", 9) == 0 && key[9]);
}

static int known_setting(const char *key)
{
	if (zone_setting(key))
		return 1;
	for (int i = 0; heed_mail_settings[i]; i += 2)
		if (strcmp(heed_mail_settings[i], key) == 0)
			return 1;
	return 0;
}

/* One row per setting of table (key, help pairs); a pattern key (timezone.OWNER) has no value. */
static void config_rows(heed_cli *cli, heed_table *t, const char *const *table, int *rc, char **err)
{
	for (int i = 0; *rc == HEED_OK && table[i]; i += 2) {
		char *v = NULL;
		if (!strstr(table[i], "OWNER"))
			*rc = heed_store_setting(cli->store, table[i], &v, err);
		heed_table_str(t, table[i]);
		heed_table_str(t, v && strstr(table[i], "password") ? "(set)" : v);
		heed_table_str(t, table[i + 1]);
		free(v);
	}
}

static int config_list(heed_cli *cli)
{
	const char *cols[] = { "key", "value", "help" };
	heed_table *t = heed_table_new(cols, 3);
	int rc = HEED_OK;
	char *err = NULL;
	config_rows(cli, t, zone_settings, &rc, &err);
	config_rows(cli, t, heed_mail_settings, &rc, &err);
	if (rc == HEED_OK)
		heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
}

int cmd_config(heed_cli *cli, const cli_args *a)
{
	const char *key = a->npos > 0 ? a->pos[0] : NULL;
	if (key && !known_setting(key)) {
		heed_buf b = { 0 };
		heed_buf_adds(&b, "timezone, timezone.OWNER");
		for (int i = 0; heed_mail_settings[i]; i += 2)
			heed_buf_addf(&b, "%s%s", b.len ? ", " : "", heed_mail_settings[i]);
		char *m = xasprintf("config: unknown setting '%s' (known: %s)", key, b.s);
		heed_buf_free(&b);
		return cli_fail(EXIT_USAGE, m);
	}
	if (!cli_store(cli))
		return EXIT_ERROR;
	if (!key)
		return config_list(cli);
	char *err = NULL, *v = NULL;
	int rc;
	if (a->npos == 1 && !cli_opt(a, "--unset")) {
		rc = heed_store_setting(cli->store, key, &v, &err);
		if (rc == HEED_OK && v)
			printf("%s\n", v);
		free(v);
		return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
	}
	const char *value = a->npos > 1 ? a->pos[1] : NULL;
	if (zone_setting(key) && value && !heed_sched_zone_valid(value))
		return cli_fail(EXIT_ERROR, xasprintf("config: %s '%s' is not an IANA time zone the system knows"
		                                      " (e.g. UTC, Europe/Berlin, America/New_York)", key, value));
	/* set, then check the whole configuration before committing it */
	heed_mail_config cfg;
	rc = heed_store_begin(cli->store, &err);
	if (rc == HEED_OK)
		rc = heed_store_set_setting(cli->store, key, value, &err);
	if (rc == HEED_OK && (rc = heed_mail_config_load(cli->store, &cfg, &err)) == HEED_OK) {
		heed_mail_config_clear(&cfg);
	} else if (rc == HEED_EINPUT && !strstr(err, key)) {
		/* another setting is still missing (mail.smtp_url after mail.transport smtp): say so */
		fprintf(stderr, "heed: note: %s\n", err);
		free(err);
		err = NULL;
		rc = HEED_OK;
	}
	if (rc == HEED_OK)
		rc = heed_store_commit(cli->store, &err);
	else
		heed_store_rollback(cli->store);
	return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
}
