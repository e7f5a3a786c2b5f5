// The console's only way to the server: same-origin fetch() to deepgate's own API with the
// signed-in credential. The credential lives in this tab's sessionStorage (gone when the tab
// closes; never localStorage, a cookie or a URL). With the OAuth exchange only the access
// token is kept, never the client secret.

const STORE = 'deepgate.console.credential';

export class ApiError extends Error {
  constructor(status, message, code, retryAfter) {
    super(message);
    this.status = status;
    this.code = code || '';
    this.retryAfter = retryAfter;  // seconds, or null
  }

  // What the console shows: the API's own message, with the retry time where there is one.
  describe() {
    let text = this.status ? `${this.status}: ${this.message}` : this.message;
    if (this.retryAfter !== null && this.retryAfter !== undefined) text += ` — retry in ${this.retryAfter} s`;
    if (this.status === 401) text += ' (sign in again)';
    return text;
  }
}

export function credential() {
  try {
    const c = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    if (!c || typeof c.token !== 'string') return null;
    if (c.expires && Date.now() / 1000 > c.expires) {
      signOut();
      return null;
    }
    return c;
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(STORE);
}

function keep(token, kind, expires, label) {
  sessionStorage.setItem(STORE, JSON.stringify({ token, kind, expires, label }));
}

// Signs in with an API key: checked against /v1/models before it is kept.
export async function signInWithKey(key) {
  key = key.trim();
  if (!key) throw new ApiError(0, 'Enter an API key');
  await request('GET', '/v1/models', undefined, { token: key });
  keep(key, 'api_key', null, `key ${key.split('_')[1] || ''}`);
}

// The OAuth2 client-credentials exchange (POST /v1/oauth/token): keeps only the access token.
export async function signInWithClientCredentials(clientId, clientSecret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId.trim(), client_secret: clientSecret.trim() });
  const res = await fetch('/v1/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) throw await errorFrom(res);
  const t = await res.json();
  keep(t.access_token, 'oauth', Math.floor(Date.now() / 1000) + (t.expires_in || 3600) - 30, `token for ${clientId.trim()}`);
}

export async function errorFrom(res) {
  let message = res.statusText || 'Request failed';
  let code = '';
  try {
    const j = await res.json();
    if (j && j.error && typeof j.error.message === 'string') {
      message = j.error.message;
      code = j.error.code || '';
    }
  } catch { /* not JSON: keep the status text */ }
  const ra = res.headers.get('Retry-After');
  const retry = ra !== null && /^\d+$/.test(ra) ? Number(ra) : null;
  return new ApiError(res.status, message, code, retry);
}

// fetch() with the credential; resolves to the Response (ok) or throws ApiError.
export async function call(method, path, body, opts = {}) {
  const token = opts.token || (credential() || {}).token;
  if (!token) throw new ApiError(401, 'Not signed in');
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // A key with a TOTP second factor sends its one-time code on admin changes.
  if (opts.otp) headers['X-Deepgate-OTP'] = opts.otp;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
      credentials: 'omit',   // the Bearer header is the only credential, no cookies
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `The server cannot be reached (${e.message})`);
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

// call() and parse JSON.
export async function request(method, path, body, opts) {
  const res = await call(method, path, body, opts);
  return res.status === 204 ? null : res.json();
}
