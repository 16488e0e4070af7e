/* plugin_conf: the plugin folder's limits.conf, where an operator raises (or
 * lowers) a plugin's limits without editing it. One setting per line:
 *     PLUGIN LIMIT VALUE      e.g.  score time_ms 5000
 * PLUGIN is a plugin file's name without .lua, or * for every plugin; LIMIT
 * is instructions, time_ms or memory_mb; # starts a comment. A later line
 * wins, and a named plugin beats *. Part of the plugin host (plugin_int.h). */
#include "plugin_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct heed_limits_conf {
	char **names; /* "*" or a plugin file stem */
	heed_limits *v;
	size_t n;
};

static const struct {
	const char *key;
	size_t off;
	long long max;
} conf_keys[] = {
	{"instructions", offsetof(heed_limits, instructions), HEED_LIMIT_INSTRUCTIONS_MAX},
	{"memory_mb", offsetof(heed_limits, memory_mb), HEED_LIMIT_MEMORY_MB_MAX},
	{"time_ms", offsetof(heed_limits, time_ms), HEED_LIMIT_TIME_MS_MAX},
};

static heed_limits *entry(heed_limits_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return &c->v[i];
	c->names = xrealloc(c->names, (c->n + 1) * sizeof *c->names);
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->names[c->n] = xstrdup(name);
	memset(&c->v[c->n], 0, sizeof c->v[c->n]);
	return &c->v[c->n++];
}

/* One line; HEED_OK or HEED_EINPUT with *err naming file and line. */
static int conf_line(heed_limits_conf *c, char *s, const char *path, int line, char **err)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = '\0';
	char *name = strtok(s, " \t\r\n"), *key = strtok(NULL, " \t\r\n"), *val = strtok(NULL, " \t\r\n");
	if (!name)
		return HEED_OK;
	if (!key || !val || strtok(NULL, " \t\r\n")) {
		heed_seterr(err, "%s:%d: expected PLUGIN LIMIT VALUE (e.g. \"score time_ms 5000\")", path, line);
		return HEED_EINPUT;
	}
	size_t k = 0;
	while (k < sizeof conf_keys / sizeof conf_keys[0] && strcmp(conf_keys[k].key, key) != 0)
		k++;
	if (k == sizeof conf_keys / sizeof conf_keys[0]) {
		heed_seterr(err, "%s:%d: unknown limit '%s' (known: instructions, memory_mb, time_ms)", path, line,
		            key);
		return HEED_EINPUT;
	}
	char *end;
	errno = 0;
	long long v = strtoll(val, &end, 10);
	if (errno || *end || v < 1 || v > conf_keys[k].max) {
		heed_seterr(err, "%s:%d: %s must be an integer from 1 to %lld, got '%s'", path, line, key,
		            conf_keys[k].max, val);
		return HEED_EINPUT;
	}
	*(long long *)(void *)((char *)entry(c, name) + conf_keys[k].off) = v;
	return HEED_OK;
}

heed_limits_conf *heed_limits_conf_read(const char *dir, char **err)
{
	heed_limits_conf *c = xcalloc(1, sizeof *c);
	char *path = xasprintf("%s/limits.conf", dir);
	/* opened without blocking and checked, so a FIFO or a folder there is an error, not a hang */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	const char *why = fd < 0 ? (errno == ENOENT ? NULL : strerror(errno))
	                  : fstat(fd, &st) != 0   ? strerror(errno)
	                  : S_ISDIR(st.st_mode)   ? "is a directory"
	                  : !S_ISREG(st.st_mode)  ? "not a regular file"
	                                          : NULL;
	FILE *f = fd >= 0 && !why ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (why)
			heed_seterr(err, "cannot read %s: %s", path, why);
		if (fd >= 0)
			close(fd);
		free(path);
		return c;
	}
	char buf[1024];
	int line = 0;
	while (fgets(buf, sizeof buf, f)) {
		line++;
		if (conf_line(c, buf, path, line, err) != HEED_OK)
			break;
	}
	fclose(f);
	free(path);
	return c;
}

void heed_limits_conf_free(heed_limits_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	free(c->v);
	free(c);
}

heed_limits heed_limits_conf_for(const heed_limits_conf *c, const char *path)
{
	heed_limits out = {0};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".lua") == 0)
		n -= 4;
	for (int pass = 0; pass < 2; pass++) { /* "*" first, the plugin's own on top */
		for (size_t i = 0; c && i < c->n; i++) {
			int match = pass == 0 ? strcmp(c->names[i], "*") == 0
			                      : strlen(c->names[i]) == n && strncmp(c->names[i], base, n) == 0;
			if (!match)
				continue;
			for (size_t k = 0; k < sizeof conf_keys / sizeof conf_keys[0]; k++) {
				long long v = *(const long long *)(const void *)((const char *)&c->v[i] + conf_keys[k].off);
				if (v > 0)
					*(long long *)(void *)((char *)&out + conf_keys[k].off) = v;
			}
		}
	}
	return out;
}
