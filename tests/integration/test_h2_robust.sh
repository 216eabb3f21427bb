#!/usr/bin/env bash
# test_h2_robust.sh — HTTP/2 edge cases through a raw python3-h2 client over ssl (OpenSSL _ex
# hooks): a stream reset mid-response is stored incomplete with what arrived; a corrupt HPACK
# block makes us give up on that connection only (no garbage record, program unaffected) while
# a second connection in the same process is still captured.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import h2' 2>/dev/null || skip "needs python3-h2"
start_mock

cat > client.py <<'PYEOF'
import json, os, socket, ssl, sys
import h2.config, h2.connection, h2.events

port = int(os.environ["MOCK_HTTPS_PORT"])
ctx = ssl.create_default_context(cafile=os.environ["MOCK_CA"])
ctx.set_alpn_protocols(["h2"])
os.makedirs("out", exist_ok=True)


def connect():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    assert s.selected_alpn_protocol() == "h2"
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    c.initiate_connection()
    s.sendall(c.data_to_send())
    return s, c


def request(s, c, sid, name, req, extra=()):
    body = json.dumps(req, separators=(",", ":")).encode()
    with open("out/%s.req" % name, "wb") as f:
        f.write(body)
    c.send_headers(sid, [(":method", "POST"), (":scheme", "https"), (":authority", "127.0.0.1:%d" % port),
                         (":path", "/v1/chat/completions"), ("content-type", "application/json"),
                         ("authorization", "Bearer sk-raw-h2-secret")] + list(extra))
    c.send_data(sid, body, end_stream=True)
    s.sendall(c.data_to_send())


def read(s, c, sid, name):
    """Reads until stream sid ends, is reset, or the connection goes; prints what arrived."""
    out, status, end = bytearray(), None, None
    while end is None:
        data = s.recv(65536)
        if not data:
            end = "closed"
            break
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                status = dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.stream_id == sid:
                    out += ev.data
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                end = "ended"
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                end = "reset"
            elif isinstance(ev, h2.events.ConnectionTerminated):
                end = "goaway %d" % ev.error_code
        pending = c.data_to_send()
        if pending:
            s.sendall(pending)
    with open("out/%s.resp" % name, "wb") as f:
        f.write(out)
    sys.stdout.write("== %s %s %s %d bytes\n" % (name, status, end, len(out)))
    sys.stdout.buffer.write(bytes(out))
    sys.stdout.flush()


chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "raw one"}]}
streamed = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "raw cut"}]}
other = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "raw second connection"}]}

a, ca = connect()
b, cb = connect()
request(a, ca, 1, "a1", chat)
read(a, ca, 1, "a1")
request(a, ca, 3, "a3", streamed, [("x-mock-cut-after", "3")])
read(a, ca, 3, "a3")
# A HEADERS frame whose HPACK block indexes past both tables: the server answers with GOAWAY.
a.sendall(b"\x00\x00\x03\x01\x05\x00\x00\x00\x05" b"\x82\xff\x49")
read(a, ca, 5, "a5")
a.close()
request(b, cb, 1, "b1", other)
read(b, cb, 1, "b1")
b.close()
PYEOF

run_both "$PY" client.py
assert_rc 0
assert_contains "$OUT" "== a1 200 ended"
assert_contains "$OUT" "== a3 200 reset"
assert_contains "$OUT" "== a5 None goaway "
assert_contains "$OUT" "== b1 200 ended"

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "a1, a3 (incomplete), b1; nothing for the corrupt stream"
line() { grep -n "$1" prompts.jsonl | cut -d: -f1; }
check chat prompts.jsonl --index $(($(line '"raw one"') - 1)) --request out/a1.req --response out/a1.resp --no-stream
check chat prompts.jsonl --index $(($(line '"raw second connection"') - 1)) --request out/b1.req --response out/b1.resp --no-stream
check chat prompts.jsonl --index $(($(line '"raw cut"') - 1)) --request out/a3.req --response out/a3.resp --stream
assert_eq "$(db_query "select incomplete, stream from calls where prompt_preview = 'raw cut'")" "1|1" "the reset stream is incomplete"
assert_eq "$(db_query "select count(*) from calls where incomplete = 0")" 2
assert_not_contains "$PL_DB" "sk-raw-h2-secret"
