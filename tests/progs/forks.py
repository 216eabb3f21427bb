# forks.py — fork without exec under the preload (issue 6 §2), from Python (requests over the
# ssl module, i.e. the OpenSSL hooks).
#
# usage: forks.py MODE URL CA
#   both  a call, fork; the child makes 2 calls and exits normally, the parent 1 more
# Prints "ok <pid>" per completed call (flushed at once); exit 0 when every call and child did.
import os
import sys
import requests

mode, url, ca = sys.argv[1:4]


def call(tag="fork"):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "%s %d" % (tag, os.getpid())}]}
    r = requests.post(url, json=body, verify=ca, timeout=20)
    ok = r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "This is a test."
    # One write(2) per line, no Python lock: a child forked while a thread held one would hang.
    os.write(1, b"ok %d\n" % os.getpid() if ok else b"bad %d\n" % os.getpid())
    return ok


def wait(pid):
    _, st = os.waitpid(pid, 0)
    return os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0


fails = 0
if mode == "both":
    fails += not call()
    pid = os.fork()
    if pid == 0:
        good = call() and call()
        sys.exit(0 if good else 1)
    fails += not call()
    fails += not wait(pid)
else:
    sys.exit("unknown mode " + mode)
sys.exit(1 if fails else 0)
