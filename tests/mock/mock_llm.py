#!/usr/bin/python3
# mock_llm.py — a local mock of the LLM APIs (OpenAI, Anthropic, Gemini, Ollama, Azure) serving the
# byte-exact fixtures over HTTPS (ALPN h2 + http/1.1) and plain HTTP, so tests need no key or network.
#
# Standard library plus Debian's python3-h2 only: run it with /usr/bin/python3. Streams are sent
# event by event with a delay so clients really read them in pieces; every request is logged as
# one JSON line so tests can compare what a program sent with what was captured.
# Request headers steer it: X-Mock-Fixture, X-Mock-Status, X-Mock-Delay-Ms, X-Mock-Chunk-Size,
# X-Mock-Cut-After, X-Mock-Set-Cookie, X-Mock-Corrupt-Coding (a gzip body made undecodable), and
# X-Mock-Error: http (the API's own error body) or stream (the API's mid-stream error event after
# X-Mock-Error-After pieces, default 3). Brotli and zstd
# are not offered (the standard library has no codec for them); gzip and deflate are.
import argparse
import base64
import gzip
import json
import os
import re
import select
import socket
import ssl
import sys
import threading
import time
import zlib
from urllib.parse import urlsplit, parse_qs

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    HAVE_H2 = True
except ImportError:  # the server still works, without ALPN h2
    HAVE_H2 = False

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
OPTS = None            # parsed command line
LOG_LOCK = threading.Lock()
CONN_IDS = iter(range(1, 1 << 62))
CONN_ID_LOCK = threading.Lock()


def next_conn_id():
    with CONN_ID_LOCK:
        return next(CONN_IDS)


# ---------------------------------------------------------------------------------------------
# Responses: what to send, independent of the HTTP version.

class Response:
    """status, headers (list of (name, value) str pairs, lower-case names) and either a body
    (bytes) or pieces (list of bytes sent one by one with a delay: a stream)."""

    def __init__(self, status, headers, body=None, pieces=None, fixture=None, cut_after=None,
                 delay=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.pieces = pieces
        self.fixture = fixture
        self.cut_after = cut_after      # abort the connection/stream after this many pieces
        self.delay = delay              # seconds between pieces
        self.plain_body = body
        self.elements = None            # Gemini JSON-array stream: its elements, before splitting


def fixture_bytes(name):
    with open(os.path.join(OPTS.fixtures, name), "rb") as f:
        return f.read()


def split_events(data):
    """Splits an SSE body into events, each keeping its trailing blank-line separator (LF or
    CRLF), so the concatenation is the fixture, byte for byte."""
    out = []
    pos = 0
    sep = re.compile(rb"\r\n\r\n|\n\n|\r\r")
    while pos < len(data):
        m = sep.search(data, pos)
        end = m.end() if m else len(data)
        out.append(data[pos:end])
        pos = end
    return out


def split_lines(data):
    return [line for line in data.splitlines(keepends=True) if line]


def split_fixed(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def sse_json_events(data):
    """The JSON objects carried by the data: lines of an SSE fixture (Gemini framing)."""
    objs = []
    for ev in split_events(data):
        for line in ev.splitlines():
            if line.startswith(b"data:"):
                objs.append(line[5:].strip())
    return objs


def json_response(status, body, ctype="application/json", fixture=None):
    return Response(status, [("content-type", ctype)], body=body, fixture=fixture)


def stream_response(pieces, ctype, fixture):
    return Response(200, [("content-type", ctype), ("cache-control", "no-cache")],
                    pieces=pieces, fixture=fixture)


def synthetic_embedding(n=8):
    return [round(((i * 37) % 17 - 8) / 100.0, 4) for i in range(n)]


def strip_usage_chunk(data):
    """Removes the include_usage chunk (choices:[] with a usage object) from an OpenAI SSE."""
    keep = []
    for ev in split_events(data):
        if b'"choices":[]' in ev and b'"usage":{' in ev:
            continue
        keep.append(ev)
    return keep


# --- per-API tool-call variants the reference fixtures lack (same shapes as the real APIs) ----

def ollama_tool_objects(req):
    """Ollama /api/chat answering with a tool call: arguments are JSON objects, done_reason stop.
    Streamed, the call arrives whole in one object ahead of the final done:true object."""
    model = req.get("model", "llama3.1")
    call = {"function": {"name": "get_current_weather",
                         "arguments": {"format": "celsius", "location": "Paris, FR"}}}
    first = {"model": model, "created_at": "2024-07-25T21:09:46.781234Z",
             "message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False}
    last = {"model": model, "created_at": "2024-07-25T21:09:46.901234Z",
            "message": {"role": "assistant", "content": ""}, "done_reason": "stop", "done": True,
            "total_duration": 885095291, "load_duration": 3753500, "prompt_eval_count": 122,
            "prompt_eval_duration": 328493000, "eval_count": 33, "eval_duration": 552222000}
    whole = dict(last, message={"role": "assistant", "content": "", "tool_calls": [call]})
    enc = lambda o: json.dumps(o, separators=(",", ":")).encode()
    return enc(whole), [enc(first) + b"\n", enc(last) + b"\n"]


def gemini_function_call_body():
    """generateContent answering with two function calls (finishReason STOP), 2-space + \\n."""
    body = {"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "get_weather", "args": {"location": "Paris", "unit": "celsius"}}},
        {"functionCall": {"name": "get_time", "args": {"tz": "Europe/Paris"}}}], "role": "model"},
        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 41, "candidatesTokenCount": 18, "totalTokenCount": 59},
        "modelVersion": "gemini-2.5-flash", "responseId": "mockFnCall1"}
    return json.dumps(body, indent=2).encode() + b"\n"


