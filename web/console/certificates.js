// #/certificates — 削除証明書 (auditor, admin): issues a deletion certificate for a period
// or for one employee, lists those issued, downloads each as its PDF or its signed JSON,
// and checks a signature here in the browser with WebCrypto against the published key.
// The admin also sets the organisation's name the certificates print. A certificate
// holds no number; downloads are blob: URLs revoked once the browser has the file, and
// nothing is kept in any storage.
//
// The signature (SPEC §4e): ECDSA P-256 over SHA-256 of the 32-byte SHA-256 of the
// document's canonical JSON (RFC 8785) without its `signature` member; the document
// carries it as base64 DER, WebCrypto wants r‖s (64 bytes).

import { api, seg } from './api.js';
import { $, $$, h, saveFile } from './dom.js';
import { formatDate, formatDateTime, todayTokyo } from './dates.js';
import { ruleMessage } from './labels.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, clearFieldError, problemText, busy } from './ui.js';

let ctx = null;
let cursor = null;
let issuing = false;
// The list on screen, and the organisation's name: a reload or a reset aborts them; the
// downloads and checks under way: a reset aborts them.
const list = latest();
const org = latest();
const work = latest();

const form = () => $('#cert-form');
const orgForm = () => $('#cert-org-form');
const mode = () => ($('input[name="cert-mode"]:checked')?.value === 'employee' ? 'employee' : 'period');
const isAdmin = () => ctx.hasRole('admin');

const FIELD_OF = { 'cert-from': 'from', 'cert-to': 'to', 'cert-employee-id': 'employee_id' };

export function init(c) {
  ctx = c;
  form().addEventListener('submit', (e) => { e.preventDefault(); issue(); });
  form().addEventListener('input', (e) => clearFieldError(form(), FIELD_OF[e.target.id] || ''));
  for (const r of $$('input[name="cert-mode"]')) r.addEventListener('change', updateMode);
  $('#cert-reload').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(true)));
  $('#cert-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(false)));
  // Every action button (in the list and in the issued box) names its certificate.
  $('#page-certificates').addEventListener('click', onAction);
  orgForm().addEventListener('submit', (e) => { e.preventDefault(); busy($('#cert-org-save'), '保存しています…', saveOrganization); });
  orgForm().addEventListener('input', () => { clearFieldErrors(orgForm()); $('#cert-org-saved').textContent = ''; });
  setDefaults(false);
}

/** Shown: an employee handed over (`data.employeeId`, or `?employee_id=` in the link). */
export function show(data) {
  setDefaults(false);
  const employee = data?.employeeId || handedEmployee();
  if (employee) {
    $('#cert-mode-employee').checked = true;
    $('#cert-employee-id').value = employee;
    clearFieldErrors(form());
    $('#cert-issued').hidden = true;
  }
  updateMode();
  orgForm().hidden = !isAdmin();
  load(true);
  loadOrganization();
}

export function hide() {}

export function reset() {
  list.abort();
  org.abort();
  work.abort();
  cursor = null;
  form().reset();
  clearFieldErrors(form());
  setDefaults(true);
  updateMode();
  showProblem($('#cert-error'), null);
  $('#cert-issued').replaceChildren();
  $('#cert-issued').hidden = true;
  $('#cert-table tbody').replaceChildren();
  $('#cert-more').hidden = true;
  $('#cert-summary').textContent = '';
  showProblem($('#cert-list-error'), null);
  clearVerify();
  orgForm().reset();
  clearFieldErrors(orgForm());
  showProblem($('#cert-org-error'), null);
  showProblem($('#cert-org-load-error'), null);
  $('#cert-org-current').textContent = '';
  $('#cert-org-saved').textContent = '';
}

/** Under a list for one employee: a link to issue that employee's deletion certificate. */
export function certificateLink(box, c, employeeId) {
  const may = c && (c.hasRole('auditor') || c.hasRole('admin'));
  box.hidden = !(may && employeeId);
  if (box.hidden) return;
  const a = box.querySelector('a');
  a.href = `#/certificates?employee_id=${encodeURIComponent(employeeId)}`;
  a.textContent = `従業員番号 ${employeeId} の削除証明書を発行する`;
}

