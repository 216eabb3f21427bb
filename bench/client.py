#!/usr/bin/python3
# client.py — the benchmark's program, run by bench/run.sh with and without the preload: one loop
# (keep-alive HTTP(S) requests, file I/O, or process spawns), timed inside the process.
#
# The loop runs BENCH_LOOPS times (default 1) in the process, on the same connection; prints one
# line "WALL CPU MAXRSS": the median loop's wall seconds and process CPU seconds (all threads; for
# `spawn`, the children's CPU), and the process's peak RSS in KiB at the end. The connection's
# handshake and first request happen before the timing, so interpreter start-up and the preload's
# own initialisation (database open) are not counted.
#
# usage: client.py https-get|https-chat|https-stream PORT CA N
#        client.py http-get|http-chat PORT N
#        client.py fileio PATH N        (N 4 KiB os.read, then N os.write: hooked read()/write())
#        client.py spawn N CMD...       (N posix_spawn+wait of CMD; BENCH_CHILD_PRELOAD, when set,
#                                        becomes the children's LD_PRELOAD, not ours)
import http.client, json, os, resource, ssl, sys, time

# ~400-byte prompt, as in the captured-call figure.
PROMPT = ("Summarise the following note in one sentence and keep every number it mentions. "
          "The quarterly report lists 4 regions, 17 stores and 312 employees; revenue grew by "
          "6 percent while costs stayed flat. Two stores will close in May and one will open "
          "in June. The board meets on the 14th to approve the budget for next year, which "
          "keeps 3 percent for training. Please answer in plain English, without a list.")


def chat_body(stream):
    req = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        req["stream"] = True
    return json.dumps(req)


def http_loop(conn, kind, n):
    body = chat_body(kind == "stream") if kind != "get" else None

    def one():
        if body is None:
            conn.request("GET", "/other")
        else:
            conn.request("POST", "/v1/chat/completions", body=body,
                         headers={"Content-Type": "application/json"})
        conn.getresponse().read()
    one()
    return timed(lambda: [one() for _ in range(n)])


def fileio(path, n):
    fd = os.open(path, os.O_RDWR)
    block = b"x" * 4096

    def loop():
        for _ in range(n):
            if not os.read(fd, 4096):
                os.lseek(fd, 0, 0)
        os.lseek(fd, 0, 0)
        for i in range(n):
            if i % 256 == 0:
                os.lseek(fd, 0, 0)
            os.write(fd, block)
    return timed(loop)


def spawn(n, argv):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "BENCH_CHILD_PRELOAD")}
    if os.environ.get("BENCH_CHILD_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["BENCH_CHILD_PRELOAD"]
    null = os.open(os.devnull, os.O_RDWR)
    acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1)]

    def loop():
        for _ in range(n):
            pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
            os.waitpid(pid, 0)
    return timed(loop, children_cpu)


def timed(fn, cpu_clock=time.process_time):
    walls, cpus = [], []
    for _ in range(int(os.environ.get("BENCH_LOOPS", "1"))):
        c0, t0 = cpu_clock(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_clock() - c0)
    return sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2]


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main(a):
    mode = a[0]
    if mode.startswith("https-"):
        ctx = ssl.create_default_context(cafile=a[2])
        conn = http.client.HTTPSConnection("127.0.0.1", int(a[1]), context=ctx)
        wall, cpu = http_loop(conn, mode[6:], int(a[3]))
    elif mode.startswith("http-"):
        conn = http.client.HTTPConnection("127.0.0.1", int(a[1]))
        wall, cpu = http_loop(conn, mode[5:], int(a[2]))
    elif mode == "fileio":
        wall, cpu = fileio(a[1], int(a[2]))
    elif mode == "spawn":
        wall, cpu = spawn(int(a[1]), a[2:])
    else:
        sys.exit("client.py: unknown mode " + mode)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("%.6f %.6f %d" % (wall, cpu, rss))


if __name__ == "__main__":
    main(sys.argv[1:])