def responses_function_call_body():
    """A non-streamed Responses answer with a function_call item: the terminal response object of
    the streamed function-call fixture, as the API returns it without stream (2-space, no \\n)."""
    for ev in split_events(fixture_bytes("openai_responses_function_call_stream.sse")):
        for line in ev.splitlines():
            if line.startswith(b"data:") and b'"response.completed"' in line:
                return json.dumps(json.loads(line[5:])["response"], indent=2).encode()
    raise ValueError("no response.completed in the function-call fixture")


# --- error injection: X-Mock-Error: http | stream (X-Mock-Error-After: N pieces, default 3) ----

ERROR_TEXT = "mock injected error: the server had an error while processing your request"


def api_family(path, query):
    if re.search(r"/models/[^/:]+:streamGenerateContent$", path):
        return "gemini-sse" if query.get("alt", [""])[0] == "sse" else "gemini-array"
    if re.search(r"/models/[^/:]+:\w+$", path):
        return "gemini"
    if path.startswith("/api/"):
        return "ollama"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/messages"):
        return "anthropic"
    return "openai"


def http_error_body(family):
    """(status, body) of a provider's HTTP error, in that provider's own shape and formatting."""
    if family == "anthropic":
        return 400, json.dumps({"type": "error", "error": {"type": "invalid_request_error",
                                                           "message": ERROR_TEXT}}).encode()
    if family.startswith("gemini"):
        return 400, json.dumps({"error": {"code": 400, "message": ERROR_TEXT,
                                          "status": "INVALID_ARGUMENT"}}, indent=2).encode() + b"\n"
    if family == "ollama":
        return 404, json.dumps({"error": ERROR_TEXT}, separators=(",", ":")).encode()
    return 400, json.dumps({"error": {"message": ERROR_TEXT, "type": "invalid_request_error",
                                      "param": None, "code": "mock_error"}}, indent=4).encode() + b"\n"


def stream_error_piece(family):
    """The error event each API sends mid-stream."""
    if family == "anthropic":
        return (b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
                b'"message": "' + ERROR_TEXT.encode() + b'"}}\n\n')
    if family == "responses":
        return (b'event: error\ndata: ' + json.dumps({"type": "error", "code": "server_error",
                "message": ERROR_TEXT, "param": None, "sequence_number": 99}).encode() + b"\n\n")
    if family.startswith("gemini"):
        return (b"data: " + json.dumps({"error": {"code": 500, "message": ERROR_TEXT,
                                                  "status": "INTERNAL"}}).encode() + b"\r\n\r\n")
    if family == "ollama":
        return json.dumps({"error": ERROR_TEXT}, separators=(",", ":")).encode() + b"\n"
    return b"data: " + json.dumps({"error": {"message": ERROR_TEXT, "type": "server_error",
                                             "param": None, "code": None}}).encode() + b"\n\n"


