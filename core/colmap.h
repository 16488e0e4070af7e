/* colmap: an import map without Lua. A column whose header is a heed field
 * name (email, org.name, attrs.City, source...) fills that field, so heed's own
 * export imports as it is; "field=Header" pairs (--col) add or replace bindings.
 * Other non-empty columns are kept in attrs under their header. */
#ifndef HEED_COLMAP_H
#define HEED_COLMAP_H

#include <stddef.h>
#include "plugin.h"

/* Build the map for a file with header[0..n). cols: "field=Header" pairs.
 * Returns the map (free with heed_colmap_free), or NULL with *err naming the
 * bad pair (no '=', unknown field). */
heed_mapspec *heed_colmap_build(const char *const *header, size_t n, const char *const *cols,
                                size_t ncols, char **err);
void heed_colmap_free(heed_mapspec *m);

#endif
