<?php
// php_client.php — PHP LLM clients for test_patch_php.sh: the curl extension (loaded by PHP with
// RTLD_DEEPBIND, so its libcurl calls bypass LD_PRELOAD interposition) and the https stream
// wrapper (PHP's own OpenSSL calls). Prints what the program received.
// Usage: php php_client.php MODE BASE_URL   (CA file from $MOCK_CA)
[$_, $mode, $base] = $argv;
$ca = getenv("MOCK_CA");
$hdrs = ["Content-Type: application/json", "Authorization: Bearer sk-test-php-secret"];
function body($extra = []) {
    return json_encode(array_merge(["model" => "gpt-4o-mini",
        "messages" => [["role" => "user", "content" => "Say this is a test"]]], $extra));
}
function handle($url, $body) {
    global $ca, $hdrs;
    $ch = curl_init($url);
    curl_setopt_array($ch, [CURLOPT_POST => 1, CURLOPT_POSTFIELDS => $body, CURLOPT_HTTPHEADER => $hdrs,
        CURLOPT_CAINFO => $ca, CURLOPT_RETURNTRANSFER => 1]);
    return $ch;
}
$url = $base . "/v1/chat/completions";
switch ($mode) {
case "exec":
    echo curl_exec(handle($url, body()));
    break;
case "multi":
    $mh = curl_multi_init();
    $a = handle($url, body(["user" => "a"]));
    $b = handle($url, body(["model" => "gpt-4", "stream" => true, "user" => "b"]));
    curl_multi_add_handle($mh, $a);
    curl_multi_add_handle($mh, $b);
    do {
        $st = curl_multi_exec($mh, $running);
        if ($running) curl_multi_select($mh, 1.0);
    } while ($running && $st == CURLM_OK);
    echo curl_multi_getcontent($a), "\n----\n", curl_multi_getcontent($b);
    break;
case "writefunction":
    $ch = handle($url, body(["model" => "gpt-4", "stream" => true]));
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, 0);
    curl_setopt($ch, CURLOPT_WRITEFUNCTION, function ($ch, $data) { echo $data; return strlen($data); });
    curl_exec($ch);
    break;
case "stream":
    $ctx = stream_context_create(["http" => ["method" => "POST", "header" => implode("\r\n", $hdrs),
        "content" => body()], "ssl" => ["cafile" => $ca, "verify_peer" => true]]);
    echo file_get_contents($url, false, $ctx);
    break;
}
