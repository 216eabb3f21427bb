#!/usr/bin/env bash
# test_cli_export.sh — export compatibility with prompt-logger's line: messages,
# generation_kwargs and completions always present for chat (an error call has completions []
# with status and error), prompt and response for text; --all-namespaces; cost_usd; a progress
# bar on stderr only when stderr is a terminal, never on stdout.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/integration/cli_lib.sh"
cli_fill
D=(-d "sqlite:///$PL_DB")

pl_cli export prompts - "${D[@]}" --all-namespaces > chat.jsonl || fail "export --all-namespaces"
pl_cli export prompts - "${D[@]}" --all-namespaces --type text > text.jsonl || fail "export text"
pl_cli export prompts - "${D[@]}" -n alpha > alpha.jsonl || fail "export -n alpha"
PROMPTLOG_NAMESPACE=beta pl_cli export prompts - "${D[@]}" > beta.jsonl || fail "export (namespace from the environment)"
pl_cli export models - "${D[@]}" --all-namespaces > models.jsonl || fail "export models --all-namespaces"
"$PY" - <<'PY' || fail "export lines"
import json
chat = [json.loads(l) for l in open("chat.jsonl")]
assert [c["id"] for c in chat] == [1, 2, 3, 4], [c["id"] for c in chat]
for c in chat:
    for k, t in (("messages", list), ("generation_kwargs", dict), ("completions", list)):
        assert isinstance(c.get(k), t), (c["id"], k, c.get(k))
    assert "cost_usd" in c
err = chat[3]
assert err["completions"] == [] and err["status"] == 400 and "mock injected error" in err["error"], err
assert err["messages"] == [{"role": "user", "content": "this one fails"}]
assert chat[0]["generation_kwargs"] == {"temperature": 0.2}
assert chat[0]["completions"][0]["content"] == "This is a test."
text = [json.loads(l) for l in open("text.jsonl")]
assert [t["id"] for t in text] == [5] and text[0]["prompt"] == "Say this is a test" and isinstance(text[0]["response"], str)
assert [c["id"] for c in map(json.loads, open("alpha.jsonl"))] == [1, 2]
assert [c["id"] for c in map(json.loads, open("beta.jsonl"))] == [3, 4]
models = [json.loads(l) for l in open("models.jsonl")]
assert sorted((m["namespace"], m["name"]) for m in models) == sorted([("alpha", "gpt-4o-mini-2024-07-18"),
    ("alpha", "gpt-4"), ("beta", "claude-3-haiku-20240307"), ("beta", "gpt-4o-mini"), ("alpha", "gpt-3.5-turbo-instruct")])
PY
pl_cli export prompts - "${D[@]}" --all-namespaces -n alpha > x 2> e.txt; RC=$?
assert_rc 2 "--all-namespaces with -n"

# --- progress bar: stderr on a terminal only, for a large export; stdout stays pure JSONL ---
# 5 real captured rows copied up to 2560 (the bar needs 2000)
cols="namespace, provider, host, model, api, kind, method, url, path, status, stream, incomplete, truncated, started_at, duration, ttfb, ttft, input_tokens, output_tokens, finish_reason, error, prompt_preview, completion_preview, pid, program, source, http_version, content_type, request_headers, response_headers, request_size, response_size, request_body, response_body"
for i in 1 2 3 4 5 6 7 8 9; do db_query "insert into calls ($cols) select $cols from calls"; done
assert_eq "$(db_query 'select count(*) from calls')" 2560
n_chat=$(db_query "select count(*) from calls where kind='chat'")
need_pty
script -qec "$PL_CLI export prompts $T/tty.jsonl -d sqlite:///$PL_DB --all-namespaces" /dev/null > tty.txt
assert_contains tty.txt "exporting [" "a progress bar on a terminal"
assert_lines tty.jsonl "$n_chat"
script -qec "$PL_CLI export prompts - -d sqlite:///$PL_DB --all-namespaces > $T/stdout.jsonl" /dev/null > tty2.txt
assert_contains tty2.txt "exporting [" "the bar on stderr while stdout is a file"
assert_not_contains stdout.jsonl "exporting" "nothing added to stdout"
assert_lines stdout.jsonl "$n_chat"
"$PY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' stdout.jsonl || fail "stdout is JSONL"
pl_cli export prompts - "${D[@]}" --all-namespaces > plain.jsonl 2> plain.err
assert_empty plain.err "no bar when stderr is not a terminal"
assert_file_eq plain.jsonl stdout.jsonl "same lines with and without the bar"
