#!/usr/bin/python3
# check_api.py — compares one captured call's export line with what the program sent and
# printed, for every LLM API (OpenAI chat/completions/Responses/embeddings, Anthropic, Gemini,
# Ollama, Azure). Expected values are computed here from the wire bytes, without our C code.
#
# Usage: check_api.py record --api API --request REQ --response OUT --target PATH?QUERY --id N
#            --db DB --chat CHAT.jsonl --text TEXT.jsonl --models MODELS.jsonl [--status S]
#        check_api.py all CALLS.tsv --dir DIR --db DB --chat ... --text ... --models ...
# API: openai-chat openai-text openai-embed responses anthropic gemini gemini-embed ollama-chat
# ollama-generate ollama-embed. The stream framing follows from the body the program printed
# (SSE, NDJSON or a JSON array). Exit 0 when equal, 1 with the differences on stderr.
import argparse
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import load_jsonl, sse_events, short  # noqa: E402  (shared SSE parser and helpers)


class JsonText:
    """Expected JSON text whose serialization is ours to choose: equal to any string that parses
    to the same value (the wire carried an object, e.g. Anthropic tool_use input)."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "JsonText(%s)" % json.dumps(self.value)


def same(exp, got):
    if isinstance(exp, JsonText):
        if not isinstance(got, str):
            return False
        try:
            return json.loads(got) == exp.value
        except ValueError:
            return False
    if isinstance(exp, dict):
        return isinstance(got, dict) and exp.keys() == got.keys() and all(same(exp[k], got[k]) for k in exp)
    if isinstance(exp, list):
        return isinstance(got, list) and len(exp) == len(got) and all(same(e, g) for e, g in zip(exp, got))
    if isinstance(exp, bool) or isinstance(got, bool):
        return exp is got
    if isinstance(exp, (int, float)) and isinstance(got, (int, float)):
        return exp == got
    return exp == got


def plain(v):
    """JSON-printable form of an expected value (for messages)."""
    if isinstance(v, JsonText):
        return repr(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def tool_call(id_, name, arguments):
    tc = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if id_:
        tc["id"] = id_
    return tc


def kwargs_of(req, excluded):
    kw = {k: v for k, v in req.items() if k not in excluded}
    return kw or None


# --- framings of what the program printed ------------------------------------------------------

def sse_objects(data):
    """(event, object) per SSE event, skipping [DONE]."""
    out = []
    for ev, payload in sse_events(data):
        if payload.strip() == "[DONE]":
            continue
        out.append((ev, json.loads(payload)))
    return out


def stream_objects(data):
    """Splits a response body by its framing: SSE, a JSON array, NDJSON or one JSON object.
    Returns (framing, [objects])."""
    text = data.decode("utf-8")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, list):
        return "array", whole
    if isinstance(whole, dict):
        return "json", [whole]
    s = text.lstrip()
    if re.match(r"(event|data|:|id)", s):
        return "sse", [o for _, o in sse_objects(data)]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "ndjson", [json.loads(ln) for ln in lines]


def error_message(obj):
    """The provider's error message in an error body or stream event, else None."""
    if not isinstance(obj, dict):
        return None
    e = obj.get("error")
    if isinstance(e, str):
        return e                                   # Ollama
    if isinstance(e, dict) and isinstance(e.get("message"), str):
        return e["message"]                        # OpenAI, Anthropic, Gemini
    if obj.get("type") == "error" and isinstance(obj.get("message"), str):
        return obj["message"]                      # Responses `error` event
    return None


# --- expected records, per API ---------------------------------------------------------------------
# Each returns {model, messages?, tools?, generation_kwargs?, completion?, usage?, error?, prompt?,
# response?}; completion is {content?, tool_calls?, finish_reason?}.

