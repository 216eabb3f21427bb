#!/usr/bin/env python3
# chat_urllib.py — an ordinary Python program (standard library only) that calls an
# OpenAI-compatible chat API over HTTPS: promptlog captures it through the OpenSSL hooks.
#
# usage: chat_urllib.py BASE_URL [--stream] [--cafile CA]     e.g. https://api.openai.com/v1
# env:   OPENAI_API_KEY (sent as a Bearer token when set)
import json
import os
import ssl
import sys
import urllib.request


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__ or "usage: chat_urllib.py BASE_URL [--stream] [--cafile CA]", file=sys.stderr)
        return 2
    base, stream = args[0].rstrip("/"), "--stream" in args
    cafile = args[args.index("--cafile") + 1] if "--cafile" in args else None
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say this is a test"}],
        "stream": stream,
    }
    headers = {"Content-Type": "application/json"}
    if os.environ.get("OPENAI_API_KEY"):
        headers["Authorization"] = "Bearer " + os.environ["OPENAI_API_KEY"]
    req = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(), headers)
    ctx = ssl.create_default_context(cafile=cafile)
    with urllib.request.urlopen(req, context=ctx) as resp:
        if not stream:
            reply = json.load(resp)
            print(reply["choices"][0]["message"]["content"])
            return 0
        for raw in resp:  # SSE: one "data: {...}" line per chunk
            line = raw.decode().strip()
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[5:]).get("choices", []):
                print(choice.get("delta", {}).get("content") or "", end="", flush=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
