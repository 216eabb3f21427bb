/* elf.h — functions found by name in an ELF file on disk: its .dynsym, and its .symtab
 * when the file still has one (symbols that are not exported, e.g. OpenSSL linked in statically).
 *
 * Contract: pl_elf_open maps the file read-only (pages are touched only where looked at) and
 * never fails the caller: a missing or foreign file gives NULL. Lookups return the symbol's
 * st_value (a link-time address: add the object's load bias) and st_size of a defined function.
 * Cheap for a program with nothing to patch: headers only, plus one pass over .dynsym, and
 * over .symtab only after a fixed-string probe of .strtab found the name.
 * Used by the preload library (patch_exe.c) and by `prompt-logger doctor`. */
#ifndef PL_ELF_H
#define PL_ELF_H

#include <stddef.h>
#include <stdint.h>


typedef struct pl_elf pl_elf;

enum { PL_ELF_NONE = 0, PL_ELF_DYNSYM = 1, PL_ELF_SYMTAB = 2 };

pl_elf *pl_elf_open(const char *path);
void pl_elf_close(pl_elf *e);

/* Where name is defined as a function: PL_ELF_DYNSYM (exported), PL_ELF_SYMTAB (in .symtab
 * only) or PL_ELF_NONE. *value and *size are set when found. */
int pl_elf_find(pl_elf *e, const char *name, uint64_t *value, uint64_t *size);

/* 1 when the file is ET_EXEC/ET_DYN with a PT_INTERP (loaded by ld.so, so LD_PRELOAD applies). */
int pl_elf_dynamic(pl_elf *e);
/* 1 when it has a .symtab at all (not stripped). */
int pl_elf_has_symtab(pl_elf *e);
/* The section named name (e.g. ".go.buildinfo"), or NULL; *len is its size in the file. */
const uint8_t *pl_elf_section(pl_elf *e, const char *name, size_t *len);
/* Calls fn for each dynamic-section string entry with this tag (DT_NEEDED, DT_RUNPATH,
 * DT_RPATH); stops when fn returns non-zero. */
void pl_elf_dynstr(pl_elf *e, long tag, int (*fn)(const char *value, void *arg), void *arg);
/* The whole file, read-only (for a fixed-string search such as a library's version string). */
const uint8_t *pl_elf_bytes(pl_elf *e, size_t *len);
/* 1 when the file is a shared object or executable for this machine's architecture. */
int pl_elf_native(pl_elf *e);

#endif
