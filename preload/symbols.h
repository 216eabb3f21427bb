/* symbols.h — finding the real function behind one of our hooks.
 * dlsym(RTLD_NEXT) first; when a library was dlopen'ed privately (RTLD_LOCAL, as CPython loads
 * libssl) it is searched among the loaded objects. Never returns our own hook. */
#ifndef PL_SYMBOLS_H
#define PL_SYMBOLS_H

#include "runtime.h"

/* Returns the real address of name, or NULL if no loaded object other than us defines it.
 * self is the address of our hook, to be refused. Cheap after the first successful call when
 * the caller caches the result. */
PL_HIDDEN void *pl_real_symbol(const char *name, void *self);

/* Resolves once into *slot (atomic), retrying while unresolved so a library loaded later is found. */
#define PL_REAL(slot, name, self) \
    ((slot) ? (slot) : ((slot) = pl_real_symbol((name), (void *)(self))))

#endif
