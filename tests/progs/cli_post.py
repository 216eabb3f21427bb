#!/usr/bin/env python3
# cli_post.py — POSTs one JSON body over HTTPS with http.client and prints the response body; the
# CLI tests' client (it runs under the ASan pass too, where Debian's curl cannot). --host sends
# another Host header (api.openai.com:PORT) to the mock, as curl --resolve would, so the capture
# sees that provider; the certificate is still verified against the CA, not the name.
# usage: cli_post.py --cacert CA [--host HOST] [-H 'Name: value']... -d DATA URL
import http.client
import ssl
import sys
from urllib.parse import urlsplit


def main() -> int:
    args, ca, host, data, headers, url = sys.argv[1:], None, None, b"", {}, None
    while args:
        a = args.pop(0)
        if a == "--cacert":
            ca = args.pop(0)
        elif a == "--host":
            host = args.pop(0)
        elif a == "-H":
            k, v = args.pop(0).split(":", 1)
            headers[k.strip()] = v.strip()
        elif a == "-d":
            data = args.pop(0).encode()
        else:
            url = a
    u = urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca)
    if host:
        ctx.check_hostname = False
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    headers.setdefault("Content-Type", "application/json")
    if host:
        headers["Host"] = host
    conn.request("POST", u.path + (("?" + u.query) if u.query else ""), data, headers)
    resp = conn.getresponse()
    sys.stdout.buffer.write(resp.read())
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
