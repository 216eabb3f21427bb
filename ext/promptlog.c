/* promptlog.c — the loadable sqlite3 extension (`.load build/promptlog` in the sqlite3 shell):
 * a call's exact request and response bodies as text, following request_ref chains, and a zstd
 * decompressor for any blob. Every failure is an SQL error with a message, never a crash.
 *
 *   promptlog_request(call_id)   the request body as sent (TEXT; NULL when none was captured)
 *   promptlog_response(call_id)  the response body as received (content-decoded)
 *   promptlog_unzstd(blob)       the decompressed bytes of a standalone zstd frame (BLOB)
 * A body compressed against its parent's (request_ref, response_ref) is no standalone frame.
 * The two body functions read the database the function is called on. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdio.h>
#include <stdlib.h>

#include "../store/bodies.h"
#include "../store/zblob.h"

static void body_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int side = *(int *)sqlite3_user_data(ctx);
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
        sqlite3_result_error(ctx, side ? "promptlog_response: the argument must be a call id (an integer)"
                                       : "promptlog_request: the argument must be a call id (an integer)", -1);
        return;
    }
    pl_buf out = {0};
    char err[256] = "";
    int rc = pl_body_read(sqlite3_context_db_handle(ctx), sqlite3_value_int64(argv[0]), side, &out, err, sizeof err);
    if (rc < 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "%s: %s", side ? "promptlog_response" : "promptlog_request", err);
        sqlite3_result_error(ctx, msg, -1);
    } else if (rc > 0) {
        sqlite3_result_null(ctx);
    } else {
        sqlite3_result_text64(ctx, out.data ? out.data : "", out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    pl_buf_free(&out);
}

static void unzstd_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        sqlite3_result_error(ctx, "promptlog_unzstd: the argument must be a BLOB", -1);
        return;
    }
    pl_buf out = {0};
    const void *p = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (pl_zblob_decompress(p, (size_t)n, 0, &out) != 0)
        sqlite3_result_error(ctx, "promptlog_unzstd: not a complete zstd frame (corrupt, truncated, or a body"
                                  " stored against its parent's: use promptlog_request or promptlog_response)", -1);
    else
        sqlite3_result_blob64(ctx, out.data ? out.data : "", out.len, SQLITE_TRANSIENT);
    pl_buf_free(&out);
}

__attribute__((visibility("default"))) int sqlite3_promptlog_init(sqlite3 *db, char **errmsg,
                                                                   const sqlite3_api_routines *api)
{
    (void)errmsg;
    SQLITE_EXTENSION_INIT2(api);
    static int request = 0, response = 1;
    int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
    int rc = sqlite3_create_function(db, "promptlog_request", 1, flags, &request, body_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "promptlog_response", 1, flags, &response, body_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "promptlog_unzstd", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, unzstd_fn,
                                     NULL, NULL);
    return rc;
}