def exp_openai_chat(req, body, stream, target):
    exp = {"model": req.get("model") or path_model(target), "messages": req.get("messages"),
           "tools": req.get("tools"), "generation_kwargs": kwargs_of(req, ("model", "messages", "tools"))}
    comps, usage = {}, None     # choice index -> completion; n>1 gives several
    if stream:
        texts, calls = {}, {}
        for _, c in sse_objects(body):
            if error_message(c):
                exp["error"] = error_message(c)
                continue
            for ch in c.get("choices") or []:
                ci = ch.get("index", 0)
                comp = comps.setdefault(ci, {})
                d = ch.get("delta") or {}
                texts[ci] = texts.get(ci, "") + (d.get("content") or "")
                for tc in d.get("tool_calls") or []:
                    slot = calls.setdefault(ci, {}).setdefault(tc.get("index", 0),
                                                               {"id": None, "name": "", "arguments": ""})
                    fn = tc.get("function") or {}
                    slot["id"] = tc.get("id") or slot["id"]
                    slot["name"] += fn.get("name") or ""
                    slot["arguments"] += fn.get("arguments") or ""
                if ch.get("finish_reason"):
                    comp["finish_reason"] = ch["finish_reason"]
            if c.get("usage"):
                usage = c["usage"]
        for ci, comp in comps.items():
            if texts.get(ci):
                comp["content"] = texts[ci]
            if calls.get(ci):
                comp["tool_calls"] = [tool_call(t["id"], t["name"], t["arguments"])
                                      for _, t in sorted(calls[ci].items())]
    else:
        b = json.loads(body)
        if error_message(b):
            exp["error"] = error_message(b)
            exp["completion"] = {}
            return exp
        for pos, ch in enumerate(b.get("choices") or []):
            comp = comps.setdefault(ch.get("index", pos), {})
            msg = ch.get("message") or {}
            if msg.get("content"):
                comp["content"] = msg["content"]
            if msg.get("tool_calls"):
                comp["tool_calls"] = [tool_call(t.get("id"), t["function"]["name"], t["function"]["arguments"])
                                      for t in msg["tool_calls"]]
            if ch.get("finish_reason"):
                comp["finish_reason"] = ch["finish_reason"]
        usage = b.get("usage")
    if len(comps) > 1:
        exp["completions"] = [comps[i] for i in sorted(comps)]
    else:
        exp["completion"] = comps.get(0, {})
    if usage:
        exp["usage"] = {"input_tokens": usage.get("prompt_tokens"), "output_tokens": usage.get("completion_tokens")}
    return exp


def exp_openai_text(req, body, stream, target):
    exp = {"kind": "text", "model": req.get("model") or path_model(target), "prompt": req.get("prompt")}
    objs = [o for _, o in sse_objects(body)] if stream else [json.loads(body)]
    text, usage = "", None
    for o in objs:
        if error_message(o):
            exp["error"] = error_message(o)
            continue
        for ch in o.get("choices") or []:
            if ch.get("index", 0) == 0:
                text += ch.get("text") or ""
        usage = o.get("usage") or usage
    if "error" not in exp or text:
        exp["response"] = text
    if usage:
        exp["usage"] = {"input_tokens": usage.get("prompt_tokens"), "output_tokens": usage.get("completion_tokens")}
    return exp


def responses_messages(req):
    msgs = []
    if req.get("instructions"):
        msgs.append({"role": "system", "content": req["instructions"]})
    inp = req.get("input")
    if isinstance(inp, str):
        msgs.append({"role": "user", "content": inp})
        return msgs
    last_calls = None
    for it in inp or []:
        t = it.get("type", "message")
        if t == "message":
            msgs.append({"role": it.get("role", "user"), "content": it.get("content")})
            last_calls = None
        elif t == "function_call":
            if last_calls is None:
                last_calls = {"role": "assistant", "tool_calls": []}
                msgs.append(last_calls)
            last_calls["tool_calls"].append(tool_call(it.get("call_id"), it.get("name"), it.get("arguments")))
        elif t == "function_call_output":
            msgs.append({"role": "tool", "content": it.get("output"), "tool_call_id": it.get("call_id")})
            last_calls = None
    return msgs


