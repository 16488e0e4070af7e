/* colmap: the column map (see colmap.h). */
#include "colmap.h"

#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "util.h"

/* Bind field to header, replacing an earlier binding of the same field. */
static void bind(heed_mapspec *m, const char *field, size_t flen, const char *header)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strlen(m->fields[i].name) == flen && strncmp(m->fields[i].name, field, flen) == 0) {
			free(m->fields[i].value);
			m->fields[i].value = xstrdup(header);
			return;
		}
	m->fields = xrealloc(m->fields, (m->nfields + 1) * sizeof *m->fields);
	m->fields[m->nfields++] = (heed_field){ xstrndup(field, flen), xstrdup(header) };
}

heed_mapspec *heed_colmap_build(const char *const *header, size_t n, const char *const *cols,
                                size_t ncols, char **err)
{
	heed_mapspec *m = xcalloc(1, sizeof *m);
	m->plugin = xstrdup("columns");
	m->keep_rest = 1;
	for (size_t i = 0; i < n; i++)
		if (heed_import_field(header[i]))
			bind(m, header[i], strlen(header[i]), header[i]);
	for (size_t i = 0; i < ncols; i++) {
		const char *eq = strchr(cols[i], '=');
		char *field = eq ? xstrndup(cols[i], (size_t)(eq - cols[i])) : NULL;
		if (!eq || !eq[1] || !heed_import_field(field)) {
			heed_seterr(err, "--col '%s': %s (write --col FIELD=HEADER, e.g. --col email=E-Mail;"
			                 " fields: email, external_id, first_name, last_name, title, phone, owner,"
			                 " org.name, org.domain, attrs.KEY, ...)", cols[i],
			            !eq || !eq[1] ? "no '=HEADER'" : "unknown field");
			free(field);
			heed_colmap_free(m);
			return NULL;
		}
		bind(m, field, strlen(field), eq + 1);
		free(field);
	}
	return m;
}

void heed_colmap_free(heed_mapspec *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	free(m->fields);
	free(m->plugin);
	free(m);
}
