/* doctor.c — `prompt-logger doctor`: per capture path, whether it applies to a program and why
 * (from its ELF files, doctor_elf.c), and with --run what the library saw while it ran
 * (counters the library appends to $PROMPTLOG_DOCTOR_REPORT, preload/doctor_report.c). */
#include "doctor.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor_elf.h"

static const char USAGE[] =
    "usage: prompt-logger doctor [--json] PROGRAM\n"
    "       prompt-logger doctor [--json] --run -- COMMAND [ARGS...]\n"
    "\n"
    "Says whether promptlog can capture PROGRAM's LLM calls, and through which path: libcurl,\n"
    "shared OpenSSL/GnuTLS, OpenSSL inside the executable (entry patching), plain HTTP. It reads\n"
    "the executable and the libraries it needs; it does not run it. Run this first when a program\n"
    "leaves no record.\n"
    "\n"
    "  --run    also run COMMAND under the library and report what it saw: TLS sessions per\n"
    "           layer, LLM calls captured, sockets that carried TLS no hook decrypted (the sign\n"
    "           of a missed stack). COMMAND's stdout is sent to stderr; the report is on stdout.\n"
    "  --json   the same as one JSON object\n";

typedef struct {
    const char *name;
    int applies;
    char detail[512];
} path_row;

/* The Go hooks (preload/go_hook.c) need Go's register ABI: Go >= 1.17 on x86-64. Versions read
 * "go1.19.8"; anything else (a devel build, no build info) is not hooked there either. */
static int go_hookable(const char *version)
{
#if defined(__x86_64__)
    int major = 0, minor = 0;
    return sscanf(version, "go%d.%d", &major, &minor) == 2 && (major > 1 || (major == 1 && minor >= 17));
#else
    (void)version;
    return 0;
#endif
}

