// HR console shell (served at /console): configuration, sign-in state, role-based
// navigation and hash routes. Plain ES modules, no framework, no build step, no storage
// of any kind (the id token and every answer live in module memory only).
//
// Files (web/console/, embedded by functions/console with web/shared/, all served flat
// under /console/):
//   index.html    the page                      callback.html  sign-in popup's landing page
//   app.css       styles (over base.css)        callback.js    posts the code to this window
//   app.js        this shell                    dev.js         development principal picker
//   api.js        fetch wrapper, 401 → re-sign-in and retry      (dev builds only)
//   auth.js       OIDC authorization code + PKCE in a popup
//   ui.js         field errors, problems, busy buttons
//   home.js       #/home        ホーム (what needs doing, the deletions ahead as a chart)
//   employees.js  #/employees   従業員と記録
//   register.js   #/register    番号の登録
//   collections.js #/collections 収集リンク
//   review.js     #/review      提出の確認
//   departures.js #/departures  退職・再雇用
//   disposals.js  #/disposals   削除・廃棄の記録
//   handling.js   #/handling    取扱状況 (the durable trail: reveals, photo views, refusals)
//   certificates.js #/certificates 削除証明書 (issue, download, verify with WebCrypto)
//   exports.js    #/exports     番号の一括出力 (request, approve another's, download once)
//   imports.js    #/imports     CSVの取り込み (dry run, failed rows, import in parts)
//   reveal.js     #/reveal      番号の表示
//   mail.js       #/mail        メール
// and, shared with the employee's form (web/shared/): labels.js (the words), dom.js (h, $,
// the choices filled from the labels), dates.js, requests.js (AbortController per list),
// mynumber.js (the number check) and base.css.

import * as api from './api.js';
import * as auth from './auth.js';
import { ROLES, ROLE_ORDER } from './labels.js';
import { h, $, $$, fillLabelled } from './dom.js';
import * as home from './home.js';
import * as employees from './employees.js';
import * as register from './register.js';
import * as collections from './collections.js';
import * as review from './review.js';
import * as departures from './departures.js';
import * as disposals from './disposals.js';
import * as handling from './handling.js';
import * as certificates from './certificates.js';
import * as exports from './exports.js';
import * as imports from './imports.js';
import * as reveal from './reveal.js';
import * as mail from './mail.js';

/** Pages in navigation order, with the roles that may use them (the API enforces). */
const PAGES = [
  { name: 'home', title: 'ホーム', roles: ['registrar', 'handler', 'auditor', 'admin'], module: home },
  { name: 'employees', title: '従業員と記録', roles: ['registrar', 'handler', 'auditor'], module: employees },
  { name: 'register', title: '番号の登録', roles: ['registrar'], module: register },
  { name: 'imports', title: 'CSVの取り込み', roles: ['registrar'], module: imports },
  { name: 'collections', title: '収集リンク', roles: ['registrar', 'auditor'], module: collections },
  { name: 'review', title: '提出の確認', roles: ['registrar'], module: review },
  { name: 'departures', title: '退職・再雇用', roles: ['registrar'], module: departures },
  { name: 'disposals', title: '削除・廃棄の記録', roles: ['registrar', 'auditor'], module: disposals },
  { name: 'handling', title: '取扱状況', roles: ['auditor'], module: handling },
  { name: 'certificates', title: '削除証明書', roles: ['auditor', 'admin'], module: certificates },
  { name: 'reveal', title: '番号の表示', roles: ['handler'], module: reveal },
  { name: 'exports', title: '番号の一括出力', roles: ['handler', 'auditor', 'admin'], module: exports },
  { name: 'mail', title: 'メール', roles: ['registrar', 'auditor', 'admin'], module: mail },
];
const STATES = ['loading', 'not-configured', 'config-error', 'signed-out', 'no-role', 'admin-only'];
const PRODUCT = 'マイナンバー管理';

