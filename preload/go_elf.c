/* go_elf.c — reading the running Go executable (go_elf.h): the Go build-id note, the Go version
 * in .go.buildinfo, and function addresses from .symtab or, in a stripped binary, .gopclntab.
 *
 * Loaded sections (.gopclntab, .go.buildinfo) are read from memory, where the dynamic loader has
 * already applied relocations (a PIE's pointers are final there, not in the file); .symtab is not
 * loaded, so util/elf.c reads it (and the section headers) from the file. Every offset is
 * bounds-checked: a binary we do not understand yields "not found", never a crash. */
#include "go_elf.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "../util/elf.h"

/* The executable's program headers (in memory) and load bias. */
static const Elf64_Phdr *main_phdrs(size_t *n, uintptr_t *bias)
{
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    *n = (size_t)getauxval(AT_PHNUM);
    *bias = 0;
    if (!ph)
        return NULL;
    for (size_t i = 0; i < *n; i++)
        if (ph[i].p_type == PT_PHDR)
            *bias = (uintptr_t)ph - ph[i].p_vaddr;
    return ph;
}

int pl_go_exe_is_go(void)
{
    size_t n;
    uintptr_t bias;
    const Elf64_Phdr *ph = main_phdrs(&n, &bias);
    for (size_t i = 0; ph && i < n; i++) {
        if (ph[i].p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(bias + ph[i].p_vaddr);
        size_t left = ph[i].p_filesz;
        while (left >= sizeof(Elf64_Nhdr)) {
            const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
            size_t name = (nh->n_namesz + 3u) & ~3u, desc = (nh->n_descsz + 3u) & ~3u;
            if (sizeof *nh + name + desc > left)
                break;
            /* Go's linker: owner "Go" (name size 4, NUL-padded), type 4 (ELF_NOTE_GOBUILDID_TAG). */
            if ((nh->n_namesz == 3 || nh->n_namesz == 4) && nh->n_type == 4 &&
                memcmp(p + sizeof *nh, "Go", 3) == 0)
                return 1;
            p += sizeof *nh + name + desc;
            left -= sizeof *nh + name + desc;
        }
    }
    return 0;
}

/* Whether [a, a+len) lies inside one loaded segment of the executable: a pointer read from the
 * image is followed only then, so an odd binary cannot make us fault. */
static int in_image(uintptr_t a, size_t len)
{
    size_t n;
    uintptr_t bias;
    const Elf64_Phdr *ph = main_phdrs(&n, &bias);
    for (size_t i = 0; ph && i < n; i++)
        if (ph[i].p_type == PT_LOAD && a >= bias + ph[i].p_vaddr &&
            len <= ph[i].p_memsz && a - (bias + ph[i].p_vaddr) <= ph[i].p_memsz - len)
            return 1;
    return 0;
}

/* .go.buildinfo: from Go 1.18 the version is inline (pl_elf_go_version); before that a pointer
 * at offset 16 (pointer size 8, little-endian: flag bit 0 clear) points to a Go string header
 * {ptr, len} for it. */
static void read_version(pl_go_exe *e, const unsigned char *bi, size_t size)
{
    int r = pl_elf_go_version(bi, size, e->version, sizeof e->version);
    if (r < 0 || (r == 0 && (bi[14] != 8 || (bi[15] & 3)))) /* or inline but unreadable */
        return;
    if (r == 0) {
        uint64_t hdr;
        memcpy(&hdr, bi + 16, 8);
        if (!in_image((uintptr_t)hdr, 16)) /* anything odd: the version stays unknown */
            return;
        uint64_t str[2];
        memcpy(str, (const void *)(uintptr_t)hdr, sizeof str);
        if (str[1] == 0 || str[1] >= sizeof e->version || !in_image((uintptr_t)str[0], (size_t)str[1]))
            return;
        memcpy(e->version, (const void *)(uintptr_t)str[0], (size_t)str[1]);
        e->version[str[1]] = 0;
    }
    int maj, min;
    if (sscanf(e->version, "go%d.%d", &maj, &min) == 2) {
        e->major = maj;
        e->minor = min;
    }
}

void pl_go_exe_close(pl_go_exe *e)
{
    pl_elf_close(e->elf);
    memset(e, 0, sizeof *e);
}

int pl_go_exe_open(pl_go_exe *e, const char **why)
{
    memset(e, 0, sizeof *e);
    size_t n;
    const Elf64_Phdr *ph = main_phdrs(&n, &e->bias);
    for (size_t i = 0; ph && i < n; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && !e->text_hi) {
            e->text_lo = e->bias + ph[i].p_vaddr;
            e->text_hi = e->text_lo + ph[i].p_memsz;
        }
    if (!e->text_hi) {
        *why = "no executable segment";
        return -1;
    }
    e->elf = pl_elf_open("/proc/self/exe");
    if (!e->elf) {
        *why = "cannot read /proc/self/exe";
        return -1;
    }
    if (!pl_elf_native(e->elf)) {
        pl_go_exe_close(e);
        *why = "not an x86-64 ELF file we can read";
        return -1;
    }
    uint64_t addr;
    size_t size;
    if ((pl_elf_section_addr(e->elf, ".gopclntab", &addr, &size) ||
         pl_elf_section_addr(e->elf, ".data.rel.ro.gopclntab", &addr, &size)) && /* PIE: in relro */
        in_image(e->bias + addr, size)) {
        e->pclntab = (const unsigned char *)(e->bias + addr);
        e->pclntab_size = size;
    }
    if (pl_elf_section_addr(e->elf, ".go.buildinfo", &addr, &size) && in_image(e->bias + addr, size))
        read_version(e, (const unsigned char *)(e->bias + addr), size);
    return 0;
}

static uint64_t rd(const unsigned char *p, size_t w)
{
    uint64_t v = 0;
    memcpy(&v, p, w); /* little-endian host and target */
    return v;
}

/* The PC-line table: a header, then a function table of (entry, offset of the _func record)
 * pairs sorted by entry, with one end marker. Go 1.18+ (magic 0xfffffff0, 1.20+ 0xfffffff1):
 * 32-bit entries relative to textStart; Go 1.16/1.17 (0xfffffffa): pointer-sized absolute
 * entries. A _func starts with its entry and the offset of its name in the name table. */
static int from_pclntab(const pl_go_exe *e, const char *name, uintptr_t *addr, size_t *size)
{
    const unsigned char *t = e->pclntab;
    size_t tsz = e->pclntab_size;
    if (!t || tsz < 72 || t[4] || t[5] || t[6] != 1 || t[7] != 8)
        return -1;
    uint32_t magic = (uint32_t)rd(t, 4);
    int new_fmt = magic == 0xfffffff0u || magic == 0xfffffff1u;
    if (!new_fmt && magic != 0xfffffffau)
        return -1;
    uint64_t nfunc = rd(t + 8, 8);
    uint64_t text_start = new_fmt ? rd(t + 24, 8) : 0;
    size_t h = new_fmt ? 32 : 24; /* funcnameOffset; then cu, filetab, pctab, pcln */
    uint64_t funcname_off = rd(t + h, 8), pcln_off = rd(t + h + 32, 8);
    size_t ew = new_fmt ? 4 : 8; /* width of each functab field */
    if (pcln_off >= tsz || funcname_off >= tsz || nfunc > (tsz - pcln_off) / (2 * ew) - 1)
        return -1;
    const unsigned char *ftab = t + pcln_off;
    size_t len = strlen(name);
    for (uint64_t i = 0; i < nfunc; i++) {
        uint64_t foff = rd(ftab + (2 * i + 1) * ew, ew);
        if (foff > tsz - pcln_off - 8)
            continue;
        int32_t nameoff = (int32_t)rd(ftab + foff + ew, 4);
        if (nameoff < 0 || funcname_off + (uint64_t)nameoff + len + 1 > tsz)
            continue;
        if (memcmp(t + funcname_off + (uint64_t)nameoff, name, len + 1) != 0)
            continue;
        uint64_t entry = rd(ftab + 2 * i * ew, ew), next = rd(ftab + (2 * i + 2) * ew, ew);
        if (next <= entry)
            return -1;
        *addr = (uintptr_t)(new_fmt ? text_start + entry : entry);
        *size = (size_t)(next - entry);
        return 0;
    }
    return -1;
}

int pl_go_exe_func(const pl_go_exe *e, const char *name, uintptr_t *addr, size_t *size, const char **how)
{
    int r = -1;
    uint64_t value, sz;
    int where = pl_elf_find(e->elf, name, &value, &sz);
    if (where != PL_ELF_NONE) {
        *addr = e->bias + (uintptr_t)value;
        *size = (size_t)sz;
        *how = where == PL_ELF_SYMTAB ? "symtab" : "dynsym";
        r = 0;
    } else if ((r = from_pclntab(e, name, addr, size)) == 0)
        *how = "gopclntab";
    if (r == 0 && (*addr < e->text_lo || *addr >= e->text_hi || *size > e->text_hi - *addr))
        r = -1; /* outside the code we can see: trust nothing */
    return r;
}