static int rows_of(const pl_diag *d, path_row *r, int *capturable, const char **verdict)
{
    int n = 0;
    *capturable = 0;
    *verdict = "no capture path applies";
    if (!d->elf) {
        *verdict = "not an ELF executable (or a script whose interpreter was not found)";
        return 0;
    }
    if (!d->native) {
        *verdict = "built for another architecture";
        return 0;
    }
    if (!d->dynamic) {
        r[n] = (path_row){"statically linked", 1, ""};
        snprintf(r[n++].detail, sizeof r->detail, "%s",
                 d->go ? "statically linked Go: not capturable with LD_PRELOAD (the dynamic loader "
                         "never runs, so the library is never loaded; build with cgo, or use a proxy)"
                       : "the dynamic loader never runs, so LD_PRELOAD never loads the library");
        *verdict = "NOT capturable: statically linked";
        return n;
    }
    r[n] = (path_row){"libcurl (shared)", d->curl_lib[0] != 0, ""};
    if (d->curl_lib[0])
        snprintf(r[n].detail, sizeof r->detail, "%.400s: libcurl hooks", d->curl_lib);
    n++;
    r[n] = (path_row){"libcurl (deep-bound)", d->php, ""};
    if (d->php)
        snprintf(r[n].detail, sizeof r->detail,
                 "PHP loads extensions with RTLD_DEEPBIND: the curl extension's import slots are "
                 "patched when it is loaded (PROMPTLOG_PATCH=0 turns this off)");
    n++;
    r[n] = (path_row){"OpenSSL (shared libssl)", d->ssl_lib[0] != 0, ""};
    if (d->ssl_lib[0])
        snprintf(r[n].detail, sizeof r->detail, "%.400s: SSL_read/SSL_write hooks", d->ssl_lib);
    n++;
    r[n] = (path_row){"GnuTLS (shared)", d->gnutls_lib[0] != 0, ""};
    if (d->gnutls_lib[0])
        snprintf(r[n].detail, sizeof r->detail, "%.400s: gnutls_record_send/recv hooks", d->gnutls_lib);
    n++;
    const char *lib = d->boringssl ? "BoringSSL" : "OpenSSL";
    r[n] = (path_row){"OpenSSL/BoringSSL inside the executable", d->exe_ssl != PL_EXE_SSL_NONE, ""};
    if (d->exe_ssl == PL_EXE_SSL_EXPORTED)
        snprintf(r[n].detail, sizeof r->detail,
                 "%s exported (.dynsym): its entry is patched at start-up", lib);
    else if (d->exe_ssl == PL_EXE_SSL_SYMTAB)
        snprintf(r[n].detail, sizeof r->detail,
                 "%s not exported, found in .symtab: its entry is patched at start-up", lib);
    else if (d->exe_ssl == PL_EXE_SSL_STRIPPED)
        snprintf(r[n].detail, sizeof r->detail,
                 "%s is linked in but the executable is stripped: no symbol for SSL_write, so "
                 "it is NOT captured (rebuild without -s, or export the SSL_* symbols)", lib);
    n++;
    int go_hooked = d->go && go_hookable(d->go_version);
    r[n] = (path_row){"Go crypto/tls", d->go, ""};
    if (go_hooked)
        snprintf(r[n].detail, sizeof r->detail,
                 "Go %s, dynamically linked: crypto/tls.(*Conn).Write/Read/Close are patched at "
                 "start-up (found in .symtab, or .gopclntab when stripped)", d->go_version);
    else if (d->go)
        snprintf(r[n].detail, sizeof r->detail,
                 "Go %s: NOT hooked (the hooks need Go >= 1.17 on x86-64, its register ABI)",
                 d->go_version[0] ? d->go_version : "(version unknown)");
    n++;
    r[n] = (path_row){"plain HTTP (socket hooks)", 1, "connect/read/write on client TCP sockets"};
    n++;
    if (d->rustls || d->java) {
        r[n] = (path_row){d->rustls ? "rustls" : "Java (JSSE)", 1, ""};
        snprintf(r[n++].detail, sizeof r->detail,
                 "TLS implemented inside the program: no hook sees it, NOT captured");
    }
    if (d->dlopen && !d->curl_lib[0] && !d->ssl_lib[0] && !d->gnutls_lib[0] &&
        d->exe_ssl == PL_EXE_SSL_NONE) {
        r[n] = (path_row){"libraries loaded at run time", 1,
                          "it can dlopen libssl or libcurl later (Python, Ruby, ...): "
                          "`prompt-logger doctor --run -- COMMAND` shows what it does"};
        n++;
    }
    int tls = d->curl_lib[0] || d->php || d->ssl_lib[0] || d->gnutls_lib[0] ||
              d->exe_ssl == PL_EXE_SSL_EXPORTED || d->exe_ssl == PL_EXE_SSL_SYMTAB || go_hooked;
    *capturable = tls;
    if (tls)
        *verdict = "capturable over HTTPS (and plain HTTP)";
    else if (d->exe_ssl == PL_EXE_SSL_STRIPPED)
        *verdict = "NOT capturable over HTTPS: OpenSSL is inside a stripped executable (plain HTTP only)";
    else if (d->go)
        *verdict = "NOT capturable over HTTPS: Go's crypto/tls, a Go the hooks do not support (plain HTTP only)";
    else if (d->rustls || d->java)
        *verdict = "NOT capturable over HTTPS: TLS inside the program (plain HTTP only)";
    else if (d->dlopen)
        *verdict = "maybe: no TLS library is linked, but one may be loaded at run time (try --run)";
    else
        *verdict = "plain HTTP only: no TLS library is linked";
    return n;
}

typedef struct {
    unsigned long procs, patched, got, s_ossl, s_gnutls, s_sock, tls_sockets, missed;
    unsigned long c_curl, c_ossl, c_gnutls, c_sock, s_go, c_go;
} run_totals;

static unsigned long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