let mode = null; // 'dev' | 'oidc' | 'none'
let dev = null; // the picker module, dev mode only
let current = null; // the page shown: an entry of PAGES
let handoff = null; // data for the next page shown (e.g. the record to reveal)
let principalKey = ''; // to tell a new principal from the same one signing in again
let focusOnRoute = false;

// ---- principal ------------------------------------------------------------------

function principal() {
  if (mode === 'dev') return dev ? dev.principal() : null;
  if (mode === 'oidc') return auth.principal();
  return null;
}

const keyOf = (p) => (p ? `${p.sub}\u0000${p.tenant}\u0000${[...p.roles].sort().join(',')}` : '');
const roles = () => principal()?.roles || [];
const hasRole = (role) => roles().includes(role);
const allowedPages = () => PAGES.filter((p) => p.roles.some((r) => hasRole(r)));

function renderPrincipal() {
  const box = $('#principal');
  const p = principal();
  if (!p) {
    box.replaceChildren(h('span', { class: 'principal-none' }, mode === 'oidc' ? 'サインインしていません' : ''));
    return;
  }
  const roleText = p.roles.length ? ROLE_ORDER.filter((r) => p.roles.includes(r)).map((r) => ROLES[r]).join('・') : '役割なし';
  box.replaceChildren(
    h('span', { class: 'principal-item' }, h('span', { class: 'principal-key' }, '利用者'), ' ', h('span', { class: 'principal-sub' }, p.sub)),
    h('span', { class: 'principal-item' }, h('span', { class: 'principal-key' }, '事業者'), ' ', h('span', { class: 'principal-tenant' }, p.tenant || '（不明）')),
    h('span', { class: 'principal-item' }, h('span', { class: 'principal-key' }, '役割'), ' ', h('span', { class: 'principal-roles' }, roleText)),
  );
}

// ---- global message area --------------------------------------------------------

/** Shows a message in #message: kind 'error' (role=alert) | 'info'. Empty text clears. */
export function message(text, kind = 'info') {
  const area = $('#message');
  if (!text) { area.replaceChildren(); return; }
  const attrs = kind === 'error' ? { class: 'box error-box', role: 'alert' } : { class: 'box notice-box' };
  const close = h('button', { type: 'button', class: 'button secondary small message-close' }, '閉じる');
  close.addEventListener('click', () => area.replaceChildren());
  area.replaceChildren(h('div', attrs, h('p', {}, text), close));
}

// ---- navigation and routes ------------------------------------------------------

function showState(name) {
  for (const s of STATES) $(`#${s}`).hidden = s !== name;
}

function renderNav(pages) {
  const nav = $('#nav');
  if (!pages.length) { nav.replaceChildren(); nav.hidden = true; return; }
  nav.hidden = false;
  nav.replaceChildren(h('ul', { class: 'nav-list' }, ...pages.map((p) =>
    h('li', {}, h('a', { href: `#/${p.name}`, 'data-page': p.name }, p.title)))));
}

function pageFromHash() {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  return m ? m[1] : '';
}

function leave() {
  if (!current) return;
  try { current.module.hide?.(); } catch { /* a page's hide must never stop the route */ }
  $(`#page-${current.name}`).hidden = true;
  current = null;
}

