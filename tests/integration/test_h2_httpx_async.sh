#!/usr/bin/env bash
# test_h2_httpx_async.sh — Debian's python3-httpx with http2=True, asyncio: six concurrent requests
# multiplexed on one HTTP/2 connection (their DATA frames interleave), half of them streamed, plus
# a non-LLM request on the same connection. Output unchanged; each LLM exchange recorded exactly
# once with exact content; the non-LLM stream leaves nothing.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import httpx, h2' 2>/dev/null || skip "needs python3-httpx and python3-h2"
start_mock

cat > client.py <<'PYEOF'
import asyncio, json, os, sys
import httpx

root = os.environ["MOCK_HTTPS"]
base = root + "/v1/chat/completions"
os.makedirs("out", exist_ok=True)


async def one(c, i):
    stream = i % 2 == 1
    req = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "async question-%02d" % i}]}
    if stream:
        req["stream"] = True
        req["stream_options"] = {"include_usage": True}
    data = json.dumps(req, separators=(",", ":"))
    with open("out/%d.req" % i, "w") as f:
        f.write(data)
    # a slower stream so that the concurrent responses really interleave on the connection
    headers = {"content-type": "application/json", "authorization": "Bearer sk-httpx-async-secret",
               "x-mock-delay-ms": "15"}
    if stream:
        async with c.stream("POST", base, content=data, headers=headers) as r:
            raw = b"".join([chunk async for chunk in r.aiter_bytes()])
    else:
        r = await c.post(base, content=data, headers=headers)
        raw = r.content
    with open("out/%d.resp" % i, "wb") as f:
        f.write(raw)
    return r.status_code, r.http_version, raw


async def main():
    async with httpx.AsyncClient(http2=True, verify=os.environ["MOCK_CA"]) as c:
        # one request first, so the concurrent ones find the HTTP/2 connection open and share it
        other = await c.get(root + "/other")
        sys.stdout.write("== other %d %s %r\n" % (other.status_code, other.http_version, other.content))
        results = await asyncio.gather(*(one(c, i) for i in range(6)))
    for i, (status, version, raw) in enumerate(results):
        sys.stdout.write("== %d %d %s %d bytes\n" % (i, status, version, len(raw)))
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()


asyncio.run(main())
PYEOF

run_both "$PY" client.py
assert_rc 0
assert_eq "$(grep -c '^== [0-9] 200 HTTP/2 ' "$OUT")" 6 "six HTTP/2 responses"
assert_eq "$(mock_requests --field proto | sort -u)" "h2" "every request went over HTTP/2"
assert_eq "$(mock_requests --field conn | sort -u | wc -l)" 2 "one connection per run"

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 6 "one record per LLM exchange, none for /other"
assert_not_contains prompts.jsonl "nothing to see here"
for i in 0 1 2 3 4 5; do
    [ "$(grep -c "async question-0$i" prompts.jsonl)" = 1 ] || fail "request $i not recorded exactly once"
    line="$(grep -n "async question-0$i" prompts.jsonl | cut -d: -f1)"
    if [ $((i % 2)) = 1 ]; then mode=--stream; else mode=--no-stream; fi
    check chat prompts.jsonl --index $((line - 1)) --request out/$i.req --response out/$i.resp $mode
done
assert_eq "$(db_query 'select count(*) from calls')" 6
assert_not_contains "$PL_DB" "sk-httpx-async-secret" "the bearer token never reaches the database"
