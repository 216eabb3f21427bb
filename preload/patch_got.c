/* patch_got.c — rewrites a loaded object's import slots (see patch_got.h), reading its dynamic
 * section from memory: relocation tables, symbol and string tables as the loader mapped them. */
#include "patch_got.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "patch_mem.h"

#if defined(__x86_64__)
#define JUMP_SLOT R_X86_64_JUMP_SLOT
#define GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define JUMP_SLOT R_AARCH64_JUMP_SLOT
#define GLOB_DAT R_AARCH64_GLOB_DAT
#endif

#if defined(JUMP_SLOT)
/* The loader relocates d_ptr entries in place on glibc, except in the vDSO; a value below the
 * load bias is an unrelocated offset. */
static uintptr_t dyn_ptr(const struct dl_phdr_info *info, uintptr_t v)
{
    return v < (uintptr_t)info->dlpi_addr ? v + (uintptr_t)info->dlpi_addr : v;
}

static int patch_table(const struct dl_phdr_info *info, const ElfW(Rela) *rel, size_t size,
                       const ElfW(Sym) *sym, const char *str, size_t strsz,
                       pl_got_choose choose, void *arg)
{
    int n = 0;
    for (size_t i = 0; i < size / sizeof *rel; i++) {
        unsigned type = (unsigned)ELF64_R_TYPE(rel[i].r_info);
        size_t si = ELF64_R_SYM(rel[i].r_info);
        if ((type != JUMP_SLOT && type != GLOB_DAT) || si == 0)
            continue;
        if (sym[si].st_name >= strsz)
            continue;
        void *to = choose(str + sym[si].st_name, arg);
        if (!to)
            continue;
        void **slot = (void **)((uintptr_t)info->dlpi_addr + rel[i].r_offset);
        if (*slot == to)
            continue;
        if (pl_mem_write(slot, &to, sizeof to) == 0)
            n++;
    }
    return n;
}

int pl_got_patch(const struct dl_phdr_info *info, pl_got_choose choose, void *arg)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)((uintptr_t)info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0;
    const ElfW(Sym) *sym = NULL;
    const char *str = NULL;
    size_t strsz = 0, jmprelsz = 0, relasz = 0;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    int pltrel_rela = 1;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: sym = (const ElfW(Sym) *)dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_STRTAB: str = (const char *)dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_STRSZ: strsz = dyn->d_un.d_val; break;
        case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_PLTRELSZ: jmprelsz = dyn->d_un.d_val; break;
        case DT_PLTREL: pltrel_rela = dyn->d_un.d_val == DT_RELA; break;
        case DT_RELA: rela = (const ElfW(Rela) *)dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_RELASZ: relasz = dyn->d_un.d_val; break;
        default: break;
        }
    }
    if (!sym || !str || !pltrel_rela)
        return 0;
    int n = 0;
    if (jmprel)
        n += patch_table(info, jmprel, jmprelsz, sym, str, strsz, choose, arg);
    if (rela)
        n += patch_table(info, rela, relasz, sym, str, strsz, choose, arg);
    return n;
}
#else
int pl_got_patch(const struct dl_phdr_info *info, pl_got_choose choose, void *arg)
{
    (void)info;
    (void)choose;
    (void)arg;
    return 0;
}
#endif
