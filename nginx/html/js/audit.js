// Audit and usage: GET /admin/audit (a filterable, paged table) and usage per hour by key and
// by model (/admin/usage for admin and monitor; a developer key sees /me/usage, its own).
import { $, clear, el, formatTime } from './dom.js';
import { ApiError, request } from './api.js';
import { barChart } from './chart.js';
import { start } from './shell.js';

let nextCursor = null;

start(init);

function describe(e) {
  return e instanceof ApiError ? e.describe() : String(e.message || e);
}

async function init() {
  $('#usage-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadUsage(); });
  $('#audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadAudit(false); });
  $('#audit-older').addEventListener('click', () => loadAudit(true));
  await Promise.all([loadUsage(), loadAudit(false)]);
}

// --- usage ---

async function loadUsage() {
  const span = Number($('#usage-window').value);
  const now = Math.floor(Date.now() / 1000);
  const q = `since=${now - span}&until=${now + 1}`;
  $('#usage-error').textContent = '';
  let usage;
  try {
    usage = await request('GET', `/admin/usage?${q}`);
    $('#usage-scope').textContent = '(all keys)';
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) { $('#usage-error').textContent = describe(e); return; }
    try {
      usage = await request('GET', `/me/usage?${q}`);
      $('#usage-scope').textContent = '(your key only)';
    } catch (e2) {
      $('#usage-error').textContent = describe(e2);
      return;
    }
  }
  if (usage.truncated) $('#usage-error').textContent = 'The window holds more entries than one scan reads: totals are partial.';
  renderUsage(usage);
}

function renderUsage(usage) {
  const first = Math.floor(usage.since / 3600) * 3600;
  const hours = [];
  for (let h = first; h < usage.until; h += 3600) hours.push(h);
  const requests = new Map(hours.map((h) => [h, 0]));
  const tokens = new Map(hours.map((h) => [h, 0]));
  const byKey = new Map();
  const byModel = new Map();
  for (const b of usage.data) {
    requests.set(b.hour, (requests.get(b.hour) || 0) + b.requests);
    tokens.set(b.hour, (tokens.get(b.hour) || 0) + b.prompt_tokens + b.completion_tokens);
    add(byKey, b.key_id, b);
    add(byModel, b.model || '(none)', b);
  }
  barChart($('#chart-requests'), hours.map((h) => ({ hour: h, value: requests.get(h) })), 'Requests per hour');
  barChart($('#chart-tokens'), hours.map((h) => ({ hour: h, value: tokens.get(h) })), 'Tokens per hour');
  fillTotals($('#usage-by-key tbody'), byKey);
  fillTotals($('#usage-by-model tbody'), byModel);
}

function add(map, name, b) {
  const t = map.get(name) || { requests: 0, tokens: 0, rate_limited: 0, errors: 0 };
  t.requests += b.requests;
  t.tokens += b.prompt_tokens + b.completion_tokens;
  t.rate_limited += b.rate_limited;
  t.errors += b.errors;
  map.set(name, t);
}

function fillTotals(body, map) {
  clear(body);
  const rows = [...map.entries()].sort((a, b) => b[1].requests - a[1].requests);
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: 5, class: 'hint' }, 'No requests in this window')));
  for (const [name, t] of rows) {
    body.append(el('tr', {}, el('td', { class: 'mono' }, name), el('td', {}, t.requests), el('td', {}, t.tokens),
      el('td', {}, t.rate_limited), el('td', {}, t.errors)));
  }
}

// --- audit trail ---

function auditQuery() {
  const p = new URLSearchParams();
  const since = $('#audit-since').value;
  const until = $('#audit-until').value;
  if (since) p.set('since', String(Math.floor(new Date(since).getTime() / 1000)));
  if (until) p.set('until', String(Math.floor(new Date(until).getTime() / 1000)));
  if ($('#audit-event').value) p.set('event', $('#audit-event').value);
  if ($('#audit-key').value.trim()) p.set('key', $('#audit-key').value.trim());
  p.set('limit', $('#audit-limit').value);
  return p;
}

async function loadAudit(older) {
  const p = auditQuery();
  if (older && nextCursor) p.set('cursor', nextCursor);
  $('#audit-error').textContent = '';
  let page;
  try {
    page = await request('GET', `/admin/audit?${p}`);
  } catch (e) {
    $('#audit-error').textContent = e instanceof ApiError && e.status === 403
      ? `The audit trail needs an admin or monitor credential. The server said: ${e.describe()}`
      : describe(e);
    $('#audit-older').hidden = true;
    return;
  }
  const body = $('#audit tbody');
  if (!older) clear(body);
  for (const entry of page.data) body.append(auditRow(entry));
  if (!body.rows.length) body.append(el('tr', {}, el('td', { colspan: 11, class: 'hint' }, 'No entries match')));
  nextCursor = page.next_cursor;
  $('#audit-older').hidden = !nextCursor;
}

function auditRow(entry) {
  const f = entry.fields;
  const tokens = f.PROMPT_TOKENS !== undefined ? `${f.PROMPT_TOKENS} + ${f.COMPLETION_TOKENS || 0}` : '';
  const status = Number(f.STATUS || 0);
  return el('tr', { class: `event-${f.DEEPGATE_EVENT}${status >= 400 ? ' failed' : ''}`, 'data-event': f.DEEPGATE_EVENT, 'data-key-id': f.KEY_ID || '' },
    el('td', { class: 'time' }, formatTime(entry.time)),
    el('td', {}, f.DEEPGATE_EVENT),
    el('td', { class: 'mono' }, f.KEY_ID || ''),
    el('td', { class: 'mono' }, f.SUBJECT || ''),
    el('td', {}, f.ROLE || ''),
    el('td', {}, f.STATUS || ''),
    el('td', {}, f.METHOD ? `${f.METHOD} ${f.PATH || ''}` : (f.MESSAGE || '')),
    el('td', {}, f.MODEL || ''),
    el('td', {}, tokens),
    el('td', {}, [f.CLIENT_IP, f.CLIENT_COUNTRY].filter(Boolean).join(' ')),
    el('td', {}, f.REASON || ''));
}
