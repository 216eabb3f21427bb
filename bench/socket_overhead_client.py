#!/usr/bin/python3
# socket_overhead_client.py — the socket benchmark's program: N plain-HTTP keep-alive requests
# (http.client, plain sockets), or N unbuffered 4 KiB file reads/writes (os.read/os.write, i.e.
# the hooked read()/write() on unmarked fds), timed inside the process. Prints seconds.
import http.client, json, os, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
if mode in ("other", "llm"):
    conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[3]))
    chat = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]})
    def one():
        if mode == "llm":
            conn.request("POST", "/v1/chat/completions", body=chat, headers={"Content-Type": "application/json"})
        else:
            conn.request("GET", "/other")
        conn.getresponse().read()
    one()
    t0 = time.perf_counter()
    for _ in range(n):
        one()
    print("%.6f" % (time.perf_counter() - t0))
else:  # fileio PATH: 4 KiB reads of a file (rewinding), then as many 4 KiB writes
    path = sys.argv[3]
    fd = os.open(path, os.O_RDWR)
    block = b"x" * 4096
    t0 = time.perf_counter()
    for i in range(n):
        if not os.read(fd, 4096):
            os.lseek(fd, 0, 0)
    os.lseek(fd, 0, 0)
    for i in range(n):
        if i % 256 == 0:
            os.lseek(fd, 0, 0)
        os.write(fd, block)
    print("%.6f" % (time.perf_counter() - t0))
    os.close(fd)