def inject_error(resp, target, headers):
    mode = headers.get("x-mock-error", "").lower()
    if not mode:
        return resp
    parts = urlsplit(target)
    family = api_family(parts.path, parse_qs(parts.query))
    if mode == "http":
        status, body = http_error_body(family)
        return json_response(status, body)
    if mode == "stream" and resp.pieces is not None:
        after = int(headers.get("x-mock-error-after", "3"))
        if family == "gemini-array":
            elems = resp.elements[:after] + [json.dumps({"error": {
                "code": 500, "message": ERROR_TEXT, "status": "INTERNAL"}}, indent=2).encode()]
            resp.pieces = split_fixed(b"[" + b"\n,\r\n".join(elems) + b"]", 97)
        else:
            resp.pieces = resp.pieces[:after] + [stream_error_piece(family)]
        resp.fixture = (resp.fixture or "") + "+error"
    return resp


def route(method, target, headers, body):
    """Picks the response for one request. headers: dict of lower-case name -> value."""
    parts = urlsplit(target)
    path = parts.path
    query = parse_qs(parts.query)
    req = None
    if body:
        try:
            req = json.loads(body)
        except ValueError:
            req = None
    if not isinstance(req, dict):
        req = {}
    forced = headers.get("x-mock-fixture")

    # Non-LLM routes first.
    if path == "/other" and method in ("GET", "HEAD"):
        return Response(200, [("content-type", "text/plain")], body=b"other: nothing to see here\n")
    if path == "/upload" and method == "POST":
        return json_response(200, json.dumps({"received": len(body)}).encode() + b"\n")
    if path == "/v1/models" and method in ("GET", "HEAD"):
        return json_response(200, json.dumps({"object": "list", "data": [
            {"id": "gpt-4o-mini", "object": "model", "owned_by": "mock"}]}).encode() + b"\n")
    if path == "/slow" and method in ("GET", "HEAD"):
        time.sleep(float(query.get("s", ["1"])[0]))
        return Response(200, [("content-type", "text/plain")], body=b"slow\n")

    if method != "POST":
        return Response(405, [("content-type", "text/plain")], body=b"method not allowed\n")

    if req.get("model") == "missing-model":
        return json_response(404, fixture_bytes("openai_chat_404_error.json"),
                             fixture="openai_chat_404_error.json")

    stream = bool(req.get("stream"))
    has_tools = bool(req.get("tools"))

    def serve(nonstream_name, stream_name, ctype="text/event-stream; charset=utf-8",
              splitter=split_events):
        name = forced or (stream_name if stream else nonstream_name)
        data = fixture_bytes(name)
        if not (stream and stream_name):
            return json_response(200, data, fixture=name)
        return stream_response(splitter(data), ctype, name)

    # Gemini / Vertex: .../models/{model}:method
    m = re.search(r"/models/([^/:]+):(generateContent|streamGenerateContent|embedContent)$", path)
    if m:
        verb = m.group(2)
        if verb == "embedContent":
            return json_response(200, json.dumps(
                {"embedding": {"values": synthetic_embedding()}}, indent=2).encode() + b"\n")
        if verb == "generateContent":
            if req.get("tools") and not forced:
                return json_response(200, gemini_function_call_body(),
                                     "application/json; charset=UTF-8", "gemini-function-call")
            name = forced or "gemini_generatecontent.json"
            return json_response(200, fixture_bytes(name), "application/json; charset=UTF-8", name)
        vertex = "/publishers/" in path
        tools = bool(req.get("tools"))
        name = forced or ("vertex_stream_alt_sse.sse" if vertex else
                          "gemini_stream_functioncall_alt_sse.sse" if tools else
                          "gemini_stream_alt_sse.sse")
        data = fixture_bytes(name)
        if query.get("alt", [""])[0] == "sse":
            r = stream_response(split_events(data), "text/event-stream", name)
            r.headers.append(("content-disposition", "attachment"))
            return r
        # Without alt=sse: one JSON array, streamed in pieces that do not align with elements.
        elements = sse_json_events(data)
        array = b"[" + b"\n,\r\n".join(elements) + b"]"
        r = stream_response(split_fixed(array, 97), "application/json; charset=UTF-8", name)
        r.elements = elements       # for error injection at an element boundary
        return r

    # Ollama native.
    if path == "/api/chat":
        stream = req.get("stream", True) is not False
        if has_tools and not forced:
            whole, objs = ollama_tool_objects(req)
            if stream:
                return stream_response(objs, "application/x-ndjson", "ollama-tool-call")
            return json_response(200, whole, fixture="ollama-tool-call")
        return serve("ollama_chat_nonstream.json", "ollama_chat_stream.ndjson",
                     "application/x-ndjson", split_lines)
    if path == "/api/generate":
        stream = req.get("stream", True) is not False
        return serve("ollama_generate_nonstream.json", "ollama_generate_stream.ndjson",
                     "application/x-ndjson", split_lines)
    if path == "/api/embed":
        inputs = req.get("input", "")
        n = len(inputs) if isinstance(inputs, list) else 1
        return json_response(200, json.dumps({
            "model": req.get("model", "all-minilm"),
            "embeddings": [synthetic_embedding() for _ in range(n)],
            "total_duration": 14143917, "load_duration": 1019500,
            "prompt_eval_count": 8}, separators=(",", ":")).encode())
    if path == "/api/embeddings":
        return json_response(200, json.dumps({"embedding": synthetic_embedding()},
                                             separators=(",", ":")).encode())

    # Azure: /openai/deployments/{dep}/...
    if re.match(r"^/openai/deployments/[^/]+/", path):
        if path.endswith("/chat/completions"):
            if has_tools:
                return serve("openai_chat_tools_nonstream.json", "openai_chat_tools_stream.sse")
            return serve("azure_chat_nonstream.json", "azure_chat_stream.sse")
        if path.endswith("/completions"):
            return serve("openai_completions_nonstream.json", "openai_completions_stream.sse")
        if path.endswith("/embeddings"):
            return serve("openai_embeddings_base64.json", None)

    # OpenAI style, with any prefix (/v1, /openai/v1, /api/v1 ...).
    if path.endswith("/chat/completions"):
        if stream and not forced:
            if has_tools:
                name = "openai_chat_tools_stream.sse"
                events = split_events(fixture_bytes(name))
            else:
                name = "openai_chat_stream_include_usage.sse"
                data = fixture_bytes(name)
                so = req.get("stream_options") or {}
                include = isinstance(so, dict) and so.get("include_usage")
                events = split_events(data) if include else strip_usage_chunk(data)
            return stream_response(events, "text/event-stream; charset=utf-8", name)
        if has_tools:
            return serve("openai_chat_tools_nonstream.json", "openai_chat_tools_stream.sse")
        return serve("openai_chat_nonstream.json", "openai_chat_stream_include_usage.sse")
    if path.endswith("/completions"):
        return serve("openai_completions_nonstream.json", "openai_completions_stream.sse")
    if path.endswith("/responses"):
        if has_tools and not stream and not forced:
            return json_response(200, responses_function_call_body(), fixture="responses-function-call")
        return serve("openai_responses_nonstream.json",
                     "openai_responses_function_call_stream.sse" if has_tools
                     else "openai_responses_stream.sse")
    if path.endswith("/embeddings"):
        return serve("openai_embeddings_base64.json", None)
    if path.endswith("/messages"):
        if has_tools:
            return serve("anthropic_messages_tools_nonstream.json",
                         "anthropic_messages_tools_stream.sse")
        return serve("anthropic_messages_nonstream.json", "anthropic_messages_stream.sse")

    return Response(404, [("content-type", "text/plain")], body=b"no such route\n")


