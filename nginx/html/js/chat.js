// The chat page: a conversation with one model through POST /v1/chat/completions, streamed.
// Model output is shown with textContent only. Nothing here reads the page's URL: a crafted
// link cannot fill in or send a prompt; only the Send button (or Enter in the box) does.
import { $, clear, download, el } from './dom.js';
import { ApiError, call, request } from './api.js';
import { conversationJson, conversationMarkdown } from './export.js';
import { SseParser } from './sse.js';
import { start } from './shell.js';

// messages: {role, content, reasoning, stats, stopped, error}
const conv = { model: '', settings: {}, messages: [] };
let controller = null;  // the AbortController of the answer being streamed

start(init);

async function init() {
  $('#composer').addEventListener('submit', (ev) => { ev.preventDefault(); send(); });
  $('#prompt').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
  });
  $('#stop').addEventListener('click', stop);
  $('#clear').addEventListener('click', () => { if (!controller) { conv.messages = []; render(); } });
  $('#export-json').addEventListener('click', () => download('conversation.json', 'application/json', conversationJson(snapshot())));
  $('#export-md').addEventListener('click', () => download('conversation.md', 'text/markdown', conversationMarkdown(snapshot())));
  $('#settings').addEventListener('submit', (ev) => ev.preventDefault());
  try {
    const models = await request('GET', '/v1/models');
    const select = clear($('#model'));
    for (const m of models.data || []) select.append(el('option', { value: m.id }, m.id));
    if (!select.options.length) showError('The server lists no models');
  } catch (e) {
    showError(e);
  }
}

function snapshot() {
  conv.model = $('#model').value;
  conv.settings = settings();
  return conv;
}

function settings() {
  const t = Number($('#temperature').value);
  const n = Math.floor(Number($('#max-tokens').value));
  return { temperature: Number.isFinite(t) ? t : 0.7, max_tokens: Number.isFinite(n) && n > 0 ? n : 512 };
}

function showError(e) {
  $('#chat-error').textContent = !e ? '' : (e instanceof ApiError ? e.describe() : String(e.message || e));
}

function send() {
  const box = $('#prompt');
  const text = box.value;
  if (controller || !text.trim()) return;
  box.value = '';
  conv.messages.push({ role: 'user', content: text });
  generate();
}

function stop() {
  if (controller) controller.abort();
}

function regenerate() {
  if (controller) return;
  while (conv.messages.length && conv.messages[conv.messages.length - 1].role === 'assistant') conv.messages.pop();
  if (conv.messages.length) generate();
}

function resend(index, text) {
  if (controller || !text.trim()) return;
  conv.messages.splice(index);
  conv.messages.push({ role: 'user', content: text });
  generate();
}

// Streams one assistant answer for the conversation so far.
async function generate() {
  showError(null);
  const answer = { role: 'assistant', content: '', reasoning: '', stats: null, stopped: false };
  const history = conv.messages.map((m) => ({ role: m.role, content: m.content }));
  conv.messages.push(answer);
  controller = new AbortController();
  setBusy(true);
  render();
  const view = $('#messages').lastElementChild;
  const started = performance.now();
  let first = 0;
  let pieces = 0;
  try {
    const res = await call('POST', '/v1/chat/completions', {
      model: $('#model').value,
      messages: history,
      stream: true,
      stream_options: { include_usage: true },
      ...settings(),
    }, { signal: controller.signal });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const sse = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const data of sse.feed(decoder.decode(value, { stream: true }))) {
        if (data === '[DONE]') continue;
        const ev = JSON.parse(data);
        if (ev.error) throw new ApiError(0, ev.error.message || 'The stream failed', ev.error.code);
        const delta = (ev.choices && ev.choices[0] && ev.choices[0].delta) || {};
        if (delta.content || delta.reasoning_content) {
          if (!first) first = performance.now();
          pieces += 1;
          answer.content += delta.content || '';
          answer.reasoning += delta.reasoning_content || '';
        }
        if (ev.choices && ev.choices[0] && ev.choices[0].finish_reason) answer.finish = ev.choices[0].finish_reason;
        if (ev.usage) answer.usage = ev.usage;
      }
      // Once per read, however many events it held; then let the browser handle input and
      // paint. Reads of already-buffered data resolve at once, so without this a fast stream
      // would hold the page until its end (and Stop would not be seen).
      answer.stats = stats(pieces, answer.usage, started, first);
      updateAnswer(view, answer);
      await yieldToBrowser();
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      answer.stopped = true;
    } else {
      answer.error = true;
      showError(e);
      if (!answer.content && !answer.reasoning) conv.messages.pop();
    }
  } finally {
    answer.stats = stats(pieces, answer.usage, started, first);
    controller = null;
    setBusy(false);
    render();
  }
}

