/* patch_entry.c — the x86-64 trampoline builder behind pl_patch_entry (see patch_entry.h). */
#include "patch_entry.h"

#include <string.h>

#include "patch_mem.h"

#if PL_PATCH_SUPPORTED
#include <capstone/capstone.h>

#define JMP_LEN 5
#define MAX_FN_SCAN 65536
static const uint8_t ENDBR64[4] = {0xf3, 0x0f, 0x1e, 0xfa};

typedef struct {
    const char *name;
    uintptr_t fn, at, end;  /* function; first patched byte; end of the moved instructions */
    uint8_t *page;
    size_t len;             /* bytes written into page so far */
} build;

static int refuse(const char *name, const char *why)
{
    pl_debug("patch: %s left alone: %s", name, why);
    return -1;
}

static int fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

static void put32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }

/* Appends jmp/call/jcc rel32 to target at the trampoline's current end. */
static int emit_branch(build *b, const uint8_t *op, size_t oplen, uint64_t target)
{
    uint8_t *p = b->page + b->len;
    int64_t rel = (int64_t)target - (int64_t)((uintptr_t)p + oplen + 4);
    if (!fits32(rel))
        return -1;
    memcpy(p, op, oplen);
    put32(p + oplen, (int32_t)rel);
    b->len += oplen + 4;
    return 0;
}

/* The absolute target of a relative branch, or 0 if in is not one. */
static uint64_t branch_target(const cs_insn *in)
{
    if (!pl_insn_in_group(in, X86_GRP_BRANCH_RELATIVE))
        return 0;
    const cs_x86 *x = &in->detail->x86;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_IMM)
            return (uint64_t)x->operands[i].imm;
    return 0;
}

/* Copies one instruction to the trampoline, relocated; -1 with *why set if it cannot be. */
static int relocate(build *b, const cs_insn *in, const char **why)
{
    const uint8_t *c = in->bytes;
    if (pl_insn_in_group(in, X86_GRP_RET) || pl_insn_in_group(in, X86_GRP_IRET) ||
        pl_insn_in_group(in, X86_GRP_INT)) {
        *why = "the function returns or traps within the patched bytes";
        return -1;
    }
    uint64_t t = branch_target(in);
    if (t) {
        if (t > b->fn && t < b->end) {
            *why = "a branch lands inside the patched bytes";
            return -1;
        }
        uint8_t op[2];
        if (in->size == 2 && c[0] == 0xeb) {                      /* jmp rel8 */
            op[0] = 0xe9;
            return emit_branch(b, op, 1, t) == 0 ? 0 : (*why = "branch out of reach", -1);
        }
        if ((in->size == 5 && (c[0] == 0xe9 || c[0] == 0xe8))) {  /* jmp/call rel32 */
            op[0] = c[0];
            return emit_branch(b, op, 1, t) == 0 ? 0 : (*why = "branch out of reach", -1);
        }
        if ((in->size == 2 && c[0] >= 0x70 && c[0] <= 0x7f) ||     /* jcc rel8 */
            (in->size == 6 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f)) {
            op[0] = 0x0f;
            op[1] = (uint8_t)(0x80 | ((in->size == 2 ? c[0] : c[1]) & 0x0f));
            return emit_branch(b, op, 2, t) == 0 ? 0 : (*why = "branch out of reach", -1);
        }
        *why = "an unusual relative branch (prefixed, loop or jrcxz)";
        return -1;
    }
    uint8_t *p = b->page + b->len;
    memcpy(p, c, in->size);
    const cs_x86 *x = &in->detail->x86;
    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *o = &x->operands[i];
        if (o->type != X86_OP_MEM || o->mem.base != X86_REG_RIP)
            continue;
        if (x->encoding.disp_size != 4 || x->encoding.disp_offset == 0 ||
            x->encoding.disp_offset + 4u > in->size) {
            *why = "a RIP-relative operand capstone does not locate";
            return -1;
        }
        int32_t d;
        memcpy(&d, c + x->encoding.disp_offset, 4);
        int64_t nd = (int64_t)d + (int64_t)in->address - (int64_t)(uintptr_t)p;
        if (!fits32(nd)) {
            *why = "a RIP-relative operand out of reach";
            return -1;
        }
        put32(p + x->encoding.disp_offset, (int32_t)nd);
    }
    b->len += in->size;
    return 0;
}

