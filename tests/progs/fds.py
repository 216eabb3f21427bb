# fds.py — after a captured LLM call, start children (subprocess = vfork+exec, fork+exec) that
# list their open file descriptors: none may be the database, its WAL/SHM, or anything of ours.
#
# usage: fds.py URL CA     prints the children's fd targets, one per line
import os
import subprocess
import sys

import requests

url, ca = sys.argv[1:3]
body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "fds"}]}
r = requests.post(url, json=body, verify=ca, timeout=20)
assert r.status_code == 200
lister = ["sh", "-c", 'for f in /proc/$$/fd/*; do readlink "$f"; done']
sys.stdout.write(subprocess.run(lister, capture_output=True, text=True, close_fds=False).stdout)
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    os.execvp("sh", lister)
os.waitpid(pid, 0)
