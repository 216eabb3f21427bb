#!/usr/bin/python3
"""check_ship.py — checks what `prompt-logger ship` delivered (the OTLP test receiver's log, decoded
with the official protobuf definitions) against the database rows and against what the mock LLM
server really received and answered. Independent of the C code: it reads SQLite directly.

  check_ship.py spans DB MOCKLOG RECVLOG [--content] [--service NAME] [--ns NS]
      every call (of NS) arrived as a span whose GenAI attributes match the row and the exchange
  check_ship.py delivered DB RECVLOG [--ns NS]
      every call id of the database (of NS) arrived at least once, and nothing else did
"""
import json
import socket
import sqlite3
import sys
from urllib.parse import urlsplit


def die(msg):
    sys.stderr.write("check_ship: " + msg + "\n")
    sys.exit(1)


def rows(db, ns=None):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    q = "SELECT * FROM calls" + (" WHERE namespace = ?" if ns else "") + " ORDER BY id"
    return [dict(r) for r in con.execute(q, (ns,) if ns else ())]


def spans_of(recvlog):
    out = {}
    for line in open(recvlog):
        e = json.loads(line)
        if e.get("decode_error"):
            die("receiver could not decode request %d: %s" % (e["n"], e["decode_error"]))
        if e["answered"] != 200:
            continue
        for s in e.get("spans") or []:
            cid = s["attributes"].get("promptlog.call.id")
            if cid is None:
                die("span without promptlog.call.id: %r" % s)
            prev = out.get(cid)
            if prev is not None and prev != s:
                die("call %d sent twice with different spans" % cid)
            out[cid] = s
    return out


def first_json_events(text):
    """The JSON objects of a response: the body itself, or each SSE data: / NDJSON line."""
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    evs = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("data:"):
            line = line[5:].strip()
        if line.startswith("{"):
            try:
                evs.append(json.loads(line))
            except ValueError:
                pass
    return evs


def response_id(text):
    for ev in first_json_events(text):
        for obj in (ev, ev.get("message") or {}, ev.get("response") or {}):
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                return obj["id"]
        if isinstance(ev.get("responseId"), str):
            return ev["responseId"]
    return None


def response_model(text):
    for ev in first_json_events(text):
        for obj in (ev, ev.get("message") or {}, ev.get("response") or {}):
            for k in ("model", "modelVersion"):
                if isinstance(obj, dict) and isinstance(obj.get(k), str):
                    return obj[k]
    return None


def near(a, b, eps=1e-3):
    return a is not None and b is not None and abs(a - b) <= eps


