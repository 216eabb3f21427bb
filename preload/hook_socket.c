/* hook_socket.c — plain-socket interposition: bytes moved on TCP sockets the program connect()ed
 * go to the connection table, so HTTP without TLS outside libcurl (urllib, requests, httpx, the
 * openai/ollama SDKs against local servers) is captured like SSL* traffic.
 *
 * Cost model: every hooked call first loads one byte of a fixed table indexed by fd; unmarked
 * fds (files, pipes, servers' sockets, and sockets conn.c has given up on: TLS records, other
 * protocols, light mode over) tail-call the real function, resolved in a constructor. That path
 * takes no lock, allocates nothing and calls no dlsym once resolved, so write/read stay
 * async-signal-safe. Only fds below PL_SOCK_MAX_FD are followed.
 * Rules as in hook_openssl.c: the real function is called exactly once with the program's
 * arguments, its return value and errno come back untouched, only transferred bytes are fed;
 * calls inside libcurl (pl_in_curl: libcurl's own hooks record those) or inside one of our hooks
 * (pl_in_hook: OpenSSL's BIO reading the socket under SSL_read, our store's I/O) pass through.
 * Not followed: dup'ed copies of a socket, sendfile/splice. Fds closed behind our back (a raw
 * close or close_range syscall, fclose of an fdopen'ed socket) leave a stale mark: the socket's
 * inode, kept at connect, is checked against the fd after every transfer we would feed, so the
 * first read or write on a reused number clears the mark: a stale mark costs one lookup. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conn.h"
#include "hook_socket.h"
#include "process.h"
#include "symbols.h"

/* 1: a connected client TCP socket whose traffic conn.c still wants. */
static unsigned char g_mark[PL_SOCK_MAX_FD];
/* The marked socket's inode: tells a reused fd number from the socket we marked. */
static ino_t g_ino[PL_SOCK_MAX_FD];

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*readv_fn)(int, const struct iovec *, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef ssize_t (*read_chk_fn)(int, void *, size_t, size_t);
typedef ssize_t (*recv_chk_fn)(int, void *, size_t, size_t, int);
typedef ssize_t (*recvfrom_chk_fn)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
typedef int (*close_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef void (*closefrom_fn)(int);

static connect_fn r_connect;
static write_fn r_write;
static writev_fn r_writev;
static send_fn r_send;
static sendto_fn r_sendto;
static sendmsg_fn r_sendmsg;
static read_fn r_read;
static readv_fn r_readv;
static recv_fn r_recv;
static recvfrom_fn r_recvfrom;
static recvmsg_fn r_recvmsg;
static read_chk_fn r_read_chk;
static recv_chk_fn r_recv_chk;
static recvfrom_chk_fn r_recvfrom_chk;
static close_fn r_close;
static dup2_fn r_dup2;
static dup3_fn r_dup3;
static close_range_fn r_close_range;
static closefrom_fn r_closefrom;

/* The real function, resolved eagerly; the lazy lookup only serves calls made before our
 * constructor ran (another library's constructor). Missing libc symbols cannot happen. */
#define REAL(slot, name, self) \
    (__atomic_load_n(&(slot), __ATOMIC_ACQUIRE) ? (slot) : PL_REAL(slot, name, self))

extern ssize_t __read_chk(int, void *, size_t, size_t);
extern ssize_t __recv_chk(int, void *, size_t, size_t, int);
extern ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);

/* A vfork child (posix_spawn, CPython's subprocess) shares our memory: its close/dup2 calls
 * before exec must not touch the parent's connections (pl_process_is_owner tells it apart). */
static int in_owner(void)
{
    return pl_process_is_owner();
}

__attribute__((constructor)) static void socket_hooks_init(void)
{
    int saved = errno;
    (void)PL_REAL(r_connect, "connect", connect);
    (void)PL_REAL(r_write, "write", write);
    (void)PL_REAL(r_writev, "writev", writev);
    (void)PL_REAL(r_send, "send", send);
    (void)PL_REAL(r_sendto, "sendto", sendto);
    (void)PL_REAL(r_sendmsg, "sendmsg", sendmsg);
    (void)PL_REAL(r_read, "read", read);
    (void)PL_REAL(r_readv, "readv", readv);
    (void)PL_REAL(r_recv, "recv", recv);
    (void)PL_REAL(r_recvfrom, "recvfrom", recvfrom);
    (void)PL_REAL(r_recvmsg, "recvmsg", recvmsg);
    (void)PL_REAL(r_read_chk, "__read_chk", __read_chk);
    (void)PL_REAL(r_recv_chk, "__recv_chk", __recv_chk);
    (void)PL_REAL(r_recvfrom_chk, "__recvfrom_chk", __recvfrom_chk);
    (void)PL_REAL(r_close, "close", close);
    (void)PL_REAL(r_dup2, "dup2", dup2);
    (void)PL_REAL(r_dup3, "dup3", dup3);
    (void)PL_REAL(r_close_range, "close_range", close_range);
    (void)PL_REAL(r_closefrom, "closefrom", closefrom);
    errno = saved;
}

static inline int marked(int fd)
{
    return (unsigned)fd < PL_SOCK_MAX_FD && __atomic_load_n(&g_mark[fd], __ATOMIC_RELAXED);
}

int pl_socket_marked(int fd)
{
    return marked(fd);
}

/* Odd, so never equal to a malloc'ed SSL* or gnutls session sharing the table. */
static inline const void *key_of(int fd)
{
    return (const void *)(((uintptr_t)(unsigned)fd << 1) | 1);
}

/* Stop following fd: its table entry goes too, so a later socket on the number starts clean. */
static void unmark(int fd)
{
    __atomic_store_n(&g_mark[fd], 0, __ATOMIC_RELAXED);
    pl_conn_end(key_of(fd), 1);
}

/* Whether bytes on a marked fd are ours to feed now. */
static inline int feeding(int fd)
{
    return marked(fd) && !pl_in_self && !pl_in_hook && !pl_in_curl; /* an unmarked fd: one load */
}

/* Whether fd is still the socket we marked (not a number reused after a close we missed). */
static int same_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == g_ino[fd];
}