// A macrotask boundary that background tabs do not throttle (setTimeout would be, to 1/s).
function yieldToBrowser() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

// Tokens and tokens/s: the server's count when the stream ends with usage, else one token
// per streamed piece (the server sends one per event).
function stats(pieces, usage, started, first) {
  const tokens = usage && usage.completion_tokens ? usage.completion_tokens : pieces;
  const secs = first ? (performance.now() - first) / 1000 : 0;
  return {
    tokens,
    tokens_per_s: secs > 0 && tokens > 1 ? (tokens - 1) / secs : null,
    first_token_ms: first ? Math.round(first - started) : null,
  };
}

function statsText(m) {
  if (!m.stats) return '';
  const parts = [`${m.stats.tokens} tokens`];
  if (m.stats.tokens_per_s) parts.push(`${m.stats.tokens_per_s.toFixed(1)} tokens/s`);
  if (m.stats.first_token_ms !== null) parts.push(`first token ${m.stats.first_token_ms} ms`);
  if (m.stopped) parts.push('stopped');
  else if (m.finish) parts.push(`finish: ${m.finish}`);
  return parts.join(' · ');
}

function setBusy(busy) {
  $('#send').disabled = busy;
  $('#stop').disabled = !busy;
  $('#clear').disabled = busy;
}

function render() {
  const list = clear($('#messages'));
  conv.messages.forEach((m, i) => list.append(m.role === 'user' ? userView(m, i) : answerView(m, i)));
  list.scrollTop = list.scrollHeight;
}

function userView(m, index) {
  const body = el('div', { class: 'content' }, m.content);
  const item = el('li', { class: 'message user' }, el('div', { class: 'role' }, 'You'), body);
  if (!controller) {
    item.append(el('div', { class: 'actions' }, el('button', { type: 'button', class: 'edit', onclick: () => {
      const box = el('textarea', { class: 'edit-box', rows: 3, value: m.content });
      body.replaceWith(el('div', { class: 'editing' }, box,
        el('button', { type: 'button', class: 'resend', onclick: () => resend(index, box.value) }, 'Resend'), ' ',
        el('button', { type: 'button', onclick: render }, 'Cancel')));
      item.querySelector('.actions').remove();
      box.focus();
    } }, 'Edit')));
  }
  return item;
}

function answerView(m, index) {
  const item = el('li', { class: 'message assistant' }, el('div', { class: 'role' }, 'Assistant'));
  // R1-style reasoning: collapsed above the answer.
  const reasoning = el('details', { class: 'reasoning', hidden: !m.reasoning },
    el('summary', {}, 'Reasoning'), el('div', { class: 'reasoning-text' }));
  item.append(reasoning, el('div', { class: 'content' }), el('div', { class: 'stats' }));
  updateAnswer(item, m);
  const last = index === conv.messages.length - 1;
  if (last && !controller) {
    item.append(el('div', { class: 'actions' }, el('button', { type: 'button', class: 'regenerate', onclick: regenerate }, 'Regenerate')));
  }
  return item;
}

// Updates one answer in place while it streams (text only).
function updateAnswer(item, m) {
  const list = $('#messages');
  const following = list.scrollHeight - list.scrollTop - list.clientHeight < 40;  // the reader is at the end
  item.querySelector('.content').textContent = m.content;
  const details = item.querySelector('.reasoning');
  details.hidden = !m.reasoning;
  item.querySelector('.reasoning-text').textContent = m.reasoning;
  item.querySelector('.stats').textContent = statsText(m);
  if (following) list.scrollTop = list.scrollHeight;
}
