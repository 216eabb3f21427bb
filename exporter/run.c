/* run.c — `prompt-logger run`: execs a command with libpromptlog.so preloaded. exec, not fork:
 * the command's exit status and signals reach the caller untouched, and nothing of ours stays
 * running beside it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

#define LIB_NAME "libpromptlog.so"

/* The library next to the binary (the build tree: build/prompt-logger, build/libpromptlog.so),
 * else in the install prefix (PREFIX/bin/prompt-logger, PREFIX/lib/promptlog/libpromptlog.so). */
static int find_library(char *out, size_t n, char *tried, size_t tn)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    const char *rel[] = {"/" LIB_NAME, "/../lib/promptlog/" LIB_NAME};
    tried[0] = '\0';
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        char cand[PATH_MAX + 64];
        snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
        size_t tl = strlen(tried);
        snprintf(tried + tl, tn - tl, "%s%s", tl ? ", " : "", cand);
        char real[PATH_MAX];
        if (access(cand, R_OK) == 0 && realpath(cand, real) && strlen(real) < n) {
            strcpy(out, real);
            return 0;
        }
    }
    return -1;
}

/* Is lib already one of the LD_PRELOAD entries (blank- or colon-separated, as ld.so reads it)? */
static int preloaded(const char *list, const char *lib)
{
    size_t ll = strlen(lib);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " :\t");
        if (n == ll && memcmp(p, lib, ll) == 0)
            return 1;
        p += n;
        p += strspn(p, " :\t");
    }
    return 0;
}

int pl_cmd_run(const pl_cli_opts *o)
{
    char lib[PATH_MAX], tried[2 * PATH_MAX + 160];
    if (find_library(lib, sizeof lib, tried, sizeof tried) != 0) {
        fprintf(stderr, "prompt-logger run: cannot find " LIB_NAME " (looked at %s)\n", tried);
        return 1;
    }
    if (strpbrk(lib, " :\t")) {
        fprintf(stderr, "prompt-logger run: the library path '%s' has a blank or ':', which LD_PRELOAD cannot carry\n",
                lib);
        return 1;
    }
    const char *old = getenv("LD_PRELOAD");
    if (old && *old && !preloaded(old, lib)) {
        size_t n = strlen(old) + strlen(lib) + 2;
        char *v = malloc(n);
        if (!v) {
            fprintf(stderr, "prompt-logger: out of memory\n");
            return 1;
        }
        /* after what is there: an ASan runtime or another preload must stay first */
        snprintf(v, n, "%s:%s", old, lib);
        setenv("LD_PRELOAD", v, 1);
        free(v);
    } else if (!old || !*old) {
        setenv("LD_PRELOAD", lib, 1);
    }
    if (o->ns)
        setenv("PROMPTLOG_NAMESPACE", o->ns, 1);
    if (o->database)
        setenv("PROMPTLOG_DATABASE", o->database, 1);
    fflush(NULL);
    execvp(o->argv[0], o->argv);
    int e = errno;
    fprintf(stderr, "prompt-logger run: %s: %s\n", o->argv[0], e == ENOENT ? "command not found" : strerror(e));
    return e == ENOENT ? 127 : 126;
}
