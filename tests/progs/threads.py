# threads.py — many threads at once, each with its own keep-alive TLS connection (http.client over
# the ssl module, i.e. the OpenSSL hooks), each sending prompts no other thread sends.
#
# usage: threads.py HOST PORT CA NTHREADS NCALLS [TAG]
# Prints "ok TAG-T-I" for each completed call (one write per line); exit 0 when all succeeded.
import http.client
import json
import os
import ssl
import sys
import threading

host, port, ca, nthreads, ncalls = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
tag = sys.argv[6] if len(sys.argv) > 6 else "t"
ctx = ssl.create_default_context(cafile=ca)
barrier = threading.Barrier(nthreads)
fails = []


def worker(t):
    conn = http.client.HTTPSConnection(host, port, context=ctx)
    barrier.wait()      # all threads start calling at the same moment
    for i in range(ncalls):
        name = "%s-%d-%d" % (tag, t, i)
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "prompt " + name}]})
        conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status == 200 and b"This is a test." in data:
            os.write(1, b"ok %s\n" % name.encode())
        else:
            fails.append(name)
    conn.close()


threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
for th in threads:
    th.start()
for th in threads:
    th.join()
sys.exit(1 if fails else 0)