def finish_response(resp, headers):
    """Applies the per-request test knobs and content coding to a routed response."""
    if "x-mock-status" in headers:
        resp.status = int(headers["x-mock-status"])
    if "x-mock-set-cookie" in headers:   # a credential in a response header, for redaction tests
        resp.headers.append(("set-cookie", "mock_session=sk-test-SECRET-setcookie; Path=/; HttpOnly"))
    if "x-mock-delay-ms" in headers:
        resp.delay = float(headers["x-mock-delay-ms"]) / 1000.0
    if resp.delay is None:
        resp.delay = OPTS.delay_ms / 1000.0
    if resp.pieces is not None:
        if "x-mock-chunk-size" in headers:
            resp.pieces = split_fixed(b"".join(resp.pieces), max(1, int(headers["x-mock-chunk-size"])))
        if "x-mock-cut-after" in headers:
            resp.cut_after = int(headers["x-mock-cut-after"])
        return resp
    resp.plain_body = resp.body     # the log shows the body before content coding
    accept = headers.get("accept-encoding", "").lower()
    codings = [c.split(";")[0].strip() for c in accept.split(",")]
    if resp.body and "gzip" in codings:
        # mtime=0: the same bytes every time (the header's time would differ between the plain
        # and the preloaded run when they straddle a second)
        resp.body = gzip.compress(resp.body, mtime=0)
        if headers.get("x-mock-corrupt-coding"):
            # the first deflate block header becomes BTYPE 11 (reserved): undecodable, as sent
            resp.body = resp.body[:10] + b"\xff" * 8 + resp.body[18:]
        resp.headers.append(("content-encoding", "gzip"))
    elif resp.body and "deflate" in codings:
        resp.body = zlib.compress(resp.body)
        resp.headers.append(("content-encoding", "deflate"))
    return resp


