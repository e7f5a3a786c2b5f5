// Drives the web console in Debian's chromium (headless, over the DevTools protocol with
// puppeteer-core) against a real stack: nginx + deepgate-fcgi + journald.
//   node console_check.mjs URL OUT_DIR   (keys in env: DG_ADMIN_KEY, DG_API_KEY, DG_LIMITED_KEY)
// Prints "ok   ..." / "FAIL ..." per check; exits 1 when any check failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [base, outDir] = process.argv.slice(2);
const adminKey = process.env.DG_ADMIN_KEY;
const devKey = process.env.DG_API_KEY;
const limitedKey = process.env.DG_LIMITED_KEY;
const consoleUrl = `${base}/console/`;
let fails = 0;

function check(name, ok, detail = '') {
  console.log(ok ? `ok   ${name}` : `FAIL ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) fails += 1;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The engine's active sequences, from /metrics (monitor/admin; loopback only in nginx).
async function activeSequences() {
  const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${adminKey}` } });
  const text = await res.text();
  const m = text.match(/^deepgate_engine_active_sequences (\d+)/m);
  return m ? Number(m[1]) : -1;
}

// --- 1. headers of the console, asserted on the wire ---
async function checkHeaders() {
  const res = await fetch(consoleUrl);
  const csp = res.headers.get('content-security-policy') || '';
  check('console page answers 200', res.status === 200, String(res.status));
  check('CSP: scripts from self only', /(^|;)\s*script-src 'self'\s*(;|$)/.test(csp), csp);
  check('CSP: no unsafe-inline, no unsafe-eval', !/unsafe-inline|unsafe-eval/.test(csp), csp);
  check('CSP: default-src none, connect-src self', /default-src 'none'/.test(csp) && /connect-src 'self'/.test(csp), csp);
  check("CSP: frame-ancestors 'none'", /frame-ancestors 'none'/.test(csp), csp);
  check('CSP: trusted types required', /require-trusted-types-for 'script'/.test(csp), csp);
  check('X-Frame-Options DENY', res.headers.get('x-frame-options') === 'DENY');
  check('Referrer-Policy no-referrer', res.headers.get('referrer-policy') === 'no-referrer');
  check('X-Content-Type-Options nosniff', res.headers.get('x-content-type-options') === 'nosniff');
  check('HSTS kept on console files', /max-age=\d+/.test(res.headers.get('strict-transport-security') || ''));
  const html = await res.text();
  check('no inline script or style in the HTML', !/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i.test(html));
  const js = await fetch(`${consoleUrl}js/chat.js`);
  check('modules served as JavaScript', /^text\/javascript/.test(js.headers.get('content-type') || ''), js.headers.get('content-type'));
  const root = await fetch(`${base}/`, { redirect: 'manual' });
  check('/ redirects to the console', root.status === 302 && /\/console\/$/.test(root.headers.get('location') || ''));
}

// A page that records every request it makes and every console error (CSP reports there).
async function newPage(browser, log) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('request', (r) => log.requests.push(`${r.method()} ${r.url()}`));
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  return page;
}

