/* doctor_elf.c — reads an executable and its DT_NEEDED libraries for `prompt-logger doctor`
 * (see doctor_elf.h). Libraries are looked up the way ld.so does for the common cases: the
 * object's DT_RUNPATH/DT_RPATH ($ORIGIN expanded), $LD_LIBRARY_PATH, then the system dirs. */
#include "doctor_elf.h"

#include <dirent.h>
#include <elf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/elf.h"

#define MAX_LIBS 256

static const char *const SYSTEM_DIRS[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};

typedef struct {
    pl_diag *d;
    char seen[MAX_LIBS][NAME_MAX + 1];
    int nseen;
    char queue[MAX_LIBS][PATH_MAX];
    int nqueue;
    char dirs[1024];            /* the current object's RUNPATH, $ORIGIN expanded */
} walk;

static int find_in_path(const char *name, char *out)
{
    if (strchr(name, '/')) {
        snprintf(out, PATH_MAX, "%s", name);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    const char *p = getenv("PATH");
    if (!p)
        p = "/usr/local/bin:/usr/bin:/bin";
    while (*p) {
        size_t n = strcspn(p, ":");
        snprintf(out, PATH_MAX, "%.*s/%s", (int)n, p, name);
        if (access(out, X_OK) == 0)
            return 0;
        p += n + (p[n] == ':');
    }
    return -1;
}

/* Looks name up in a colon list of directories. */
static int find_in_dirs(const char *dirs, const char *name, char *out)
{
    while (dirs && *dirs) {
        size_t n = strcspn(dirs, ":");
        if (n) {
            snprintf(out, PATH_MAX, "%.*s/%s", (int)n, dirs, name);
            if (access(out, R_OK) == 0)
                return 0;
        }
        dirs += n + (dirs[n] == ':');
    }
    return -1;
}

static int find_lib(const walk *w, const char *name, char *out)
{
    if (strchr(name, '/'))
        return find_in_dirs("/", name, out);
    if (find_in_dirs(w->dirs, name, out) == 0 || find_in_dirs(getenv("LD_LIBRARY_PATH"), name, out) == 0)
        return 0;
    for (size_t i = 0; i < sizeof SYSTEM_DIRS / sizeof *SYSTEM_DIRS; i++)
        if (find_in_dirs(SYSTEM_DIRS[i], name, out) == 0)
            return 0;
    return -1;
}

static void note_lib(pl_diag *d, const char *name, const char *path)
{
    if (!strncmp(name, "libcurl", 7) && !d->curl_lib[0])
        snprintf(d->curl_lib, sizeof d->curl_lib, "%s", path);
    else if (!strncmp(name, "libssl.so", 9) && !d->ssl_lib[0])
        snprintf(d->ssl_lib, sizeof d->ssl_lib, "%s", path);
    else if (!strncmp(name, "libgnutls.so", 12) && !d->gnutls_lib[0])
        snprintf(d->gnutls_lib, sizeof d->gnutls_lib, "%s", path);
    else if (!strncmp(name, "libjvm.so", 9))
        d->java = 1;
}

static int on_needed(const char *name, void *arg)
{
    walk *w = arg;
    for (int i = 0; i < w->nseen; i++)
        if (!strcmp(w->seen[i], name))
            return 0;
    if (w->nseen >= MAX_LIBS || w->nqueue >= MAX_LIBS)
        return 1;
    snprintf(w->seen[w->nseen++], NAME_MAX + 1, "%s", name);
    char path[PATH_MAX];
    if (find_lib(w, name, path) != 0)
        return 0;
    note_lib(w->d, name, path);
    snprintf(w->queue[w->nqueue++], PATH_MAX, "%s", path);
    w->d->nlibs++;
    return 0;
}

/* Appends an object's RUNPATH/RPATH to w->dirs with $ORIGIN replaced by its directory. */
static int on_runpath(const char *value, void *arg)
{
    walk *w = arg;
    char origin[PATH_MAX];
    snprintf(origin, sizeof origin, "%s", w->queue[w->nqueue - 1]);
    char *dir = dirname(origin);
    size_t used = strlen(w->dirs);
    for (const char *v = value; *v && used + 2 < sizeof w->dirs;) {
        if (!strncmp(v, "$ORIGIN", 7) || !strncmp(v, "${ORIGIN}", 9)) {
            used += (size_t)snprintf(w->dirs + used, sizeof w->dirs - used, "%s", dir);
            v += v[1] == '{' ? 9 : 7;
        } else {
            w->dirs[used++] = *v++;
            w->dirs[used] = '\0';
        }
        if (used >= sizeof w->dirs)
            used = sizeof w->dirs - 1;
    }
    if (used + 1 < sizeof w->dirs) {
        w->dirs[used++] = ':';
        w->dirs[used] = '\0';
    }
    return 0;
}

static int contains(const uint8_t *b, size_t n, const char *s)
{
    return b && memmem(b, n, s, strlen(s)) != NULL;
}

/* Go's version from .go.buildinfo (util/elf.h); only Go >= 1.18 writes it inline. */
static void go_version(pl_elf *e, pl_diag *d)
{
    size_t n = 0;
    const uint8_t *b = pl_elf_section(e, ".go.buildinfo", &n);
    if (pl_elf_go_version(b, n, d->go_version, sizeof d->go_version) >= 0)
        d->go = 1;
}

/* A "#!" script: analyse its interpreter (the word after /usr/bin/env when env is used). */
static int follow_script(pl_diag *d)
{
    FILE *f = fopen(d->path, "r");
    if (!f)
        return -1;
    char line[PATH_MAX];
    int ok = fgets(line, sizeof line, f) && line[0] == '#' && line[1] == '!';
    fclose(f);
    if (!ok)
        return -1;
    char *save, *interp = strtok_r(line + 2, " \t\r\n", &save);
    if (!interp)
        return -1;
    if (!strcmp(basename(interp), "env")) {
        interp = strtok_r(NULL, " \t\r\n", &save);
        while (interp && interp[0] == '-')
            interp = strtok_r(NULL, " \t\r\n", &save);
        if (!interp)
            return -1;
    }
    snprintf(d->script, sizeof d->script, "%s", d->path);
    char found[PATH_MAX];
    if (find_in_path(interp, found) != 0)
        return -1;
    snprintf(d->path, sizeof d->path, "%s", found);
    return 0;
}

/* CPython loads libssl through its _ssl extension module (dlopen), not through DT_NEEDED: for
 * pythonX.Y, read lib-dynload/_ssl*.so of the matching /usr/lib or /usr/local/lib tree. */
static void python_ssl(pl_diag *d, const char *base)
{
    unsigned major, minor;
    if (d->ssl_lib[0] || sscanf(base, "python%u.%u", &major, &minor) != 2)
        return;
    static const char *const roots[] = {"/usr/lib", "/usr/local/lib"};
    for (size_t r = 0; r < 2; r++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/python%u.%u/lib-dynload", roots[r], major, minor);
        DIR *dh = opendir(dir);
        if (!dh)
            continue;
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (strncmp(de->d_name, "_ssl.", 5) != 0)
                continue;
            char path[PATH_MAX];
            if (snprintf(path, sizeof path, "%.3800s/%.255s", dir, de->d_name) >= (int)sizeof path)
                continue;
            pl_elf *m = pl_elf_open(path);
            walk *w = m ? calloc(1, sizeof *w) : NULL;
            if (w) {
                w->d = d;
                snprintf(w->queue[w->nqueue++], PATH_MAX, "%s", path);
                pl_elf_dynstr(m, DT_NEEDED, on_needed, w); /* notes libssl via note_lib */
                free(w);
            }
            pl_elf_close(m);
        }
        closedir(dh);
    }
}

