/* hook_exec.c — hooks on the calls that end a process image without running atexit handlers:
 * _exit/_Exit and the exec family. An LLM exchange still in flight is committed (flagged
 * incomplete) by pl_process_image_ends before the image goes; completed ones already are.
 *
 * Why each case is handled the way it is (process.h has the rest of the lifecycle):
 * - exit()/return from main run atexit, where process.c commits everything; glibc's exit()
 *   reaches the kernel through an internal _exit, not through this hook, so nothing runs twice.
 * - A vfork() child (Python's subprocess, many shells) runs in its parent's memory until it
 *   execs or _exits: pl_process_image_ends does nothing there. The real functions are resolved
 *   in the constructor so that path does no dlsym/malloc.
 * - posix_spawn() execs through glibc-internal calls in a CLONE_VM child: never reaches us.
 * - SIGKILL cannot be hooked: what is committed stays committed, the rest is lost. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process.h"
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

__attribute__((constructor)) static void exec_hooks_init(void)
{
    int saved = errno;
    PL_REAL(real__exit, "_exit", _exit);
    PL_REAL(real__Exit, "_Exit", _Exit);
    PL_REAL(real_execve, "execve", execve);
    PL_REAL(real_execvpe, "execvpe", execvpe);
    PL_REAL(real_execv, "execv", execv);
    PL_REAL(real_execvp, "execvp", execvp);
    PL_REAL(real_fexecve, "fexecve", fexecve);
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
    pl_process_image_ends(1);
    exit_now(PL_REAL(real__exit, "_exit", _exit), status);
}

void _Exit(int status)
{
    pl_process_image_ends(1);
    exit_now(PL_REAL(real__Exit, "_Exit", _Exit), status);
}

/* Every exec form: resolve, flush, replace the image. */
#define EXEC_VIA(slot, name, self, ...) do {                        \
        __typeof__(slot) real_ = PL_REAL(slot, name, self);         \
        if (!real_) {                                               \
            errno = ENOSYS;                                         \
            return -1;                                              \
        }                                                           \
        pl_process_image_ends(0);                                   \
        return real_(__VA_ARGS__);                                  \
    } while (0)

int execve(const char *path, char *const argv[], char *const envp[])
{
    EXEC_VIA(real_execve, "execve", execve, path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
    EXEC_VIA(real_execv, "execv", execv, path, argv);
}

int execvp(const char *file, char *const argv[])
{
    EXEC_VIA(real_execvp, "execvp", execvp, file, argv);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    EXEC_VIA(real_execvpe, "execvpe", execvpe, file, argv, envp);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    EXEC_VIA(real_fexecve, "fexecve", fexecve, fd, argv, envp);
}

/* The execl* forms build the argument vector on the stack, as glibc does (arg is declared
 * nonnull there too), and go through the vector forms above: glibc's own execl* call its
 * internal execve, which we would not see. One body for the three: how many arguments, the
 * vector, then (execle) the environment after the terminating NULL. */
enum exec_list_form { EXEC_L, EXEC_LP, EXEC_LE };

static int exec_list(enum exec_list_form form, const char *file, const char *arg, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    size_t n = 1;
    while (va_arg(cp, const char *))
        n++;
    va_end(cp);
    char *argv[n + 1];
    argv[0] = (char *)arg;
    for (size_t i = 1; i < n; i++)
        argv[i] = va_arg(ap, char *);
    argv[n] = NULL;
    (void)va_arg(ap, char *); /* the terminating NULL */
    switch (form) {
    case EXEC_LP: return execvp(file, argv);
    case EXEC_LE: return execve(file, argv, va_arg(ap, char *const *));
    default: return execv(file, argv);
    }
}

#define EXEC_LIST(form, file, arg) __extension__({                  \
        va_list ap_;                                                \
        va_start(ap_, arg);                                         \
        int r_ = exec_list(form, file, arg, ap_);                   \
        va_end(ap_);                                                \
        r_;                                                         \
    })

int execl(const char *path, const char *arg, ...)
{
    return EXEC_LIST(EXEC_L, path, arg);
}

int execlp(const char *file, const char *arg, ...)
{
    return EXEC_LIST(EXEC_LP, file, arg);
}

int execle(const char *path, const char *arg, ...)
{
    return EXEC_LIST(EXEC_LE, path, arg);
}
