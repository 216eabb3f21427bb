# life.py — a Python program (requests, i.e. urllib3 over the ssl module) that ends in one of the
# ways issue 6 §2 lists, right after a complete LLM call or with one still in flight.
#
# usage: life.py MODE URL CA    (MODE below; prints what it received, flushes before ending)
import os
import signal
import subprocess
import sys

import requests

mode, url, ca = sys.argv[1:4]
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "lifecycle " + mode}]}
out = sys.stdout


def call():
    r = requests.post(url, json=BODY, verify=ca, timeout=30)
    out.write("%d %s\n" % (r.status_code, r.json()["choices"][0]["message"]["content"]))
    out.flush()


def open_stream():
    """A streamed call whose pieces come 60 ms apart: after the first line it is in flight."""
    body = dict(BODY, stream=True)
    r = requests.post(url, json=body, verify=ca, stream=True, timeout=30,
                      headers={"X-Mock-Delay-Ms": "60"})
    lines = r.iter_lines()
    out.write("first: %s\n" % next(lines).decode())
    out.flush()
    return r, lines


def finish_stream(lines):
    n = sum(1 for _ in lines)
    out.write("rest: %d lines\n" % n)
    out.flush()


if mode == "end":                   # return from main
    call()
elif mode == "exit":
    call()
    sys.exit(3)
elif mode == "_exit":
    call()
    os._exit(4)
elif mode == "kill":
    call()
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "exec":
    call()
    os.execv("/bin/echo", ["echo", "exec'd"])
elif mode == "inflight_exit":
    keep = open_stream()            # kept: a dropped response would close (and commit) it
    os._exit(5)
elif mode == "inflight_exec":
    keep = open_stream()
    os.execv("/bin/echo", ["echo", "exec'd mid-stream"])
elif mode == "spawn_midstream":
    # vfork (subprocess), posix_spawn and fork children end while our stream is in flight:
    # none of them may commit or disturb the parent's exchange.
    r, lines = open_stream()
    subprocess.run(["true"], check=True)
    pid = os.posix_spawn("/bin/true", ["true"], os.environ)
    os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/true", ["true"])
    os.waitpid(pid, 0)
    os.system("true")
    finish_stream(lines)
else:
    sys.exit("unknown mode " + mode)
