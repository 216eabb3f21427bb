/* elf.h — functions found by name in an ELF file on disk: its .dynsym, and its .symtab
 * when the file still has one (symbols that are not exported, e.g. OpenSSL linked in statically).
 *
 * Contract: pl_elf_open maps the file read-only (pages are touched only where looked at) and
 * never fails the caller: a missing or foreign file gives NULL. Lookups return the symbol's
 * st_value (a link-time address: add the object's load bias) and st_size of a defined function.
 * Cheap for a program with nothing to patch: headers only, plus one pass over .dynsym, and
 * over .symtab only after a fixed-string probe of .strtab found the name.
 * Used by the preload library (patch_exe.c, go_elf.c) and by `prompt-logger doctor`. */
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
/* The link-time address and size of the loaded (SHF_ALLOC) section named name: 1, or 0 when
 * absent or not loaded. Read it in memory at bias + addr, where relocations are applied. */
int pl_elf_section_addr(pl_elf *e, const char *name, uint64_t *addr, size_t *len);
/* The Go version ("go1.21.3") in the bytes of a .go.buildinfo section (16-byte header
 * "\xff Go buildinf:", pointer size, flags; with flag 2, Go >= 1.18, the version follows inline at
 * offset 32, uvarint-length-prefixed): 1 with it in out; 0 for a Go build-info section without an
 * inline version (older Go points to it instead); -1 when b is no such section. */
int pl_elf_go_version(const uint8_t *b, size_t n, char *out, size_t out_size);
/* The whole file, read-only (for a fixed-string search such as a library's version string). */
const uint8_t *pl_elf_bytes(pl_elf *e, size_t *len);
/* 1 when the file is a shared object or executable for this machine's architecture. */
int pl_elf_native(pl_elf *e);

#endif