static void feed(int fd, pl_dir dir, const void *p, size_t n)
{
    if (pl_conn_data(key_of(fd), PL_SOURCE_SOCKET, dir, p, n))
        unmark(fd);
}

static void feed_iov(int fd, pl_dir dir, const struct iovec *iov, size_t iovcnt, size_t n)
{
    for (size_t i = 0; i < iovcnt && n > 0 && marked(fd); i++) {
        size_t take = iov[i].iov_len < n ? iov[i].iov_len : n;
        if (take && iov[i].iov_base)
            feed(fd, dir, iov[i].iov_base, take);
        n -= take;
    }
}

/* After a hooked transfer on a marked fd: feed what moved; a read of 0 is the peer's close. */
static void after(int fd, pl_dir dir, const void *p, ssize_t r)
{
    int saved = errno;
    pl_in_hook++;
    if (!same_socket(fd))
        unmark(fd);
    else if (r > 0)
        feed(fd, dir, p, (size_t)r);
    else if (r == 0 && dir == PL_DIR_IN)
        pl_conn_eof(key_of(fd));
    pl_in_hook--;
    errno = saved;
}

static void after_iov(int fd, pl_dir dir, const struct iovec *iov, size_t iovcnt, ssize_t r)
{
    int saved = errno;
    pl_in_hook++;
    if (!same_socket(fd))
        unmark(fd);
    else if (r > 0 && iov)
        feed_iov(fd, dir, iov, iovcnt, (size_t)r);
    else if (r == 0 && dir == PL_DIR_IN)
        pl_conn_eof(key_of(fd));
    pl_in_hook--;
    errno = saved;
}

