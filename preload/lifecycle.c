/* lifecycle.c — hooks on the calls that end a process image without running atexit handlers:
 * _exit/_Exit and the exec family. An LLM exchange still in flight on a TLS connection is
 * committed (flagged incomplete) before the image goes; completed ones are already committed.
 *
 * Why each case is handled the way it is:
 * - exit()/return from main run atexit, where conn.c commits everything; glibc's exit() reaches
 *   the kernel through an internal _exit, not through this hook, so nothing runs twice.
 * - fork() children are handled by pthread_atfork handlers (conn.c, capture.c, curl_shadow.c);
 *   they also record the child's pid here.
 * - A vfork() child (Python's subprocess, many shells) runs in its parent's memory until it
 *   execs or _exits: touching our state there would commit or free the parent's exchanges and
 *   could block on a lock a parent thread holds. No atfork handler runs after vfork, so a pid
 *   different from the one we recorded means "not our process image": pass straight through.
 *   The real functions are resolved in the constructor so that path does no dlsym/malloc.
 * - posix_spawn() execs through glibc-internal calls in a CLONE_VM child: never reaches us.
 * - SIGKILL cannot be hooked: what is committed stays committed, the rest is lost. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conn.h"
#include "runtime.h"
#include "symbols.h"

typedef void (*exit_fn)(int);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

static exit_fn real__exit, real__Exit;
static execve_fn real_execve, real_execvpe;
static execv_fn real_execv, real_execvp;
static fexecve_fn real_fexecve;

static volatile pid_t g_pid; /* the process whose image our state describes */

PL_EXPORT void _exit(int status) __attribute__((noreturn));
PL_EXPORT void _Exit(int status) __attribute__((noreturn));
PL_EXPORT int execve(const char *path, char *const argv[], char *const envp[]);
PL_EXPORT int execv(const char *path, char *const argv[]);
PL_EXPORT int execvp(const char *file, char *const argv[]);
PL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]);
PL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]);
PL_EXPORT int execl(const char *path, const char *arg, ...);
PL_EXPORT int execlp(const char *file, const char *arg, ...);
PL_EXPORT int execle(const char *path, const char *arg, ...);

static void resolve_all(void)
{
    PL_REAL(real__exit, "_exit", _exit);
    PL_REAL(real__Exit, "_Exit", _Exit);
    PL_REAL(real_execve, "execve", execve);
    PL_REAL(real_execvpe, "execvpe", execvpe);
    PL_REAL(real_execv, "execv", execv);
    PL_REAL(real_execvp, "execvp", execvp);
    PL_REAL(real_fexecve, "fexecve", fexecve);
}

static void atfork_child(void) { g_pid = getpid(); }

__attribute__((constructor)) static void lifecycle_init(void)
{
    int saved = errno;
    g_pid = getpid();
    resolve_all();
    pthread_atfork(NULL, NULL, atfork_child);
    errno = saved;
}

/* Under PROMPTLOG_DEBUG, what this process captured and skipped (the skip reasons were said
 * once each when they happened). Silent for a process that saw no LLM call. */
static void say_totals(void)
{
    pl_stats st = pl_stats_get();
    if (st.captured || st.skipped)
        pl_debug("exit: %lu captured, %lu skipped", st.captured, st.skipped);
}

/* A shared object's destructors run after every atexit handler, i.e. after conn.c's final
 * commit of what was in flight. */
__attribute__((destructor)) static void lifecycle_fini(void)
{
    int saved = errno;
    if (getpid() == g_pid)
        say_totals();
    errno = saved;
}

/* Commits what is in flight, unless this is a vfork child borrowing its parent's memory. */
static void before_image_ends(int ending)
{
    int saved = errno;
    if (getpid() == g_pid && !pl_in_hook) {
        pl_conn_flush_in_flight();
        if (ending)
            say_totals();
    }
    errno = saved;
}

/* Last resort when the real function cannot be found (no libc?): the raw syscall. */
static void __attribute__((noreturn)) exit_now(exit_fn real, int status)
{
    if (real)
        real(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

void _exit(int status)
{
    before_image_ends(1);
    exit_now(PL_REAL(real__exit, "_exit", _exit), status);
}

void _Exit(int status)
{
    before_image_ends(1);
    exit_now(PL_REAL(real__Exit, "_Exit", _Exit), status);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    execve_fn real = PL_REAL(real_execve, "execve", execve);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    before_image_ends(0);
    return real(path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
    execv_fn real = PL_REAL(real_execv, "execv", execv);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    before_image_ends(0);
    return real(path, argv);
}

int execvp(const char *file, char *const argv[])
{
    execv_fn real = PL_REAL(real_execvp, "execvp", execvp);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    before_image_ends(0);
    return real(file, argv);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    execve_fn real = PL_REAL(real_execvpe, "execvpe", execvpe);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    before_image_ends(0);
    return real(file, argv, envp);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    fexecve_fn real = PL_REAL(real_fexecve, "fexecve", fexecve);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    before_image_ends(0);
    return real(fd, argv, envp);
}

/* The execl* forms build the argument vector on the stack, as glibc does (arg is declared
 * nonnull there too), and go through the vector forms above: glibc's own execl* call its
 * internal execve, which we would not see. */
#define COUNT_ARGS(ap, arg, n) do {                                 \
        va_list cp_;                                                \
        va_copy(cp_, ap);                                           \
        n = 1;                                                      \
        while (va_arg(cp_, const char *))                           \
            n++;                                                    \
        va_end(cp_);                                                \
    } while (0)

#define FILL_ARGS(ap, arg, n, argv) do {                            \
        argv[0] = (char *)(arg);                                    \
        for (size_t i_ = 1; i_ < n; i_++)                           \
            argv[i_] = va_arg(ap, char *);                          \
        argv[n] = NULL;                                             \
        (void)va_arg(ap, char *); /* the terminating NULL */        \
    } while (0)

int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    FILL_ARGS(ap, arg, n, argv);
    va_end(ap);
    return execv(path, argv);
}

int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    FILL_ARGS(ap, arg, n, argv);
    va_end(ap);
    return execvp(file, argv);
}

int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    FILL_ARGS(ap, arg, n, argv);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}
