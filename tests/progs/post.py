#!/usr/bin/env python3
# post.py — a tiny curl stand-in for the ASan pass (Debian's curl cannot run under a preloaded ASan
# runtime): POSTs the same body to each URL over HTTPS with urllib and prints each response body.
# usage: post.py --cacert CA -d DATA|@FILE URL...
import ssl
import sys
import urllib.error
import urllib.request


def main() -> int:
    args, ca, data, urls = sys.argv[1:], None, b"", []
    while args:
        a = args.pop(0)
        if a == "--cacert":
            ca = args.pop(0)
        elif a == "-d":
            d = args.pop(0)
            data = open(d[1:], "rb").read() if d.startswith("@") else d.encode()
        else:
            urls.append(a)
    ctx = ssl.create_default_context(cafile=ca)
    out = sys.stdout.buffer
    for url in urls:
        req = urllib.request.Request(url, data, {"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, context=ctx) as resp:
                out.write(resp.read())
        except urllib.error.HTTPError as e:
            out.write(e.read())
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