async function signInWithKey(page, key) {
  await page.goto(consoleUrl, { waitUntil: 'networkidle0' });
  if (await page.$('#signout')) {
    await page.click('#signout');
    await page.waitForSelector('#signin-key', { visible: true });
  }
  await page.waitForSelector('#signin-key', { visible: true });
  await page.type('#signin-key', key);
  await page.click('#signin-key-form button');
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const lastAnswer = '#messages li.assistant:last-child';

// Waits until the last answer's stats match `re` (default: it finished); on a timeout the
// error says what the page showed instead.
async function waitAnswer(page, re = /finish:/) {
  try {
    await page.waitForFunction((s, src) => new RegExp(src).test(document.querySelector(s)?.querySelector('.stats').textContent || ''),
      { timeout: 30000 }, lastAnswer, re.source);
  } catch (e) {
    const seen = await page.evaluate((s) => ({
      error: document.querySelector('#chat-error')?.textContent,
      stats: document.querySelector(s)?.querySelector('.stats')?.textContent,
      messages: document.querySelectorAll('#messages li').length,
    }), lastAnswer);
    throw new Error(`${e.message}; page showed ${JSON.stringify(seen)}`);
  }
}

async function chat(browser, log) {
  const page = await newPage(browser, log);
  // A wrong key: the API's 401 message, shown as text.
  await page.goto(consoleUrl, { waitUntil: 'networkidle0' });
  await page.type('#signin-key', 'dg_0000000000000000_wrong');
  await page.click('#signin-key-form button');
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.includes('401'));
  check('a bad key shows the API 401 message', (await text(page, '#signin-error')).includes('401'));
  check('nothing kept in localStorage or cookies', await page.evaluate(() => localStorage.length === 0 && document.cookie === ''));

  await page.$eval('#signin-key', (e) => { e.value = ''; });
  await signInWithKey(page, devKey);
  await page.waitForFunction(() => document.querySelector('#model option'));
  check('model picker lists the demo model', (await page.$$eval('#model option', (o) => o.map((x) => x.value))).includes('deepgate-demo'));
  check('the key is in sessionStorage only', await page.evaluate(() => localStorage.length === 0 && document.cookie === '' &&
    Object.keys(sessionStorage).length === 1));

  // --- streaming: the answer grows in place, then stats with tokens/s ---
  // Partial text on screen before the stream ended = rendered as it arrived.
  await page.evaluate(() => {
    window.__partial = 0;
    new MutationObserver(() => {
      const a = document.querySelector('#messages li.assistant:last-child');
      if (a && a.querySelector('.content').textContent.length > 0 && !/finish:/.test(a.querySelector('.stats').textContent)) {
        window.__partial += 1;
      }
    }).observe(document.querySelector('#messages'), { subtree: true, characterData: true, childList: true });
  });
  // Temperature 0: the random-weight demo model then loops instead of ending after a few
  // tokens, so an answer runs to max_tokens (at 0.7 it mostly stops within ten).
  // 1800 tokens: the tiny model decodes 1500-3500 tokens/s, and a 400-token answer (0.1-0.3 s)
  // once reached the page in a single read, with no partial render to see.
  await page.$eval('#temperature', (e) => { e.value = '0'; });
  await page.$eval('#max-tokens', (e) => { e.value = '1800'; });
  await page.type('#prompt', 'Hello, who are you?');
  await page.click('#send');
  await waitAnswer(page);
  const stats1 = await text(page, `${lastAnswer} .stats`);
  check('streamed answer has text', (await text(page, `${lastAnswer} .content`)).length > 0);
  check('stats show tokens and tokens/s', /\d+ tokens · [\d.]+ tokens\/s/.test(stats1), stats1);
  check('the answer was shown while it streamed (partial text before the end)', (await page.evaluate(() => window.__partial)) >= 2);

  // --- stop a long answer mid-way: the engine frees the sequence ---
  // 1900 tokens: near the demo model's 2048-token context. The tiny model decodes 1500-3500
  // tokens/s, so the whole answer can take under a second: Stop is clicked at the first
  // streamed text, and a try whose answer ended before the click reached the worker is
  // repeated (up to three), so the check judges a Stop that landed mid-stream.
  await page.$eval('#max-tokens', (e) => { e.value = '1900'; });
  let during = -1, after = -1, stopped = '', tries = 0;
  for (tries = 1; tries <= 3; tries++) {
    // A new conversation: the last answer's tokens + 1900 would not fit the context.
    await page.click('#clear');
    await page.type('#prompt', 'Tell me a very long story.');
    await page.click('#send');
    await page.waitForFunction((s) => (document.querySelector(s)?.querySelector('.content').textContent.length || 0) > 0,
      { timeout: 30000, polling: 'mutation' }, lastAnswer);
    during = await activeSequences();
    await page.click('#stop');
    after = -1;
    for (let i = 0; i < 40; i++) {
      after = await activeSequences();
      if (after === 0) break;
      await sleep(100);
    }
    stopped = await text(page, `${lastAnswer} .stats`);
    if (/stopped/.test(stopped) && !/finish:/.test(stopped)) break;
    console.log(`     (try ${tries}: the answer ended before Stop arrived: ${stopped})`);
  }
  check('a sequence was active while streaming', during >= 1, `active=${during}`);
  check('Stop frees the engine sequence (active drops to 0)', after === 0, `active=${after}`);
  check('the stopped answer says so and is short of max_tokens', /stopped/.test(stopped) && !/finish:/.test(stopped) &&
    Number(stopped.split(' ')[0]) < 1900, stopped);
  console.log(`     (stopped after ${stopped}; try ${Math.min(tries, 3)})`);

  // --- regenerate: the last answer is replaced ---
  await page.$eval('#temperature', (e) => { e.value = '0.7'; });
  await page.$eval('#max-tokens', (e) => { e.value = '30'; });
  const before = await page.$$eval('#messages li', (l) => l.length);
  await page.click(`${lastAnswer} button.regenerate`);
  await waitAnswer(page);
  check('regenerate replaces the last answer', (await page.$$eval('#messages li', (l) => l.length)) === before);

  // --- edit and resend the first message: the conversation restarts from it ---
  await page.click('#messages li.user:first-child button.edit');
  await page.$eval('#messages li.user:first-child textarea', (e) => { e.value = 'Edited question'; });
  await page.click('#messages li.user:first-child button.resend');
  await page.waitForFunction(() => document.querySelectorAll('#messages li').length === 2 &&
    /finish:/.test(document.querySelector('#messages li.assistant .stats')?.textContent || ''), { timeout: 30000 });
  check('edit-and-resend keeps only the edited turn', (await text(page, '#messages li.user .content')) === 'Edited question');

  // --- model output with markup is text: the test route echoes it as an R1-style answer ---
  await page.setRequestInterception(true);
  const redirect = (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/v1/chat/completions')) r.continue({ url: `${base}/_test/chat/echo` });
    else r.continue();
  };
  page.on('request', redirect);
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
  await page.$eval('#prompt', (e, v) => { e.value = v; }, evil);
  await page.click('#send');
  await waitAnswer(page, /finish: stop/);
  page.off('request', redirect);
  await page.setRequestInterception(false);
  check('markup in model output is shown as text', (await text(page, `${lastAnswer} .content`)) === evil);
  check('no element was made from model output', await page.evaluate(() =>
    !document.querySelector('#messages img, #messages script:not([src]), #messages b') && !window.__pwned));
  const reasoning = await page.$eval(`${lastAnswer} details.reasoning`, (d) => ({ hidden: d.hidden, open: d.open, text: d.textContent }));
  check('reasoning is shown collapsed above the answer', !reasoning.hidden && !reasoning.open && reasoning.text.includes('Echoing: <img'));
  await page.screenshot({ path: path.join(outDir, 'console-chat.png') });

  // --- export as JSON and Markdown ---
  const dl = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-dl-'));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
  await page.click('#export-json');
  await page.click('#export-md');
  for (let i = 0; i < 50 && !(fs.existsSync(path.join(dl, 'conversation.json')) && fs.existsSync(path.join(dl, 'conversation.md'))); i++) await sleep(100);
  let exported = null;
  try { exported = JSON.parse(fs.readFileSync(path.join(dl, 'conversation.json'), 'utf8')); } catch { /* checked below */ }
  check('export JSON holds the conversation', exported && exported.messages.length === 4 && exported.messages[3].content === evil &&
    exported.messages[3].reasoning_content.startsWith('Echoing:'));
  const md = fs.existsSync(path.join(dl, 'conversation.md')) ? fs.readFileSync(path.join(dl, 'conversation.md'), 'utf8') : '';
  check('export Markdown holds the conversation', md.includes('## User') && md.includes('Edited question') && md.includes('> **Reasoning**'));
  fs.rmSync(dl, { recursive: true, force: true });

  // --- a crafted link sends nothing ---
  const mark = log.requests.length;
  await page.goto(`${consoleUrl}?prompt=${encodeURIComponent('Say pwned')}&send=1&q=x#prompt=hi&autosend=true`, { waitUntil: 'networkidle0' });
  await sleep(1500);
  const sent = log.requests.slice(mark).filter((r) => r.startsWith('POST'));
  check('a crafted URL makes the console send nothing', sent.length === 0, sent.join(', '));
  check('a crafted URL fills in no prompt', (await page.$eval('#prompt', (e) => e.value)) === '');
  await page.close();
}

