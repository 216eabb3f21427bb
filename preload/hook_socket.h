/* hook_socket.h — the plain-socket hooks' one internal query (the hooks themselves are the
 * exported libc functions in hook_socket.c). */
#ifndef PL_HOOK_SOCKET_H
#define PL_HOOK_SOCKET_H

#include "runtime.h"

#define PL_SOCK_MAX_FD 65536

/* 1 when fd is a connected client TCP socket whose traffic is still fed to the connection
 * table (for tests and debugging). */
PL_HIDDEN int pl_socket_marked(int fd);

#endif
