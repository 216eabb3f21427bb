/* message.c — building request messages in the OpenAI chat shape the record uses, whatever
 * shape the provider sent them in (Anthropic blocks, Gemini contents, Responses input items). */
#include "record.h"

#include <stdlib.h>

cJSON *pl_msg_add(pl_norm *n, const char *role, const char *content)
{
    if (!n->messages && !(n->messages = cJSON_CreateArray())) {
        n->oom = 1;
        return NULL;
    }
    cJSON *m = cJSON_CreateObject();
    if (!m) {
        n->oom = 1;
        return NULL;
    }
    cJSON_AddStringToObject(m, "role", role);
    if (content)
        cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(n->messages, m);
    return m;
}

void pl_msg_tool_call(cJSON *msg, const char *id, const char *name, const cJSON *args_json)
{
    if (!msg)
        return;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (!arr && !(arr = cJSON_AddArrayToObject(msg, "tool_calls")))
        return;
    cJSON *tc = cJSON_CreateObject();
    if (!tc)
        return;
    if (id && *id)
        cJSON_AddStringToObject(tc, "id", id);
    cJSON_AddStringToObject(tc, "type", "function");
    cJSON *fn = cJSON_AddObjectToObject(tc, "function");
    char *args = pl_json_text(args_json, 1);
    if (fn) {
        cJSON_AddStringToObject(fn, "name", name ? name : "");
        cJSON_AddStringToObject(fn, "arguments", args ? args : "{}");
    }
    free(args);
    cJSON_AddItemToArray(arr, tc);
}