async function rateLimited(browser, log) {
  const page = await newPage(browser, log);
  await signInWithKey(page, limitedKey);
  await page.waitForSelector('#prompt', { visible: true });
  await page.$eval('#max-tokens', (e) => { e.value = '5'; });
  for (let i = 0; i < 3 && !(await text(page, '#chat-error')).includes('429'); i++) {
    await page.type('#prompt', 'Hi');
    await page.click('#send');
    await page.waitForFunction(() => !document.querySelector('#send').disabled, { timeout: 30000 });
  }
  const err = await text(page, '#chat-error');
  check('a rate-limited key sees the 429 message with the retry time', /^429: .+ — retry in \d+ s$/.test(err), err);
  await page.close();
}

async function keysAsAdmin(browser, log) {
  const page = await newPage(browser, log);
  // The admin signs in with the OAuth client-credentials exchange: client id = key id.
  await page.goto(consoleUrl, { waitUntil: 'networkidle0' });
  await page.type('#signin-client-id', adminKey.split('_')[1]);
  await page.type('#signin-client-secret', adminKey);
  await page.click('#signin-oauth-form button');
  await page.waitForSelector('#signout');
  check('OAuth sign-in keeps a token, not the secret', await page.evaluate((k) =>
    !Object.values(sessionStorage).some((v) => v.includes(k)) && Object.values(sessionStorage)[0].includes('"oauth"'), adminKey));
  await page.goto(`${consoleUrl}keys.html`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#keys tbody tr');
  const devId = devKey.split('_')[1];
  const devLastUse = await page.$eval(`tr[data-key-id="${devId}"] td:nth-child(9)`, (e) => e.textContent);
  check('keys list shows last use (from the audit trail)', /^\d{4}-\d\d-\d\d /.test(devLastUse), devLastUse);

  // Create: shown once, with a copy button.
  const create = async (name, expires) => {
    await page.$eval('#create-name', (e, v) => { e.value = v; }, name);
    await page.$eval('#create-expires', (e, v) => { e.value = v; }, expires);
    await page.click('#create-submit');
    await page.waitForFunction((n) => document.querySelector('#new-key h2')?.textContent.includes(n), {}, name);
    return page.$eval('#new-key-value', (e) => e.value);
  };
  const made = await create('console-made', '90d');
  check('a created key is shown once', /^dg_[0-9a-f]{16}_/.test(made));
  await page.click('#copy-key');
  await page.waitForFunction(() => document.querySelector('#copy-status').textContent !== '');
  await page.click('#dismiss-key');
  check('dismissing removes the shown key', (await page.$('#new-key-value')) === null);
  const madeId = made.split('_')[1];
  await page.waitForSelector(`tr[data-key-id="${madeId}"]`);
  // The one-time code field (keys with TOTP): sent as X-Deepgate-OTP with the next change,
  // then cleared, since a code is accepted once. This admin key has no TOTP: the server ignores it.
  const otpSent = [];
  const onRequest = (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/admin/keys')) otpSent.push(r.headers()['x-deepgate-otp'] || '');
  };
  page.on('request', onRequest);
  await page.type('#otp', '123456');
  const soon = await create('console-expiring', '3d');
  page.off('request', onRequest);
  check('the one-time code goes out as X-Deepgate-OTP', otpSent[0] === '123456', otpSent.join(','));
  check('... and the field is cleared after use', (await page.$eval('#otp', (e) => e.value)) === '');
  await page.click('#dismiss-key');
  const soonId = soon.split('_')[1];
  await page.waitForSelector(`tr[data-key-id="${soonId}"]`);
  check('a key expiring soon is highlighted', await page.$eval(`tr[data-key-id="${soonId}"]`, (r) => r.classList.contains('expiring')));
  check('a 90-day key is not', !(await page.$eval(`tr[data-key-id="${madeId}"]`, (r) => r.classList.contains('expiring'))));
  await page.screenshot({ path: path.join(outDir, 'console-keys.png'), fullPage: true });

  // Rotate with overlap: a new key, the old one "rotating".
  await page.select(`tr[data-key-id="${soonId}"] select.overlap`, '1d');
  await page.click(`tr[data-key-id="${soonId}"] button.rotate`);
  await page.waitForFunction(() => document.querySelector('#new-key h2')?.textContent.includes('Rotated'));
  const rotated = await page.$eval('#new-key-value', (e) => e.value);
  await page.click('#dismiss-key');
  await page.waitForFunction((id) => document.querySelector(`tr[data-key-id="${id}"] .state`)?.textContent === 'rotating', {}, soonId);
  check('rotate gives a new key and keeps the old one for the overlap', /^dg_/.test(rotated) && rotated !== soon);

  // Revoke: two clicks; the key leaves the active list and its calls fail at once.
  await page.click(`tr[data-key-id="${madeId}"] button.revoke`);
  await page.click(`tr[data-key-id="${madeId}"] button.revoke`);
  await page.waitForFunction((id) => !document.querySelector(`tr[data-key-id="${id}"]`), {}, madeId);
  const revokedCall = await fetch(`${base}/v1/models`, { headers: { Authorization: `Bearer ${made}` } });
  check('a revoked key is refused by the API', revokedCall.status === 401, String(revokedCall.status));

  // The revocation in the audit table.
  await page.goto(`${consoleUrl}audit.html`, { waitUntil: 'networkidle0' });
  await page.select('#audit-event', 'key_revoked');
  await page.click('#audit-form button');
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await sleep(200);
    found = (await page.$(`#audit tr[data-event="key_revoked"][data-key-id="${madeId}"]`)) !== null;
    if (!found) await page.click('#audit-form button');
  }
  check('the revocation shows in the audit table', found);
  await page.select('#audit-event', '');
  await page.click('#audit-form button');
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length > 5);
  check('usage shows all keys for the admin', (await text(page, '#usage-scope')) === '(all keys)' &&
    (await page.$$('#usage-by-key tbody tr')).length >= 2);
  check('usage charts are drawn (SVG bars)', (await page.$$('#chart-requests svg rect.bar')).length >= 24);
  await page.screenshot({ path: path.join(outDir, 'console-audit.png'), fullPage: true });
  await page.close();
}

