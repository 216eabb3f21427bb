/* ship_content.c — turns a normalized record (OpenAI chat shape) into the GenAI conventions'
 * content attributes: gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions
 * and gen_ai.tool.definitions, as JSON text. Only used with `ship --content`.
 * Shapes: message {role, parts:[...], finish_reason (output)}; parts {type:"text", content},
 * {type:"tool_call", id, name, arguments}, {type:"tool_call_response", id, response},
 * {type:"uri", modality, uri}; system instructions are a list of parts. System-role messages go
 * to gen_ai.system_instructions, as the conventions ask for instructions sent apart from history
 * (our normalizer folds Anthropic's `system` and Gemini's systemInstruction into messages). */
#include "ship.h"

#include <string.h>

static char *print_or_null(cJSON *v)
{
    char *text = NULL;
    if (v && cJSON_GetArraySize(v) > 0)
        text = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    return text;
}

static void text_part(cJSON *parts, const char *text)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "text");
    cJSON_AddStringToObject(p, "content", text);
    cJSON_AddItemToArray(parts, p);
}

/* content: a string, or an array of OpenAI-style parts ({type:"text", text}, {type:"image_url"}). */
static void content_parts(cJSON *parts, const cJSON *content)
{
    if (cJSON_IsString(content)) {
        if (content->valuestring[0])
            text_part(parts, content->valuestring);
        return;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, content) {
        if (cJSON_IsString(c)) {
            text_part(parts, c->valuestring);
            continue;
        }
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
        const cJSON *img = cJSON_GetObjectItemCaseSensitive(c, "image_url");
        if (cJSON_IsString(text)) {
            text_part(parts, text->valuestring);
        } else if (img) {
            const cJSON *url = cJSON_IsString(img) ? img : cJSON_GetObjectItemCaseSensitive(img, "url");
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "type", "uri");
            cJSON_AddStringToObject(p, "modality", "image");
            if (cJSON_IsString(url))
                cJSON_AddStringToObject(p, "uri", url->valuestring);
            cJSON_AddItemToArray(parts, p);
        }
    }
}

/* OpenAI tool_calls: [{id, type:"function", function:{name, arguments (JSON text)}}] */
static void tool_call_parts(cJSON *parts, const cJSON *tool_calls)
{
    const cJSON *tc;
    cJSON_ArrayForEach(tc, tool_calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "type", "tool_call");
        if (cJSON_IsString(id))
            cJSON_AddStringToObject(p, "id", id->valuestring);
        if (cJSON_IsString(name))
            cJSON_AddStringToObject(p, "name", name->valuestring);
        if (cJSON_IsString(args)) {
            /* arguments are JSON text on the wire; the conventions carry the object */
            cJSON *parsed = cJSON_Parse(args->valuestring);
            if (parsed)
                cJSON_AddItemToObject(p, "arguments", parsed);
            else
                cJSON_AddStringToObject(p, "arguments", args->valuestring);
        } else if (args) {
            cJSON_AddItemToObject(p, "arguments", cJSON_Duplicate(args, 1));
        }
        cJSON_AddItemToArray(parts, p);
    }
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *message(const cJSON *m, int output)
{
    const char *role = str_of(m, "role");
    cJSON *msg = cJSON_CreateObject();
    cJSON *parts = cJSON_CreateArray();
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (role && strcmp(role, "tool") == 0) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "type", "tool_call_response");
        const char *id = str_of(m, "tool_call_id");
        if (id)
            cJSON_AddStringToObject(p, "id", id);
        cJSON_AddItemToObject(p, "response", content ? cJSON_Duplicate(content, 1) : cJSON_CreateNull());
        cJSON_AddItemToArray(parts, p);
    } else {
        content_parts(parts, content);
    }
    tool_call_parts(parts, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"));
    cJSON_AddStringToObject(msg, "role", role ? role : (output ? "assistant" : "user"));
    cJSON_AddItemToObject(msg, "parts", parts);
    if (output) {
        const char *fr = str_of(m, "finish_reason");
        cJSON_AddStringToObject(msg, "finish_reason", fr ? fr : "");
    }
    return msg;
}

static int is_system(const cJSON *m)
{
    const char *role = str_of(m, "role");
    return role && (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0);
}

char *pl_ship_input_messages(const cJSON *record)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(record, "messages");
    const cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        if (!is_system(m))
            cJSON_AddItemToArray(out, message(m, 0));
    }
    const char *prompt = str_of(record, "prompt");   /* text completions */
    if (prompt) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "role", "user");
        text_part(cJSON_AddArrayToObject(msg, "parts"), prompt);
        cJSON_AddItemToArray(out, msg);
    }
    return print_or_null(out);
}

char *pl_ship_output_messages(const cJSON *record)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "completions")) {
        cJSON_AddItemToArray(out, message(m, 1));
    }
    const char *response = str_of(record, "response");
    if (response) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "role", "assistant");
        text_part(cJSON_AddArrayToObject(msg, "parts"), response);
        const char *fr = str_of(record, "finish_reason");
        cJSON_AddStringToObject(msg, "finish_reason", fr ? fr : "");
        cJSON_AddItemToArray(out, msg);
    }
    return print_or_null(out);
}

char *pl_ship_system_instructions(const cJSON *record)
{
    cJSON *parts = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "messages")) {
        if (is_system(m))
            content_parts(parts, cJSON_GetObjectItemCaseSensitive(m, "content"));
    }
    const char *system = str_of(record, "system");
    if (system)
        text_part(parts, system);
    return print_or_null(parts);
}

/* One definition {type:"function", name, description?, parameters?} from the request's shapes:
 * OpenAI {type, function:{...}}, OpenAI Responses / Anthropic {name, description,
 * parameters|input_schema}, Gemini {functionDeclarations:[...]}. */
static void tool_def(cJSON *out, const cJSON *t)
{
    const cJSON *decls = cJSON_GetObjectItemCaseSensitive(t, "functionDeclarations");
    if (cJSON_IsArray(decls)) {
        const cJSON *d;
        cJSON_ArrayForEach(d, decls) tool_def(out, d);
        return;
    }
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
    const cJSON *src = cJSON_IsObject(fn) ? fn : t;
    const char *name = str_of(src, "name");
    if (!name)
        return;
    cJSON *d = cJSON_CreateObject();
    const char *type = str_of(t, "type");
    cJSON_AddStringToObject(d, "type", type ? type : "function");
    cJSON_AddStringToObject(d, "name", name);
    const char *desc = str_of(src, "description");
    if (desc)
        cJSON_AddStringToObject(d, "description", desc);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(src, "parameters");
    if (!params)
        params = cJSON_GetObjectItemCaseSensitive(src, "input_schema");
    if (params)
        cJSON_AddItemToObject(d, "parameters", cJSON_Duplicate(params, 1));
    cJSON_AddItemToArray(out, d);
}

char *pl_ship_tool_definitions(const cJSON *record)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(record, "tools")) tool_def(out, t);
    return print_or_null(out);
}
