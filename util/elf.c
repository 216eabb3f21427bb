/* elf.c — symbol lookup in an ELF64 file mapped read-only from disk (see elf.h).
 * Every offset read from the file is bounds-checked: the file is input, not trusted. */
#include "elf.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct pl_elf {
    const uint8_t *map;
    size_t size;
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;
    const Elf64_Sym *dynsym, *symtab;
    size_t ndynsym, nsymtab;
    const char *dynstr, *strtab;
    size_t dynstr_len, strtab_len;
};

static int in_file(const pl_elf *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

/* The symbol table at section index i and its linked string table. */
static void load_table(pl_elf *e, size_t i, const Elf64_Sym **syms, size_t *n, const char **str,
                       size_t *str_len)
{
    const Elf64_Shdr *s = &e->sh[i];
    if (s->sh_link >= e->eh->e_shnum || !in_file(e, s->sh_offset, s->sh_size) ||
        s->sh_entsize != sizeof(Elf64_Sym))
        return;
    const Elf64_Shdr *t = &e->sh[s->sh_link];
    if (t->sh_type != SHT_STRTAB || !in_file(e, t->sh_offset, t->sh_size) || t->sh_size == 0)
        return;
    *syms = (const Elf64_Sym *)(e->map + s->sh_offset);
    *n = s->sh_size / sizeof(Elf64_Sym);
    *str = (const char *)(e->map + t->sh_offset);
    *str_len = t->sh_size;
}

pl_elf *pl_elf_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    pl_elf *e = calloc(1, sizeof *e);
    if (!e) {
        munmap(m, (size_t)st.st_size);
        return NULL;
    }
    e->map = m;
    e->size = (size_t)st.st_size;
    e->eh = m;
    const Elf64_Ehdr *eh = e->eh;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(e, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
        eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !in_file(e, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))) {
        pl_elf_close(e);
        return NULL;
    }
    e->sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
    for (size_t i = 0; i < eh->e_shnum; i++) {
        if (e->sh[i].sh_type == SHT_DYNSYM)
            load_table(e, i, &e->dynsym, &e->ndynsym, &e->dynstr, &e->dynstr_len);
        else if (e->sh[i].sh_type == SHT_SYMTAB)
            load_table(e, i, &e->symtab, &e->nsymtab, &e->strtab, &e->strtab_len);
    }
    return e;
}

void pl_elf_close(pl_elf *e)
{
    if (!e)
        return;
    munmap((void *)e->map, e->size);
    free(e);
}

static int lookup(const Elf64_Sym *syms, size_t n, const char *str, size_t str_len,
                  const char *name, uint64_t *value, uint64_t *size)
{
    size_t nl = strlen(name);
    for (size_t i = 1; i < n; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF || !s->st_value)
            continue;
        if (ELF64_ST_BIND(s->st_info) == STB_LOCAL)
            continue; /* a static function of the same name elsewhere is not the API */
        if (s->st_name >= str_len || str_len - s->st_name <= nl)
            continue;
        if (memcmp(str + s->st_name, name, nl + 1) == 0) {
            *value = s->st_value;
            *size = s->st_size;
            return 1;
        }
    }
    return 0;
}

int pl_elf_find(pl_elf *e, const char *name, uint64_t *value, uint64_t *size)
{
    if (!e)
        return PL_ELF_NONE;
    if (e->dynsym && lookup(e->dynsym, e->ndynsym, e->dynstr, e->dynstr_len, name, value, size))
        return PL_ELF_DYNSYM;
    if (!e->symtab)
        return PL_ELF_NONE;
    /* Probe the string table first: memmem is far cheaper than walking every symbol, and
     * most programs do not contain the name at all. Only "name\0" is searched: the linker
     * stores a name as the tail of a longer one ("t_x" inside "test_x") when it can. */
    if (!memmem(e->strtab, e->strtab_len, name, strlen(name) + 1))
        return PL_ELF_NONE;
    if (lookup(e->symtab, e->nsymtab, e->strtab, e->strtab_len, name, value, size))
        return PL_ELF_SYMTAB;
    return PL_ELF_NONE;
}

