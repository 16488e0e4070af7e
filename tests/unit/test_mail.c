/* test_mail: email templates (placeholders, fallbacks, payload, function
 * templates, load and render errors naming plugin, template, file, line and
 * contact), the mail configuration, and queue / deliver through the file
 * transport against a scratch store: idempotency keys, the send rules, the
 * record before and after the hand-over. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "contact.h"
#include "mail.h"
#include "plugin.h"
#include "store.h"
#include "store_mail.h"
#include "tmpstore.h"
#include "util.h"

static void ann(heed_contact *c)
{
	heed_contact_init(c);
	c->id = 7;
	c->email = xstrdup("ann@nordlicht.example");
	c->first_name = xstrdup("Ann");
	c->org.name = xstrdup("Nordlicht GmbH");
	c->org.employees = 240;
	c->attrs = xstrdup("{\"city\":\"Kiel\",\"seats\":12.5}");
	c->deal.present = 1;
	c->deal.value = 12000;
}

static const char good_plugin[] =
	"return { name = 'mailer', version = '1', api = 1,\n"
	"  templates = {\n"
	"    hello = { subject = 'Hi {{ first_name }} at {{org.name}}',\n"
	"              body = '{{last_name|friend}}; {{attrs.city}} {{attrs.seats}} {{org.employees}}'\n"
	"                  .. ' {{deal.value}} {{payload.offer|none}} {{payload.n}} {{attrs.nope.deeper|-}}' },\n"
	"    fn = function(c, payload)\n"
	"      return { subject = 'F ' .. c.first_name, body = 'topic=' .. tostring(payload.topic) }\n"
	"    end,\n"
	"    parts = { subject = function(c) return c.email end, body = 'x' },\n"
	"    boom = function(c, payload)\n"
	"      error('no topic')\n"
	"    end,\n"
	"    badret = function() return 'text' end,\n"
	"    tbl = { subject = '{{org}}', body = '' },\n"
	"    spin = function() while true do end end,\n"
	"    long = { subject = string.rep('word ', 400) .. '\\nBcc: x@y.example', body = 'b' },\n"
	"  },\n"
	"}\n";

static void test_render(void)
{
	char *dir = tmp_case_dir("mail", "render"), *err = NULL;
	tmp_put(dir, "mailer.lua", good_plugin);
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK(p != NULL);
	CHECK_INT(heed_plugins_nerrors(p), 0);
	if (heed_plugins_nerrors(p))
		fprintf(stderr, "%s\n", heed_plugins_error(p, 0));
	heed_contact c;
	ann(&c);
	heed_rendered r;
	CHECK_INT(heed_plugins_render(p, "hello", &c, "{\"n\":3}", &r, &err), HEED_OK);
	CHECK_STR(r.subject, "Hi Ann at Nordlicht GmbH");
	CHECK_STR(r.body, "friend; Kiel 12.5 240 12000 none 3 -");
	CHECK_STR(r.plugin, "mailer");
	heed_rendered_clear(&r);

	CHECK_INT(heed_plugins_render(p, "fn", &c, "{\"topic\":\"pricing\"}", &r, &err), HEED_OK);
	CHECK_STR(r.subject, "F Ann");
	CHECK_STR(r.body, "topic=pricing");
	heed_rendered_clear(&r);
	CHECK_INT(heed_plugins_render(p, "fn", &c, NULL, &r, &err), HEED_OK);
	CHECK_STR(r.body, "topic=nil");
	heed_rendered_clear(&r);
	CHECK_INT(heed_plugins_render(p, "parts", &c, NULL, &r, &err), HEED_OK);
	CHECK_STR(r.subject, "ann@nordlicht.example");
	heed_rendered_clear(&r);

	CHECK_INT(heed_plugins_render(p, "missing", &c, NULL, &r, &err), HEED_ENOTFOUND);
	CHECK(err && strstr(err, "no plugin has an email template 'missing'"));
	free(err);
	err = NULL;
	CHECK_INT(heed_plugins_render(p, "boom", &c, NULL, &r, &err), HEED_EPLUGIN);
	CHECK(err && strstr(err, "plugin 'mailer'") && strstr(err, "mailer.lua:11)") &&
	      strstr(err, "in templates.boom: no topic") && strstr(err, "contact 7 <ann@nordlicht.example>"));
	if (err && !strstr(err, "mailer.lua:11)"))
		fprintf(stderr, "got: %s\n", err);
	free(err);
	err = NULL;
	CHECK_INT(heed_plugins_render(p, "badret", &c, NULL, &r, &err), HEED_EPLUGIN);
	CHECK(err && strstr(err, "must return a table {subject=, body=}, got string"));
	free(err);
	err = NULL;
	CHECK_INT(heed_plugins_render(p, "tbl", &c, NULL, &r, &err), HEED_EPLUGIN);
	CHECK(err && strstr(err, "templates.tbl.subject: {{org}} is a table") && strstr(err, "mailer.lua:18)"));
	if (err && !strstr(err, "mailer.lua:18)"))
		fprintf(stderr, "got: %s\n", err);
	free(err);
	err = NULL;
	CHECK_INT(heed_plugins_render(p, "spin", &c, NULL, &r, &err), HEED_EPLUGIN);
	CHECK(err && strstr(err, "in templates.spin: instruction budget exceeded"));
	free(err);
	err = NULL;
	CHECK_INT(heed_plugins_render(p, "hello", &c, NULL, &r, &err), HEED_OK); /* still usable */
	heed_rendered_clear(&r);
	CHECK_INT(heed_plugins_render(p, "hello", &c, "[1]", &r, &err), HEED_EPLUGIN);
	CHECK(err && strstr(err, "payload is not a JSON object"));
	free(err);
	err = NULL;
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

