#!/usr/bin/env bash
# test_namespace.sh — PROMPTLOG_NAMESPACE separates records in one database: export -n/--namespace
# shows only that namespace's prompts and models; the default namespace is "default".
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
req_a='{"model":"model-alpha","messages":[{"role":"user","content":"from alpha"}]}'
req_b='{"model":"model-beta","messages":[{"role":"user","content":"from beta"}],"stream":true}'
req_d='{"model":"model-default","messages":[{"role":"user","content":"from default"}]}'

run_both PROMPTLOG_NAMESPACE=alpha "${CURL[@]}" -sS --cacert "$MOCK_CA" "$url" -d "$req_a"; cp "$OUT" a.out
run_both PROMPTLOG_NAMESPACE=beta "${CURL[@]}" -sS --cacert "$MOCK_CA" "$url" -d "$req_b"; cp "$OUT" b.out
run_both PROMPTLOG_NAMESPACE=alpha "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" "$url" -d "$req_a"
run_both "${CURL[@]}" -sS --cacert "$MOCK_CA" "$url" -d "$req_d"; cp "$OUT" d.out

export_prompts -n alpha > alpha.jsonl
assert_lines alpha.jsonl 2
check chat alpha.jsonl --index 0 --namespace alpha --request-json "$req_a" --response a.out
check chat alpha.jsonl --index 1 --namespace alpha --request-json "$req_a" --response a.out
export_prompts --namespace beta > beta.jsonl
assert_lines beta.jsonl 1
check chat beta.jsonl --namespace beta --request-json "$req_b" --response b.out
export_prompts --namespace=beta > beta2.jsonl
assert_file_eq beta.jsonl beta2.jsonl "--namespace=beta and --namespace beta"
export_prompts > default.jsonl
assert_lines default.jsonl 1
check chat default.jsonl --namespace default --request-json "$req_d" --response d.out
export_prompts -n nobody > none.jsonl
assert_empty none.jsonl "an unused namespace exports nothing"

export_models -n alpha > ma.jsonl
check models ma.jsonl model-alpha --namespace alpha
export_models -n beta > mb.jsonl
check models mb.jsonl model-beta --namespace beta
export_models > md.jsonl
check models md.jsonl model-default --namespace default