def text_of(data):
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), True


def log_request(conn_id, proto, tls, method, target, header_list, body, resp):
    if not OPTS.log:
        return
    req_text, req_b64 = text_of(body)
    resp_bytes = b"".join(resp.pieces) if resp.pieces is not None else resp.plain_body
    entry = {
        "time": time.time(), "conn": conn_id, "proto": proto, "tls": tls,
        "method": method, "target": target, "path": urlsplit(target).path,
        "headers": [[k, v] for k, v in header_list],
        "body": req_text, "body_base64": req_b64,
        "status": resp.status, "fixture": resp.fixture,
        "stream": resp.pieces is not None, "cut_after": resp.cut_after,
        "response_headers": [[k, v] for k, v in resp.headers],
    }
    entry["response"], entry["response_base64"] = text_of(resp_bytes or b"")
    line = json.dumps(entry) + "\n"
    with LOG_LOCK:
        with open(OPTS.log, "a", encoding="utf-8") as f:
            f.write(line)


def handle(proto, tls, conn_id, method, target, header_list, body):
    headers = {}
    for k, v in header_list:
        headers[k.lower()] = v
    try:
        resp = route(method, target, headers, body)
        resp = inject_error(resp, target, headers)
    except Exception as e:  # a bug in the mock must show, not hang the client
        resp = Response(500, [("content-type", "text/plain")], body=("mock error: %r\n" % e).encode())
    resp = finish_response(resp, headers)
    log_request(conn_id, proto, tls, method, target, header_list, body, resp)
    return resp


# ---------------------------------------------------------------------------------------------
# HTTP/1.1

class ConnReader:
    """Buffered reads over a socket (plain or TLS), with a preloaded prefix."""

    def __init__(self, sock, prefix=b""):
        self.sock = sock
        self.buf = bytearray(prefix)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def readline(self, limit=65536):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit or not self.fill():
                line = bytes(self.buf)
                self.buf.clear()
                return line

    def read(self, n):
        while len(self.buf) < n:
            if not self.fill():
                break
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data


def serve_http1(sock, reader, tls, conn_id):
    while True:
        line = reader.readline()
        if not line:
            return
        if line in (b"\r\n", b"\n"):
            continue
        try:
            method, target, version = line.decode("latin-1").strip().split(" ", 2)
        except ValueError:
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        header_list = []
        while True:
            h = reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            header_list.append((name.strip(), value.strip()))
        hdr = {k.lower(): v for k, v in header_list}
        if hdr.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        if "chunked" in hdr.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size_line = reader.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while reader.readline() not in (b"\r\n", b"\n", b""):
                        pass   # trailers
                    break
                parts.append(reader.read(size))
                reader.readline()
            body = b"".join(parts)
        elif "content-length" in hdr:
            body = reader.read(int(hdr["content-length"]))
        close = (hdr.get("connection", "").lower() == "close" or version == "HTTP/1.0")
        resp = handle("http/1.1", tls, conn_id, method, target, header_list, body)
        if not write_http1(sock, method, resp, close):
            return
        if close:
            return


