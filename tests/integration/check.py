#!/usr/bin/python3
# check.py — the integration tests' comparisons: an exported JSONL record against what the
# program sent (request JSON) and received (the bytes it printed), plus small JSONL/log queries.
#
# Expected records are derived independently of the C code, straight from the wire bytes, so a
# normalizer bug shows up as a difference here. Exit 0 when everything matches, 1 with a list of
# differences on stderr otherwise. Run `check.py -h` for the subcommands.
import argparse
import json
import sys


def load_jsonl(path):
    out = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                sys.exit("%s:%d: not JSON (%s): %r" % (path, n, e, line[:200]))
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# --- stream framings -----------------------------------------------------------------------

def sse_events(data):
    """(event, data) pairs following the SSE rules: CR/LF/CRLF, optional space after the colon,
    multi-line data joined by \\n, comments ignored."""
    text = data.decode("utf-8")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    events, ev, buf = [], None, []
    for line in lines:
        if line == "":
            if buf:
                events.append((ev, "\n".join(buf)))
            ev, buf = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            ev = value
        elif field == "data":
            buf.append(value)
    if buf:
        events.append((ev, "\n".join(buf)))
    return events


def sse_json(data):
    out = []
    for ev, payload in sse_events(data):
        if payload.strip() == "[DONE]":
            continue
        out.append((ev, json.loads(payload)))
    return out


# --- expected records from the wire, per API -------------------------------------------------

def openai_tool_calls_from_deltas(chunks, choice_index=0):
    calls = {}
    for c in chunks:
        for ch in c.get("choices") or []:
            if ch.get("index", 0) != choice_index:
                continue
            for tc in (ch.get("delta") or {}).get("tool_calls") or []:
                slot = calls.setdefault(tc.get("index", 0), {"id": None, "type": "function",
                                                             "function": {"name": "", "arguments": ""}})
                if tc.get("id"):
                    slot["id"] = tc["id"]
                fn = tc.get("function") or {}
                if fn.get("name"):
                    slot["function"]["name"] += fn["name"]
                if fn.get("arguments"):
                    slot["function"]["arguments"] += fn["arguments"]
    return [calls[k] for k in sorted(calls)]


def expect_openai_chat(req, resp_bytes, stream):
    exp = {"model": req.get("model"), "messages": req.get("messages")}
    if req.get("tools"):
        exp["tools"] = req["tools"]
    kwargs = {k: v for k, v in req.items() if k not in ("model", "messages", "tools")}
    if kwargs:
        exp["generation_kwargs"] = kwargs
    comp = {"role": "assistant"}
    usage = None
    if stream:
        chunks = [j for _, j in sse_json(resp_bytes)]
        text = ""
        finish = None
        for c in chunks:
            for ch in c.get("choices") or []:
                if ch.get("index", 0) != 0:
                    continue
                d = ch.get("delta") or {}
                if d.get("content"):
                    text += d["content"]
                if ch.get("finish_reason"):
                    finish = ch["finish_reason"]
            if c.get("usage"):
                usage = c["usage"]
        if text:
            comp["content"] = text
        calls = openai_tool_calls_from_deltas(chunks)
        if calls:
            comp["tool_calls"] = calls
        if finish:
            comp["finish_reason"] = finish
    else:
        body = json.loads(resp_bytes)
        ch = (body.get("choices") or [{}])[0]
        msg = ch.get("message") or {}
        if msg.get("content"):
            comp["content"] = msg["content"]
        if msg.get("tool_calls"):
            comp["tool_calls"] = [{"id": t.get("id"), "type": t.get("type", "function"),
                                   "function": {"name": t["function"]["name"],
                                                "arguments": t["function"]["arguments"]}}
                                  for t in msg["tool_calls"]]
        if ch.get("finish_reason"):
            comp["finish_reason"] = ch["finish_reason"]
        usage = body.get("usage")
    exp["completions"] = [comp]
    if usage:
        exp["usage"] = {"input_tokens": usage.get("prompt_tokens"),
                        "output_tokens": usage.get("completion_tokens")}
    return exp


def expect_openai_text(req, resp_bytes, stream):
    exp = {"model": req.get("model"), "prompt": req.get("prompt")}
    if stream:
        text = ""
        for _, c in sse_json(resp_bytes):
            for ch in c.get("choices") or []:
                if ch.get("index", 0) == 0 and ch.get("text"):
                    text += ch["text"]
    else:
        text = (json.loads(resp_bytes).get("choices") or [{}])[0].get("text", "")
    exp["response"] = text
    return exp


EXPECTERS = {"openai-chat": expect_openai_chat, "openai-text": expect_openai_text}


# --- comparisons -----------------------------------------------------------------------------

def compare(exp, got, where, problems, loose_keys=()):
    """Every key of exp must be in got with an equal value (got may have more keys)."""
    for k, v in exp.items():
        if k not in got:
            problems.append("%s: missing %r (expected %s)" % (where, k, short(v)))
            continue
        g = got[k]
        if k == "completions":
            if not isinstance(g, list) or len(g) != len(v):
                problems.append("%s: completions %s, expected %s" % (where, short(g), short(v)))
                continue
            for i, (ec, gc) in enumerate(zip(v, g)):
                compare(ec, gc, "%s.completions[%d]" % (where, i), problems)
                for extra in ("content", "tool_calls", "finish_reason"):
                    if extra not in ec and gc.get(extra) not in (None, "", []):
                        problems.append("%s.completions[%d]: unexpected %s=%s" % (where, i, extra, short(gc[extra])))
            continue
        if g != v:
            problems.append("%s: %s is %s, expected %s" % (where, k, short(g), short(v)))


