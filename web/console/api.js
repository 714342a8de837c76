// fetch wrapper for the vault API (same origin). JSON in and out, never cached, no
// ambient credentials. The credential comes from the sign-in module (a Bearer id token) or, in local
// development only, from the principal picker (a headers object); this file names no
// header of its own but Content-Type, Accept and Idempotency-Key.
//
// On 401 the session is marked expired, the #session-expired banner asks to sign in
// again, and the request is sent once more after a successful sign-in by the same
// principal — the caller's promise just waits, so nothing typed in a form is lost.
//
// A request may carry an AbortSignal (requests.js `latest()`): once it is aborted, the
// request rejects with the signal's AbortError (never an ApiError), which pages ignore.

export class ApiError extends Error {
  constructor({ status = 0, code = '', title = '', errors = [] } = {}) {
    super(title || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = errors;
  }
}

// Set by app.js (configure). Each returns the current value when called.
let credentialHeaders = () => null; // headers object, or null when nobody is signed in
let principalKey = () => ''; // "sub tenant" of the signed-in principal ('' = none)
let isExpired = () => false; // the id token is past its exp
let canSignIn = () => false; // whether the banner offers a sign-in button

let waiters = []; // resolve functions of requests waiting for a sign-in
let expired = false;

export function configure({ headers, principal, expiredNow, signInAvailable }) {
  if (headers) credentialHeaders = headers;
  if (principal) principalKey = principal;
  if (expiredNow) isExpired = expiredNow;
  if (signInAvailable) canSignIn = signInAvailable;
}

const banner = () => document.getElementById('session-expired');

/** Marks the session expired and shows the banner (idempotent). */
export function markExpired() {
  expired = true;
  const b = banner();
  if (!b) return;
  const button = document.getElementById('session-sign-in');
  if (button) button.hidden = !canSignIn();
  b.hidden = false;
}

/** A principal signed in (or was picked): hide the banner, release waiting requests. */
export function principalChanged() {
  const signedIn = Boolean(credentialHeaders());
  if (signedIn && !isExpired()) {
    expired = false;
    const b = banner();
    if (b) b.hidden = true;
  }
  const list = waiters;
  waiters = [];
  for (const resolve of list) resolve(signedIn && !isExpired());
}

/** Nobody is signed in any more: waiting requests give up. */
export function signedOut() {
  expired = false;
  const b = banner();
  if (b) b.hidden = true;
  const list = waiters;
  waiters = [];
  for (const resolve of list) resolve(false);
}

export const sessionExpired = () => expired;

function waitForSignIn() {
  markExpired();
  return new Promise((resolve) => { waiters.push(resolve); });
}

function url(path, query) {
  const u = new URL(path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      u.searchParams.set(k, String(v));
    }
  }
  return u.pathname + u.search;
}

/** Rejects with the signal's AbortError once `signal` is aborted. */
function stopIfAborted(signal) {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
}

async function send(method, target, body, extraHeaders, accept, signal) {
  stopIfAborted(signal);
  const headers = { Accept: accept === 'blob' ? '*/*' : 'application/json, application/problem+json', ...(credentialHeaders() || {}), ...extraHeaders };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer', signal };
  if (body instanceof Blob) {
    // Bytes as they are, with their own type (a CSV in its charset).
    headers['Content-Type'] = body.type;
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(target, init);
  } catch {
    stopIfAborted(signal);
    throw new ApiError({ status: 0, code: 'network' });
  }
}

async function problemOf(res) {
  let data = null;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) data = await res.json().catch(() => null);
  const errors = Array.isArray(data?.errors)
    ? data.errors.filter((e) => e && typeof e === 'object').map((e) => ({ field: String(e.field ?? ''), rule: String(e.rule ?? '') }))
    : [];
  return new ApiError({
    status: res.status,
    code: typeof data?.code === 'string' ? data.code : '',
    title: typeof data?.title === 'string' ? data.title : '',
    errors,
  });
}

/**
 * api('POST', '/v1/records', {body, query, headers, as: 'json'|'blob', signal}) → parsed
 * body; a Blob `body` is sent as it is, with its type. Throws ApiError (status 0 / code
 * 'network' when the server could not be reached), or the AbortError of `signal`.
 */
export async function api(method, path, options = {}) {
  let result;
  try {
    result = await request(method, path, options);
  } catch (err) {
    stopIfAborted(options.signal); // whatever went wrong, an aborted request says only that
    throw err;
  }
  stopIfAborted(options.signal);
  return result;
}

async function request(method, path, { body, query, headers = {}, as = 'json', signal }) {
  const target = url(path, query);
  const who = principalKey();
  if (isExpired() || expired) {
    const signedIn = await waitForSignIn();
    stopIfAborted(signal);
    if (!signedIn) throw new ApiError({ status: 401, code: 'signed_out' });
    if (who && principalKey() !== who) throw new ApiError({ status: 401, code: 'reauth_other_principal' });
  }
  let res = await send(method, target, body, headers, as, signal);
  if (res.status === 401) {
    const first = await problemOf(res);
    const signedIn = await waitForSignIn();
    stopIfAborted(signal);
    if (!signedIn) throw first;
    // Another account signed in meanwhile: do not act for it with what the first typed.
    if (principalKey() !== who) throw new ApiError({ status: 401, code: 'reauth_other_principal' });
    res = await send(method, target, body, headers, as, signal);
    if (res.status === 401) {
      markExpired();
      throw await problemOf(res);
    }
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return null;
  if (as === 'blob') return res.blob();
  const type = res.headers.get('content-type') || '';
  if (!type.includes('json')) return null;
  return res.json();
}

/**
 * Every page of a cursor-paginated listing, concatenated (at most `maxPages` pages);
 * `signal` aborts whichever page is in flight.
 */
export async function allPages(path, query = {}, { maxPages = 100, signal } = {}) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i += 1) {
    const page = await api('GET', path, { query: { ...query, limit: 100, cursor }, signal });
    if (Array.isArray(page?.items)) items.push(...page.items);
    cursor = page?.next_cursor || null;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

/** A fresh Idempotency-Key (one per submission attempt). */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** "/v1/records/{id}" with the id encoded as one path segment. */
export const seg = (s) => encodeURIComponent(String(s));