def reason(status):
    return {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Status")


def write_http1(sock, method, resp, close):
    """Returns False when the connection must end (a cut stream)."""
    head = ["HTTP/1.1 %d %s" % (resp.status, reason(resp.status)), "server: promptlog-mock"]
    head += ["%s: %s" % (k, v) for k, v in resp.headers]
    if close:
        head.append("connection: close")
    if resp.pieces is None:
        body = resp.body or b""
        head.append("content-length: %d" % len(body))
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        sock.sendall(data if method == "HEAD" else data + body)
        return True
    head.append("transfer-encoding: chunked")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    if method == "HEAD":
        return True
    for i, piece in enumerate(resp.pieces):
        if resp.cut_after is not None and i >= resp.cut_after:
            return False
        time.sleep(resp.delay)
        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
    sock.sendall(b"0\r\n\r\n")
    return True


# ---------------------------------------------------------------------------------------------
# HTTP/2: one I/O thread per connection reads and writes the socket; each request is answered in
# its own thread so concurrent streams interleave. The h2 state machine is shared under a lock;
# senders wait on a condition for flow-control window and wake the I/O thread through a pipe.

class H2Server:
    def __init__(self, sock, tls, conn_id, prefix=b""):
        self.sock = sock
        self.tls = tls
        self.conn_id = conn_id
        self.prefix = prefix
        cfg = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=cfg)
        self.lock = threading.Lock()
        self.window = threading.Condition(self.lock)
        self.requests = {}      # stream id -> [headers, bytearray body]
        self.closed = False
        self.reset = set()
        self.io_thread = None
        self.wake_r, self.wake_w = os.pipe()   # responders -> I/O thread: "h2 has data to send"
        os.set_blocking(self.wake_w, False)    # a full pipe already means "wake up"

    def flush(self):
        """Send what h2 has queued; caller holds the lock. Only the connection's I/O thread
        touches the socket: OpenSSL forbids SSL_read and SSL_write on one SSL object from two
        threads at once (doing so dropped connections under load), so responders wake it."""
        if threading.get_ident() == self.io_thread:
            data = self.conn.data_to_send()
            if data:
                self.sock.sendall(data)
        elif not self.closed:
            try:
                os.write(self.wake_w, b"x")
            except OSError:
                pass

    def run(self):
        self.io_thread = threading.get_ident()
        with self.lock:
            self.conn.initiate_connection()
            self.flush()
        data = self.prefix
        try:
            while True:
                if not data:
                    # Bytes TLS already decrypted do not show in select(): read those first.
                    pending = self.tls and self.sock.pending() > 0
                    if not pending:
                        r, _, _ = select.select([self.sock, self.wake_r], [], [], OPTS.idle_timeout)
                        if not r:
                            break
                        if self.wake_r in r:
                            os.read(self.wake_r, 65536)
                            with self.lock:
                                self.flush()
                            if self.sock not in r:
                                continue
                    data = self.sock.recv(65536)
                    if not data:
                        break
                with self.lock:
                    try:
                        events = self.conn.receive_data(data)
                    except h2.exceptions.ProtocolError:
                        self.flush()
                        break
                    for ev in events:
                        self.on_event(ev)
                    self.flush()
                    self.window.notify_all()
                data = b""
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.lock:
                self.closed = True      # responders stop writing to the pipe before it closes
                self.window.notify_all()
                os.close(self.wake_r)
                os.close(self.wake_w)

    def on_event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            # h2 also emits a StreamEnded event for a body-less request: start there only.
            self.requests[ev.stream_id] = [ev.headers, bytearray()]
        elif isinstance(ev, h2.events.DataReceived):
            if ev.stream_id in self.requests:
                self.requests[ev.stream_id][1] += ev.data
            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            if ev.stream_id in self.requests:
                self.start(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            self.reset.add(ev.stream_id)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.closed = True

    def start(self, stream_id):
        headers, body = self.requests.pop(stream_id)
        threading.Thread(target=self.respond, args=(stream_id, headers, bytes(body)),
                         daemon=True).start()

    def respond(self, stream_id, headers, body):
        pseudo = {k: v for k, v in headers if k.startswith(":")}
        header_list = [(k, v) for k, v in headers if not k.startswith(":")]
        method = pseudo.get(":method", "GET")
        target = pseudo.get(":path", "/")
        resp = handle("h2", self.tls, self.conn_id, method, target, header_list, body)
        out = [(":status", str(resp.status)), ("server", "promptlog-mock")] + resp.headers
        try:
            if resp.pieces is None:
                payload = b"" if method == "HEAD" else (resp.body or b"")
                out.append(("content-length", str(len(resp.body or b""))))
                with self.lock:
                    self.conn.send_headers(stream_id, out, end_stream=not payload)
                    self.flush()
                if payload:
                    self.send_data(stream_id, payload, True)
                return
            with self.lock:
                self.conn.send_headers(stream_id, out, end_stream=(method == "HEAD"))
                self.flush()
            if method == "HEAD":
                return
            for i, piece in enumerate(resp.pieces):
                if resp.cut_after is not None and i >= resp.cut_after:
                    with self.lock:
                        self.conn.reset_stream(stream_id, error_code=2)  # INTERNAL_ERROR
                        self.flush()
                    return
                time.sleep(resp.delay)
                self.send_data(stream_id, piece, False)
            with self.lock:
                self.conn.end_stream(stream_id)
                self.flush()
        except (OSError, ssl.SSLError, h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
            pass

    def send_data(self, stream_id, data, end):
        pos = 0
        while True:
            with self.lock:
                while True:
                    if self.closed or stream_id in self.reset:
                        return
                    avail = min(self.conn.local_flow_control_window(stream_id),
                                self.conn.max_outbound_frame_size)
                    if avail > 0 or pos >= len(data):
                        break
                    self.window.wait(1.0)
                n = min(avail, len(data) - pos)
                last = end and pos + n >= len(data)
                self.conn.send_data(stream_id, data[pos:pos + n], end_stream=last)
                self.flush()
                pos += n
                if pos >= len(data):
                    return


# ---------------------------------------------------------------------------------------------
# Listeners

def serve_conn(raw, tls_ctx):
    conn_id = next_conn_id()
    sock = raw
    try:
        raw.settimeout(OPTS.idle_timeout)
        if tls_ctx is not None:
            sock = tls_ctx.wrap_socket(raw, server_side=True)
            if sock.selected_alpn_protocol() == "h2":
                H2Server(sock, True, conn_id).run()
                return
            serve_http1(sock, ConnReader(sock), True, conn_id)
            return
        # Plain port: HTTP/1.1, or h2 with prior knowledge (the client preface tells).
        reader = ConnReader(sock)
        while len(reader.buf) < len(H2_PREFACE) and H2_PREFACE.startswith(bytes(reader.buf)):
            if not reader.fill():
                break
        if HAVE_H2 and bytes(reader.buf).startswith(H2_PREFACE):
            H2Server(sock, False, conn_id, bytes(reader.buf)).run()
            return
        serve_http1(sock, reader, False, conn_id)
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def accept_loop(lsock, tls_ctx):
    while True:
        try:
            raw, _ = lsock.accept()
        except OSError:
            return
        if OPTS.tcp_nodelay:   # the bench's streams: no Nagle + delayed-ACK 40 ms stall per piece
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_conn, args=(raw, tls_ctx), daemon=True).start()


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((OPTS.host, port))
    s.listen(128)
    return s


def main():
    global OPTS
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description="Local mock LLM API server for promptlog tests.")
    p.add_argument("port_file_pos", nargs="?", help="same as --port-file")
    p.add_argument("--port-file", help="write 'https=PORT' and 'http=PORT' lines here when ready")
    p.add_argument("--cert", help="PEM certificate chain for HTTPS (no HTTPS port without it)")
    p.add_argument("--key", help="PEM private key for HTTPS")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--https-port", type=int, default=0)
    p.add_argument("--http-port", type=int, default=0)
    p.add_argument("--fixtures", default=os.path.join(here, "..", "fixtures"))
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--delay-ms", type=float, default=2.0, help="pause before each stream piece")
    p.add_argument("--no-h2", action="store_true", help="offer only http/1.1 by ALPN")
    p.add_argument("--tcp-nodelay", action="store_true", help="TCP_NODELAY on accepted sockets (bench)")
    p.add_argument("--idle-timeout", type=float, default=30.0)
    OPTS = p.parse_args()
    port_file = OPTS.port_file or OPTS.port_file_pos

    listeners = []
    lines = []
    if OPTS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(OPTS.cert, OPTS.key)
        ctx.set_alpn_protocols((["h2"] if HAVE_H2 and not OPTS.no_h2 else []) + ["http/1.1"])
        s = listen(OPTS.https_port)
        listeners.append((s, ctx))
        lines.append("https=%d" % s.getsockname()[1])
    s = listen(OPTS.http_port)
    listeners.append((s, None))
    lines.append("http=%d" % s.getsockname()[1])
    for s, ctx in listeners:
        threading.Thread(target=accept_loop, args=(s, ctx), daemon=True).start()
    text = "\n".join(lines) + "\n"
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, port_file)   # readers never see a half-written file
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
