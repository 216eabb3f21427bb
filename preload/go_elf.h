/* go_elf.h — reading the running Go executable: is it Go, which Go built it, where are its
 * functions. Everything is read from the loaded image and from /proc/self/exe; nothing is written.
 *
 * Contract: pl_go_exe_is_go() is cheap (no syscall, no allocation: it walks the program headers
 * already in memory), so every process may call it. The rest is meant for the constructor of a
 * Go process only. Addresses returned are run-time addresses (load bias applied). */
#ifndef PL_GO_ELF_H
#define PL_GO_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* 1 when the main executable carries Go's build-id note (".note.go.buildid", a PT_NOTE with
 * owner "Go"): every binary Go's linker makes has it, internal or external linking. */
PL_HIDDEN int pl_go_exe_is_go(void);

typedef struct pl_elf pl_elf;

typedef struct pl_go_exe {
    pl_elf *elf;                /* /proc/self/exe (util/elf.h), for .symtab and section headers */
    uintptr_t bias;             /* load bias of the executable (0 unless PIE) */
    char version[40];           /* "go1.19.8", from .go.buildinfo; "" when unknown */
    int major, minor;           /* 1, 19; 0, 0 when unknown */
    const unsigned char *pclntab; /* .gopclntab in memory (relocated), NULL if absent */
    size_t pclntab_size;
    uintptr_t text_lo, text_hi;   /* run-time range of the executable segment holding .text */
} pl_go_exe;

/* Maps and indexes the executable. Returns 0, or -1 with a reason in *why (a static string). */
PL_HIDDEN int pl_go_exe_open(pl_go_exe *e, const char **why);
PL_HIDDEN void pl_go_exe_close(pl_go_exe *e);

/* Run-time address and size of the function with this exact Go name (for example
 * "crypto/tls.(*Conn).Write"): from .symtab, else from .gopclntab (a stripped binary).
 * Returns 0, or -1 when absent. *how is "symtab" or "gopclntab". */
PL_HIDDEN int pl_go_exe_func(const pl_go_exe *e, const char *name, uintptr_t *addr, size_t *size,
                             const char **how);

#endif