int pl_patch_prepare(const char *name, void *fnp, size_t size, void *hook, pl_entry_patch *out)
{
    memset(out, 0, sizeof *out);
    const pl_capstone_api *cs = pl_capstone();
    if (!cs)
        return -1;
    uintptr_t fn = (uintptr_t)fnp;
    if (size < JMP_LEN + sizeof ENDBR64 || size > MAX_FN_SCAN)
        return refuse(name, "unknown or unusual function size");
    size_t h;
    if (cs->open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return refuse(name, "capstone would not open");
    cs->option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *ins = NULL;
    size_t n = cs->disasm(h, (const uint8_t *)fnp, size, fn, 0, &ins);
    int rc = -1;
    build b = {name, fn, fn, 0, NULL, 0};
    size_t decoded = 0, first = 0, moved = 0;
    for (size_t i = 0; i < n; i++)
        decoded += ins[i].size;
    if (decoded != size) {
        refuse(name, "capstone does not decode the whole function");
        goto out;
    }
    if (memcmp(fnp, ENDBR64, sizeof ENDBR64) == 0) {
        b.at = fn + sizeof ENDBR64;
        first = 1;
    }
    for (moved = first, b.end = b.at; moved < n && b.end < b.at + JMP_LEN; moved++)
        b.end += ins[moved].size;
    if (b.end < b.at + JMP_LEN) {
        refuse(name, "function too short");
        goto out;
    }
    /* No branch anywhere in the function may land strictly inside the bytes we overwrite. */
    for (size_t i = 0; i < n; i++) {
        uint64_t t = branch_target(&ins[i]);
        if (t > b.fn && t < b.end) {
            refuse(name, "a branch lands inside the patched bytes");
            goto out;
        }
    }
    b.page = pl_near_page(fn);
    if (!b.page) {
        refuse(name, "no free memory within reach of the function");
        goto out;
    }
    memcpy(b.page, ENDBR64, sizeof ENDBR64);
    b.len = sizeof ENDBR64;
    for (size_t i = first; i < moved; i++) {
        const char *why = "an instruction that cannot be moved";
        if (relocate(&b, &ins[i], &why) != 0) {
            refuse(name, why);
            goto out;
        }
    }
    uint8_t jmp = 0xe9;
    if (emit_branch(&b, &jmp, 1, b.end) != 0) {
        refuse(name, "the return jump is out of reach");
        goto out;
    }
    /* The stub the entry jump lands on: jmp *0(%rip) followed by the hook's address. */
    b.len = (b.len + 15) & ~(size_t)15;
    uint8_t *stub = b.page + b.len;
    static const uint8_t absjmp[6] = {0xff, 0x25, 0, 0, 0, 0};
    memcpy(stub, absjmp, sizeof absjmp);
    memcpy(stub + sizeof absjmp, &hook, sizeof hook);
    memset(out->bytes, 0xcc, sizeof out->bytes); /* the rest of a split instruction is never reached */
    out->bytes[0] = 0xe9;
    put32(out->bytes + 1, (int32_t)((int64_t)(uintptr_t)stub - (int64_t)(b.at + JMP_LEN)));
    out->at = b.at;
    out->n = b.end - b.at;
    out->name = name;
    if (pl_near_seal(b.page) != 0) {
        b.page = NULL;
        refuse(name, "the system refuses executable memory");
        goto out;
    }
    out->page = b.page;
    b.page = NULL;
    rc = 0;
out:
    pl_near_free(b.page);
    if (ins)
        cs->free(ins, n);
    cs->close(&h);
    return rc;
}

void *pl_patch_apply(pl_entry_patch *p)
{
    if (!p->page)
        return NULL;
    if (pl_mem_write((void *)p->at, p->bytes, p->n) != 0) {
        refuse(p->name, "its code page cannot be made writable");
        pl_patch_discard(p); /* nothing jumps to the page: the entry was not written */
        return NULL;
    }
    void *tramp = p->page;
    p->page = NULL;
    return tramp;
}

void pl_patch_discard(pl_entry_patch *p)
{
    pl_near_free(p->page);
    p->page = NULL;
}

void *pl_patch_entry(const char *name, void *fn, size_t size, void *hook)
{
    pl_entry_patch p;
    if (pl_patch_prepare(name, fn, size, hook, &p) != 0)
        return NULL;
    return pl_patch_apply(&p);
}

#else

int pl_patch_prepare(const char *name, void *fn, size_t size, void *hook, pl_entry_patch *out)
{
    (void)fn;
    (void)size;
    (void)hook;
    out->page = NULL;
    pl_debug("patch: %s left alone: entry patching is implemented for x86-64 only", name);
    return -1;
}

void *pl_patch_apply(pl_entry_patch *p) { (void)p; return NULL; }
void pl_patch_discard(pl_entry_patch *p) { (void)p; }

void *pl_patch_entry(const char *name, void *fn, size_t size, void *hook)
{
    pl_entry_patch p;
    return pl_patch_prepare(name, fn, size, hook, &p) == 0 ? pl_patch_apply(&p) : NULL;
}

#endif