/* A client TCP socket (IPv4/IPv6 stream) the program just connected, or is connecting. */
static int is_tcp_client(int fd, const struct sockaddr *addr)
{
    if (!addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
        return 0;
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

PL_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    connect_fn fn = REAL(r_connect, "connect", connect);
    if (!fn) {
        errno = ENOSYS;
        return -1;
    }
    int r = fn(fd, addr, len);
    if (pl_in_self || (unsigned)fd >= PL_SOCK_MAX_FD || pl_in_hook || pl_in_curl)
        return r;
    int saved = errno;
    struct stat st;
    if ((r == 0 || saved == EINPROGRESS) && is_tcp_client(fd, addr) && fstat(fd, &st) == 0) {
        pl_in_hook++;
        pl_conn_new(key_of(fd)); /* a stale entry for this number (missed close) goes */
        g_ino[fd] = st.st_ino;
        __atomic_store_n(&g_mark[fd], 1, __ATOMIC_RELAXED);
        pl_in_hook--;
    }
    errno = saved;
    return r;
}

PL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    write_fn fn = REAL(r_write, "write", write);
    if (!feeding(fd))
        return fn(fd, buf, n);
    ssize_t r = fn(fd, buf, n);
    after(fd, PL_DIR_OUT, buf, r);
    return r;
}

PL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    writev_fn fn = REAL(r_writev, "writev", writev);
    if (!feeding(fd))
        return fn(fd, iov, iovcnt);
    ssize_t r = fn(fd, iov, iovcnt);
    after_iov(fd, PL_DIR_OUT, iov, iovcnt > 0 ? (size_t)iovcnt : 0, r);
    return r;
}

PL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    send_fn fn = REAL(r_send, "send", send);
    if (!feeding(fd))
        return fn(fd, buf, n, flags);
    ssize_t r = fn(fd, buf, n, flags);
    after(fd, PL_DIR_OUT, buf, r);
    return r;
}

PL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
                         socklen_t tolen)
{
    sendto_fn fn = REAL(r_sendto, "sendto", sendto);
    if (to || !feeding(fd))
        return fn(fd, buf, n, flags, to, tolen);
    ssize_t r = fn(fd, buf, n, flags, to, tolen);
    after(fd, PL_DIR_OUT, buf, r);
    return r;
}

PL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    sendmsg_fn fn = REAL(r_sendmsg, "sendmsg", sendmsg);
    if (!msg || msg->msg_name || !feeding(fd))
        return fn(fd, msg, flags);
    ssize_t r = fn(fd, msg, flags);
    after_iov(fd, PL_DIR_OUT, msg->msg_iov, msg->msg_iovlen, r);
    return r;
}

PL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    read_fn fn = REAL(r_read, "read", read);
    if (!feeding(fd))
        return fn(fd, buf, n);
    ssize_t r = fn(fd, buf, n);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    read_chk_fn fn = REAL(r_read_chk, "__read_chk", __read_chk);
    if (!feeding(fd))
        return fn(fd, buf, n, buflen);
    ssize_t r = fn(fd, buf, n, buflen);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    readv_fn fn = REAL(r_readv, "readv", readv);
    if (!feeding(fd))
        return fn(fd, iov, iovcnt);
    ssize_t r = fn(fd, iov, iovcnt);
    after_iov(fd, PL_DIR_IN, iov, iovcnt > 0 ? (size_t)iovcnt : 0, r);
    return r;
}

/* Peeked bytes are read again later; MSG_TRUNC may report bytes that never reached buf. */
#define NOT_CONSUMED (MSG_PEEK | MSG_TRUNC)

