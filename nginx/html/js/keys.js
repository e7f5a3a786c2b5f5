// The keys page (admin role): list, create (the key is shown once), revoke, rotate with an
// overlap — over /admin/keys. The API decides who may do this; the page only reflects a 403.
import { $, clear, el, formatTime } from './dom.js';
import { ApiError, request } from './api.js';
import { start } from './shell.js';

const EXPIRING_S = 14 * 86400;  // the highlight window (the server's expiry_warning_days default)

start(init);

function showError(e) {
  $('#keys-error').textContent = !e ? '' : (e instanceof ApiError ? e.describe() : String(e.message || e));
}

// The one-time code field (keys with a TOTP second factor): sent with each change when
// filled, then cleared — a code is accepted once.
function otpOpts() {
  const field = $('#otp');
  const otp = field.value.trim();
  field.value = '';
  return otp ? { otp } : {};
}

async function init() {
  $('#create').addEventListener('submit', (ev) => { ev.preventDefault(); create(); });
  $('#show-inactive').addEventListener('change', load);
  await load();
}

async function load() {
  let keys;
  try {
    keys = (await request('GET', '/admin/keys')).data || [];
  } catch (e) {
    $('#keys-ui').hidden = true;
    if (e instanceof ApiError && e.status === 403) {
      showError(`This page needs an admin credential. The server said: ${e.describe()}`);
    } else {
      showError(e);
    }
    return;
  }
  showError(null);
  $('#keys-ui').hidden = false;
  const all = $('#show-inactive').checked;
  const body = clear($('#keys tbody'));
  const now = Date.now() / 1000;
  for (const k of keys) {
    if (!all && (k.state === 'revoked' || k.state === 'expired' || k.state === 'rotated')) continue;
    body.append(row(k, now));
  }
}

function row(k, now) {
  const live = k.state === 'active' || k.state === 'rotating';
  const expiring = live && k.expires_at - now < EXPIRING_S;
  const actions = el('td', { class: 'actions' });
  if (live) actions.append(revokeButton(k), ' ', rotateControl(k));
  return el('tr', { class: expiring ? 'expiring' : null, 'data-key-id': k.id },
    el('td', {}, k.name),
    el('td', { class: 'mono' }, k.id),
    el('td', {}, k.role),
    el('td', {}, k.subject || '—'),
    el('td', {}, `${k.requests_per_min} / ${k.tokens_per_min} / ${k.max_concurrent}`),
    el('td', {}, (k.models || []).length ? k.models.join(', ') : 'all'),
    el('td', { class: 'time' }, formatTime(k.created_at, false)),
    el('td', { class: 'time expires' }, formatTime(k.expires_at, false), expiring ? el('div', { class: 'badge' }, 'expiring soon') : null),
    el('td', { class: 'time' }, k.last_used_at ? formatTime(k.last_used_at, false) : 'never'),
    el('td', { class: `state state-${k.state}` }, k.state),
    actions);
}

// Two clicks: "Revoke" arms it, "Confirm revoke" does it.
function revokeButton(k) {
  const b = el('button', { type: 'button', class: 'revoke', onclick: async () => {
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = 'Confirm revoke';
      return;
    }
    try {
      await request('POST', `/admin/keys/${encodeURIComponent(k.id)}/revoke`, undefined, otpOpts());
      await load();
    } catch (e) { showError(e); }
  } }, 'Revoke');
  return b;
}

function rotateControl(k) {
  const overlap = el('select', { class: 'overlap', 'aria-label': 'rotation overlap', title: 'How long the old key keeps working' },
    ['1h', '1d', '7d', '30d'].map((d) => el('option', { value: d }, d)));
  overlap.value = '7d';
  const b = el('button', { type: 'button', class: 'rotate', onclick: async () => {
    try {
      const issued = await request('POST', `/admin/keys/${encodeURIComponent(k.id)}/rotate`, { overlap: overlap.value }, otpOpts());
      showNewKey(issued, `Rotated ${k.name}: the old key keeps working for ${overlap.value}`);
      await load();
    } catch (e) { showError(e); }
  } }, 'Rotate');
  return el('span', { class: 'rotate-control' }, overlap, ' ', b);
}

async function create() {
  const spec = {
    name: $('#create-name').value.trim(),
    role: $('#create-role').value.trim(),
    expires_in: $('#create-expires').value.trim(),
    requests_per_min: Number($('#create-rpm').value),
    tokens_per_min: Number($('#create-tpm').value),
    max_concurrent: Number($('#create-concurrent').value),
  };
  const models = $('#create-models').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (models.length) spec.models = models;
  try {
    const issued = await request('POST', '/admin/keys', spec, otpOpts());
    showNewKey(issued, `Created ${issued.name} (${issued.role})`);
    $('#create-name').value = '';
    await load();
  } catch (e) { showError(e); }
}

// The new key, shown this once: a read-only field, a copy button, and a dismiss that wipes it.
function showNewKey(issued, title) {
  showError(null);
  const panel = clear($('#new-key'));
  const field = el('input', { id: 'new-key-value', readonly: true, value: issued.key, size: 60, spellcheck: 'false' });
  const status = el('span', { class: 'hint', id: 'copy-status' });
  panel.append(
    el('h2', {}, title),
    el('p', {}, 'This is the only time the key is shown. Copy it now and store it safely.'),
    field, ' ',
    el('button', { type: 'button', id: 'copy-key', onclick: async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = 'Copied.';
      } catch {
        field.select();
        status.textContent = 'Select and copy it by hand (the clipboard is not available here).';
      }
    } }, 'Copy'), ' ',
    el('button', { type: 'button', id: 'dismiss-key', onclick: () => { clear(panel); panel.hidden = true; } }, 'Done'), ' ',
    status);
  panel.hidden = false;
}
