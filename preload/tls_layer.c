/* tls_layer.c — the shared body of every TLS library's hooks (tls_layer.h): plaintext and
 * session events to the connection table, with errno and the hook depth restored. */
#include "tls_layer.h"

#include <errno.h>

PL_TLS int pl_tls_dirs;

void pl_tls_wrote(const pl_tls_lib *lib, void *session, const void *buf, size_t moved)
{
    int saved = errno;
    if (moved) {
        if (buf)
            pl_conn_data(session, lib->src, PL_DIR_OUT, buf, moved);
        else
            pl_conn_ignore(session);
    }
    pl_tls_dirs &= ~PL_TLS_WRITE;
    pl_in_hook--;
    errno = saved;
}

void pl_tls_got(const pl_tls_lib *lib, void *session, const void *buf, size_t moved, long ret)
{
    int saved = errno;
    if (moved)
        pl_conn_data(session, lib->src, PL_DIR_IN, buf, moved);
    else if (ret <= 0 && lib->read_ended(session, ret))
        pl_conn_eof(session);
    pl_tls_dirs &= ~PL_TLS_READ;
    pl_in_hook--;
    errno = saved;
}

void pl_tls_opened(void *session)
{
    int saved = errno;
    if (session)
        pl_conn_new(session);
    pl_in_hook--;
    errno = saved;
}

void pl_tls_closed(void *session, int forget)
{
    if (session)
        pl_conn_end(session, forget); /* preserves errno */
}

void pl_tls_leave(void)
{
    pl_in_hook--;
}

void pl_tls_missing(const char *name)
{
    pl_debug("real %s not found: failing the call", name);
    errno = ENOSYS;
}
