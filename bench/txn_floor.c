/* txn_floor.c — the floor under a captured call's CPU: thread CPU time (kernel included) of the
 * bare SQLite transaction a capture makes, with nothing of ours around it. It copies the newest
 * calls row of a database the bench just filled and re-inserts it N times, each in its own
 * BEGIN IMMEDIATE..COMMIT with its two call_messages rows, under the pragmas the capture uses
 * (WAL, synchronous=NORMAL, 4,000-page checkpoints); or ("bare") only the calls row, its
 * secondary indexes dropped: what one durable row costs on this machine whatever the schema.
 * usage: txn_floor DB N full|bare   (DB is modified: give each run its own copy) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "txn_floor: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

/* Inserts the row n times; prints "LABEL median X us, mean Y us". */
static int run(sqlite3 *db, const char *label, sqlite3_value **v, int nc, int links, int n)
{
    char sql[8192] = "INSERT INTO calls VALUES (NULL";
    for (int i = 1; i < nc; i++)
        strcat(sql, ", ?");
    strcat(sql, ")");
    sqlite3_stmt *ins = NULL, *cm = NULL, *begin = NULL, *commit = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO call_messages (call_id, position, side, message_id) VALUES (?, ?, ?, 1)",
                           -1, &cm, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
        return fail(db, "prepare");
    double *t = calloc((size_t)n, sizeof *t), sum = 0;
    for (int k = 0; k < n && t; k++) {
        double t0 = cpu_us();
        int rc = sqlite3_step(begin);
        sqlite3_reset(begin);
        for (int i = 1; i < nc; i++)
            sqlite3_bind_value(ins, i, v[i]);
        if (rc == SQLITE_DONE)
            rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        long long id = sqlite3_last_insert_rowid(db);
        for (int p = 0; links && p < 2 && rc == SQLITE_DONE; p++) {
            sqlite3_bind_int64(cm, 1, id);
            sqlite3_bind_int(cm, 2, p);
            sqlite3_bind_text(cm, 3, p ? "output" : "input", -1, SQLITE_STATIC);
            rc = sqlite3_step(cm);
            sqlite3_reset(cm);
        }
        if (rc == SQLITE_DONE)
            rc = sqlite3_step(commit);
        sqlite3_reset(commit);
        if (rc != SQLITE_DONE)
            return fail(db, "insert");
        t[k] = cpu_us() - t0;
        sum += t[k];
    }
    if (!t)
        return 1;
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("  %-58s median %6.1f us   mean %6.1f us\n", label, t[n / 2], sum / n);
    free(t);
    sqlite3_finalize(ins);
    sqlite3_finalize(cm);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[3], "full") != 0 && strcmp(argv[3], "bare") != 0)) {
        fprintf(stderr, "usage: txn_floor DB N full|bare\n");
        return 2;
    }
    int n = atoi(argv[2]), bare = strcmp(argv[3], "bare") == 0;
    sqlite3 *db = NULL;
    if (n < 1 || sqlite3_open(argv[1], &db) != SQLITE_OK)
        return fail(db, argv[1]);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000", NULL,
                 NULL, NULL);
    sqlite3_stmt *src = NULL;
    if (sqlite3_prepare_v2(db, "SELECT * FROM calls ORDER BY id DESC LIMIT 1", -1, &src, NULL) != SQLITE_OK ||
        sqlite3_step(src) != SQLITE_ROW)
        return fail(db, "no captured row to copy");
    int nc = sqlite3_column_count(src);
    sqlite3_value **v = calloc((size_t)nc, sizeof *v);
    for (int i = 0; v && i < nc; i++)
        v[i] = sqlite3_value_dup(sqlite3_column_value(src, i));
    sqlite3_finalize(src);
    if (!v)
        return 1;
    if (bare && sqlite3_exec(db, "DROP INDEX calls_namespace_id; DROP INDEX calls_thread", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, "drop the indexes");
    if (run(db, bare ? "calls row alone, no secondary index" : "calls row + 2 call_messages rows, this schema", v, nc,
            !bare, n))
        return 1;
    for (int i = 0; i < nc; i++)
        sqlite3_value_free(v[i]);
    free(v);
    sqlite3_close(db);
    return 0;
}
