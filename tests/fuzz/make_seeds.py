#!/usr/bin/python3
# make_seeds.py — regenerates the small seed corpora in tests/fuzz/corpus/<harness>/ from the
# byte-exact fixtures and the unit tests' byte streams, in the input layouts the harnesses read.
#
# Usage: tests/fuzz/make_seeds.py   (from the repository root; needs python3-h2 and the zstd CLI)
import gzip
import os
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
SEP = b"\n--8<--\n"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def fix(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def save(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def http1():
    req = b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\n"
    body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
    cl = req + b"Content-Length: %d\r\n\r\n" % len(body) + body
    sse = fix("openai_chat_stream_include_usage.sse")
    # a gzip body with bytes flipped mid-stream: kept undecoded and flagged decode_error
    gz = bytearray(gzip.compress(sse[:400], mtime=0))
    for i in range(len(gz) // 2, len(gz) // 2 + 4):
        gz[i] ^= 0xFF
    corrupt_gz = bytes(gz)
    seeds = {
        "content_length": (0, 1, cl, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"),
        "chunked_trailer": (0, 2, b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
                            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
        "sse_chunked": (0, 3, cl, b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + chunked(sse[:900], 61)),
        "gzip_chunked": (4, 0, cl, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + chunked(gzip.compress(sse[:700], mtime=0), 50)),
        "br_length": (0, 5, cl, b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: %d\r\n\r\n"
                      % len(fix("openai_chat_stream_include_usage.sse.br")) + fix("openai_chat_stream_include_usage.sse.br")),
        "zstd_close": (16, 6, cl, b"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nConnection: close\r\n\r\n" + zstd(b"all of this" * 9)),
        "pipelined": (2, 7, cl + b"POST /skip HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nSKIPD"
                      b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /n HTTP/1.0\r\nHost: [::1]:9\r\n\r\n",
                      b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                      b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nskip\r\n0\r\n\r\n"
                      b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
                      b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"),
        "continue_hints": (0, 8, b"POST /v1/messages HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
                           b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                           b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
        "truncate_cap": (4, 9, b"POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\n\r\n" + b"a" * 40,
                         b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n" + b"1" * 30),
        "absolute_connect": (0, 10, b"POST http://proxy.example:8080/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: 2\r\n\r\n{}CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n",
                             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01"),
        "upgrade": (0, 11, b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
        "cut_mid_body": (0, 12, cl, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"),
        "gzip_corrupt": (0, 13, cl, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                         % len(corrupt_gz) + corrupt_gz),
    }
    for name, (flags, seed, out, inn) in seeds.items():
        save("http1", name, bytes([flags, seed]) + out + SEP + inn)


def h2_records(path_or_bytes):
    data = path_or_bytes
    out, inn, i = b"", b"", 0
    while i < len(data):
        d, n = data[i:i + 1], int.from_bytes(data[i + 1:i + 5], "big")
        b = data[i + 5:i + 5 + n]
        i += 5 + n
        if d == b"O":
            out += b
        else:
            inn += b
    assert out.startswith(PREFACE)
    return out[len(PREFACE):], inn


def http2():
    o, i = h2_records(fix("h2_python_h2_multiplex.bin"))
    save("http2", "python_h2_multiplex", bytes([0, 1]) + o + SEP + i)
    save("http2", "python_h2_multiplex_small_cap", bytes([4 | 2, 2]) + o + SEP + i)
    sys.path.insert(0, FIX)
    try:
        import h2_gen  # noqa: E402  (python3-h2)
    except ImportError:
        print("python3-h2 missing: only the recorded HTTP/2 seed was written", file=sys.stderr)
        return

    def wire():
        w = h2_gen.Wire()
        w.client.initiate_connection()
        w.server.initiate_connection()
        w.pump()
        return w

    def dump(w, name, flags=0, seed=3):
        out = b"".join(b for d, b in w.records if d == b"O")
        inn = b"".join(b for d, b in w.records if d == b"I")
        save("http2", name, bytes([flags, seed]) + out[len(PREFACE):] + SEP + inn)

    body = b'{"model":"claude-3","messages":[{"role":"user","content":"hi"}]}'
    # Trailers, a large header block split into CONTINUATION frames, padding.
    w = wire()
    h2_gen.request(w, 1, "/v1/messages", body, extra=[("x-big", "v" * 20000)])
    w.pump()
    w.server.send_headers(1, [(":status", "200"), ("content-type", "text/event-stream"),
                              ("content-encoding", "gzip")])
    w.server.send_data(1, gzip.compress(fix("anthropic_sdk_fixture_basic_response.sse"), mtime=0), pad_length=5)
    w.server.send_headers(1, [("x-trailer", "done")], end_stream=True)
    w.pump()
    dump(w, "trailers_continuation")
    # RST_STREAM mid-response and a GOAWAY excluding a stream.
    w = wire()
    h2_gen.request(w, 1, "/v1/chat/completions", body)
    h2_gen.request(w, 3, "/v1/chat/completions", body)
    w.pump()
    w.server.send_headers(1, [(":status", "200")])
    w.server.send_data(1, b'data: {"x":1}\n\n')
    w.server.reset_stream(1)
    w.server.close_connection(last_stream_id=1)
    w.pump()
    dump(w, "rst_goaway", flags=0, seed=0)
    # A 4xx answer with no body, settings and window updates, a ping.
    w = wire()
    w.client.update_settings({4: 1 << 20})
    h2_gen.request(w, 1, "/v1beta/models/gemini-1.5-flash:generateContent", body)
    w.pump()
    w.client.ping(b"12345678")
    w.server.send_headers(1, [(":status", "429"), ("retry-after", "1")], end_stream=True)
    w.pump()
    dump(w, "status_no_body", flags=3, seed=2)


def sse():
    for name in ("openai_chat_stream_include_usage.sse", "anthropic_sdk_fixture_basic_response.sse",
                 "gemini_stream_alt_sse.sse", "openai_responses_function_call_stream.sse"):
        save("sse", name, bytes([0, len(name)]) + fix(name)[:4096])
    save("sse", "crlf_fields", bytes([0, 7]) + b": comment\r\nevent: ping\r\nid: 7\r\nretry: 1500\r\ndata\r\n"
         b"data: a\rdata:b\n\nevent: only\n\ndata: tail")
    save("sse", "ollama_chat.ndjson", bytes([1, 3]) + fix("ollama_chat_stream.ndjson")[:3000])
    save("sse", "ndjson_crlf", bytes([1, 1]) + b'{"a":1}\r\n\n{"b":2}\n{"c"')
    save("sse", "gemini_array", bytes([2, 5]) + b"[" + fix("gemini_generatecontent.json")[:1500] + b"\n,\n"
         + b'{"candidates":[{"content":{"parts":[{"text":"a\\"]}[,"}]}}]}' + b"]")
    save("sse", "json_values", bytes([2, 2]) + b'{"error":{"message":"x"}} "str\\"" [1,[2]] 3')


def decode():
    text = fix("openai_chat_stream_include_usage.sse")[:800]
    codings = {"gzip": 3, "xgzip": 4, "deflate": 5, "br": 6, "zstd": 7, "gzip_br": 8}
    save("decode", "identity", bytes([2, 0, 0]) + text[:200])
    save("decode", "gzip", bytes([codings["gzip"], 1, 0]) + gzip.compress(text, mtime=0))
    save("decode", "gzip_two_members", bytes([codings["xgzip"], 2, 2]) + gzip.compress(b"one", mtime=0)
         + gzip.compress(b"two", mtime=0))
    save("decode", "deflate_zlib", bytes([codings["deflate"], 3, 0]) + zlib.compress(text))
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    save("decode", "deflate_raw", bytes([codings["deflate"], 0, 3]) + raw.compress(text) + raw.flush())
    save("decode", "br", bytes([codings["br"], 5, 0]) + fix("openai_chat_stream_include_usage.sse.br"))
    save("decode", "zstd", bytes([codings["zstd"], 6, 2]) + zstd(text))
    save("decode", "gzip_br", bytes([codings["gzip_br"], 7, 0]) + fix("openai_chat_stream_include_usage.sse.gz.br"))
    save("decode", "gzip_gzip", bytes([11, 9, 0]) + gzip.compress(gzip.compress(b"x" * 5000, mtime=0), mtime=0))
    save("decode", "bomb_capped", bytes([codings["gzip"], 4, 1]) + gzip.compress(b"\0" * 100000, mtime=0))


def llm():
    # (api index, flags, cut, request, response fixture or bytes)
    ct = {"none": 0, "sse": 1 << 4, "ndjson": 2 << 4, "json": 3 << 4}
    chat = b'{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"temperature":0.2,' \
           b'"messages":[{"role":"system","content":"Be terse"},{"role":"user","content":[{"type":"text","text":"hi"}]}],' \
           b'"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}'
    seeds = [
        ("openai_chat_stream", 1, ct["sse"], chat, fix("openai_chat_stream_include_usage.sse")),
        ("openai_chat_tools_stream", 1, ct["sse"], chat, fix("openai_python_snapshot_two_tools_stream.sse")[:4000]),
        ("openai_chat_nonstream", 1, ct["json"], chat, fix("openai_chat_tools_nonstream.json")),
        ("openai_chat_404", 1, 2 | ct["json"], chat, fix("openai_chat_404_error.json")),
        ("openai_completions", 2, ct["sse"], b'{"model":"gpt-3.5-turbo-instruct","prompt":"Say","stream":true}',
         fix("openai_completions_stream.sse")),
        ("openai_responses", 3, ct["sse"], b'{"model":"gpt-4o","instructions":"x","input":[{"role":"user","content":"hi"}],"stream":true}',
         fix("openai_responses_function_call_stream.sse")),
        ("openai_responses_nonstream", 3, ct["json"], b'{"model":"gpt-4o","input":"hi"}', fix("openai_responses_nonstream.json")),
        ("openai_embeddings", 4, ct["json"], b'{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"base64"}',
         fix("openai_embeddings_base64.json")[:2000]),
        ("anthropic_stream", 5, ct["sse"], b'{"model":"claude-3-5-sonnet","max_tokens":100,"system":[{"type":"text","text":"s"}],'
         b'"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},'
         b'{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"}]}],"stream":true}',
         fix("anthropic_messages_tools_stream.sse")),
        ("anthropic_nonstream", 5, ct["json"], b'{"model":"claude-3","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}',
         fix("anthropic_messages_nonstream.json")),
        ("gemini_sse", 6, 128 | ct["sse"], b'{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"s"}]},'
         b'"generationConfig":{"temperature":0.1},"tools":[{"functionDeclarations":[{"name":"f"}]}]}',
         fix("gemini_stream_functioncall_alt_sse.sse")),
        ("gemini_array", 6, ct["json"], b'{"contents":[{"parts":[{"text":"hi"}]}]}',
         b"[" + fix("gemini_generatecontent.json")[:2500] + b"]"),
        ("gemini_embed", 7, 128 | ct["json"], b'{"content":{"parts":[{"text":"hi"}]}}',
         b'{"embedding":{"values":[0.1,0.2]}}'),
        ("ollama_chat_stream", 8, ct["ndjson"], b'{"model":"llama3","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0}}',
         fix("ollama_chat_stream.ndjson")[:3000]),
        ("ollama_generate", 9, ct["none"], b'{"model":"llama3","prompt":"hi","system":"s","stream":false}',
         fix("ollama_generate_nonstream.json")),
        ("ollama_generate_stream", 9, 8 | ct["ndjson"], b'{"model":"llama3","prompt":"hi"}',
         fix("ollama_generate_stream.ndjson")[:2500]),
        ("ollama_embed", 10, ct["json"], b'{"model":"nomic","input":"hi"}', b'{"model":"nomic","embeddings":[[0.1,0.2]]}'),
        ("unknown_api", 0, 0, b"{}", b"{}"),
    ]
    for name, api, flags, req, resp in seeds:
        save("llm", name, bytes([api, flags, len(name)]) + req + SEP + resp)


def endpoint():
    seeds = {
        "builtin_openai": (443, b"", b"", b"POST", b"api.openai.com", b"/v1/chat/completions?x=1"),
        "builtin_azure": (443, b"", b"", b"POST", b"x.openai.azure.com", b"/openai/deployments/my-dep/chat/completions"),
        "builtin_gemini": (443, b"", b"", b"", b"generativelanguage.googleapis.com",
                           b"/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse"),
        "builtin_vertex": (443, b"", b"", b"POST", b"us-central1-aiplatform.googleapis.com",
                           b"/v1/projects/p/locations/l/publishers/anthropic/models/claude:streamRawPredict"),
        "ollama_port": (11434, b"", b"", b"POST", b"localhost", b"/api/chat"),
        "rules": (8080, b"/my/llm/chat, *.corp.example/gen=ollama.generate, llm.internal:8080=openai.chat",
                  b"api.openai.com/v1/embeddings", b"POST", b"llm.internal", b"/anything"),
        "rules_error": (80, b"host/path=no.such.api", b"x/y=openai.chat", b"GET", b"host", b"/path"),
        "globs": (443, b"[a-z]*.example:*/v?/*", b"", b"POST", b"API.Example", b"/v1/x"),
    }
    for name, (port, e, ig, m, h, t) in seeds.items():
        save("endpoint", name, bytes([port & 255, port >> 8]) + SEP.join([e, ig, m, h, t]))


if __name__ == "__main__":
    http1()
    http2()
    sse()
    decode()
    llm()
    endpoint()
