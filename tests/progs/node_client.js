// node_client.js — Node.js LLM clients for test_patch_node.sh: node's own OpenSSL (inside the
// executable) under the preload, through fetch (undici), https.request, http2 and the npm
// `openai` / `@anthropic-ai/sdk` packages. Prints what the program received (deterministic).
// Usage: node node_client.js MODE BASE_URL   (CA from NODE_EXTRA_CA_CERTS; SDKs from NODE_PATH)
'use strict';
const https = require('https');
const http2 = require('http2');
const [mode, base] = process.argv.slice(2);
const key = 'sk-test-node-secret';
const chat = (extra) => JSON.stringify(Object.assign(
  { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say this is a test' }] }, extra || {}));
const tools = [{ type: 'function', function: { name: 'get_current_weather', description: 'Get the current weather',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }];
const out = (s) => process.stdout.write(s);

function httpsPost(path, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(base + path, { method: 'POST', headers: {
      'content-type': 'application/json', authorization: 'Bearer ' + key } }, (res) => {
      let all = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { all += c; });
      res.on('end', () => resolve(all));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function h2Post(path, body) {
  return new Promise((resolve, reject) => {
    const s = http2.connect(base);
    s.on('error', reject);
    const req = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json',
      authorization: 'Bearer ' + key });
    let all = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { all += c; });
    req.on('end', () => { s.close(); resolve(all); });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  switch (mode) {
  case 'fetch': {
    const r = await fetch(base + '/v1/chat/completions', { method: 'POST', body: chat(),
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key } });
    out(await r.text());
    break;
  }
  case 'fetch_stream': {
    const r = await fetch(base + '/v1/chat/completions', { method: 'POST',
      body: chat({ model: 'gpt-4', stream: true, stream_options: { include_usage: true } }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key } });
    const dec = new TextDecoder();
    for await (const c of r.body) out(dec.decode(c, { stream: true }));
    break;
  }
  case 'https': out(await httpsPost('/v1/chat/completions', chat())); break;
  case 'https_stream':
    out(await httpsPost('/v1/chat/completions', chat({ model: 'gpt-4', stream: true })));
    break;
  case 'h2': out(await h2Post('/v1/chat/completions', chat({ model: 'gpt-4', stream: true }))); break;
  case 'openai': case 'openai_stream': case 'openai_tools_stream': {
    const OpenAI = require('openai');
    const client = new OpenAI({ apiKey: key, baseURL: base + '/v1' });
    if (mode === 'openai') {
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 16,
        messages: [{ role: 'user', content: 'Say this is a test' }] });
      out(JSON.stringify(r.choices[0].message) + '\n' + JSON.stringify(r.usage) + '\n');
      break;
    }
    const params = { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: mode === 'openai_stream' ? 'Say this is a test' : "What's the weather like in Boston today?" }] };
    if (mode === 'openai_tools_stream') params.tools = tools;
    const stream = await client.chat.completions.create(params);
    for await (const ch of stream) out(JSON.stringify(ch.choices[0] ? ch.choices[0].delta : ch.usage) + '\n');
    break;
  }
  case 'anthropic_stream': {
    const Anthropic = require('@anthropic-ai/sdk');
    const client = new Anthropic({ apiKey: key, baseURL: base });
    const stream = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 64,
      stream: true, messages: [{ role: 'user', content: 'Say this is a test' }] });
    for await (const ev of stream) out(ev.type + (ev.delta && ev.delta.text ? ' ' + ev.delta.text : '') + '\n');
    break;
  }
  case 'conc16': {
    // 16 streamed requests at once on 16 connections from one process.
    const agent = new https.Agent({ keepAlive: false, maxSockets: 16 });
    const one = (i) => new Promise((resolve, reject) => {
      const req = https.request(base + '/v1/chat/completions', { method: 'POST', agent, headers: {
        'content-type': 'application/json', authorization: 'Bearer ' + key } }, (res) => {
        let all = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { all += c; });
        res.on('end', () => resolve(all.length));
      });
      req.on('error', reject);
      req.end(chat({ model: 'gpt-4', stream: true, user: 'u' + i }));
    });
    const lens = await Promise.all(Array.from({ length: 16 }, (_, i) => one(i)));
    out(lens.join(',') + '\n');
    break;
  }
  case 'spawn': {
    // A child node process (its own start-up, its own patch) makes one call, then this one.
    const { execFileSync } = require('child_process');
    out(execFileSync(process.execPath, [__filename, 'https', base]).toString());
    out(await httpsPost('/v1/chat/completions', chat({ user: 'parent' })));
    break;
  }
  default: throw new Error('unknown mode ' + mode);
  }
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
