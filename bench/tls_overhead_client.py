#!/usr/bin/python3
# tls_overhead_client.py — the benchmark's program: N requests over one keep-alive HTTPS
# connection (http.client, i.e. OpenSSL through CPython's _ssl), timed inside the process so
# interpreter start-up and the preload's own initialisation are not counted. Prints seconds.
import http.client, json, ssl, sys, time
port, ca, mode, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
chat = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]})
def one():
    if mode == "llm":
        conn.request("POST", "/v1/chat/completions", body=chat, headers={"Content-Type": "application/json"})
    else:
        conn.request("GET", "/other")
    r = conn.getresponse()
    r.read()
one()  # handshake and first request outside the timing
t0 = time.perf_counter()
for _ in range(n):
    one()
print("%.6f" % (time.perf_counter() - t0))
conn.close()