static void read_report(const char *file, run_totals *t)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        t->procs++;
        t->patched += field(line, " patched_entry=");
        t->got += field(line, " got_slots=");
        unsigned long so = field(line, " sessions_openssl="), sg = field(line, " sessions_gnutls=");
        unsigned long ts = field(line, " tls_sockets=");
        t->s_ossl += so;
        t->s_gnutls += sg;
        t->s_sock += field(line, " sessions_socket=");
        t->tls_sockets += ts;
        t->missed += ts > so + sg ? ts - so - sg : 0; /* per process: no cancelling out */
        t->c_curl += field(line, " captured_curl=");
        t->c_ossl += field(line, " captured_openssl=");
        t->c_gnutls += field(line, " captured_gnutls=");
        t->c_sock += field(line, " captured_socket=");
        t->s_go += field(line, " sessions_go=");
        t->c_go += field(line, " captured_go=");
    }
    fclose(f);
}

/* Runs argv under the library; fills t; returns the command's exit status or -1. */
static int run_under_library(char **argv, run_totals *t)
{
    char lib[4096];
    const char *env_lib = getenv("PROMPTLOG_LIB");
    if (env_lib && *env_lib) {
        snprintf(lib, sizeof lib, "%s", env_lib);
    } else {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return -1;
        self[n] = '\0';
        snprintf(lib, sizeof lib, "%s/libpromptlog.so", dirname(self));
    }
    if (access(lib, R_OK) != 0) {
        fprintf(stderr, "prompt-logger doctor: %s not found (set PROMPTLOG_LIB)\n", lib);
        return -1;
    }
    char report[] = "/tmp/promptlog-doctor.XXXXXX";
    int fd = mkstemp(report);
    if (fd < 0)
        return -1;
    close(fd);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        unlink(report);
        return -1;
    }
    if (pid == 0) {
        const char *old = getenv("LD_PRELOAD");
        char pre[8192];
        /* After what is already preloaded: a sanitizer runtime must stay first. */
        snprintf(pre, sizeof pre, "%s%s%s", old ? old : "", old && *old ? " " : "", lib);
        setenv("LD_PRELOAD", pre, 1);
        setenv("PROMPTLOG_DOCTOR_REPORT", report, 1);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execvp(argv[0], argv);
        fprintf(stderr, "prompt-logger doctor: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    read_report(report, t);
    unlink(report);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void print_text(const pl_diag *d, const char *program, const path_row *r, int n,
                       const char *verdict, const run_totals *t, int rc)
{
    printf("%s: %s\n", program, d->script[0] ? d->script : d->path[0] ? d->path : "(not found)");
    if (d->script[0])
        printf("  a script run by %s\n", d->path);
    if (d->elf)
        printf("  %s, %s, %d libraries\n", d->native ? "ELF for this machine" : "ELF for another machine",
               d->dynamic ? "dynamically linked" : "statically linked", d->nlibs);
    for (int i = 0; i < n; i++)
        printf("  %-40s %s%s%s\n", r[i].name, r[i].applies ? "yes" : "no",
               r[i].detail[0] ? "  " : "", r[i].detail);
    printf("verdict: %s\n", verdict);
    if (!t)
        return;
    printf("run: exit %d, %lu process%s with the library\n", rc, t->procs, t->procs == 1 ? "" : "es");
    printf("  TLS sessions seen: openssl %lu, gnutls %lu, go %lu; plain HTTP connections: %lu\n",
           t->s_ossl, t->s_gnutls, t->s_go, t->s_sock);
    printf("  patched: %lu function entries, %lu import slots\n", t->patched, t->got);
    printf("  LLM calls captured: %lu (curl %lu, openssl %lu, gnutls %lu, go %lu, socket %lu)\n",
           t->c_curl + t->c_ossl + t->c_gnutls + t->c_go + t->c_sock, t->c_curl, t->c_ossl, t->c_gnutls,
           t->c_go, t->c_sock);
    printf("  sockets that carried TLS no hook decrypted: %lu%s\n", t->missed,
           t->missed ? "  <- TLS the hooks did not see: those calls were missed" : "");
}

static void print_json(const pl_diag *d, const char *program, const path_row *r, int n,
                       int capturable, const char *verdict, const run_totals *t, int rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "program", program);
    cJSON_AddStringToObject(o, "path", d->path);
    if (d->script[0])
        cJSON_AddStringToObject(o, "script", d->script);
    cJSON_AddBoolToObject(o, "elf", d->elf);
    cJSON_AddBoolToObject(o, "dynamic", d->dynamic);
    if (d->go)
        cJSON_AddStringToObject(o, "go_version", d->go_version);
    static const char *const ssl_kind[] = {"none", "exported", "symtab", "stripped"};
    cJSON_AddStringToObject(o, "executable_ssl", ssl_kind[d->exe_ssl]);
    cJSON *paths = cJSON_AddArrayToObject(o, "paths");
    for (int i = 0; i < n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", r[i].name);
        cJSON_AddBoolToObject(p, "applies", r[i].applies);
        cJSON_AddStringToObject(p, "detail", r[i].detail);
        cJSON_AddItemToArray(paths, p);
    }
    cJSON_AddBoolToObject(o, "capturable", capturable);
    cJSON_AddStringToObject(o, "verdict", verdict);
    if (t) {
        cJSON *j = cJSON_AddObjectToObject(o, "run");
        cJSON_AddNumberToObject(j, "exit", rc);
        cJSON_AddNumberToObject(j, "processes", (double)t->procs);
        cJSON *s = cJSON_AddObjectToObject(j, "tls_sessions");
        cJSON_AddNumberToObject(s, "openssl", (double)t->s_ossl);
        cJSON_AddNumberToObject(s, "gnutls", (double)t->s_gnutls);
        cJSON_AddNumberToObject(s, "go", (double)t->s_go);
        cJSON_AddNumberToObject(j, "plain_http_connections", (double)t->s_sock);
        cJSON_AddNumberToObject(j, "patched_entries", (double)t->patched);
        cJSON_AddNumberToObject(j, "patched_import_slots", (double)t->got);
        cJSON *c = cJSON_AddObjectToObject(j, "captured");
        cJSON_AddNumberToObject(c, "curl", (double)t->c_curl);
        cJSON_AddNumberToObject(c, "openssl", (double)t->c_ossl);
        cJSON_AddNumberToObject(c, "gnutls", (double)t->c_gnutls);
        cJSON_AddNumberToObject(c, "go", (double)t->c_go);
        cJSON_AddNumberToObject(c, "socket", (double)t->c_sock);
        cJSON_AddNumberToObject(j, "tls_sockets_undecrypted", (double)t->missed);
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
}

int pl_doctor_main(int argc, char **argv)
{
    int json = 0, run = 0, i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--run")) {
            run = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "prompt-logger doctor: unknown option %s\n%s", argv[i], USAGE);
            return 2;
        } else {
            break;
        }
    }
    if (i >= argc || (!run && i + 1 != argc)) {
        fprintf(stderr, "prompt-logger doctor: %s\n%s", i >= argc ? "missing PROGRAM" : "one PROGRAM only (use --run -- CMD ARGS to run it)", USAGE);
        return 2;
    }
    const char *program = argv[i];
    pl_diag *d = calloc(1, sizeof *d);
    if (!d)
        return 1;
    if (pl_diag_program(program, d) != 0 && !run) {
        fprintf(stderr, "prompt-logger doctor: %s: not found or not readable\n", program);
        free(d);
        return 1;
    }
    path_row r[16];
    int capturable;
    const char *verdict;
    int n = rows_of(d, r, &capturable, &verdict);
    run_totals t = {0};
    int rc = 0;
    if (run) {
        rc = run_under_library(argv + i, &t);
        if (rc < 0) {
            free(d);
            return 1;
        }
    }
    if (json)
        print_json(d, program, r, n, capturable, verdict, run ? &t : NULL, rc);
    else
        print_text(d, program, r, n, verdict, run ? &t : NULL, rc);
    free(d);
    return 0;
}