async function developerRefused(browser, log) {
  const page = await newPage(browser, log);
  await signInWithKey(page, devKey);
  await page.waitForSelector('#signout');
  await page.goto(`${consoleUrl}keys.html`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('#keys-error').textContent.includes('403'));
  const err = await text(page, '#keys-error');
  check('a developer key is refused the keys page (API 403 shown)', /admin credential.*403/.test(err), err);
  check('the keys UI stays hidden', await page.$eval('#keys-ui', (e) => e.hidden));
  await page.screenshot({ path: path.join(outDir, 'console-keys-refused.png') });
  await page.goto(`${consoleUrl}audit.html`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('#audit-error').textContent.includes('403') &&
    document.querySelector('#usage-scope').textContent !== '');
  check('a developer sees only its own usage', (await text(page, '#usage-scope')) === '(your key only)' &&
    (await page.$$eval('#usage-by-key tbody td.mono', (t) => t.map((x) => x.textContent))).every((k) => k === devKey.split('_')[1]));
  await page.close();
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.DG_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  acceptInsecureCerts: true,  // the stack's self-signed certificate
  userDataDir,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const log = { requests: [], errors: [] };
try {
  await checkHeaders();
  for (const step of [chat, rateLimited, keysAsAdmin, developerRefused]) {
    try {
      await step(browser, log);
    } catch (e) {
      check(`${step.name} ran to the end`, false, e.stack || String(e));
    }
  }
  const csp = log.errors.filter((e) => /Content Security Policy|Trusted Type/i.test(e));
  check('no CSP or Trusted Types violation on any page', csp.length === 0, csp.join(' | '));
  const offsite = log.requests.filter((r) => !r.split(' ')[1].startsWith(base) && !/^(data|blob):/.test(r.split(' ')[1]));
  check('every request went to the console\'s own origin', offsite.length === 0, offsite.join(', '));
} finally {
  await browser.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(fails ? 1 : 0);
