/* patch_elf.h — functions found by name in an ELF file on disk: its .dynsym, and its .symtab
 * when the file still has one (symbols that are not exported, e.g. OpenSSL linked in statically).
 *
 * Contract: pl_elf_open maps the file read-only (pages are touched only where looked at) and
 * never fails the caller: a missing or foreign file gives NULL. Lookups return the symbol's
 * st_value (a link-time address: add the object's load bias) and st_size of a defined function.
 * Cheap for a program with nothing to patch: headers only, plus one pass over .dynsym, and
 * over .symtab only after a fixed-string probe of .strtab found the name. */
#ifndef PL_PATCH_ELF_H
#define PL_PATCH_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

typedef struct pl_elf pl_elf;

enum { PL_ELF_NONE = 0, PL_ELF_DYNSYM = 1, PL_ELF_SYMTAB = 2 };

PL_HIDDEN pl_elf *pl_elf_open(const char *path);
PL_HIDDEN void pl_elf_close(pl_elf *e);

/* Where name is defined as a function: PL_ELF_DYNSYM (exported), PL_ELF_SYMTAB (in .symtab
 * only) or PL_ELF_NONE. *value and *size are set when found. */
PL_HIDDEN int pl_elf_find(pl_elf *e, const char *name, uint64_t *value, uint64_t *size);

/* 1 when the file is ET_EXEC/ET_DYN with a PT_INTERP (loaded by ld.so, so LD_PRELOAD applies). */
PL_HIDDEN int pl_elf_dynamic(pl_elf *e);
/* 1 when it has a .symtab at all (not stripped). */
PL_HIDDEN int pl_elf_has_symtab(pl_elf *e);
/* The section named name (e.g. ".go.buildinfo"), or NULL; *len is its size in the file. */
PL_HIDDEN const uint8_t *pl_elf_section(pl_elf *e, const char *name, size_t *len);
/* Calls fn for each DT_NEEDED entry; stops when fn returns non-zero. */
PL_HIDDEN void pl_elf_needed(pl_elf *e, int (*fn)(const char *lib, void *arg), void *arg);

#endif
