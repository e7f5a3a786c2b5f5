// What every console page shares: the header (navigation, who is signed in, sign out) and
// the sign-in panel. A page calls start(onSignedIn); its own content stays hidden until a
// credential is present.
import { $, clear, el } from './dom.js';
import { credential, signInWithClientCredentials, signInWithKey, signOut } from './api.js';

export function start(onSignedIn) {
  const c = credential();
  renderWho(c);
  if (c) {
    $('#signin').hidden = true;
    $('#app').hidden = false;
    onSignedIn();
  } else {
    $('#app').hidden = true;
    showSignIn(onSignedIn);
  }
}

function renderWho(c) {
  const who = clear($('#who'));
  if (!c) return;
  who.append(el('span', { class: 'who-label' }, `Signed in (${c.label})`), ' ',
    el('button', { type: 'button', id: 'signout', onclick: () => { signOut(); location.reload(); } }, 'Sign out'));
}

function showSignIn(onSignedIn) {
  const panel = clear($('#signin'));
  panel.hidden = false;
  const error = el('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const done = () => {
    panel.hidden = true;
    $('#app').hidden = false;
    renderWho(credential());
    onSignedIn();
  };
  const fail = (e) => { error.textContent = e.describe ? e.describe() : String(e.message || e); };

  const key = el('input', { type: 'password', id: 'signin-key', autocomplete: 'off', placeholder: 'dg_…', spellcheck: 'false' });
  const keyForm = el('form', { id: 'signin-key-form', onsubmit: (ev) => {
    ev.preventDefault();
    signInWithKey(key.value).then(done, fail);
  } }, el('label', {}, 'API key ', key), ' ', el('button', { type: 'submit' }, 'Sign in'));

  const id = el('input', { type: 'text', id: 'signin-client-id', autocomplete: 'off', placeholder: 'key id', spellcheck: 'false' });
  const secret = el('input', { type: 'password', id: 'signin-client-secret', autocomplete: 'off' });
  const oauthForm = el('form', { id: 'signin-oauth-form', onsubmit: (ev) => {
    ev.preventDefault();
    signInWithClientCredentials(id.value, secret.value).then(done, fail);
  } }, el('label', {}, 'Client id ', id), ' ', el('label', {}, 'Client secret ', secret), ' ',
  el('button', { type: 'submit' }, 'Get a token'));

  panel.append(
    el('h2', {}, 'Sign in'),
    el('p', { class: 'hint' }, 'The credential stays in this tab only and is forgotten when the tab closes.'),
    keyForm,
    el('h3', {}, 'or OAuth client credentials'),
    el('p', { class: 'hint' }, 'Exchanges the key for a short-lived access token; only the token is kept.'),
    oauthForm,
    error);
  key.focus();
}
