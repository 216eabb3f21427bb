// otlp_receiver.js — a test OTLP/HTTP trace receiver. Decodes every request with the official
// opentelemetry-proto definitions (the protobufjs root generated from them and shipped in npm's
// @opentelemetry/otlp-transformer 0.200.0), never with a parser of ours, and logs one JSON line
// per request: what arrived (headers, encoding, spans with flattened attributes) and what we
// answered. Steering (argv): --port-file F --log F [--script 503,503,200] [--retry-after S]
// [--then STATUS] [--delay-ms N] [--max-spans K] [--partial N]. The script lists the statuses of
// the first requests; after it, --then (default 200) answers every request. --max-spans answers
// 413 to a request with more than K spans; --partial N answers 200 with a partial_success that
// reports N rejected spans.
'use strict';
const http = require('http');
const zlib = require('zlib');
const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const ExportReq = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportResp = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const script = (args.script || '').split(',').filter(Boolean).map(Number);
const then = Number(args.then || 200);
const delay = Number(args['delay-ms'] || 0);
let count = 0;

const hex = (b) => Buffer.from(b || []).toString('hex');

function anyValue(v) {
  if (v == null) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return Number(v.intValue);
  if (v.doubleValue != null) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values || []).map(anyValue);
  return null;
}
const attrs = (list) => Object.fromEntries((list || []).map((kv) => [kv.key, anyValue(kv.value)]));

// Flattens a decoded request (protobufjs object or parsed OTLP JSON) into plain spans.
function flatten(req, isJson) {
  const spans = [];
  for (const rs of req.resourceSpans || []) {
    const resource = attrs((rs.resource || {}).attributes);
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        spans.push({
          traceId: isJson ? s.traceId : hex(s.traceId),
          spanId: isJson ? s.spanId : hex(s.spanId),
          parentSpanId: isJson ? (s.parentSpanId || '') : hex(s.parentSpanId),
          name: s.name,
          kind: Number(s.kind),
          start: Number(s.startTimeUnixNano) / 1e9,
          end: Number(s.endTimeUnixNano) / 1e9,
          status: s.status ? { code: Number(s.status.code || 0), message: s.status.message || '' } : null,
          attributes: attrs(s.attributes),
          resource,
          scope: (ss.scope || {}).name,
        });
      }
    }
  }
  return spans;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const n = count++;
    let status = n < script.length ? script[n] : then;
    const entry = { n, at: Date.now() / 1000, method: req.method, url: req.url, headers: req.headers, answered: status };
    try {
      let body = Buffer.concat(chunks);
      entry.compressed_size = body.length;
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      entry.size = body.length;
      const isJson = (req.headers['content-type'] || '').includes('json');
      const decoded = isJson ? JSON.parse(body.toString('utf8')) : ExportReq.toObject(ExportReq.decode(body), { longs: String, bytes: Array });
      entry.spans = flatten(decoded, isJson);
    } catch (e) {
      entry.decode_error = String(e);
    }
    if (args['max-spans'] && entry.spans && entry.spans.length > Number(args['max-spans'])) status = entry.answered = 413;
    fs.appendFileSync(args.log, JSON.stringify(entry) + '\n');
    setTimeout(() => {
      const headers = {};
      if (status === 429 && args['retry-after']) headers['retry-after'] = args['retry-after'];
      if (status === 200) {
        const isJson = (req.headers['content-type'] || '').includes('json');
        headers['content-type'] = isJson ? 'application/json' : 'application/x-protobuf';
        res.writeHead(200, headers);
        const partial = args.partial ? { rejectedSpans: Number(args.partial), errorMessage: 'test receiver drops spans' } : null;
        const obj = partial ? { partialSuccess: partial } : {};
        res.end(isJson ? JSON.stringify(partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {})
          : Buffer.from(ExportResp.encode(ExportResp.create(obj)).finish()));
      } else {
        headers['content-type'] = 'application/json';
        res.writeHead(status, headers);
        res.end(JSON.stringify({ code: 3, message: `test receiver answers ${status}` }));
      }
    }, delay);
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(args['port-file'], String(server.address().port)));