static void test_load_errors(void)
{
	static const struct {
		const char *src, *want;
	} cases[] = {
		{ "return { name='b', version='1', templates = { x = { subject = 'Hi {{frist_name}}', body = '' } } }",
		  "templates.x.subject: unknown placeholder {{frist_name}}" },
		{ "return { name='b', version='1', templates = { x = { subject = 'Hi {{first_name', body = '' } } }",
		  "templates.x.subject: '{{' without '}}'" },
		{ "return { name='b', version='1', templates = { x = { subject = 'a', body = 3 } } }",
		  "templates.x.body must be a string with {{placeholders}} or a function(c, payload), got number" },
		{ "return { name='b', version='1', templates = { x = { subject = 'a', body = 'b', from = 'c' } } }",
		  "templates.x: unknown key 'from'" },
		{ "return { name='b', version='1', templates = { x = 'hello' } }",
		  "templates.x must be a table {subject=, body=} or a function(c, payload), got string" },
		{ "return { name='b', version='1', templates = 'x' }", "templates must be a table" },
		{ "return { name='b', version='1', templates = { x = { subject = '{{org..name}}', body = '' } } }",
		  "placeholder {{org..name}} has an empty name" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dir = tmp_case_dir("mail", "loaderr"), *err = NULL;
		tmp_put(dir, "bad.lua", cases[i].src);
		heed_plugins *p = heed_plugins_open(dir, &err);
		CHECK_INT(heed_plugins_nerrors(p), 1);
		const char *e = heed_plugins_nerrors(p) ? heed_plugins_error(p, 0) : "";
		CHECK(strstr(e, cases[i].want) && strstr(e, "bad.lua"));
		if (!strstr(e, cases[i].want))
			fprintf(stderr, "case %zu: got %s\n", i, e);
		heed_plugins_close(p);
		free(dir);
	}
}

static int64_t add_contact(heed_store *s, const char *email, int dnc)
{
	heed_contact c;
	heed_contact_init(&c);
	c.email = xstrdup(email);
	c.first_name = xstrdup("Kim");
	c.do_not_contact = dnc;
	strcpy(c.stage, "lead");
	c.created_at = c.updated_at = c.stage_changed_at = heed_time_now();
	char *err = NULL;
	CHECK_INT(heed_store_insert(s, &c, &err), HEED_OK);
	free(err);
	int64_t id = c.id;
	heed_contact_clear(&c);
	return id;
}

static int count_files(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".eml") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_queue_deliver(void)
{
	char *pdir = tmp_case_dir("mail", "qplugins"), *err = NULL;
	tmp_put(pdir, "mailer.lua", good_plugin);
	char *path = tmp_fresh_db("mail", "queue");
	heed_store *s = NULL;
	CHECK_INT(heed_store_open(path, &s, &err), HEED_OK);
	heed_plugins *p = heed_plugins_open(pdir, &err);
	int64_t kim = add_contact(s, "kim@example.com", 0), dee = add_contact(s, "dee@example.com", 1);

	heed_mail_config cfg;
	CHECK_INT(heed_store_set_setting(s, "mail.dir", "q-out", &err), HEED_OK);
	CHECK_INT(heed_mail_config_load(s, &cfg, &err), HEED_OK);
	char *want_dir = xasprintf("%s/mail/q-out", tmp_root());
	CHECK_STR(cfg.dir, want_dir);
	CHECK_STR(cfg.transport, "file");
	CHECK_INT(cfg.daily_cap, 500);
	CHECK_STR(cfg.unsubscribe, "mailto:heed@localhost?subject=unsubscribe%20{id}");
	free(tmp_case_dir("mail", "q-out"));

	int64_t id1 = 0, id2 = 0;
	CHECK_INT(heed_mail_queue(s, p, kim, "hello", "{\"offer\":\"trial\"}", "k1", &id1, &err), HEED_OK);
	CHECK(id1 > 0);
	CHECK_INT(heed_mail_queue(s, p, kim, "hello", NULL, "k1", &id2, &err), HEED_OK);
	CHECK_INT(id2, id1);
	heed_outmsg m;
	CHECK_INT(heed_store_outbox_get(s, id1, &m, &err), HEED_OK);
	CHECK_STR(m.status, "queued");
	CHECK_STR(m.subject, "Hi Kim at ");
	CHECK(m.message && strstr(m.message, "\r\nSubject: Hi Kim at \r\n") && strstr(m.message, " trial "));
	CHECK(m.message && strstr(m.message, "List-Unsubscribe: <mailto:heed@localhost?subject=unsubscribe%201>"));
	heed_outmsg_clear(&m);

	CHECK_INT(heed_mail_deliver(s, &cfg, id1, &err), HEED_OK);
	CHECK_INT(count_files(cfg.dir), 1);
	CHECK_INT(heed_mail_deliver(s, &cfg, id1, &err), HEED_OK); /* already sent: nothing more */
	CHECK_INT(count_files(cfg.dir), 1);
	CHECK_INT(heed_store_outbox_get(s, id1, &m, &err), HEED_OK);
	CHECK_STR(m.status, "sent");
	CHECK_INT(m.attempts, 1);
	CHECK_STR(m.transport, "file");
	heed_outmsg_clear(&m);

	int64_t id3 = 0;
	CHECK_INT(heed_mail_queue(s, p, dee, "hello", NULL, "k2", &id3, &err), HEED_ESKIPPED);
	CHECK(err && strstr(err, "do_not_contact"));
	free(err);
	err = NULL;
	CHECK(id3 > 0);
	CHECK_INT(heed_mail_deliver(s, &cfg, id3, &err), HEED_ESKIPPED);
	free(err);
	err = NULL;
	CHECK_INT(count_files(cfg.dir), 1);

	/* a subject too long for one header line is folded; a line break in it is not a new header */
	int64_t id6 = 0;
	CHECK_INT(heed_mail_queue(s, p, kim, "long", NULL, "k6", &id6, &err), HEED_OK);
	CHECK_INT(heed_store_outbox_get(s, id6, &m, &err), HEED_OK);
	int longest = 0, cur = 0;
	const char *hdr_end = m.message ? strstr(m.message, "\r\n\r\n") : NULL;
	for (const char *q = m.message; q && q < hdr_end; q++) {
		cur = *q == '\n' ? 0 : cur + 1;
		if (cur > longest)
			longest = cur;
	}
	CHECK(hdr_end != NULL);
	CHECK(longest <= 998);
	CHECK(m.message && !strstr(m.message, "\r\nBcc:") && strstr(m.message, "Subject: =?UTF-8?B?"));
	heed_outmsg_clear(&m);

	/* a template failure queues nothing: the same key may be tried again */
	int64_t id4 = 0;
	CHECK_INT(heed_mail_queue(s, p, kim, "boom", NULL, "k3", &id4, &err), HEED_EPLUGIN);
	free(err);
	err = NULL;
	CHECK_INT(heed_store_outbox_by_key(s, "k3", &m, &err), HEED_ENOTFOUND);
	CHECK_INT(heed_mail_queue(s, p, kim, "hello", NULL, "", &id4, &err), HEED_EUSAGE);
	free(err);
	err = NULL;

	/* a message claimed by another process is not handed over again */
	CHECK_INT(heed_mail_queue(s, p, kim, "fn", NULL, "k4", &id4, &err), HEED_OK);
	int claimed = 0;
	CHECK_INT(heed_store_outbox_claim(s, id4, heed_time_now(), "file", 0, 0, &claimed, &err), HEED_OK);
	CHECK_INT(claimed, 1);
	CHECK_INT(heed_store_outbox_claim(s, id4, heed_time_now(), "file", 0, 0, &claimed, &err), HEED_OK);
	CHECK_INT(claimed, 0);
	CHECK_INT(heed_mail_deliver(s, &cfg, id4, &err), HEED_OK);
	CHECK_INT(count_files(cfg.dir), 1);

	/* the claim itself holds the daily cap: the day's hand-overs are counted in it */
	heed_time now = heed_time_now(), day = now - now % 86400;
	long handed = 0;
	int64_t idc = 0;
	CHECK_INT(heed_store_outbox_count(s, day, day + 86400, &handed, &err), HEED_OK);
	CHECK_INT(handed, 2); /* k1 sent, k4 claimed */
	CHECK_INT(heed_mail_queue(s, p, kim, "fn", NULL, "kcap", &idc, &err), HEED_OK);
	CHECK_INT(heed_store_outbox_claim(s, idc, now, "file", handed, day, &claimed, &err), HEED_OK);
	CHECK_INT(claimed, 0);
	CHECK_INT(heed_store_outbox_claim(s, idc, now, "file", handed, day + 86400, &claimed, &err), HEED_OK);
	CHECK_INT(claimed, 1); /* a new day starts afresh */

	/* inside the caller's transaction: queueing joins it, delivering refuses */
	int64_t id5 = 0;
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	CHECK_INT(heed_mail_queue(s, p, kim, "fn", NULL, "k5", &id5, &err), HEED_OK);
	CHECK_INT(heed_mail_deliver(s, &cfg, id5, &err), HEED_EUSAGE);
	CHECK(err && strstr(err, "outside a transaction"));
	free(err);
	err = NULL;
	heed_store_rollback(s);
	CHECK_INT(heed_store_outbox_by_key(s, "k5", &m, &err), HEED_ENOTFOUND);

	/* a bad setting is named */
	heed_mail_config bad;
	CHECK_INT(heed_store_set_setting(s, "mail.from", "Sales <s@x.example>", &err), HEED_OK);
	CHECK_INT(heed_mail_config_load(s, &bad, &err), HEED_EINPUT);
	CHECK(err && strstr(err, "setting mail.from"));
	free(err);
	err = NULL;

	free(want_dir);
	heed_mail_config_clear(&cfg);
	heed_plugins_close(p);
	heed_store_close(s);
	free(path);
	free(pdir);
}

int main(void)
{
	test_render();
	test_load_errors();
	test_queue_deliver();
	return check_done("mail");
}