def responses_finish(resp, has_calls):
    st = resp.get("status")
    if st == "completed":
        return "tool_calls" if has_calls else "stop"
    if st == "incomplete":
        r = (resp.get("incomplete_details") or {}).get("reason")
        return "length" if r == "max_output_tokens" else r
    return None


def exp_responses(req, body, stream, target):
    exp = {"model": req.get("model"), "messages": responses_messages(req), "tools": req.get("tools"),
           "generation_kwargs": kwargs_of(req, ("model", "input", "instructions", "tools"))}
    comp, final = {}, None
    text, calls, order = "", {}, []
    if stream:
        for ev, o in sse_objects(body):
            t = o.get("type", ev)
            if t == "response.output_text.delta":
                text += o.get("delta", "")
            elif t in ("response.output_item.added", "response.output_item.done") and \
                    (o.get("item") or {}).get("type") == "function_call":
                it = o["item"]
                if it["id"] not in calls:
                    calls[it["id"]] = {"id": it.get("call_id"), "name": it.get("name"), "arguments": ""}
                    order.append(it["id"])
            elif t == "response.function_call_arguments.delta":
                calls[o["item_id"]]["arguments"] += o.get("delta", "")
            elif t in ("response.completed", "response.incomplete", "response.failed"):
                final = o.get("response") or {}
                if final.get("status") == "failed":
                    exp["error"] = (final.get("error") or {}).get("message")
            elif t == "error":
                exp["error"] = o.get("message")
    else:
        final = json.loads(body)
        if error_message(final):
            exp["error"] = error_message(final)
            exp["completion"] = {}
            return exp
        for item in final.get("output") or []:
            if item.get("type") == "message":
                for part in item.get("content") or []:
                    if part.get("type") == "output_text":
                        text += part.get("text", "")
            elif item.get("type") == "function_call":
                calls[item["id"]] = {"id": item.get("call_id"), "name": item.get("name"),
                                     "arguments": item.get("arguments")}
                order.append(item["id"])
    if text:
        comp["content"] = text
    if calls:
        comp["tool_calls"] = [tool_call(calls[k]["id"], calls[k]["name"], calls[k]["arguments"]) for k in order]
    if final:
        fr = responses_finish(final, bool(calls))
        if fr:
            comp["finish_reason"] = fr
        u = final.get("usage")
        if u:
            exp["usage"] = {"input_tokens": u.get("input_tokens"), "output_tokens": u.get("output_tokens")}
    exp["completion"] = comp
    return exp


ANTHROPIC_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                  "tool_use": "tool_calls", "refusal": "content_filter"}


def anthropic_messages(req):
    msgs = []
    sysp = req.get("system")
    if isinstance(sysp, list):
        sysp = "\n".join(b.get("text", "") for b in sysp if b.get("type") == "text")
    if sysp:
        msgs.append({"role": "system", "content": sysp})
    for m in req.get("messages") or []:
        c = m.get("content")
        if isinstance(c, str):
            msgs.append({"role": m["role"], "content": c})
            continue
        for b in c:
            if b.get("type") == "tool_result":
                rc = b.get("content")
                if isinstance(rc, list):
                    rc = "\n".join(x.get("text", "") for x in rc if x.get("type") == "text")
                msgs.append({"role": "tool", "content": rc if rc is not None else "",
                             "tool_call_id": b.get("tool_use_id")})
        texts = [b.get("text", "") for b in c if b.get("type") == "text"]
        uses = [b for b in c if b.get("type") == "tool_use"]
        if texts or uses:
            msg = {"role": m["role"]}
            if texts:
                msg["content"] = "\n".join(texts)
            if uses:
                msg["tool_calls"] = [tool_call(u.get("id"), u.get("name"), JsonText(u.get("input")))
                                     for u in uses]
            msgs.append(msg)
    return msgs


