/* bodies.c — reading bodies back through their request_ref / response_ref chains (bodies.h). */
#include "bodies.h"

#ifdef PL_SQLITE_EXTENSION
SQLITE_EXTENSION_INIT3
#endif

#include <stdio.h>
#include <stdlib.h>

#include "zblob.h"

static int fail(char *err, size_t errlen, const char *msg, long long id)
{
    if (err && errlen)
        snprintf(err, errlen, msg, id);
    return -1;
}

int pl_body_read(sqlite3 *db, long long id, int side, pl_buf *out, char *err, size_t errlen)
{
    pl_buf_reset(out);
    sqlite3_stmt *ref = NULL, *blob = NULL;
    long long *chain = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    pl_buf base = {0};
    /* Before schema 3 there is no request_ref and every body stands alone: the same walk,
     * each call its own root. */
    if (sqlite3_prepare_v2(db, side ? "SELECT response_ref FROM calls WHERE id = ?" : "SELECT request_ref FROM calls WHERE id = ?",
                           -1, &ref, NULL) != SQLITE_OK)
        sqlite3_prepare_v2(db, "SELECT NULL FROM calls WHERE id = ?", -1, &ref, NULL);
    if (!ref || sqlite3_prepare_v2(db, side ? "SELECT response_body FROM calls WHERE id = ?"
                                            : "SELECT request_body FROM calls WHERE id = ?",
                                   -1, &blob, NULL) != SQLITE_OK) {
        rc = fail(err, errlen, "not a promptlog database (no calls table with bodies; reading call %lld)", id);
        goto out;
    }
    /* Walk up to the chain's root, then decompress downwards. */
    for (long long cur = id; cur > 0;) {
        if (n == PL_BODIES_MAX_CHAIN) {
            rc = fail(err, errlen, "call %lld: request_ref chain too long or cyclic", id);
            goto out;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            long long *c = realloc(chain, cap * sizeof *c);
            if (!c) {
                rc = fail(err, errlen, "out of memory reading call %lld", id);
                goto out;
            }
            chain = c;
        }
        chain[n++] = cur;
        sqlite3_bind_int64(ref, 1, cur);
        int step = sqlite3_step(ref);
        long long next = step == SQLITE_ROW && sqlite3_column_type(ref, 0) != SQLITE_NULL ? sqlite3_column_int64(ref, 0) : -1;
        sqlite3_reset(ref);
        if (step != SQLITE_ROW) {
            rc = fail(err, errlen, n == 1 ? "no call with id %lld" : "call %lld: its request_ref names a missing call", id);
            goto out;
        }
        cur = next;
    }
    for (size_t i = n; i-- > 0;) {
        sqlite3_bind_int64(blob, 1, chain[i]);
        if (sqlite3_step(blob) != SQLITE_ROW) {
            sqlite3_reset(blob);
            rc = fail(err, errlen, "call %lld vanished while reading", chain[i]);
            goto out;
        }
        if (sqlite3_column_type(blob, 0) == SQLITE_NULL) {
            sqlite3_reset(blob);
            rc = i == 0 ? 1 : fail(err, errlen, "call %lld: a body in its request_ref chain is missing", id);
            goto out;
        }
        const void *p = sqlite3_column_blob(blob, 0);
        size_t len = (size_t)sqlite3_column_bytes(blob, 0);
        int bad = i == n - 1 ? pl_zblob_decompress(p, len, 0, out)
                             : pl_zblob_decompress_ref(p, len, base.data ? base.data : "", base.len, 0, out);
        sqlite3_reset(blob);
        if (bad) {
            rc = fail(err, errlen, "call %lld: corrupt body blob", chain[i]);
            goto out;
        }
        if (i > 0) {   /* this body is the next one's reference */
            pl_buf t = base;
            base = *out;
            *out = t;
            pl_buf_reset(out);
        }
    }
    rc = 0;
out:
    if (rc != 0)
        pl_buf_reset(out);
    pl_buf_free(&base);
    free(chain);
    sqlite3_finalize(ref);
    sqlite3_finalize(blob);
    return rc;
}