int pl_elf_dynamic(pl_elf *e)
{
    if (!e || (e->eh->e_type != ET_EXEC && e->eh->e_type != ET_DYN))
        return 0;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->map + e->eh->e_phoff);
    for (size_t i = 0; i < e->eh->e_phnum; i++)
        if (ph[i].p_type == PT_INTERP)
            return 1;
    return 0;
}

int pl_elf_has_symtab(pl_elf *e) { return e && e->symtab; }

/* The section header named name, or NULL. */
static const Elf64_Shdr *section(pl_elf *e, const char *name)
{
    if (!e || e->eh->e_shstrndx >= e->eh->e_shnum)
        return NULL;
    const Elf64_Shdr *ss = &e->sh[e->eh->e_shstrndx];
    if (!in_file(e, ss->sh_offset, ss->sh_size))
        return NULL;
    const char *names = (const char *)(e->map + ss->sh_offset);
    size_t nl = strlen(name);
    for (size_t i = 0; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &e->sh[i];
        if (s->sh_name < ss->sh_size && ss->sh_size - s->sh_name > nl &&
            memcmp(names + s->sh_name, name, nl + 1) == 0)
            return s;
    }
    return NULL;
}

const uint8_t *pl_elf_section(pl_elf *e, const char *name, size_t *len)
{
    const Elf64_Shdr *s = section(e, name);
    if (!s || s->sh_type == SHT_NOBITS || !in_file(e, s->sh_offset, s->sh_size))
        return NULL;
    *len = s->sh_size;
    return e->map + s->sh_offset;
}

int pl_elf_section_addr(pl_elf *e, const char *name, uint64_t *addr, size_t *len)
{
    const Elf64_Shdr *s = section(e, name);
    if (!s || !(s->sh_flags & SHF_ALLOC) || !s->sh_addr)
        return 0;
    *addr = s->sh_addr;
    *len = s->sh_size;
    return 1;
}

/* Go's uvarint (encoding/binary): the length prefix of the strings in .go.buildinfo. */
static int uvarint(const uint8_t *p, size_t n, size_t *val, size_t *used)
{
    size_t v = 0;
    for (size_t i = 0; i < n && i < 9; i++) {
        v |= (size_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *val = v;
            *used = i + 1;
            return 0;
        }
    }
    return -1;
}

int pl_elf_go_version(const uint8_t *b, size_t n, char *out, size_t out_size)
{
    if (!b || n < 32 || memcmp(b, "\xff Go buildinf:", 14) != 0)
        return -1;
    if (!(b[15] & 2))
        return 0;
    size_t len, used;
    if (uvarint(b + 32, n - 32, &len, &used) != 0 || len > n - 32 - used || len >= out_size)
        return 0;
    memcpy(out, b + 32 + used, len);
    out[len] = 0;
    return 1;
}

const uint8_t *pl_elf_bytes(pl_elf *e, size_t *len)
{
    *len = e ? e->size : 0;
    return e ? e->map : NULL;
}

int pl_elf_native(pl_elf *e)
{
#if defined(__x86_64__)
    return e && e->eh->e_machine == EM_X86_64;
#elif defined(__aarch64__)
    return e && e->eh->e_machine == EM_AARCH64;
#else
    return 0;
#endif
}

void pl_elf_dynstr(pl_elf *e, long tag, int (*fn)(const char *value, void *arg), void *arg)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &e->sh[i];
        if (s->sh_type != SHT_DYNAMIC || s->sh_link >= e->eh->e_shnum ||
            !in_file(e, s->sh_offset, s->sh_size))
            continue;
        const Elf64_Shdr *t = &e->sh[s->sh_link];
        if (!in_file(e, t->sh_offset, t->sh_size))
            continue;
        const char *str = (const char *)(e->map + t->sh_offset);
        const Elf64_Dyn *d = (const Elf64_Dyn *)(e->map + s->sh_offset);
        for (size_t j = 0; j < s->sh_size / sizeof *d && d[j].d_tag != DT_NULL; j++) {
            if (d[j].d_tag != tag || d[j].d_un.d_val >= t->sh_size)
                continue;
            const char *lib = str + d[j].d_un.d_val;
            if (!memchr(lib, '\0', t->sh_size - d[j].d_un.d_val))
                continue;
            if (fn(lib, arg))
                return;
        }
    }
}
