/* doctor_elf.h — the static half of `prompt-logger doctor`: what an executable and the libraries
 * it names (DT_NEEDED, followed recursively through the usual directories) tell about each
 * capture path. Reads files only; never runs or loads them. */
#ifndef PL_DOCTOR_ELF_H
#define PL_DOCTOR_ELF_H

#include <limits.h>

enum { PL_EXE_SSL_NONE, PL_EXE_SSL_EXPORTED, PL_EXE_SSL_SYMTAB, PL_EXE_SSL_STRIPPED };

typedef struct pl_diag {
    char path[PATH_MAX];        /* the file analysed (after PATH search and #! following) */
    char script[PATH_MAX];      /* the script named on the command line, when path is its interpreter */
    int elf, native, dynamic;   /* an ELF file / for this machine / has PT_INTERP */
    char curl_lib[PATH_MAX];    /* libcurl named by the executable or a library, "" if none */
    char ssl_lib[PATH_MAX];     /* shared libssl */
    char gnutls_lib[PATH_MAX];  /* shared libgnutls */
    int exe_ssl;                /* PL_EXE_SSL_*: OpenSSL/BoringSSL inside the executable */
    int boringssl;
    int go;                     /* a Go program (.go.buildinfo) */
    char go_version[64];
    int rustls, java;           /* known stacks no hook sees */
    int php;                    /* loads extensions with RTLD_DEEPBIND */
    int dlopen;                 /* imports dlopen: may load TLS libraries at run time */
    int nlibs;                  /* libraries found */
} pl_diag;

/* Fills d for PROGRAM (a path, or a name searched in $PATH). 0 ok, -1 not found/unreadable. */
int pl_diag_program(const char *program, pl_diag *d);

#endif
