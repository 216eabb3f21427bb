/* symbols.h — finding the real function behind one of our hooks.
 * dlsym(RTLD_NEXT) first; when a library was dlopen'ed privately (RTLD_LOCAL, as CPython loads
 * libssl) it is searched among the loaded objects. Never returns our own hook. */
#ifndef PL_SYMBOLS_H
#define PL_SYMBOLS_H

#include "runtime.h"

/* Returns the real address of name, or NULL if no loaded object other than us defines it.
 * self is the address of our hook, to be refused (may be NULL for functions we do not hook).
 * Preserves errno. Cheap after the first successful call when the caller caches the result. */
PL_HIDDEN void *pl_real_symbol(const char *name, void *self);

/* Resolves once into slot (a static function-pointer variable, initially NULL) with atomic
 * loads/stores, so hooks racing on several threads are safe; while unresolved it retries on
 * every call, so a library loaded later is found. Evaluates to the pointer (NULL if absent). */
#define PL_REAL(slot, name, self) __extension__({                                   \
    __typeof__(slot) pl_real_p_ = __atomic_load_n(&(slot), __ATOMIC_ACQUIRE);       \
    if (!pl_real_p_) {                                                              \
        pl_real_p_ = (__typeof__(slot))pl_real_symbol((name), (void *)(self));      \
        if (pl_real_p_)                                                             \
            __atomic_store_n(&(slot), pl_real_p_, __ATOMIC_RELEASE);                \
    }                                                                               \
    pl_real_p_;                                                                     \
})

#endif
