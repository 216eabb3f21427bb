/* doctor_report.c — counters for `prompt-logger doctor --run`, appended as one line per process
 * to $PROMPTLOG_DOCTOR_REPORT at exit (see doctor_report.h). */
#include "doctor_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>


enum { N_SRC = 8 };
static unsigned long g_doc_sessions[N_SRC], g_doc_captured[N_SRC], g_doc_tls_sockets, g_doc_got;
static int g_doc_patched; /* set once in the constructor phase by patch_exe.c */
static const char *g_doc_path; /* set in the constructor: the environment is read once */

/* A fork child starts from zero: what its parent saw is reported by the parent. Called by
 * process.c's one fork-child step. */
void pl_doctor_fork_child(void)
{
    for (int i = 0; i < N_SRC; i++)
        g_doc_sessions[i] = g_doc_captured[i] = 0;
    g_doc_tls_sockets = g_doc_got = 0;
}

__attribute__((constructor)) static void doctor_report_init(void)
{
    const char *p = getenv("PROMPTLOG_DOCTOR_REPORT");
    /* Only the variable here: the configuration is read lazily, after the program (or a unit test)
     * had its chance to set the environment; a disabled library is checked at exit. */
    if (p && *p)
        g_doc_path = p;
}

static void bump(unsigned long *v) { __atomic_add_fetch(v, 1, __ATOMIC_RELAXED); }
static unsigned long get(unsigned long *v) { return __atomic_load_n(v, __ATOMIC_RELAXED); }

void pl_doctor_note_sniff(pl_source src, int http, const void *sniff, size_t n)
{
    if (!g_doc_path || (unsigned)src >= N_SRC)
        return;
    const unsigned char *b = sniff;
    if (src == PL_SOURCE_SOCKET && !http && n >= 3 && b[0] == 0x16 && b[1] == 0x03)
        bump(&g_doc_tls_sockets); /* a TLS handshake record: ClientHello */
    else if (src != PL_SOURCE_SOCKET || http)
        bump(&g_doc_sessions[src]);
}

void pl_doctor_note_captured(pl_source src)
{
    if (g_doc_path && (unsigned)src < N_SRC)
        bump(&g_doc_captured[src]);
}

void pl_doctor_note_patched(int functions) { g_doc_patched = functions; }

void pl_doctor_note_got(int slots)
{
    if (g_doc_path && slots > 0)
        __atomic_add_fetch(&g_doc_got, (unsigned long)slots, __ATOMIC_RELAXED);
}

/* After conn.c's atexit handler committed what was in flight: a destructor runs after atexit. */
__attribute__((destructor)) static void doctor_report_fini(void)
{
    if (!g_doc_path || pl_config_get()->disabled)
        return;
    int saved = errno;
    pl_self_enter(); /* our own write and close pass the hooks untouched */
    char exe[256] = "?";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 1] = '\0';
    char line[896];
    int len = snprintf(line, sizeof line,
                       "pid=%d exe=%s patched_entry=%d got_slots=%lu sessions_openssl=%lu "
                       "sessions_gnutls=%lu sessions_socket=%lu tls_sockets=%lu captured_curl=%lu "
                       "captured_openssl=%lu captured_gnutls=%lu captured_socket=%lu sessions_go=%lu "
                       "captured_go=%lu\n",
                       (int)getpid(), exe, g_doc_patched, get(&g_doc_got),
                       get(&g_doc_sessions[PL_SOURCE_OPENSSL]), get(&g_doc_sessions[PL_SOURCE_GNUTLS]),
                       get(&g_doc_sessions[PL_SOURCE_SOCKET]), get(&g_doc_tls_sockets),
                       get(&g_doc_captured[PL_SOURCE_CURL]), get(&g_doc_captured[PL_SOURCE_OPENSSL]),
                       get(&g_doc_captured[PL_SOURCE_GNUTLS]), get(&g_doc_captured[PL_SOURCE_SOCKET]),
                       get(&g_doc_sessions[PL_SOURCE_GO]), get(&g_doc_captured[PL_SOURCE_GO]));
    int fd = open(g_doc_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && len > 0) {
        ssize_t w = write(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
        (void)w;
    }
    if (fd >= 0)
        close(fd);
    pl_self_leave();
    errno = saved;
}