def exp_anthropic(req, body, stream, target):
    exp = {"model": req.get("model"), "messages": anthropic_messages(req), "tools": req.get("tools"),
           "generation_kwargs": kwargs_of(req, ("model", "messages", "system", "tools"))}
    comp, text, calls, order = {}, "", {}, []
    usage = {}
    if stream:
        for ev, o in sse_objects(body):
            t = o.get("type", ev)
            if t == "message_start":
                u = (o.get("message") or {}).get("usage") or {}
                usage.update({k: u[k] for k in ("input_tokens", "output_tokens") if k in u})
            elif t == "content_block_start":
                cb = o.get("content_block") or {}
                if cb.get("type") == "tool_use":
                    calls[o["index"]] = {"id": cb.get("id"), "name": cb.get("name"), "arguments": ""}
                    order.append(o["index"])
                elif cb.get("type") == "text":
                    text += cb.get("text", "")
            elif t == "content_block_delta":
                d = o.get("delta") or {}
                if d.get("type") == "text_delta":
                    text += d.get("text", "")
                elif d.get("type") == "input_json_delta":
                    calls[o["index"]]["arguments"] += d.get("partial_json", "")
            elif t == "content_block_stop":
                if o.get("index") in calls and calls[o["index"]]["arguments"] == "":
                    calls[o["index"]]["arguments"] = "{}"
            elif t == "message_delta":
                sr = (o.get("delta") or {}).get("stop_reason")
                if sr:
                    comp["finish_reason"] = ANTHROPIC_STOP.get(sr, sr)
                u = o.get("usage") or {}
                usage.update({k: u[k] for k in ("input_tokens", "output_tokens") if k in u})
            elif t == "error":
                exp["error"] = error_message(o)
    else:
        b = json.loads(body)
        if error_message(b):
            exp["error"] = error_message(b)
            exp["completion"] = {}
            return exp
        for i, blk in enumerate(b.get("content") or []):
            if blk.get("type") == "text":
                text += blk.get("text", "")
            elif blk.get("type") == "tool_use":
                calls[i] = {"id": blk.get("id"), "name": blk.get("name"), "arguments": JsonText(blk.get("input"))}
                order.append(i)
        if b.get("stop_reason"):
            comp["finish_reason"] = ANTHROPIC_STOP.get(b["stop_reason"], b["stop_reason"])
        usage = {k: v for k, v in (b.get("usage") or {}).items() if k in ("input_tokens", "output_tokens")}
    if text:
        comp["content"] = text
    if calls:
        comp["tool_calls"] = [tool_call(calls[i]["id"], calls[i]["name"], calls[i]["arguments"]) for i in order]
    exp["completion"] = comp
    if usage:
        exp["usage"] = usage
    return exp


GEMINI_FINISH = {"MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter"}


def path_model(target):
    m = re.search(r"/models/([^/:?]+):", target) or re.search(r"/openai/deployments/([^/?]+)/", target)
    return m.group(1) if m else None


def gemini_messages(req):
    msgs = []
    si = req.get("systemInstruction") or req.get("system_instruction")
    if si:
        msgs.append({"role": "system", "content": "".join(p.get("text", "") for p in si.get("parts", []))})
    for c in req.get("contents") or []:
        parts = c.get("parts") or []
        for p in parts:
            if "functionResponse" in p:
                fr = p["functionResponse"]
                msgs.append({"role": "tool", "content": JsonText(fr.get("response")), "name": fr.get("name")})
        texts = [p["text"] for p in parts if "text" in p]
        fcs = [p["functionCall"] for p in parts if "functionCall" in p]
        if texts or fcs:
            msg = {"role": "assistant" if c.get("role") == "model" else c.get("role", "user")}
            if texts:
                msg["content"] = "".join(texts)
            if fcs:
                msg["tool_calls"] = [tool_call(f.get("id"), f.get("name"), JsonText(f.get("args", {}))) for f in fcs]
            msgs.append(msg)
    return msgs


