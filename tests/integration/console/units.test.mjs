// The console's DOM-free modules under node:test (console_test.sh copies them beside this file
// into a folder whose package.json says "type": "module"): the SSE parser and the exports.
import assert from 'node:assert/strict';
import test from 'node:test';
import { SseParser } from './units/sse.js';
import { conversationJson, conversationMarkdown } from './units/export.js';
import { call } from './units/api.js';

test('SSE events split across chunks and line endings are reassembled', () => {
  const p = new SseParser();
  assert.deepEqual(p.feed('data: {"a":'), []);
  assert.deepEqual(p.feed('1}\n\ndata: x\r'), ['{"a":1}']);
  assert.deepEqual(p.feed('\n\r\n: comment\n\ndata:y\ndata: z\n\n'), ['x', 'y\nz']);
  assert.deepEqual(p.feed('data: [DONE]\n\n'), ['[DONE]']);
});

test('an event without data lines yields nothing', () => {
  const p = new SseParser();
  assert.deepEqual(p.feed('event: ping\nid: 3\n\n'), []);
});

const conv = {
  model: 'm',
  settings: { temperature: 0.5, max_tokens: 9 },
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'use `x` <b>', reasoning: 'think\nmore', stopped: true, stats: { tokens: 3 } },
  ],
};

test('JSON export keeps roles, content, reasoning and the stop', () => {
  const j = JSON.parse(conversationJson(conv));
  assert.equal(j.model, 'm');
  assert.deepEqual(j.settings, { temperature: 0.5, max_tokens: 9 });
  assert.deepEqual(j.messages[0], { role: 'user', content: 'hi' });
  assert.equal(j.messages[1].reasoning_content, 'think\nmore');
  assert.equal(j.messages[1].stopped, true);
});

test('Markdown export quotes reasoning and fences text holding markup', () => {
  const md = conversationMarkdown(conv);
  assert.match(md, /## User\n\nhi\n/);
  assert.match(md, /> \*\*Reasoning\*\*\n>\n> think\n> more\n/);
  assert.match(md, /```text\nuse `x` <b>\n```/);
});

// The keys page's one-time code (issue 16, TOTP): sent as X-Deepgate-OTP only when given.
test('call() sends X-Deepgate-OTP when a code is given, and only then', async () => {
  const seen = [];
  globalThis.fetch = async (path, init) => {
    seen.push(init.headers);
    return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  await call('POST', '/admin/keys', { name: 'n' }, { token: 't', otp: '123456' });
  await call('POST', '/admin/keys', { name: 'n' }, { token: 't' });
  assert.equal(seen[0]['X-Deepgate-OTP'], '123456');
  assert.equal(seen[0].Authorization, 'Bearer t');
  assert.equal('X-Deepgate-OTP' in seen[1], false);
});
