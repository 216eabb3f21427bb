/* go_elf.c — reading the running Go executable (go_elf.h): the Go build-id note, the Go version
 * in .go.buildinfo, and function addresses from .symtab or, in a stripped binary, .gopclntab.
 *
 * Loaded sections (.gopclntab, .go.buildinfo) are read from memory, where the dynamic loader has
 * already applied relocations (a PIE's pointers are final there, not in the file); .symtab is not
 * loaded, so it is read from the file mapped read-only. Every offset is bounds-checked: a binary
 * we do not understand yields "not found", never a crash. */
#include "go_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Go's uvarint (encoding/binary): the length prefix of the strings in .go.buildinfo. */
static int uvarint(const unsigned char *p, size_t n, size_t *val, size_t *used)
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

/* .go.buildinfo: a 16-byte header "\xff Go buildinf:" + pointer size + flags; from Go 1.18
 * (flag bit 1) the version string follows inline at offset 32, before that two pointers at
 * offset 16 point to Go string headers {ptr, len} for the version and the module info. */
static void read_version(pl_go_exe *e, const unsigned char *bi, size_t size)
{
    static const char magic[] = "\xff Go buildinf:";
    if (size < 32 || memcmp(bi, magic, 14) != 0 || bi[14] != 8 || (bi[15] & 1))
        return;
    const unsigned char *s = NULL;
    size_t len = 0;
    if (bi[15] & 2) {
        size_t used;
        if (uvarint(bi + 32, size - 32, &len, &used) != 0 || len > size - 32 - used)
            return;
        s = bi + 32 + used;
    } else {
        uint64_t hdr;
        memcpy(&hdr, bi + 16, 8);
        if (!in_image((uintptr_t)hdr, 16)) /* anything odd: the version stays unknown */
            return;
        uint64_t str[2];
        memcpy(str, (const void *)(uintptr_t)hdr, sizeof str);
        if (str[1] == 0 || str[1] >= sizeof e->version || !in_image((uintptr_t)str[0], (size_t)str[1]))
            return;
        s = (const unsigned char *)(uintptr_t)str[0];
        len = str[1];
    }
    if (len >= sizeof e->version)
        return;
    memcpy(e->version, s, len);
    e->version[len] = 0;
    int maj, min;
    if (sscanf(e->version, "go%d.%d", &maj, &min) == 2) {
        e->major = maj;
        e->minor = min;
    }
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
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        if (fd >= 0)
            close(fd);
        *why = "cannot read /proc/self/exe";
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        *why = "cannot map /proc/self/exe";
        return -1;
    }
    e->file = m;
    e->file_size = (size_t)st.st_size;
    const Elf64_Ehdr *eh = m;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_machine != EM_X86_64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > e->file_size || eh->e_shnum > (e->file_size - eh->e_shoff) / sizeof(Elf64_Shdr) ||
        eh->e_shstrndx >= eh->e_shnum) {
        *why = "not an x86-64 ELF file we can read";
        return -1;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->file + eh->e_shoff);
    const Elf64_Shdr *shs = &sh[eh->e_shstrndx];
    if (shs->sh_offset > e->file_size || shs->sh_size > e->file_size - shs->sh_offset) {
        *why = "bad section names";
        return -1;
    }
    const char *names = (const char *)e->file + shs->sh_offset;
    const unsigned char *buildinfo = NULL;
    size_t buildinfo_size = 0;
    for (size_t i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_name >= shs->sh_size)
            continue;
        const char *nm = names + sh[i].sh_name;
        size_t room = shs->sh_size - sh[i].sh_name;
        int in_file = sh[i].sh_type != SHT_NOBITS && sh[i].sh_offset <= e->file_size &&
                      sh[i].sh_size <= e->file_size - sh[i].sh_offset;
        int loaded = (sh[i].sh_flags & SHF_ALLOC) && sh[i].sh_addr &&
                     in_image(e->bias + sh[i].sh_addr, sh[i].sh_size);
        if (strncmp(nm, ".symtab", room) == 0 && in_file && sh[i].sh_link < eh->e_shnum) {
            const Elf64_Shdr *st = &sh[sh[i].sh_link];
            if (st->sh_offset <= e->file_size && st->sh_size <= e->file_size - st->sh_offset) {
                e->symtab = e->file + sh[i].sh_offset;
                e->symtab_size = sh[i].sh_size;
                e->strtab = e->file + st->sh_offset;
                e->strtab_size = st->sh_size;
            }
        } else if ((strncmp(nm, ".gopclntab", room) == 0 || /* PIE: in relro */
                    strncmp(nm, ".data.rel.ro.gopclntab", room) == 0) && loaded) {
            e->pclntab = (const unsigned char *)(e->bias + sh[i].sh_addr);
            e->pclntab_size = sh[i].sh_size;
        } else if (strncmp(nm, ".go.buildinfo", room) == 0 && loaded) {
            buildinfo = (const unsigned char *)(e->bias + sh[i].sh_addr);
            buildinfo_size = sh[i].sh_size;
        }
    }
    if (buildinfo)
        read_version(e, buildinfo, buildinfo_size);
    return 0;
}

void pl_go_exe_close(pl_go_exe *e)
{
    if (e->file)
        munmap((void *)e->file, e->file_size);
    memset(e, 0, sizeof *e);
}

static int from_symtab(const pl_go_exe *e, const char *name, uintptr_t *addr, size_t *size)
{
    size_t len = strlen(name);
    size_t n = e->symtab_size / sizeof(Elf64_Sym);
    const Elf64_Sym *s = (const Elf64_Sym *)e->symtab;
    for (size_t i = 0; i < n; i++) {
        if (ELF64_ST_TYPE(s[i].st_info) != STT_FUNC || !s[i].st_value ||
            s[i].st_name >= e->strtab_size || e->strtab_size - s[i].st_name <= len)
            continue;
        const char *nm = (const char *)e->strtab + s[i].st_name;
        if (memcmp(nm, name, len + 1) == 0) {
            *addr = e->bias + s[i].st_value;
            *size = s[i].st_size;
            return 0;
        }
    }
    return -1;
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
    if (e->symtab && (r = from_symtab(e, name, addr, size)) == 0)
        *how = "symtab";
    else if ((r = from_pclntab(e, name, addr, size)) == 0)
        *how = "gopclntab";
    if (r == 0 && (*addr < e->text_lo || *addr >= e->text_hi || *size > e->text_hi - *addr))
        r = -1; /* outside the code we can see: trust nothing */
    return r;
}