def exp_gemini(req, body, stream, target):
    exp = {"model": path_model(target), "messages": gemini_messages(req), "tools": req.get("tools"),
           "generation_kwargs": kwargs_of(req, ("model", "contents", "systemInstruction",
                                                "system_instruction", "tools"))}
    _, objs = stream_objects(body)
    comp, text, calls, usage = {}, "", [], None
    for o in objs:
        if error_message(o):
            exp["error"] = error_message(o)
            continue
        for cand in o.get("candidates") or []:
            if cand.get("index", 0) != 0:
                continue
            for p in (cand.get("content") or {}).get("parts") or []:
                if "text" in p and not p.get("thought"):
                    text += p["text"]
                if "functionCall" in p:
                    f = p["functionCall"]
                    calls.append(tool_call(f.get("id"), f.get("name"), JsonText(f.get("args", {}))))
            if cand.get("finishReason"):
                fr = cand["finishReason"]
                comp["finish_reason"] = ("tool_calls" if calls else "stop") if fr == "STOP" else GEMINI_FINISH.get(fr, fr)
        if o.get("usageMetadata"):
            usage = o["usageMetadata"]
    if text:
        comp["content"] = text
    if calls:
        comp["tool_calls"] = calls
    exp["completion"] = comp
    if usage:
        exp["usage"] = {"input_tokens": usage.get("promptTokenCount"),
                        "output_tokens": usage.get("candidatesTokenCount")}
    return exp


def ollama_objects(body, exp):
    _, objs = stream_objects(body)
    keep = []
    for o in objs:
        if error_message(o):
            exp["error"] = error_message(o)
        else:
            keep.append(o)
    return keep


def ollama_usage(exp, o):
    if o.get("done"):
        exp["usage"] = {k2: o[k] for k, k2 in (("prompt_eval_count", "input_tokens"),
                                               ("eval_count", "output_tokens")) if k in o}


def exp_ollama_chat(req, body, stream, target):
    msgs = []
    for m in req.get("messages") or []:
        m = dict(m)
        if m.get("tool_calls"):
            m["tool_calls"] = [dict(tc, type=tc.get("type", "function"),
                                    function=dict(tc["function"], arguments=JsonText(tc["function"]["arguments"])))
                               for tc in m["tool_calls"]]
        msgs.append(m)
    exp = {"model": req.get("model"), "messages": msgs, "tools": req.get("tools"),
           "generation_kwargs": kwargs_of(req, ("model", "messages", "tools"))}
    comp, text, calls = {}, "", []
    for o in ollama_objects(body, exp):
        msg = o.get("message") or {}
        text += msg.get("content") or ""
        for tc in msg.get("tool_calls") or []:
            fn = tc.get("function") or {}
            calls.append(tool_call(tc.get("id"), fn.get("name"), JsonText(fn.get("arguments"))))
        if o.get("done") and o.get("done_reason"):
            r = o["done_reason"]
            comp["finish_reason"] = "tool_calls" if r == "stop" and calls else r
        ollama_usage(exp, o)
    if text:
        comp["content"] = text
    if calls:
        comp["tool_calls"] = calls
    exp["completion"] = comp
    return exp


def exp_ollama_generate(req, body, stream, target):
    exp = {"kind": "text", "model": req.get("model"), "prompt": req.get("prompt")}
    text = ""
    for o in ollama_objects(body, exp):
        text += o.get("response") or ""
        ollama_usage(exp, o)
    exp["response"] = text
    return exp


def exp_embed(usage_key):
    def f(req, body, stream, target):
        exp = {"kind": "embedding", "model": req.get("model") or path_model(target)}
        b = json.loads(body)
        if error_message(b):
            exp["error"] = error_message(b)
        return exp
    return f


