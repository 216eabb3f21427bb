# api_lib.sh — shared steps of the test_api_*.sh tests: run one real client program against the
# mock under the preload, then compare that call's export line with what the program sent and read.
#
#   . "$(dirname "$0")/api_lib.sh"      (sources lib.sh too)
#   start_mock
#   api_call NAME API PROG TARGET BODY [--status S] [-H 'Name: value']...
#   ...
#   api_check_all
#
# PROG: curl (ALPN, h2 with the mock), curl1 (--http1.1), urllib, httpclient, requests, httpx,
# httpx2 (h2); under ASan curl is examples/cli_libcurl (curl_host). API: a check_api.py --api name. TARGET is the path and query on $API_BASE (default
# $MOCK_HTTPS). The first call of each PROG (every call with API_BOTH=1) must give the same
# stdout, stderr and exit code with and without the preload. Each call must add exactly one
# calls row (its id: $API_ID). api_check_all then has check_api.py compare each call's export line (chat, text or models export by API) with NAME.req (sent) and
# NAME.out (printed). --status is the HTTP status expected on the line and in the row (default 200).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

API_CLIENT="$ROOT/tests/integration/api_client.py"
declare -A _api_seen=()
API_CHECK="$ROOT/tests/integration/check_api.py"

_api_rows() {
    if [ -e "$PL_DB" ]; then sqlite3 "$PL_DB" 'select count(*) from calls'; else echo 0; fi
}

api_call() {
    local name="$1" api="$2" prog="$3" target="$4" body="$5"
    shift 5
    local status=200 hdrs=() base="${API_BASE:-$MOCK_HTTPS}"
    while [ $# -gt 0 ]; do
        case "$1" in
            --status) status="$2"; shift 2 ;;
            -H) hdrs+=(-H "$2"); shift 2 ;;
            *) fail "api_call: unknown argument $1" ;;
        esac
    done
    printf '%s' "$body" > "$name.req"
    local stream=()
    case "$body$target" in
        *'"stream":true'*|*'"stream": true'*|*streamGenerateContent*) stream=(--stream) ;;
        */api/chat|*/api/generate) case "$body" in *'"stream":false'*|*'"stream": false'*) ;; *) stream=(--stream) ;; esac ;;
    esac
    local before after id
    before="$(_api_rows)"
    note "$name: $prog POST $target"
    # Under ASan, Debian's curl cannot run (libp11-kit deadlocks, see lib.sh): curl_host gives the
    # ASan-built examples/cli_libcurl, which takes the same options.
    [[ "$prog" == curl* ]] && curl_host
    # The first call of each program compares runs with and without the preload (same stdout,
    # stderr, exit code); later ones run preloaded only, which keeps the suite fast.
    local runner=run_pre
    if [ -z "${_api_seen[$prog]:-}" ] || [ "${API_BOTH:-0}" = 1 ]; then runner=run_both; fi
    _api_seen[$prog]=1
    case "$prog" in
        curl|curl1)
            local v=()
            [ "$prog" = curl1 ] && v=(--http1.1)
            $runner "${CURL[@]}" -sS -N "${v[@]}" --cacert "$MOCK_CA" -H 'Content-Type: application/json' \
                -H 'Authorization: Bearer sk-test-api-curl' "${hdrs[@]}" --data-binary "@$T/$name.req" \
                "$base$target" ;;
        *)
            $runner MOCK_CA="$MOCK_CA" "$PY" "$API_CLIENT" "$prog" "$base$target" "$T/$name.req" \
                "${hdrs[@]}" "${stream[@]}" ;;
    esac
    assert_rc 0 "$name: $prog exit code"
    cp "$OUT" "$name.out"
    after="$(_api_rows)"
    [ "$after" = "$((before + 1))" ] || fail "$name: $((after - before)) calls rows added, expected 1"
    id="$(db_query 'select max(id) from calls')"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$api" "$id" "$status" "$target" >> "$T/api_calls.tsv"
    API_ID="$id"
}

# Exports once and compares every api_call's line (one check_api.py run: all differences shown).
api_check_all() {
    [ -s "$T/api_calls.tsv" ] || fail "no api_call was made"
    export_prompts > "$T/api.chat.jsonl"
    export_prompts --type text > "$T/api.text.jsonl"
    export_models > "$T/api.models.jsonl"
    "$PY" "$API_CHECK" all "$T/api_calls.tsv" --dir "$T" --db "$PL_DB" --chat "$T/api.chat.jsonl" \
        --text "$T/api.text.jsonl" --models "$T/api.models.jsonl" \
        || fail "export lines differ from what the programs sent and read"
}
