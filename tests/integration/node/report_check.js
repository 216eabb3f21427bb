// report_check.js — opens a `prompt-logger report` file in headless Debian Chromium (driven by
// npm playwright-core) and prints, as one JSON object, what a reader would see: the overview
// numbers and the per-model rows (each as its data-value and as the text shown), the prompt
// versions with their diff text, the ids in the slowest / most expensive / failed tables, every
// request the page made, console errors, the time to a rendered page, and (with --conv TEXT)
// the thread shown after clicking the conversation whose title contains TEXT.
// usage: node report_check.js FILE.html SCREENSHOT.png [--conv TEXT]
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

(async () => {
  const [file, shot] = process.argv.slice(2, 4);
  const ci = process.argv.indexOf('--conv');
  const convText = ci > 0 ? process.argv[ci + 1] : null;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      '--disable-component-update', '--disable-default-apps', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const url = 'file://' + path.resolve(file);
  const out = { requests: [], console_errors: [] };
  page.on('request', (r) => { if (r.url() !== url) out.requests.push(r.url()); });
  // no network: anything but the file itself is refused (and recorded above, failing the test)
  await page.route((u) => u.href !== url, (route) => route.abort());
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') out.console_errors.push(m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => out.console_errors.push('pageerror: ' + e.message));
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 20000 }).catch((e) => { console.log(JSON.stringify(out)); throw e; });
  out.load_ms = Date.now() - t0;
  out.render_ms = await page.evaluate(() => window.__plRenderMs);
  out.ready_ms = await page.evaluate(() => window.__plReadyAt);
  // a number as the page holds it (data-value) and as it shows it (the text a reader sees)
  out.stats = await page.$$eval('[data-stat]', (els) => Object.fromEntries(els.map((e) => [e.dataset.stat,
    { value: e.dataset.value === '' ? null : Number(e.dataset.value), text: (e.querySelector('.v') || e).textContent }])));
  out.groups = await page.$$eval('tr[data-group]', (rows) => rows.map((r) => Object.fromEntries([...r.querySelectorAll('td')].map((td) => [td.dataset.k,
    { value: td.classList.contains('n') ? (td.dataset.value === '' ? null : Number(td.dataset.value)) : td.dataset.value, text: td.textContent }]))));
  out.prompts = await page.$$eval('.pv', (els) => els.map((e) => ({ namespace: e.dataset.ns, version: Number(e.dataset.version), header: e.firstChild.textContent, tools: JSON.parse(e.dataset.tools),
    diff: e.querySelector('[data-diff]') ? [...e.querySelectorAll('[data-diff] > div')].map((d) => d.textContent + '\n').join('') : null,
    system: (e.querySelector('[data-system]') || {}).textContent })));
  out.prompts_note = await page.$$eval('[data-prompts-note]', (els) => els.length ? els[0].textContent : null);
  const ids = (sel) => page.$$eval(sel + ' tr[data-call]', (rows) => rows.map((r) => Number(r.dataset.call)));
  out.slowest = await ids('#slowest');
  out.expensive = await ids('#largest');
  out.failed = await ids('#failed');   // the first page (25 rows), newest first
  out.failed_total = await page.$eval('#failed', (e) => e.textContent.match(/([\d,]+) rows|none/)[0]);
  out.conversations = await page.$$eval('tr[data-conv]', (rows) => rows.length);
  if (convText) {
    const row = page.locator('tr[data-conv]', { hasText: convText }).first();
    await row.click();
    out.thread = await page.$$eval('#thread .msg', (ms) => ms.map((m) => ({ role: m.dataset.role, text: (m.querySelector('.text') || {}).textContent || '',
      tools: [...m.querySelectorAll('.tool')].map((t) => t.textContent) })));
  }
  await page.screenshot({ path: shot, fullPage: true });
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