EXPECTERS = {
    "openai-chat": exp_openai_chat, "openai-text": exp_openai_text, "openai-embed": exp_embed("usage"),
    "responses": exp_responses, "anthropic": exp_anthropic, "gemini": exp_gemini,
    "gemini-embed": exp_embed(None), "ollama-chat": exp_ollama_chat,
    "ollama-generate": exp_ollama_generate, "ollama-embed": exp_embed(None),
}


# --- the comparison ------------------------------------------------------------------------------

def by_id(path, rid):
    return [r for r in load_jsonl(path) if r.get("id") == rid] if path else []


def cmd_all(a):
    """One check per line of the api_lib.sh call list: NAME API ID STATUS TARGET (tab-separated)."""
    failed = 0
    with open(a.calls) as f:
        for row in f:
            if not row.strip():
                continue
            name, api, rid, status, target = row.rstrip("\n").split("\t")
            b = argparse.Namespace(**vars(a))
            b.api, b.id, b.status, b.target = api, int(rid), int(status), target
            b.request = os.path.join(a.dir, name + ".req")
            b.response = os.path.join(a.dir, name + ".out")
            failed += cmd_record(b, name)
    return 1 if failed else 0


def cmd_record(a, name=None):
    req = json.loads(open(a.request, "rb").read())
    body = open(a.response, "rb").read()
    framing, _ = stream_objects(body) if body.strip() else ("json", [])
    stream = framing in ("sse", "ndjson", "array")
    exp = EXPECTERS[a.api](req, body, stream, a.target)
    kind = exp.pop("kind", "chat")
    problems = []

    chat, text = by_id(a.chat, a.id), by_id(a.text, a.id)
    if kind == "chat":
        if text:
            problems.append("a chat call appears in the text export")
        line = chat[0] if len(chat) == 1 else None
    elif kind == "text":
        if chat:
            problems.append("a text call appears in the chat export")
        line = text[0] if len(text) == 1 else None
    else:
        if chat or text:
            problems.append("an embedding call appears in a prompt export")
        models = [m.get("name") for m in load_jsonl(a.models)] if a.models else []
        if exp["model"] not in models:
            problems.append("embedding model %r not in export models %s" % (exp["model"], models))
        line = None
    if kind != "embedding" and line is None:
        problems.append("call %d: %d chat / %d text export lines, expected one %s line"
                        % (a.id, len(chat), len(text), kind))
    if line is not None:
        compare_line(exp, line, a, problems)
    check_row(a, exp, kind, stream, problems)
    if problems:
        print("call %d %s (%s, %s): export differs from the wire:" % (a.id, name or "", a.api, a.response),
              file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        if line is not None:
            print("  line: " + short(line, 3000), file=sys.stderr)
        return 1
    return 0


def want(line, key, value, problems):
    if value is None or value == [] or value == {}:
        if line.get(key) not in (None, [], {}, ""):
            problems.append("%s is %s, expected none" % (key, short(line.get(key))))
    elif not same(value, line.get(key)):
        problems.append("%s is %s, expected %s" % (key, short(line.get(key)), short(plain(value))))


def compare_line(exp, line, a, problems):
    want(line, "model", exp.get("model"), problems)
    for k in ("messages", "tools", "generation_kwargs", "prompt", "response"):
        if k in exp:
            want(line, k, exp[k], problems)
    if "completions" in exp:     # n>1: one completion per choice, in index order
        comps = line.get("completions") or []
        if len(comps) != len(exp["completions"]):
            problems.append("completions %s, expected %s" % (short(comps), short(exp["completions"])))
        else:
            for i, (c, got) in enumerate(zip(exp["completions"], comps)):
                for k in ("content", "tool_calls", "finish_reason"):
                    want(got, k, c.get(k), problems)
    if "completion" in exp:
        comps = line.get("completions") or []
        c = exp["completion"]
        if not c:
            if comps and any(x.get(k) for x in comps for k in ("content", "tool_calls", "finish_reason")):
                problems.append("completions %s, expected none" % short(comps))
        elif len(comps) != 1:
            problems.append("completions %s, expected one: %s" % (short(comps), short(plain(c))))
        else:
            got = comps[0]
            if got.get("role") != "assistant":
                problems.append("completion role %r" % got.get("role"))
            for k in ("content", "tool_calls", "finish_reason"):
                want(got, k, c.get(k), problems)
    u = exp.get("usage") or {}
    gu = line.get("usage") or {}
    for k in ("input_tokens", "output_tokens"):
        if gu.get(k) != u.get(k):
            problems.append("usage.%s is %s, expected %s" % (k, gu.get(k), u.get(k)))
    if a.status is not None and line.get("status") != a.status:
        problems.append("status is %s, expected %s" % (line.get("status"), a.status))
    if "error" in exp:
        if line.get("error") != exp["error"]:
            problems.append("error is %s, expected %s" % (short(line.get("error")), short(exp["error"])))
    elif line.get("error"):
        problems.append("unexpected error %s" % short(line["error"]))
    for k in ("incomplete", "truncated", "parse_error"):
        if line.get(k):
            problems.append("%s is set (%s) on a complete, well-formed exchange" % (k, short(line[k])))
    if not isinstance(line.get("inference_on"), (int, float)) or not isinstance(line.get("inference_seconds"), (int, float)):
        problems.append("inference_on / inference_seconds missing")


def check_row(a, exp, kind, stream, problems):
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    row = db.execute("select stream, ttft, duration, status, error, incomplete from calls where id = ?",
                     (a.id,)).fetchone()
    db.close()
    if row is None:
        problems.append("no calls row %d" % a.id)
        return
    st, ttft, dur, status, err, incomplete = row
    if a.status is not None and status != a.status:
        problems.append("calls.status %s, expected %s" % (status, a.status))
    if incomplete:
        problems.append("calls.incomplete is set for a complete exchange")
    if "error" in exp and not err:
        problems.append("calls.error is empty for an error")
    if bool(st) != stream:
        problems.append("calls.stream %s, the program read a %s" % (st, "stream" if stream else "single body"))
    cs = [exp.get("completion") or {}] + (exp.get("completions") or [])
    has_content = any(c.get("content") or c.get("tool_calls") for c in cs) or bool(exp.get("response"))
    if stream and has_content:
        if ttft is None:
            problems.append("calls.ttft is NULL for a stream with content")
        elif not (0 <= ttft <= dur):
            problems.append("calls.ttft %s not within [0, duration %s]" % (ttft, dur))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("record", help="compare one call's export line with the wire")
    s.add_argument("--api", required=True, choices=sorted(EXPECTERS))
    s.add_argument("--request", required=True, help="the request body the program sent")
    s.add_argument("--response", required=True, help="the body bytes the program printed")
    s.add_argument("--target", required=True, help="request path and query")
    s.add_argument("--id", required=True, type=int, help="calls.id of this call")
    s.add_argument("--db", required=True)
    s.add_argument("--chat", help="export prompts (chat) JSONL")
    s.add_argument("--text", help="export prompts --type text JSONL")
    s.add_argument("--models", help="export models JSONL")
    s.add_argument("--status", type=int, help="expected HTTP status")
    s.set_defaults(fn=cmd_record)
    s = sub.add_parser("all", help="check every call of an api_lib.sh call list")
    s.add_argument("calls", help="tab-separated NAME API ID STATUS TARGET lines")
    s.add_argument("--dir", required=True, help="where NAME.req and NAME.out are")
    for opt in ("--db", "--chat", "--text", "--models"):
        s.add_argument(opt, required=(opt == "--db"))
    s.set_defaults(fn=cmd_all)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