/** `#/certificates?employee_id=E1`: read once, then dropped from the address. */
function handedEmployee() {
  const at = location.hash.indexOf('?');
  if (at < 0) return '';
  const id = new URLSearchParams(location.hash.slice(at + 1)).get('employee_id') || '';
  history.replaceState(null, '', '#/certificates');
  return id.trim().slice(0, 64);
}

/** The period defaults to this year up to today (Tokyo); `force` overwrites what is typed. */
function setDefaults(force) {
  const today = todayTokyo();
  $('#cert-to').max = today;
  $('#cert-from').max = today;
  if (force || !$('#cert-from').value) $('#cert-from').value = `${today.slice(0, 4)}-01-01`;
  if (force || !$('#cert-to').value) $('#cert-to').value = today;
}

function updateMode() {
  const employee = mode() === 'employee';
  $('#cert-period-fields').hidden = employee;
  $('#cert-employee-fields').hidden = !employee;
  clearFieldErrors(form());
}

// ---- issue ---------------------------------------------------------------------------

function requestBody() {
  if (mode() === 'employee') {
    const id = $('#cert-employee-id').value.trim();
    return id ? { body: { employee_id: id } } : { errors: [{ field: 'employee_id', rule: 'required' }] };
  }
  const from = $('#cert-from').value;
  const to = $('#cert-to').value;
  const errors = [];
  // A date input holds '' for a date it cannot read: say which, never echo it.
  if (!from) errors.push({ field: 'from', rule: $('#cert-from').validity.badInput ? 'date' : 'required' });
  if (!to) errors.push({ field: 'to', rule: $('#cert-to').validity.badInput ? 'date' : 'required' });
  if (from && to && from > to) errors.push({ field: 'from', rule: 'after_to' });
  return errors.length ? { errors } : { body: { from, to } };
}

async function issue() {
  if (issuing) return;
  clearFieldErrors(form());
  showProblem($('#cert-error'), null);
  const { body, errors } = requestBody();
  if (errors) { showFieldErrors(form(), errors); return; }
  issuing = true;
  $('#cert-issued').hidden = true;
  let summary;
  try {
    summary = await busy($('#cert-submit'), '発行しています…', () => api('POST', '/v1/certificates', { body }));
  } catch (err) {
    if (isAborted(err)) return;
    // In the employee mode the period's fields are hidden: what they say goes below.
    const hidden = mode() === 'employee' ? ['from', 'to'] : ['employee_id'];
    const errors = err.errors || [];
    const rest = [
      ...showFieldErrors(form(), errors.filter((e) => !hidden.includes(e.field))),
      ...errors.filter((e) => hidden.includes(e.field)).map((e) => ruleMessage(e.field, e.rule)),
    ];
    showProblem($('#cert-error'), err, {}, [...new Set(rest)]);
    return;
  } finally {
    issuing = false;
  }
  showIssued(summary);
  load(true);
}

function showIssued(s) {
  const box = $('#cert-issued');
  const count = Number(s?.disposal_count ?? 0);
  box.replaceChildren(...[
    h('p', { class: 'done-title' }, `削除証明書を発行しました（${count}件）。`),
    h('dl', { class: 'kv' },
      h('dt', {}, '対象'), h('dd', {}, targetText(s)),
      h('dt', {}, '証明書ID'), h('dd', { class: 'mono' }, String(s?.certificate_id ?? ''))),
    count === 0 ? h('p', { class: 'hint' }, 'この範囲に削除・廃棄の記録はありませんでした（「該当する削除の記録はありません」と記載された証明書です）。') : null,
    actions(s)].filter(Boolean));
  box.hidden = false;
  box.focus();
}

// ---- list ----------------------------------------------------------------------------

