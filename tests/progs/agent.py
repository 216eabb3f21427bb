#!/usr/bin/python3
# agent.py — an agent loop as real programs write it: every turn re-sends the whole history
# (system prompt, user turns, the assistant's replies) to a chat API over HTTPS with urllib.
#
# usage: agent.py BASE_URL TURNS [--stream] [--tools] [--seed S]
# The CA is $MOCK_CA. Prints one line per turn: the turn number and the reply's length.
import json
import os
import random
import ssl
import sys
import urllib.request

WORDS = ("timeout retry cache latency token budget queue worker shard index vector prompt "
         "agent planner tool result error backoff schema migration export").split()


def main():
    args = sys.argv[1:]
    base, turns = args[0].rstrip("/"), int(args[1])
    stream, tools = "--stream" in args, "--tools" in args
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    rnd = random.Random(seed)
    system = ("You are a careful assistant for a build system. " * 22)[:1024]
    history = [{"role": "system", "content": system}]
    ctx = ssl.create_default_context(cafile=os.environ.get("MOCK_CA")) if base.startswith("https") else None
    for turn in range(1, turns + 1):
        words = " ".join(rnd.choice(WORDS) for _ in range(40))
        history.append({"role": "user", "content": ("turn %d: " % turn + words)[:250]})
        body = {"model": "gpt-4o-mini", "messages": history, "temperature": 0.2}
        if stream:
            body["stream"] = True
        if tools:
            body["tools"] = [{"type": "function", "function": {"name": "get_weather",
                              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        req = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json",
                                      "Authorization": "Bearer sk-test-agent"})
        with urllib.request.urlopen(req, context=ctx) as resp:
            data = resp.read()
        if stream:
            text = ""
            for line in data.decode().splitlines():
                if line.startswith("data:") and line.strip() != "data: [DONE]":
                    for ch in json.loads(line[5:]).get("choices", []):
                        text += (ch.get("delta") or {}).get("content") or ""
            reply = {"role": "assistant", "content": text}
        else:
            msg = json.loads(data)["choices"][0]["message"]
            reply = {"role": "assistant", "content": msg.get("content")}
            if msg.get("tool_calls"):
                reply["tool_calls"] = msg["tool_calls"]
        history.append(reply)
        for tc in reply.get("tool_calls") or []:
            history.append({"role": "tool", "tool_call_id": tc["id"], "content": '{"temp": 21}'})
        print(turn, len(json.dumps(reply)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
