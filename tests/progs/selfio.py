# selfio.py — fd patterns that leave or clear our socket marks behind libc's back, each followed
# by an LLM call over plain HTTP on a socket placed at a chosen fd. Prints one line per call.
#
# usage: selfio.py MODE HOST PORT BODYFILE
#   rawclose    a marked socket is closed by a raw close syscall; the next socket shares its lock
#               stripe and makes its first LLM call (the capture then opens the database, whose
#               own close() used to find the stale mark and take the held stripe lock again)
#   dup2        a file is dup2'ed onto a marked socket, written to, then an LLM call on a new socket
#   closerange  marked sockets are closed by close_range(2), their numbers reused by a file and
#               by the sockets of LLM calls
import ctypes
import os
import platform
import socket
import sys

mode, host, port, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4], "rb").read()
libc = ctypes.CDLL(None, use_errno=True)
SYS_close = {"x86_64": 3, "aarch64": 57}[platform.machine()]
SYS_close_range = 436


def stripe(fd):
    # conn.c's bucket and stripe of a plain socket's key ((fd << 1) | 1): 64 stripes of 1024 buckets
    h = (((fd << 1) | 1) * 0x9E3779B97F4A7C15) & (2**64 - 1)
    return (h >> 54) % 64


def marked_socket():
    s = socket.create_connection((host, port))
    return s


def socket_at(fd, connect=True):
    """A new TCP socket with number fd, connected (connect marks it) unless told otherwise."""
    s = socket.socket()
    if s.fileno() != fd:
        os.dup2(s.fileno(), fd)
        s.close()
        s = socket.socket(fileno=fd)
    if connect:
        s.connect((host, port))
    return s


def llm_call(s):
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (host.encode(), port, len(body))) + body
    s.sendall(req)
    resp = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        resp += chunk
    s.close()
    head, _, payload = resp.partition(b"\r\n\r\n")
    print(head.split(b"\r\n")[0].decode(), len(payload) > 0)


def lowest_free_above(fd):
    while True:
        try:
            os.fstat(fd)
            fd += 1
        except OSError:
            return fd


if mode == "rawclose":
    stale = []
    for _ in range(4):
        s = marked_socket()
        s.sendall(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(65536)
        stale.append(s.detach())
    # a number far from the stale ones, in the same stripe as the lowest (the next file the
    # process opens, e.g. the database, gets that number); made first, so that nothing of ours
    # closes the stale numbers before the call
    target = next(fd for fd in range(100, 1000) if stripe(fd) == stripe(min(stale)))
    s = socket_at(target, connect=False)
    for fd in stale:
        assert libc.syscall(SYS_close, fd) == 0
    s.connect((host, port))
    llm_call(s)
    # and again on the stale numbers themselves: they are reused by the database or by sockets
    llm_call(marked_socket())
elif mode == "dup2":
    s = marked_socket()
    s.sendall(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(65536)
    fd = s.detach()
    f = os.open("dup2.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(f, fd)
    os.close(f)
    os.write(fd, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    os.close(fd)
    print(open("dup2.txt", "rb").read().decode().splitlines()[0])
    llm_call(socket_at(fd))
elif mode == "closerange":
    # Each marked socket is closed by close_range(fd, fd): the numbers in between may belong to
    # the database by now. Once by the raw syscall (behind libc's back), once through glibc's
    # close_range (interposed). Then the numbers are reused: a file written with request-looking
    # bytes, and the sockets of two LLM calls.
    for closer in (lambda fd: libc.syscall(SYS_close_range, fd, fd, 0),
                   lambda fd: libc.close_range(fd, fd, 0)):
        fds = []
        for _ in range(3):
            s = marked_socket()
            s.sendall(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(65536)
            fds.append(s.detach())
        for fd in fds:
            assert closer(fd) == 0
        f = os.open("cr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(f, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        os.close(f)
        llm_call(marked_socket())
        llm_call(marked_socket())
else:
    sys.exit("unknown mode " + mode)
