#!/usr/bin/python3
# api_client.py — a small LLM API client for the integration tests, in four real Python HTTP
# stacks (urllib, http.client, requests, httpx over HTTP/1.1 or h2), printing the raw body it read.
#
# Usage: api_client.py LIB URL BODY_FILE [-H 'Name: value']... [--stream]
#   LIB: urllib | httpclient | requests | httpx | httpx2 (httpx with HTTP/2).
# The CA is $MOCK_CA. stdout gets exactly the (content-decoded) response body bytes, written as
# they arrive when --stream is given, so a checker can parse what the program really saw; the
# HTTP status goes to stderr as "status=N". HTTP errors are printed the same way (exit 0).
import os
import ssl
import sys
from urllib.parse import urlsplit


def main():
    args = sys.argv[1:]
    lib, url, body_file = args[0], args[1], args[2]
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-test-api-client"}
    stream = False
    i = 3
    while i < len(args):
        if args[i] == "-H":
            k, _, v = args[i + 1].partition(":")
            headers[k.strip()] = v.strip()
            i += 2
        elif args[i] == "--stream":
            stream = True
            i += 1
        else:
            sys.exit("unknown argument %s" % args[i])
    body = open(body_file, "rb").read()
    ca = os.environ.get("MOCK_CA")
    out = sys.stdout.buffer

    def emit(data):
        if data:
            out.write(data)
            out.flush()

    if lib == "urllib":
        import urllib.error
        import urllib.request
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        ctx = ssl.create_default_context(cafile=ca) if url.startswith("https") else None
        try:
            r = urllib.request.urlopen(req, context=ctx)
        except urllib.error.HTTPError as e:
            r = e
        with r:
            status = r.status if hasattr(r, "status") else r.code
            while True:
                data = r.read1(65536) if stream else r.read()
                if not data:
                    break
                emit(data)
    elif lib == "httpclient":
        import http.client
        u = urlsplit(url)
        if u.scheme == "https":
            conn = http.client.HTTPSConnection(u.hostname, u.port,
                                               context=ssl.create_default_context(cafile=ca))
        else:
            conn = http.client.HTTPConnection(u.hostname, u.port)
        conn.request("POST", u.path + ("?" + u.query if u.query else ""), body=body, headers=headers)
        r = conn.getresponse()
        status = r.status
        while True:
            data = r.read1(65536) if stream else r.read()
            if not data:
                break
            emit(data)
        conn.close()
    elif lib == "requests":
        import requests
        with requests.Session() as s:
            r = s.post(url, data=body, headers=headers, stream=stream, verify=ca)
            status = r.status_code
            if stream:
                for data in r.iter_content(chunk_size=None):
                    emit(data)
            else:
                emit(r.content)
    elif lib in ("httpx", "httpx2"):
        import httpx
        with httpx.Client(verify=ca or True, http2=(lib == "httpx2"), timeout=30) as c:
            with c.stream("POST", url, content=body, headers=headers) as r:
                status = r.status_code
                for data in r.iter_bytes():
                    emit(data)
    else:
        sys.exit("unknown client library %s" % lib)
    sys.stderr.write("status=%d\n" % status)


if __name__ == "__main__":
    main()
