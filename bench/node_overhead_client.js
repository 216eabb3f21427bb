// node_overhead_client.js — the node benchmark's program: N requests over one keep-alive HTTPS
// connection (node's own OpenSSL, reached by entry patching under the preload), timed inside the
// process after a first request. Prints "wall_seconds cpu_seconds" (cpu: user + system).
'use strict';
const https = require('https');
const fs = require('fs');
const [port, ca, mode, n] = [process.argv[2], fs.readFileSync(process.argv[3]), process.argv[4], +process.argv[5]];
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say this is a test' }] });
function one() {
  return new Promise((resolve, reject) => {
    const llm = mode === 'llm';
    const req = https.request({ host: '127.0.0.1', port, agent, method: llm ? 'POST' : 'GET',
      path: llm ? '/v1/chat/completions' : '/other', headers: llm ? { 'content-type': 'application/json' } : {} },
    (res) => { res.on('data', () => {}); res.on('end', resolve); });
    req.on('error', reject);
    req.end(llm ? chat : undefined);
  });
}
(async () => {
  await one();
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await one();
  const c = process.cpuUsage(c0), t = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(t.toFixed(6), ((c.user + c.system) / 1e6).toFixed(6));
  agent.destroy();
})().catch((e) => { console.error(String(e)); process.exit(1); });
