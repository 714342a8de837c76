// Sign-in: OAuth 2.0 authorization code with PKCE (S256) at the configured provider (the
// Cognito hosted UI or another OIDC issuer), in a popup window so that this page keeps
// its memory (and whatever is typed in its forms). The popup lands on /console/callback,
// which posts {code, state} back here and closes.
//
// Only the id token is kept, in a module variable: never in any browser storage (web
// storage or database). Roles and tenant are read from it for display
// only; the API verifies the token and enforces every rule.

import { ROLE_ORDER as KNOWN_ROLES } from './labels.js';

const MESSAGE_TYPE = 'mynumber-console-sign-in';
const POPUP_NAME = 'mynumber-console-sign-in';
const POPUP_FEATURES = 'popup=yes,width=520,height=720';

let config = null;
let idToken = null;
let claims = null;
let expiryTimer = null;
let pending = null; // {state, verifier, nonce}
let prepared = null; // a PKCE pair made ahead, so a click can open the popup at once
let popup = null;
const listeners = new Set();

// ---- encoding ---------------------------------------------------------------------

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(n = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The payload of a JWT, decoded (not verified: display only). */
function decodePayload(jwt) {
  const part = String(jwt).split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

// ---- state ------------------------------------------------------------------------

function notify(event) {
  for (const fn of listeners) fn(event);
}

/** fn({type: 'signed-in'|'signed-out'|'expired'|'error', message?}) */
export function onChange(fn) {
  listeners.add(fn);
}

export function init(cfg) {
  config = cfg;
  window.addEventListener('message', onMessage);
  prepare();
}

async function prepare() {
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  try {
    prepared = { verifier, state, nonce, challenge: await challengeOf(verifier) };
  } catch {
    prepared = null; // crypto.subtle needs a secure context (https or localhost)
  }
}

function authorizeUrl(p) {
  const u = new URL(config.authorize_url);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', config.client_id);
  u.searchParams.set('redirect_uri', redirectUri());
  u.searchParams.set('scope', config.scope || 'openid');
  u.searchParams.set('state', p.state);
  u.searchParams.set('nonce', p.nonce);
  u.searchParams.set('code_challenge', p.challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  return u.href;
}

const redirectUri = () => `${location.origin}/console/callback`;

/**
 * Opens the provider's sign-in page in a popup. Call from a click handler: the popup is
 * opened synchronously (a PKCE pair is made ahead of time), so it is not blocked.
 */
export function signIn() {
  if (!config) return;
  let p = prepared;
  prepared = null;
  if (p) {
    popup = window.open(authorizeUrl(p), POPUP_NAME, POPUP_FEATURES);
  } else {
    // Not ready yet: open the window now (still inside the click) and point it later.
    popup = window.open('about:blank', POPUP_NAME, POPUP_FEATURES);
  }
  if (!popup) {
    if (p) prepared = p;
    notify({ type: 'error', message: 'サインイン用のウィンドウを開けませんでした。このサイトのポップアップを許可してから、もう一度「サインイン」を押してください。' });
    return;
  }
  if (p) {
    pending = { state: p.state, verifier: p.verifier, nonce: p.nonce };
    prepare();
    return;
  }
  const win = popup;
  (async () => {
    const verifier = randomString(32);
    const state = randomString(16);
    const nonce = randomString(16);
    let challenge;
    try {
      challenge = await challengeOf(verifier);
    } catch {
      win.close();
      notify({ type: 'error', message: 'このブラウザではサインインできません（安全な接続 https が必要です）。' });
      return;
    }
    pending = { state, verifier, nonce };
    win.location.href = authorizeUrl({ state, nonce, challenge });
    prepare();
  })();
}

async function onMessage(event) {
  if (event.origin !== location.origin) return;
  const msg = event.data;
  if (!msg || typeof msg !== 'object' || msg.type !== MESSAGE_TYPE) return;
  if (popup && event.source && event.source !== popup) return;
  const p = pending;
  if (!p || typeof msg.state !== 'string' || msg.state !== p.state) return; // not our request
  pending = null;
  popup = null;
  if (msg.error || typeof msg.code !== 'string' || !msg.code) {
    const cancelled = msg.error === 'access_denied';
    notify({ type: 'error', message: cancelled ? 'サインインが取り消されました。' : 'サインインできませんでした。もう一度お試しください。' });
    return;
  }
  await exchange(msg.code, p);
}

async function exchange(code, p) {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.client_id,
    code,
    redirect_uri: redirectUri(),
    code_verifier: p.verifier,
  });
  let data = null;
  try {
    const res = await fetch(config.token_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (res.ok) data = await res.json().catch(() => null);
  } catch {
    data = null;
  }
  const token = typeof data?.id_token === 'string' ? data.id_token : null;
  // The access and refresh tokens are dropped with `data` here: only the id token is kept.
  data = null;
  const payload = token ? decodePayload(token) : null;
  if (!token || !payload || (payload.nonce !== undefined && payload.nonce !== p.nonce)) {
    notify({ type: 'error', message: 'サインインできませんでした（トークンを受け取れませんでした）。もう一度お試しください。' });
    return;
  }
  idToken = token;
  claims = payload;
  scheduleExpiry();
  notify({ type: 'signed-in' });
}

function scheduleExpiry() {
  clearTimeout(expiryTimer);
  expiryTimer = null;
  const exp = Number(claims?.exp);
  if (!Number.isFinite(exp)) return;
  const ms = exp * 1000 - Date.now();
  // setTimeout holds at most ~24.8 days; a token never lives that long.
  if (ms > 0 && ms < 2 ** 31 - 1) expiryTimer = setTimeout(() => notify({ type: 'expired' }), ms);
}

export function isExpired() {
  if (!idToken) return false;
  const exp = Number(claims?.exp);
  return Number.isFinite(exp) && exp * 1000 <= Date.now();
}

/** Authorization header for the API, or null when not signed in. */
export function headers() {
  return idToken ? { Authorization: `Bearer ${idToken}` } : null;
}

function rolesOf(value) {
  // As the API reads the claim: an array of strings, or one string that is one value.
  const values = Array.isArray(value) ? value.filter((v) => typeof v === 'string') : typeof value === 'string' ? [value] : [];
  const prefix = config?.role_prefix || '';
  const roles = new Set();
  for (const v of values) {
    if (!v.startsWith(prefix)) continue;
    const role = v.slice(prefix.length);
    if (KNOWN_ROLES.includes(role)) roles.add(role);
  }
  return KNOWN_ROLES.filter((r) => roles.has(r));
}

/** {sub, tenant, roles} from the id token (display only), or null. */
export function principal() {
  if (!idToken || !claims) return null;
  const tenant = claims[config.tenant_claim || 'custom:tenant_id'];
  return {
    sub: typeof claims.sub === 'string' ? claims.sub : '',
    tenant: typeof tenant === 'string' ? tenant : '',
    roles: rolesOf(claims[config.role_claim || 'cognito:groups']),
  };
}

/** Forgets the token; then signs out at the provider too when it has a logout URL. */
export function signOut() {
  idToken = null;
  claims = null;
  pending = null;
  clearTimeout(expiryTimer);
  expiryTimer = null;
  notify({ type: 'signed-out' });
  if (config?.logout_url) {
    const u = new URL(config.logout_url);
    u.searchParams.set('client_id', config.client_id);
    u.searchParams.set('logout_uri', `${location.origin}/console`);
    location.assign(u.href);
  }
}
