/* json.h — the one set of NULL-safe cJSON accessors every layer reads JSON with (the normalizers,
 * the capture, the exporter, the store), so "a string member or NULL" is written once.
 * Contract: each accepts any cJSON pointer, NULL included, and never allocates except
 * pl_json_text, whose result the caller frees. Member lookups are case-sensitive. */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <cjson/cJSON.h>

const cJSON *pl_jget(const cJSON *obj, const char *key);   /* any member of an object, or NULL */
const char *pl_js(const cJSON *obj, const char *key);      /* string member or NULL */
const cJSON *pl_jobj(const cJSON *obj, const char *key);   /* object member or NULL */
const cJSON *pl_jarr(const cJSON *obj, const char *key);   /* array member or NULL */
int pl_jint(const cJSON *obj, const char *key, int dflt);  /* number member as int, else dflt */
/* Compact JSON text of any value; strings are NOT quoted when raw_strings is set. NULL for NULL
 * or on OOM. */
char *pl_json_text(const cJSON *v, int raw_strings);

struct pl_buf;

#endif