PL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    recv_fn fn = REAL(r_recv, "recv", recv);
    if ((flags & NOT_CONSUMED) || !feeding(fd))
        return fn(fd, buf, n, flags);
    ssize_t r = fn(fd, buf, n, flags);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    recv_chk_fn fn = REAL(r_recv_chk, "__recv_chk", __recv_chk);
    if ((flags & NOT_CONSUMED) || !feeding(fd))
        return fn(fd, buf, n, buflen, flags);
    ssize_t r = fn(fd, buf, n, buflen, flags);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
                           socklen_t *fromlen)
{
    recvfrom_fn fn = REAL(r_recvfrom, "recvfrom", recvfrom);
    if ((flags & NOT_CONSUMED) || !feeding(fd))
        return fn(fd, buf, n, flags, from, fromlen);
    ssize_t r = fn(fd, buf, n, flags, from, fromlen);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                 struct sockaddr *from, socklen_t *fromlen)
{
    recvfrom_chk_fn fn = REAL(r_recvfrom_chk, "__recvfrom_chk", __recvfrom_chk);
    if ((flags & NOT_CONSUMED) || !feeding(fd))
        return fn(fd, buf, n, buflen, flags, from, fromlen);
    ssize_t r = fn(fd, buf, n, buflen, flags, from, fromlen);
    after(fd, PL_DIR_IN, buf, r);
    return r;
}

PL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    recvmsg_fn fn = REAL(r_recvmsg, "recvmsg", recvmsg);
    if (!msg || (flags & NOT_CONSUMED) || !feeding(fd))
        return fn(fd, msg, flags);
    ssize_t r = fn(fd, msg, flags);
    if (r > 0 && (msg->msg_flags & MSG_TRUNC))
        return r;
    after_iov(fd, PL_DIR_IN, msg->msg_iov, msg->msg_iovlen, r);
    return r;
}

/* The connection ends with the program's close: what is in flight is committed incomplete.
 * The entry goes before the real close, while no other thread can be handed the number. */
PL_EXPORT int close(int fd)
{
    close_fn fn = REAL(r_close, "close", close);
    if (pl_in_self)
        return fn(fd);
    if (marked(fd) && in_owner()) {
        int saved = errno;
        pl_in_hook++;
        unmark(fd);
        pl_in_hook--;
        errno = saved;
    }
    return fn(fd);
}

/* The target of dup2/dup3 is closed implicitly. */
static void closing_target(int oldfd, int newfd)
{
    if (pl_in_self || oldfd == newfd || !marked(newfd) || !in_owner())
        return;
    int saved = errno;
    pl_in_hook++;
    unmark(newfd);
    pl_in_hook--;
    errno = saved;
}

PL_EXPORT int dup2(int oldfd, int newfd)
{
    dup2_fn fn = REAL(r_dup2, "dup2", dup2);
    closing_target(oldfd, newfd);
    return fn(oldfd, newfd);
}

PL_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    dup3_fn fn = REAL(r_dup3, "dup3", dup3);
    closing_target(oldfd, newfd);
    return fn(oldfd, newfd, flags);
}

/* close_range(2) and closefrom(3) through glibc: every marked fd in the range ends like a close.
 * (CLOSE_RANGE_CLOEXEC only flags the fds.) The scan is bounded by PL_SOCK_MAX_FD loads. */
static void closing_range(unsigned first, unsigned last)
{
    if (pl_in_self || first >= PL_SOCK_MAX_FD || !in_owner())
        return;
    if (last >= PL_SOCK_MAX_FD)
        last = PL_SOCK_MAX_FD - 1;
    int saved = errno;
    pl_in_hook++;
    for (unsigned fd = first; fd <= last; fd++)
        if (marked((int)fd))
            unmark((int)fd);
    pl_in_hook--;
    errno = saved;
}

PL_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    close_range_fn fn = REAL(r_close_range, "close_range", close_range);
    if (!fn) {
        errno = ENOSYS;
        return -1;
    }
    if (!(flags & CLOSE_RANGE_CLOEXEC) && first <= last)
        closing_range(first, last);
    return fn(first, last, flags);
}

PL_EXPORT void closefrom(int lowfd)
{
    closefrom_fn fn = REAL(r_closefrom, "closefrom", closefrom);
    closing_range(lowfd < 0 ? 0 : (unsigned)lowfd, ~0u);
    if (fn)
        fn(lowfd);
}