function route() {
  const pages = allowedPages();
  const wanted = pageFromHash();
  const page = pages.find((p) => p.name === wanted) || pages[0];
  if (!page) { leave(); return; }
  if (page.name !== wanted) {
    // Not allowed (or no hash): go to the first allowed page without a history entry.
    history.replaceState(null, '', `#/${page.name}`);
  }
  if (current !== page) {
    leave();
    current = page;
    $(`#page-${page.name}`).hidden = false;
    for (const a of $$('#nav a[data-page]')) {
      if (a.dataset.page === page.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${page.title} — ${PRODUCT}`;
    const data = handoff;
    handoff = null;
    page.module.show?.(data);
    if (focusOnRoute) $(`#page-${page.name} h1`)?.focus();
  } else if (handoff) {
    const data = handoff;
    handoff = null;
    page.module.show?.(data);
  }
  focusOnRoute = false;
}

/** Goes to page `name`, handing it `data` (kept in memory, never in the URL). */
function go(name, data = null) {
  handoff = data;
  focusOnRoute = true;
  if (pageFromHash() === name) route();
  else location.hash = `#/${name}`;
}

/** Re-renders everything that depends on the principal. */
function render() {
  const p = principal();
  const key = keyOf(p);
  if (key !== principalKey) {
    // Another principal: nothing the previous one loaded or typed stays on screen.
    leave();
    for (const page of PAGES) {
      try { page.module.reset?.(); } catch { /* keep going */ }
    }
    principalKey = key;
  }
  renderPrincipal();
  $('#sign-in').hidden = mode !== 'oidc' || Boolean(p);
  $('#sign-out').hidden = mode !== 'oidc' || !p;
  const pages = p ? allowedPages() : [];
  renderNav(pages);
  if (!p) {
    leave();
    showState(mode === 'none' ? 'not-configured' : 'signed-out');
    $('#signed-out-oidc').hidden = mode !== 'oidc';
    $('#signed-out-dev').hidden = mode !== 'dev';
    document.title = PRODUCT;
    return;
  }
  if (!pages.length) {
    leave();
    showState(p.roles.includes('admin') ? 'admin-only' : 'no-role');
    document.title = PRODUCT;
    return;
  }
  showState(null);
  route();
}

// ---- start ----------------------------------------------------------------------

async function loadConfig() {
  const res = await fetch('/console/config.json', { cache: 'no-store', credentials: 'omit', headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error('config');
  const cfg = await res.json();
  if (!cfg || typeof cfg !== 'object') throw new Error('config');
  return cfg;
}

async function start() {
  // The choices of every page (purposes, relations, checks, statuses) from the shared labels.
  fillLabelled(document);
  const mayOpen = (name) => allowedPages().some((p) => p.name === name);
  const ctx = { hasRole, roles, mayOpen, sub: () => principal()?.sub ?? '', go, message };
  for (const page of PAGES) page.module.init(ctx);

  window.addEventListener('hashchange', () => { focusOnRoute = true; if (principal()) route(); });
  $('#nav').addEventListener('click', (e) => { if (e.target.closest('a[data-page]')) focusOnRoute = true; });

  let cfg;
  try {
    cfg = await loadConfig();
  } catch {
    showState('config-error');
    return;
  }
  mode = cfg.mode === 'dev' || cfg.mode === 'oidc' ? cfg.mode : 'none';

  if (mode === 'dev') {
    try {
      dev = await import('./dev.js');
    } catch {
      showState('config-error');
      return;
    }
    api.configure({
      headers: () => dev.headers(),
      principal: () => keyOf(dev.principal()),
      expiredNow: () => false,
      signInAvailable: () => false,
    });
    dev.mount($('#dev-panel'), () => {
      message('');
      api.principalChanged();
      render();
    });
  } else if (mode === 'oidc') {
    auth.init(cfg);
    api.configure({
      headers: () => auth.headers(),
      principal: () => keyOf(auth.principal()),
      expiredNow: () => auth.isExpired(),
      signInAvailable: () => true,
    });
    auth.onChange((event) => {
      if (event.type === 'signed-in') {
        message('');
        api.principalChanged();
        render();
      } else if (event.type === 'signed-out') {
        api.signedOut();
        render();
      } else if (event.type === 'expired') {
        api.markExpired();
      } else if (event.type === 'error') {
        message(event.message, 'error');
      }
    });
    $('#sign-in').addEventListener('click', () => auth.signIn());
    $('#session-sign-in').addEventListener('click', () => auth.signIn());
    $('#sign-out').addEventListener('click', () => auth.signOut());
  }
  render();
}

start();