def short(v, n=300):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def pick_record(records, args):
    if args.namespace:
        records = [r for r in records if r.get("namespace") == args.namespace]
    if not records:
        sys.exit("no record in the export" + (" for namespace %s" % args.namespace if args.namespace else ""))
    try:
        return records[args.index]
    except IndexError:
        sys.exit("export has %d records, no index %d" % (len(records), args.index))


def cmd_record(args, kind):
    records = load_jsonl(args.export)
    rec = pick_record(records, args)
    if args.request_json is not None:
        req = json.loads(args.request_json)
    else:
        req = json.loads(read_bytes(args.request))
    resp = read_bytes(args.response)
    stream = args.stream if args.stream is not None else bool(req.get("stream"))
    api = args.api or ("openai-chat" if kind == "chat" else "openai-text")
    exp = EXPECTERS[api](req, resp, stream)
    if args.model is not None:
        exp["model"] = args.model
    if args.namespace:
        exp["namespace"] = args.namespace
    problems = []
    compare(exp, rec, "record[%d]" % args.index, problems)
    for k in ("inference_on", "inference_seconds"):
        if kind == "chat" and not isinstance(rec.get(k), (int, float)):
            problems.append("record: %s missing or not a number: %s" % (k, short(rec.get(k))))
    if kind == "text" and not isinstance(rec.get("inference_on"), (int, float)):
        problems.append("record: inference_on missing or not a number")
    if problems:
        print("export record differs from what the program sent/received:", file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        print("  record: " + short(rec, 2000), file=sys.stderr)
        return 1
    return 0


def cmd_get(args):
    records = load_jsonl(args.file)
    try:
        v = records[args.index]
    except IndexError:
        sys.exit("%s has %d records, no index %d" % (args.file, len(records), args.index))
    for part in args.path.split(".") if args.path else []:
        if isinstance(v, list):
            v = v[int(part)]
        elif isinstance(v, dict) and part in v:
            v = v[part]
        else:
            sys.exit("no %s in record %d" % (args.path, args.index))
    print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
    return 0


def cmd_count(args):
    print(len(load_jsonl(args.file)))
    return 0


def cmd_requests(args):
    rows = [r for r in load_jsonl(args.log) if not args.path or r.get("path") == args.path]
    if args.last:
        rows = rows[-1:]
    for r in rows:
        if args.raw:
            v = r.get(args.field or "response")
            if r.get((args.field or "response") + "_base64"):
                import base64
                sys.stdout.buffer.write(base64.b64decode(v))
            else:
                sys.stdout.buffer.write(v.encode("utf-8") if isinstance(v, str) else json.dumps(v).encode())
            continue
        if args.field:
            v = r.get(args.field)
            print(v if isinstance(v, str) else json.dumps(v))
        else:
            print(json.dumps(r))
    return 0


def cmd_models(args):
    records = load_jsonl(args.export)
    names = sorted(r.get("name") for r in records)
    want = sorted(args.names)
    problems = []
    if names != want:
        problems.append("model names %s, expected %s" % (names, want))
    for r in records:
        for k in ("id", "namespace", "name", "provider", "created"):
            if k not in r:
                problems.append("model line lacks %s: %s" % (k, short(r)))
        if not isinstance(r.get("created"), (int, float)):
            problems.append("created is not a number: %s" % short(r))
        if args.namespace and r.get("namespace") != args.namespace:
            problems.append("namespace %s, expected %s" % (r.get("namespace"), args.namespace))
    if problems:
        for p in problems:
            print("  - " + p, file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for kind in ("chat", "text"):
        s = sub.add_parser(kind, help="compare one %s record of an export with the wire" % kind)
        s.add_argument("export", help="export JSONL (prompt-logger export prompts)")
        g = s.add_mutually_exclusive_group(required=True)
        g.add_argument("--request", help="file with the request body the program sent")
        g.add_argument("--request-json", help="the request body as a string")
        s.add_argument("--response", required=True, help="file with the response body the program received")
        s.add_argument("--index", type=int, default=0, help="which record (default 0; -1 = last)")
        s.add_argument("--api", choices=sorted(EXPECTERS), help="wire format (default openai-%s)" % kind)
        s.add_argument("--stream", dest="stream", action="store_true", default=None)
        s.add_argument("--no-stream", dest="stream", action="store_false")
        s.add_argument("--model", help="expected model if not the request's")
        s.add_argument("--namespace", help="only records of this namespace; also expected on the record")
        s.set_defaults(fn=lambda a, k=kind: cmd_record(a, k))
    s = sub.add_parser("get", help="print a value of one JSONL record: get FILE INDEX a.b.0.c")
    s.add_argument("file")
    s.add_argument("index", type=int)
    s.add_argument("path", nargs="?", default="")
    s.set_defaults(fn=cmd_get)
    s = sub.add_parser("count", help="number of JSONL records in FILE")
    s.add_argument("file")
    s.set_defaults(fn=cmd_count)
    s = sub.add_parser("requests", help="the mock's request log, filtered")
    s.add_argument("log")
    s.add_argument("--path")
    s.add_argument("--field", help="print only this field (body, target, headers...)")
    s.add_argument("--last", action="store_true", help="only the last matching request")
    s.add_argument("--raw", action="store_true",
                   help="write the field (default: response) as exact bytes, no newline")
    s.set_defaults(fn=cmd_requests)
    s = sub.add_parser("models", help="an export models JSONL has exactly these model names")
    s.add_argument("export")
    s.add_argument("names", nargs="*")
    s.add_argument("--namespace")
    s.set_defaults(fn=cmd_models)
    args = p.parse_args()
    sys.exit(args.fn(args))


if __name__ == "__main__":
    main()
