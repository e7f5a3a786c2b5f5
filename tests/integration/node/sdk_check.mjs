// Drives a deepgate stack with the official OpenAI Node SDK, unmodified.
// Usage: node sdk_check.mjs URL MODEL_ID. TLS trust comes from NODE_EXTRA_CA_CERTS (the stack's
// self-signed cert), so certificate and hostname checks stay on. Prints ok/FAIL lines, exits 1
// when any check failed.
import OpenAI from 'openai';

const [url, model] = process.argv.slice(2);
// maxRetries 0: a 4xx/5xx must surface as the SDK's error, not be retried away.
const client = new OpenAI({ apiKey: process.env.DG_API_KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60_000 });
let fails = 0;

function expect(name, want, got) {
  const w = JSON.stringify(want), g = JSON.stringify(got);
  if (w === g) console.log(`ok   ${name}`);
  else { console.log(`FAIL ${name}: expected [${w}], got [${g}]`); fails++; }
}

// Runs one group of checks; an unexpected throw is one failure, and the next group still runs.
async function group(name, fn) {
  try { await fn(); } catch (e) { console.log(`FAIL ${name}: threw ${e?.constructor?.name}: ${e?.message}`); fails++; }
}

const chat = (content, extra = {}) => ({
  model, messages: [{ role: 'user', content }], temperature: 0, max_tokens: 24, ...extra,
});

await group('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  expect('models.list lists the demo model', true, ids.includes(model));
  const one = await client.models.retrieve(model);
  expect('models.retrieve id', model, one.id);
});

let greedy = null;
await group('chat (whole)', async () => {
  const r = await client.chat.completions.create(chat('Hello there'));
  expect('chat object', 'chat.completion', r.object);
  expect('chat model', model, r.model);
  expect('chat role', 'assistant', r.choices[0].message.role);
  expect('content is a string', 'string', typeof r.choices[0].message.content);
  expect('finish reason', true, ['stop', 'length'].includes(r.choices[0].finish_reason));
  const u = r.usage;
  expect('usage numbers', true, Number.isInteger(u.prompt_tokens) && u.prompt_tokens > 0 &&
    Number.isInteger(u.completion_tokens) && u.completion_tokens > 0 && u.completion_tokens <= 24);
  expect('usage total', u.prompt_tokens + u.completion_tokens, u.total_tokens);
  greedy = r.choices[0].message.content;
});

await group('chat (stream)', async () => {
  const stream = await client.chat.completions.create(
    chat('Hello there', { stream: true, stream_options: { include_usage: true } }));
  let text = '', chunks = 0, usage = null, finish = null, role = null, objects = new Set();
  for await (const c of stream) {
    chunks++;
    objects.add(c.object);
    if (c.usage) usage = c.usage;
    if (!c.choices.length) continue;
    role ??= c.choices[0].delta.role ?? null;
    text += c.choices[0].delta.content ?? '';
    finish = c.choices[0].finish_reason ?? finish;
  }
  expect('stream has chunks', true, chunks > 2);
  expect('every chunk is a chat.completion.chunk', ['chat.completion.chunk'], [...objects]);
  expect('stream role', 'assistant', role);
  expect('stream text equals non-stream greedy answer', greedy, text);
  expect('stream finish reason', true, ['stop', 'length'].includes(finish));
  expect('stream usage (include_usage)', true, usage !== null && usage.completion_tokens > 0 &&
    usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
});

await group('legacy completions', async () => {
  const r = await client.completions.create({ model, prompt: 'Once upon', max_tokens: 8, temperature: 0 });
  expect('completions object', 'text_completion', r.object);
  expect('completions text is a string', 'string', typeof r.choices[0].text);
});

// SDK error classes: a 4xx must arrive as the typed error with its status and the API's message.
async function expectError(name, cls, status, fn) {
  try {
    await fn();
    console.log(`FAIL ${name}: no error thrown`); fails++;
  } catch (e) {
    expect(`${name} is ${cls.name}`, true, e instanceof cls);
    expect(`${name} status`, status, e.status);
    expect(`${name} has a message`, true, typeof e.message === 'string' && e.message.length > 0);
  }
}
await expectError('temperature 5', OpenAI.BadRequestError, 400,
  () => client.chat.completions.create(chat('x', { temperature: 5 })));
await expectError('temperature 5 (stream)', OpenAI.BadRequestError, 400,
  () => client.chat.completions.create(chat('x', { temperature: 5, stream: true })));
await expectError('unknown model', OpenAI.NotFoundError, 404,
  () => client.chat.completions.create({ ...chat('x'), model: 'no-such-model' }));
// A forged key: the SDK's own class for 401, no retry.
const forged = new OpenAI({ apiKey: 'dg_0000000000000000_forged', baseURL: `${url}/v1`, maxRetries: 0 });
await expectError('forged API key', OpenAI.AuthenticationError, 401, () => forged.models.list());

console.log(fails ? `sdk: ${fails} check(s) failed` : 'sdk: all checks passed');
process.exit(fails ? 1 : 0);