async function load(fresh) {
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    cursor = null;
    $('#cert-table tbody').replaceChildren();
    $('#cert-more').hidden = true;
    $('#cert-summary').textContent = '読み込み中です…';
  }
  showProblem($('#cert-list-error'), null);
  let page;
  try {
    page = await api('GET', '/v1/certificates', { query: { limit: 50, cursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#cert-summary').textContent = '';
    showProblem($('#cert-list-error'), err);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  for (const s of items) $('#cert-table tbody').append(rowOf(s));
  cursor = page?.next_cursor || null;
  $('#cert-more').hidden = !cursor;
  const n = $('#cert-table tbody').children.length;
  $('#cert-summary').textContent = n ? `${n}件${cursor ? '（続きがあります）' : ''}` : '発行した証明書はまだありません。';
}

function targetText(s) {
  const period = `${formatDate(s?.from)} 〜 ${formatDate(s?.to)}`;
  return s?.employee_id ? `従業員番号 ${s.employee_id}（${period}）` : `期間 ${period}`;
}

function rowOf(s) {
  return h('tr', { dataset: { certificateId: String(s.certificate_id ?? '') } },
    h('td', { dataset: { label: '発行日時' } }, formatDateTime(s.issued_at)),
    h('td', { class: 'target', dataset: { label: '対象' } }, targetText(s)),
    h('td', { class: 'count', dataset: { label: '件数' } }, `${Number(s.disposal_count ?? 0)}件`),
    h('td', { dataset: { label: '発行者' } }, String(s.issued_by ?? '')),
    h('td', { class: 'actions', dataset: { label: '操作' } }, actions(s)));
}

/** The PDF, JSON and verify buttons of one certificate, each labelled with what it acts on. */
function actions(s) {
  const id = String(s?.certificate_id ?? '');
  const what = `${formatDateTime(s?.issued_at)}発行の証明書`;
  const button = (action, text, aria) => h('button', {
    type: 'button', class: `button secondary small ${action}`, 'aria-label': `${what}${aria}`,
    dataset: { action, certificateId: id },
  }, text);
  return h('div', { class: 'button-row cert-actions' },
    button('pdf', 'PDF', 'をPDFでダウンロード'),
    button('json', 'JSON', 'を署名付きJSONでダウンロード'),
    button('verify', '署名を確認', 'の署名を確認'));
}

function onAction(e) {
  const button = e.target.closest('button[data-action][data-certificate-id]');
  if (!button || button.disabled) return;
  const id = button.dataset.certificateId;
  if (!id) return;
  if (button.dataset.action === 'pdf') busy(button, '準備中…', () => download(id, 'pdf'));
  else if (button.dataset.action === 'json') busy(button, '準備中…', () => download(id, 'json'));
  else if (button.dataset.action === 'verify') busy(button, '確認中…', () => verify(id));
}

// ---- downloads -----------------------------------------------------------------------

const safeName = (id) => id.replace(/[^A-Za-z0-9._-]/g, '_');

async function download(id, kind) {
  showProblem($('#cert-list-error'), null);
  let blob;
  try {
    const path = `/v1/certificates/${seg(id)}${kind === 'pdf' ? '/pdf' : ''}`;
    blob = await api('GET', path, { as: 'blob', signal: work.signal });
  } catch (err) {
    if (!isAborted(err)) showProblem($('#cert-list-error'), err);
    return;
  }
  const typed = kind === 'pdf' ? blob.slice(0, blob.size, 'application/pdf') : blob.slice(0, blob.size, 'application/json');
  saveFile(typed, `certificate-${safeName(id)}.${kind}`);
  $('#cert-summary').textContent = kind === 'pdf' ? 'PDFを保存しました。' : '署名付きのJSONを保存しました。';
}

// ---- verification --------------------------------------------------------------------

class Unverified extends Error {
  constructor(reason) { super(reason); this.name = 'Unverified'; this.reason = reason; }
}

const REASONS = {
  format: '証明書の形式が正しくありません（署名付きの削除証明書として読めません）。',
  other_certificate: '受け取った証明書が、選んだ証明書ではありません。',
  key_mismatch: '証明書に記載された鍵の指紋が、公開されている鍵の指紋と一致しません。別の鍵で署名されています。',
  signature: '署名が証明書の内容と一致しません。発行後に内容が変更されたか、別の鍵で署名されています。',
  no_webcrypto: 'このブラウザでは署名を確認できません（Web Crypto API が使えません）。',
};

function clearVerify() {
  $('#cert-verify').replaceChildren();
  $('#cert-verify').hidden = true;
  delete $('#cert-verify').dataset.result;
}

async function verify(id) {
  clearVerify();
  const signal = work.signal;
  let text;
  let pem;
  try {
    text = await (await api('GET', `/v1/certificates/${seg(id)}`, { as: 'blob', signal })).text();
    pem = await (await api('GET', '/v1/certificates/public-key', { as: 'blob', signal })).text();
  } catch (err) {
    if (!isAborted(err)) showVerify(id, { ok: false, text: problemText(err) });
    return;
  }
  if (signal.aborted) return;
  try {
    const doc = await verifySigned(text, pem, id);
    showVerify(id, { ok: true, doc });
  } catch (err) {
    showVerify(id, { ok: false, text: REASONS[err?.reason] || REASONS.signature });
  }
}

function showVerify(id, result) {
  const box = $('#cert-verify');
  box.dataset.result = result.ok ? 'verified' : 'failed';
  box.dataset.certificateId = id;
  box.className = `box verify-result ${result.ok ? 'done-box' : 'error-box'}`;
  if (result.ok) {
    const d = result.doc;
    box.replaceChildren(
      h('p', { class: 'done-title done-text', role: 'status' }, '署名を確認しました'),
      h('p', {}, 'この証明書は発行されたときのままで、公開されている鍵で署名されています。'),
      h('dl', { class: 'kv' },
        h('dt', {}, '証明書ID'), h('dd', { class: 'mono' }, String(d.certificate_id)),
        h('dt', {}, '対象'), h('dd', {}, targetText(d)),
        h('dt', {}, '件数'), h('dd', {}, `${Number(d.disposal_count)}件`),
        h('dt', {}, '事業者'), h('dd', {}, String(d.tenant_name || d.tenant_id || '')),
        h('dt', {}, '発行'), h('dd', {}, `${formatDateTime(d.issued_at)}（${String(d.issued_by ?? '')}）`),
        h('dt', {}, '鍵の指紋'), h('dd', { class: 'mono fingerprint' }, String(d.key_fingerprint)),
        h('dt', {}, '署名方式'), h('dd', {}, 'ECDSA P-256 / SHA-256（RFC 8785 の正規化JSON）')));
  } else {
    box.replaceChildren(
      h('p', { class: 'done-title', role: 'alert' }, '署名を確認できませんでした'),
      h('p', {}, result.text),
      h('p', { class: 'hint' }, 'この証明書の内容は信頼できません。発行し直すか、管理者に連絡してください。'));
  }
  box.hidden = false;
  box.focus();
}

/**
 * Checks the signed document `text` against the PEM public key `pem`; resolves with the
 * parsed document, or rejects with an `Unverified` saying why.
 */
export async function verifySigned(text, pem, id = null) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Unverified('no_webcrypto');
  let doc;
  let der;
  let signature;
  let canonical;
  try {
    doc = JSON.parse(text);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc) || typeof doc.signature !== 'string'
      || doc.signature_algorithm !== 'ECDSA_SHA_256') throw new Error('format');
    der = pemToDer(pem);
    signature = derSignatureToRaw(base64ToBytes(doc.signature), 32);
    const { signature: _, ...unsigned } = doc;
    canonical = canonicalJson(unsigned);
  } catch {
    throw new Unverified('format');
  }
  if (id !== null && doc.certificate_id !== id) throw new Unverified('other_certificate');
  // The published key must be the one the document names.
  if (doc.key_fingerprint !== await fingerprint(der)) throw new Unverified('key_mismatch');
  let key;
  try {
    key = await subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch {
    throw new Unverified('format');
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
  const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, digest);
  if (!ok) throw new Unverified('signature');
  return doc;
}

/**
 * RFC 8785 canonical JSON of a parsed JSON value: object members sorted by their names'
 * UTF-16 code units (what Array.prototype.sort does with strings), no whitespace,
 * strings and numbers as JSON.stringify writes them (RFC 8785 takes both from ECMAScript).
 */
export function canonicalJson(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('not a JSON number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const names = Object.keys(value).sort();
    return `{${names.map((n) => `${JSON.stringify(n)}:${canonicalJson(value[n])}`).join(',')}}`;
  }
  throw new TypeError('not a JSON value');
}

export function base64ToBytes(text) {
  const bin = atob(String(text).replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

/** The DER SubjectPublicKeyInfo of a `-----BEGIN PUBLIC KEY-----` PEM. */
export function pemToDer(pem) {
  const m = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(String(pem));
  if (!m) throw new Error('not a PEM public key');
  return base64ToBytes(m[1]);
}

/** `SHA256:` and the hex SHA-256 of a DER public key, as the document names its key. */
export async function fingerprint(der) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return `SHA256:${[...digest].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** An ECDSA signature, DER `SEQUENCE { INTEGER r, INTEGER s }`, as r‖s of `size` bytes each. */
export function derSignatureToRaw(der, size) {
  let at = 0;
  const byte = () => {
    if (at >= der.length) throw new Error('short DER');
    const b = der[at];
    at += 1;
    return b;
  };
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n < 1 || n > 2) throw new Error('DER length');
    let len = 0;
    for (let i = 0; i < n; i += 1) len = (len << 8) | byte();
    return len;
  };
  if (byte() !== 0x30) throw new Error('not a DER sequence');
  const sequence = length();
  if (at + sequence !== der.length) throw new Error('DER sequence length');
  const raw = new Uint8Array(size * 2);
  for (const offset of [0, size]) {
    if (byte() !== 0x02) throw new Error('not a DER integer');
    const len = length();
    if (len < 1 || at + len > der.length) throw new Error('DER integer length');
    let int = der.subarray(at, at + len);
    at += len;
    while (int.length > 1 && int[0] === 0) int = int.subarray(1);
    if (int.length > size) throw new Error('DER integer too large');
    raw.set(int, offset + size - int.length);
  }
  if (at !== der.length) throw new Error('trailing DER');
  return raw;
}

// ---- the organisation's name -----------------------------------------------------------

async function loadOrganization() {
  const signal = org.start();
  showProblem($('#cert-org-load-error'), null);
  let s;
  try {
    s = await api('GET', '/v1/settings/organization', { signal });
  } catch (err) {
    if (!isAborted(err)) showProblem($('#cert-org-load-error'), err);
    return;
  }
  showOrganization(s);
}

function showOrganization(s) {
  const name = typeof s?.display_name === 'string' ? s.display_name : '';
  $('#cert-org-current').textContent = name
    ? `証明書には「${name}」と印字されます。`
    : `事業者名は設定されていません。証明書には事業者IDが印字されます。${isAdmin() ? '' : '設定は管理者に依頼してください。'}`;
  if (isAdmin() && !$('#cert-org-name').value) $('#cert-org-name').value = name;
}

async function saveOrganization() {
  clearFieldErrors(orgForm());
  showProblem($('#cert-org-error'), null);
  $('#cert-org-saved').textContent = '';
  const displayName = $('#cert-org-name').value.trim();
  if (!displayName) { showFieldErrors(orgForm(), [{ field: 'display_name', rule: 'required' }]); return; }
  let s;
  try {
    s = await api('PUT', '/v1/settings/organization', { body: { display_name: displayName }, signal: org.start() });
  } catch (err) {
    if (isAborted(err)) return;
    const rest = err.errors?.length ? showFieldErrors(orgForm(), err.errors) : [];
    showProblem($('#cert-org-error'), err, {}, rest);
    return;
  }
  $('#cert-org-name').value = typeof s?.display_name === 'string' ? s.display_name : displayName;
  showOrganization(s);
  $('#cert-org-saved').textContent = '保存しました。これから発行する証明書に印字されます。';
}