int pl_diag_program(const char *program, pl_diag *d)
{
    memset(d, 0, sizeof *d);
    if (find_in_path(program, d->path) != 0)
        return -1;
    char real[PATH_MAX];
    pl_elf *e = pl_elf_open(d->path);
    if (!e) {
        if (follow_script(d) != 0)
            return access(d->path, R_OK) == 0 ? 0 : -1; /* readable, not ELF: nothing to say */
        e = pl_elf_open(d->path);
        if (!e)
            return 0;
    }
    if (realpath(d->path, real))
        snprintf(d->path, sizeof d->path, "%s", real);
    d->elf = 1;
    d->native = pl_elf_native(e);
    d->dynamic = pl_elf_dynamic(e);
    const char *base = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
    d->php = !strncmp(base, "php", 3);
    d->java = !strcmp(base, "java");
    uint64_t v, s;
    int where = pl_elf_find(e, "SSL_write", &v, &s);
    size_t n;
    const uint8_t *bytes = pl_elf_bytes(e, &n);
    d->boringssl = contains(bytes, n, "BoringSSL");
    if (where == PL_ELF_DYNSYM)
        d->exe_ssl = PL_EXE_SSL_EXPORTED;
    else if (where == PL_ELF_SYMTAB)
        d->exe_ssl = PL_EXE_SSL_SYMTAB;
    else if (contains(bytes, n, "ssl/ssl_lib.c") || d->boringssl)
        d->exe_ssl = PL_EXE_SSL_STRIPPED; /* OpenSSL's own source file name, kept for errors */
    d->rustls = contains(bytes, n, "rustls");
    go_version(e, d);
    /* Go carries crypto/tls, whose error strings mention OpenSSL nowhere; but a cgo binary may
     * link libssl: that is seen through DT_NEEDED below. */
    if (d->go && d->exe_ssl == PL_EXE_SSL_STRIPPED)
        d->exe_ssl = PL_EXE_SSL_NONE;
    d->dlopen = contains(bytes, n, "dlopen"); /* imported (or named): may load more at run time */
    walk *w = calloc(1, sizeof *w);
    if (w) {
        w->d = d;
        snprintf(w->queue[w->nqueue++], PATH_MAX, "%s", d->path);
        pl_elf_dynstr(e, DT_RUNPATH, on_runpath, w);
        pl_elf_dynstr(e, DT_RPATH, on_runpath, w);
        pl_elf_dynstr(e, DT_NEEDED, on_needed, w);
        for (int i = 1; i < w->nqueue; i++) {
            pl_elf *l = pl_elf_open(w->queue[i]);
            if (!l)
                continue;
            pl_elf_dynstr(l, DT_NEEDED, on_needed, w);
            pl_elf_close(l);
        }
        free(w);
    }
    pl_elf_close(e);
    python_ssl(d, base);
    if (d->exe_ssl == PL_EXE_SSL_STRIPPED && d->ssl_lib[0])
        d->exe_ssl = PL_EXE_SSL_NONE; /* the marker came with code calling the shared libssl */
    return 0;
}
