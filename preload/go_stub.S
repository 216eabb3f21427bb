/* go_stub.S — the common part of every Go hook (go_patch.h): save the Go registers in this
 * thread's pl_go_tls block, switch to a stack of our own, call pl_go_on_hook, switch back.
 *
 * Entered by jmp from a site's trampoline with %r12 = the site (its first field: where to go
 * back) and the program's %r12/%r13 already parked in pl_go_tls. Goes back by jmp to site->cont
 * with every other general register as it found it and %xmm15 = 0 (the Go ABI's zero register).
 * The hook stack (256 KiB + a guard page) is mapped with raw syscalls the first time a thread
 * gets here, so nothing runs on the goroutine stack, not even an allocator; if the mapping
 * fails the hook is skipped. It is never unmapped: Go keeps its threads for the life of the
 * process (one that ends leaves 256 KiB of reserved, mostly untouched, address space).
 * Flags are not preserved: no site has live flags (go_patch.c). */
/* Plain assembler symbols, no preprocessor: tests/unit/test_go_patch.c `.include`s this file. */
        .set    STACK_SIZE, 256 * 1024
        .set    GUARD, 4096
        /* offsets in pl_go_regs (checked by _Static_assert in go_hook.c) */
        .set    RAX, 0
        .set    RBX, 8
        .set    RCX, 16
        .set    RDX, 24
        .set    RSI, 32
        .set    RDI, 40
        .set    R8, 48
        .set    R9, 56
        .set    R10, 64
        .set    R11, 72
        .set    R14, 96
        .set    R15, 104
        .set    RBP, 112
        .set    RSP, 120
        .set    TOP, 128

        .text
        .globl  pl_go_stub
        .hidden pl_go_stub
        .type   pl_go_stub, @function
pl_go_stub:
        movq    pl_go_tls@gottpoff(%rip), %r13
        addq    %fs:0, %r13
        movq    %rax, RAX(%r13)
        movq    %rbx, RBX(%r13)
        movq    %rcx, RCX(%r13)
        movq    %rdx, RDX(%r13)
        movq    %rsi, RSI(%r13)
        movq    %rdi, RDI(%r13)
        movq    %r8, R8(%r13)
        movq    %r9, R9(%r13)
        movq    %r10, R10(%r13)
        movq    %r11, R11(%r13)
        movq    %r14, R14(%r13)
        movq    %r15, R15(%r13)
        movq    %rbp, RBP(%r13)
        movq    %rsp, RSP(%r13)
        movq    TOP(%r13), %rax
        testq   %rax, %rax
        jz      .Lmap
.Lcall:
        movq    %rax, %rsp              /* 16-byte aligned top of our stack */
        movq    %r12, %rdi
        movq    %r13, %rsi
        call    pl_go_on_hook           /* keeps %r12, %r13 (callee-saved) */
.Lback:
        movq    RSP(%r13), %rsp
        movq    RAX(%r13), %rax
        movq    RBX(%r13), %rbx
        movq    RCX(%r13), %rcx
        movq    RDX(%r13), %rdx
        movq    RSI(%r13), %rsi
        movq    RDI(%r13), %rdi
        movq    R8(%r13), %r8
        movq    R9(%r13), %r9
        movq    R10(%r13), %r10
        movq    R11(%r13), %r11
        movq    R14(%r13), %r14
        movq    R15(%r13), %r15
        movq    RBP(%r13), %rbp
        xorps   %xmm15, %xmm15
        jmp     *(%r12)

.Lmap:  /* mmap(NULL, GUARD+STACK_SIZE, RW, PRIVATE|ANONYMOUS|NORESERVE|STACK, -1, 0) */
        movl    $9, %eax
        xorl    %edi, %edi
        movl    $(GUARD + STACK_SIZE), %esi
        movl    $3, %edx
        movl    $(0x02 | 0x20 | 0x4000 | 0x20000), %r10d
        movq    $-1, %r8
        xorl    %r9d, %r9d
        syscall
        cmpq    $-4096, %rax
        ja      .Lback                  /* -errno: skip this hook */
        movq    %rax, %rbx
        movl    $10, %eax               /* mprotect(base, GUARD, PROT_NONE) */
        movq    %rbx, %rdi
        movl    $GUARD, %esi
        xorl    %edx, %edx
        syscall
        leaq    (GUARD + STACK_SIZE)(%rbx), %rax
        movq    %rax, TOP(%r13)
        jmp     .Lcall
        .size   pl_go_stub, .-pl_go_stub

        .section .note.GNU-stack,"",@progbits