def check_spans(args):
    db, mocklog, recvlog = args[:3]
    content = "--content" in args
    service = args[args.index("--service") + 1] if "--service" in args else "promptlog"
    ns = args[args.index("--ns") + 1] if "--ns" in args else None
    calls = rows(db, ns)
    every = rows(db)
    mock = [json.loads(l) for l in open(mocklog) if l.strip()]
    mock = [m for m in mock if m["method"] == "POST"]
    if len(mock) != len(every):
        die("mock saw %d LLM requests, database has %d rows" % (len(mock), len(every)))
    by_id = {r["id"]: m for r, m in zip(every, mock)}
    spans = spans_of(recvlog)
    want_ids = {r["id"] for r in calls}
    if set(spans) != want_ids:
        die("span call ids %s, database ids %s" % (sorted(spans), sorted(want_ids)))
    span_ids = set()
    traces = {}
    for r in calls:
        s, m, a = spans[r["id"]], by_id[r["id"]], spans[r["id"]]["attributes"]
        req = json.loads(m["body"]) if m["body"] else {}
        where = "call %d (%s %s)" % (r["id"], r["api"], r["model"])

        def eq(key, want):
            if a.get(key) != want:
                die("%s: %s = %r, want %r" % (where, key, a.get(key), want))

        op = {"embedding": "embeddings", "text": "text_completion"}.get(r["kind"],
             "generate_content" if r["api"].startswith("gemini.") else "chat")
        if s["name"] != "%s %s" % (op, r["model"]):
            die("%s: span name %r" % (where, s["name"]))
        if s["kind"] != 3:
            die("%s: span kind %r, want CLIENT (3)" % (where, s["kind"]))
        if not near(s["start"], r["started_at"]) or not near(s["end"], r["started_at"] + r["duration"]):
            die("%s: span times %r..%r vs row %r+%r" % (where, s["start"], s["end"], r["started_at"], r["duration"]))
        if len(s["traceId"]) != 32 or set(s["traceId"]) == {"0"} or len(s["spanId"]) != 16:
            die("%s: bad ids %r %r" % (where, s["traceId"], s["spanId"]))
        if s["spanId"] in span_ids:
            die("%s: span id reused" % where)
        span_ids.add(s["spanId"])
        check_links(where, r, s, spans, traces)
        eq("gen_ai.operation.name", op)
        eq("gen_ai.provider.name", r["provider"])   # the mock's 127.0.0.1 maps to no well-known name
        eq("gen_ai.request.model", req.get("model", r["model"]))
        eq("server.address", r["host"])
        eq("server.port", urlsplit(m["target"] if "://" in m["target"] else r["url"]).port)
        eq("http.response.status_code", r["status"])
        eq("gen_ai.usage.input_tokens", r["input_tokens"])
        eq("gen_ai.usage.output_tokens", r["output_tokens"])
        for key, names in (("temperature", ["temperature"]), ("max_tokens", ["max_tokens", "max_completion_tokens"]),
                           ("top_p", ["top_p"]), ("seed", ["seed"]), ("presence_penalty", ["presence_penalty"])):
            want = next((req[n] for n in names if n in req), None)
            eq("gen_ai.request." + key, want)
        stop = req.get("stop", req.get("stop_sequences"))
        eq("gen_ai.request.stop_sequences", [stop] if isinstance(stop, str) else stop)
        if r["status"] >= 400:
            eq("error.type", str(r["status"]))
            if not s["status"] or s["status"]["code"] != 2:
                die("%s: span status %r, want ERROR" % (where, s["status"]))
            if r["error"] and s["status"]["message"] != r["error"]:
                die("%s: status message %r, want %r" % (where, s["status"]["message"], r["error"]))
        else:
            eq("error.type", None)
            eq("gen_ai.response.id", response_id(m["response"]))
            eq("gen_ai.response.model", response_model(m["response"]) or r["model"])
            if r["finish_reason"] and r["finish_reason"] not in (a.get("gen_ai.response.finish_reasons") or []):
                die("%s: finish reasons %r lack %r" % (where, a.get("gen_ai.response.finish_reasons"), r["finish_reason"]))
        if r["stream"] and r["ttft"] is not None:
            if not near(a.get("gen_ai.response.time_to_first_chunk"), r["ttft"], 1e-6):
                die("%s: ttft %r vs %r" % (where, a.get("gen_ai.response.time_to_first_chunk"), r["ttft"]))
        res = s["resource"]
        for key, want in (("service.name", service), ("service.namespace", r["namespace"]),
                          ("process.pid", r["pid"]), ("process.executable.name", r["program"]),
                          ("host.name", socket.gethostname())):
            if res.get(key) != want:
                die("%s: resource %s = %r, want %r" % (where, key, res.get(key), want))
        content_keys = ["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                        "gen_ai.tool.definitions"]
        if not content:
            for k in content_keys:
                if k in a:
                    die("%s: %s sent without --content" % (where, k))
            continue
        check_content(where, a, req, m, r)
    print("check_ship: %d spans match the database and the exchanges" % len(calls))


def check_links(where, r, s, spans, traces):
    """Trace membership. With the store's conversation columns (conversation_id, parent_id), one
    conversation is one trace and a call hangs under the call it continues; without them, every
    call is its own trace with no parent."""
    conv = r.get("conversation_id")
    if conv is None:
        if s["parentSpanId"]:
            die("%s: a parent span without conversation data" % where)
        if s["traceId"] in traces.values():
            die("%s: trace id shared without conversation data" % where)
        traces[("call", r["id"])] = s["traceId"]
        return
    prev = traces.setdefault(("conv", conv), s["traceId"])
    if prev != s["traceId"]:
        die("%s: conversation %r spread over traces %s and %s" % (where, conv, prev, s["traceId"]))
    parent = r.get("parent_id")
    if parent is None:
        if s["parentSpanId"]:
            die("%s: first call of a conversation has a parent" % where)
    elif parent in spans and s["parentSpanId"] != spans[parent]["spanId"]:
        die("%s: parent span %r, want call %d's span %r" % (where, s["parentSpanId"], parent, spans[parent]["spanId"]))


def text_of(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def check_content(where, a, req, m, r):
    if r["status"] >= 400:
        return
    inp = json.loads(a["gen_ai.input.messages"])
    msgs = req.get("messages") or []
    sys_texts = [text_of(x.get("content")) for x in msgs if x.get("role") in ("system", "developer")]
    if isinstance(req.get("system"), str):
        sys_texts.append(req["system"])
    others = [x for x in msgs if x.get("role") not in ("system", "developer")]
    if len(inp) != len(others):
        die("%s: %d input messages, request had %d" % (where, len(inp), len(others)))
    for got, want in zip(inp, others):
        texts = "".join(p.get("content", "") for p in got["parts"] if p["type"] == "text")
        ok = got["role"] == want["role"]
        if want["role"] == "tool":
            ok = ok and got["parts"] == [{"type": "tool_call_response", "id": want["tool_call_id"], "response": want["content"]}]
        else:
            ok = ok and texts == text_of(want.get("content"))
            calls = [(p["id"], p["name"], p["arguments"]) for p in got["parts"] if p["type"] == "tool_call"]
            ok = ok and calls == [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
                                  for c in want.get("tool_calls") or []]
        if not ok:
            die("%s: input message %r vs request %r" % (where, got, want))
    if sys_texts:
        si = json.loads(a.get("gen_ai.system_instructions", "[]"))
        if [p.get("content") for p in si] != sys_texts:
            die("%s: system instructions %r, want %r" % (where, si, sys_texts))
    out = json.loads(a["gen_ai.output.messages"])
    if not out or out[0]["role"] != "assistant" or "finish_reason" not in out[0]:
        die("%s: output messages %r" % (where, out))
    body = first_json_events(m["response"])
    if len(body) == 1 and "choices" in body[0]:   # non-streamed OpenAI chat: compare exactly
        msg = body[0]["choices"][0]["message"]
        got_text = "".join(p.get("content", "") for p in out[0]["parts"] if p["type"] == "text")
        if got_text != (msg.get("content") or ""):
            die("%s: output text %r, response had %r" % (where, got_text, msg.get("content")))
        calls = [p for p in out[0]["parts"] if p["type"] == "tool_call"]
        want_calls = msg.get("tool_calls") or []
        if [(c["id"], c["name"], c["arguments"]) for c in calls] != \
           [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in want_calls]:
            die("%s: tool calls %r vs %r" % (where, calls, want_calls))
    if req.get("tools"):
        defs = json.loads(a["gen_ai.tool.definitions"])
        want = [t.get("function", t).get("name") for t in req["tools"]]
        if [d["name"] for d in defs] != want or any(d["type"] != "function" for d in defs):
            die("%s: tool definitions %r, want names %r" % (where, defs, want))


def check_delivered(args):
    db, recvlog = args[:2]
    ns = args[args.index("--ns") + 1] if "--ns" in args else None
    want = {r["id"] for r in rows(db, ns)}
    got = set(spans_of(recvlog))
    if want != got:
        die("delivered ids differ: missing %s, unexpected %s" % (sorted(want - got), sorted(got - want)))
    print("check_ship: all %d calls delivered" % len(want))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("spans", "delivered"):
        die(__doc__)
    {"spans": check_spans, "delivered": check_delivered}[sys.argv[1]](sys.argv[2:])
