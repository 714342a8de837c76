// #/collections — 収集リンク. Registrars create one-time links (one POST per employee, in
// turn) and cancel open ones; auditors only see the list. A created link holds a secret
// token and is shown only in the answer to its creation: it stays in this page's memory
// (and DOM) until its card is closed, the principal changes or the page is left for good.

import { api, seg } from './api.js';
import { label, purposesText, COLLECTION_STATUSES, DELIVERY_STATUSES } from './labels.js';
import { $, $$, h } from './dom.js';
import { formatDateTime } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, problemText, busy } from './ui.js';

let ctx = null;
let listCursor = null;
let listQuery = {};
// The list on screen: a new list (filter, reload) or a reset aborts its requests.
const list = latest();
let creating = false;
const blobUrls = new Map(); // card element → QR blob: URL

const isRegistrar = () => ctx.hasRole('registrar');

export function init(c) {
  ctx = c;
  $('#collection-form').addEventListener('submit', (e) => { e.preventDefault(); create(); });
  $('#collection-form').addEventListener('input', () => clearFieldErrors($('#collection-form')));
  $('#col-filter').addEventListener('submit', (e) => { e.preventDefault(); loadList(true); });
  $('#col-filter-status').addEventListener('change', () => loadList(true));
  $('#col-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => loadList(false)));
  $('#col-list tbody').addEventListener('click', onListClick);
  $('#col-created').addEventListener('click', onCardClick);
  $('#col-created-clear').addEventListener('click', clearCards);
}

export function show() {
  $('#collection-form').hidden = !isRegistrar();
  $('#col-list').classList.toggle('no-actions', !isRegistrar());
  loadList(true);
}

export function hide() {}

export function reset() {
  list.abort();
  clearCards();
  $('#collection-form').reset();
  clearFieldErrors($('#collection-form'));
  showProblem($('#col-error'), null);
  $('#col-filter').reset();
  $('#col-list tbody').replaceChildren();
  $('#col-list-summary').textContent = '';
  $('#col-more').hidden = true;
  showProblem($('#col-list-error'), null);
}

// ---- create -------------------------------------------------------------------------

// One employee a line ("E0001" or "E0001 taro@example.co.jp"), or several ids separated by
// commas; an address goes with the id before it. The last line of an id wins.
function entries() {
  const byId = new Map();
  let last = null;
  for (const word of $('#col-employee-ids').value.split(/[\s,、，]+/).map((s) => s.trim()).filter(Boolean)) {
    if (word.includes('@') && last) {
      byId.get(last).email = word;
    } else {
      last = word;
      byId.set(word, { id: word, email: '' });
    }
  }
  return [...byId.values()];
}

const entryLine = (e) => (e.email ? `${e.id} ${e.email}` : e.id);

async function create() {
  if (creating) return;
  const formEl = $('#collection-form');
  clearFieldErrors(formEl);
  showProblem($('#col-error'), null);
  const list = entries();
  const purposes = $$('input[name="col-purposes"]:checked').map((c) => c.value);
  const days = Number($('#col-days').value);
  const errors = [];
  if (!list.length) errors.push({ field: 'employee_id', rule: 'required' });
  if (!purposes.length) errors.push({ field: 'purposes', rule: 'empty' });
  if (!Number.isInteger(days) || days < 1 || days > 30) errors.push({ field: 'expires_in_days', rule: 'range' });
  if (errors.length) { showFieldErrors(formEl, errors); return; }
  const includeFamily = $('#col-include-family').checked;
  creating = true;
  const button = $('#col-submit');
  const failed = [];
  try {
    await busy(button, '作成しています…', async () => {
      $('#col-created-area').hidden = false;
      for (const [i, entry] of list.entries()) {
        button.textContent = `作成しています…（${i + 1}/${list.length}）`;
        const body = { employee_id: entry.id, purposes, include_family: includeFamily, expires_in_days: days };
        if (entry.email) body.email = entry.email;
        try {
          const created = await api('POST', '/v1/collections', { body });
          addCard(created);
        } catch (err) {
          failed.push(entryLine(entry));
          addFailure(entry.id, err);
          // Field errors apply to every id alike (purposes, days): stop after the first.
          // An id's or an address's are that line's own.
          const own = (e) => e.field === 'employee_id' || e.field === 'email';
          if (err.status === 400 && err.errors?.some((e) => !own(e))) {
            const rest = showFieldErrors(formEl, err.errors.filter((e) => !own(e)));
            showProblem($('#col-error'), err, {}, rest);
            break;
          }
          if (err.code === 'forbidden_role' || err.status === 401) break;
        }
      }
    });
  } finally {
    creating = false;
  }
  // Keep only the ids that failed in the box, so a retry does not create links twice.
  $('#col-employee-ids').value = failed.join('\n');
  loadList(true);
}

function addFailure(employeeId, err) {
  const rule = err.errors?.find((e) => e.field === 'employee_id');
  const address = err.errors?.find((e) => e.field === 'email');
  const text = rule
    ? `従業員番号が正しくありません（${problemText(err)}）`
    : address ? 'メールアドレスの形式が正しくありません。' : problemText(err);
  $('#col-created').append(h('div', { class: 'created-failure box error-box', role: 'alert', dataset: { code: err.code || `http_${err.status}` } },
    h('p', {}, h('strong', {}, `従業員番号 ${employeeId}: `), `リンクを作れませんでした。${text}`),
    h('button', { type: 'button', class: 'button secondary small card-close' }, '閉じる')));
}

function addCard(c) {
  const id = String(c?.collection_id ?? '');
  const url = typeof c?.url === 'string' ? c.url : '';
  const inputId = `link-url-${id}`;
  const statusEl = h('span', { class: 'copy-status', role: 'status' });
  const img = h('img', { alt: '収集リンクのQRコード', width: '240', height: '240', hidden: true });
  const qrNote = h('p', { class: 'hint' }, 'QRコードを作っています…');
  const card = h('article', { class: 'created-link', dataset: { collectionId: id }, 'aria-label': `従業員番号 ${c?.employee_id ?? ''} の収集リンク` },
    h('div', { class: 'created-main' },
      h('h3', {}, `従業員番号 ${c?.employee_id ?? ''}`),
      h('p', { class: 'sub-line' }, `有効期限 ${formatDateTime(c?.expires_at)}・${purposesText(c?.purposes)}${c?.include_family ? '・家族の番号も' : ''}`),
      h('label', { for: inputId }, 'リンク（今だけ表示・1回限り）'),
      h('div', { class: 'copy-row' },
        h('input', { type: 'text', id: inputId, class: 'link-url', readonly: true, spellcheck: 'false', autocomplete: 'off', value: url }),
        h('button', { type: 'button', class: 'button secondary copy' }, 'コピー')),
      statusEl,
      deliveryLine(c?.delivery),
      h('button', { type: 'button', class: 'button secondary small card-close' }, 'このリンクの表示を消す')),
    h('div', { class: 'link-qr' }, img, qrNote));
  card.querySelector('input.link-url').value = url;
  $('#col-created').append(card);
  drawQr(card, typeof c?.qr_svg === 'string' ? c.qr_svg : '', img, qrNote);
}

// Whether the link also went out by email: sent, or refused (the link works either way).
function deliveryLine(delivery) {
  if (!delivery) return null;
  return delivery.status === 'sent'
    ? h('p', { class: 'delivery sent', dataset: { status: 'sent' } }, 'メールで本人に送りました。')
    : h('p', { class: 'delivery failed box error-box', role: 'alert', dataset: { status: String(delivery.status) } },
      'メールを送れませんでした。リンクは有効です。コピーするかQRコードで本人に渡してください。');
}

// The QR code comes with the link (the token is sent nowhere again to be drawn); shown
// through a blob: URL, as an image, so the SVG's markup never enters the page.
function drawQr(card, svg, img, note) {
  if (!svg) {
    note.textContent = 'QRコードを作れませんでした。リンクをコピーして渡してください。';
    return;
  }
  const blob = new Blob([svg], { type: 'image/svg+xml' });
  const objectUrl = URL.createObjectURL(blob);
  blobUrls.set(card, objectUrl);
  img.src = objectUrl;
  img.hidden = false;
  note.textContent = 'スマートフォンのカメラで読み取れます。';
}

function removeCard(card) {
  const objectUrl = blobUrls.get(card);
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  blobUrls.delete(card);
  const input = card.querySelector('input.link-url');
  if (input) input.value = '';
  card.remove();
  if (!$('#col-created').children.length) $('#col-created-area').hidden = true;
}

function clearCards() {
  for (const card of [...$('#col-created').children]) removeCard(card);
  $('#col-created-area').hidden = true;
}

async function onCardClick(e) {
  const close = e.target.closest('button.card-close');
  if (close) {
    removeCard(close.closest('.created-link, .created-failure'));
    $('#col-submit').focus();
    return;
  }
  const copy = e.target.closest('button.copy');
  if (!copy) return;
  const card = copy.closest('.created-link');
  const input = card.querySelector('input.link-url');
  const status = card.querySelector('.copy-status');
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = 'コピーしました';
  } catch {
    input.focus();
    input.select();
    status.textContent = 'コピーできませんでした。リンクを選択したので、Ctrl+C（⌘+C）でコピーしてください。';
  }
}

// ---- list ----------------------------------------------------------------------------

async function loadList(fresh) {
  const filterForm = $('#col-filter');
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    listCursor = null;
    clearFieldErrors(filterForm);
    listQuery = {
      status: $('#col-filter-status').value,
      employee_id: $('#col-filter-employee').value.trim(),
    };
    $('#col-list tbody').replaceChildren();
    $('#col-more').hidden = true;
    $('#col-list-summary').textContent = '読み込み中です…';
  }
  showProblem($('#col-list-error'), null);
  let page;
  try {
    if (fresh) await loadMail(signal);
    page = await api('GET', '/v1/collections', { query: { ...listQuery, limit: 50, cursor: listCursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#col-list-summary').textContent = '';
    const rest = err.errors?.length ? showFieldErrors(filterForm, err.errors) : [];
    showProblem($('#col-list-error'), err, {}, rest);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  for (const c of items) $('#col-list tbody').append(rowOf(c));
  listCursor = page?.next_cursor || null;
  $('#col-more').hidden = !listCursor;
  const n = $('#col-list tbody').children.length;
  $('#col-list-summary').textContent = n ? `${n}件${listCursor ? '（続きがあります）' : ''}` : '条件に合うリンクはありません。';
}

// collection id → its newest link mail (link or reminder), from the sent log's latest page:
// where it went (masked), when, and what became of it. The list works without it.
let mailByCollection = new Map();

async function loadMail(signal) {
  mailByCollection = new Map();
  let log;
  try {
    log = await api('GET', '/v1/notifications', { query: { limit: 100 }, signal });
  } catch (err) {
    if (isAborted(err)) throw err;
    return;
  }
  for (const n of Array.isArray(log?.items) ? log.items : []) {
    if ((n.kind === 'link' || n.kind === 'reminder') && n.collection_id && !mailByCollection.has(n.collection_id)) {
      mailByCollection.set(n.collection_id, n);
    }
  }
}

function rowOf(c) {
  const m = mailByCollection.get(c.collection_id);
  const actions = h('td', { class: 'actions col-actions' });
  if (isRegistrar() && c.status === 'open') {
    // An emailed link can be emailed again (a link of its own; the earlier ones still work).
    if (m) {
      const r = h('button', { type: 'button', class: 'button secondary small resend' }, 'メールで再送');
      r.setAttribute('aria-label', `従業員番号 ${c.employee_id} のリンクをメールで再送する`);
      actions.append(r);
    }
    const b = h('button', { type: 'button', class: 'button secondary small cancel' }, '取り消す');
    b.setAttribute('aria-label', `従業員番号 ${c.employee_id} のリンクを取り消す`);
    actions.append(b);
  }
  const mailed = m
    ? h('span', { class: 'mailed', dataset: { status: String(m.status) } },
      `メール ${m.to}：${label(DELIVERY_STATUSES, m.status)}（${formatDateTime(m.sent_at)}）`)
    : null;
  return h('tr', { dataset: { collectionId: c.collection_id } },
    h('td', {}, String(c.employee_id ?? '')),
    h('td', { class: 'status' }, h('span', { class: `badge badge-col-${c.status}` }, label(COLLECTION_STATUSES, c.status)), mailed),
    h('td', {}, purposesText(c.purposes)),
    h('td', {}, c.include_family ? 'あり' : 'なし'),
    h('td', {}, formatDateTime(c.expires_at)),
    h('td', {}, formatDateTime(c.created_at)),
    h('td', {}, String(c.created_by ?? '')),
    actions);
}

async function onListClick(e) {
  const again = e.target.closest('button.resend');
  if (again) return resend(again);
  const button = e.target.closest('button.cancel');
  if (!button) return;
  const row = button.closest('tr');
  const id = row.dataset.collectionId;
  // Part of the list on screen: a new list or a reset drops its answer.
  const signal = list.signal;
  let updated;
  try {
    updated = await busy(button, '取り消し中…', () => api('DELETE', `/v1/collections/${seg(id)}`, { signal }));
  } catch (err) {
    if (isAborted(err)) return;
    showProblem($('#col-list-error'), err);
    if (err.code === 'collection_closed') loadList(true);
    return;
  }
  if (!row.isConnected) return;
  const fresh = rowOf({ ...updated, status: updated?.status || 'cancelled' });
  row.replaceWith(fresh);
  $('#col-list-summary').textContent = 'リンクを取り消しました。';
  $('#col-reload').focus();
}

async function resend(button) {
  const row = button.closest('tr');
  const id = row.dataset.collectionId;
  const signal = list.signal;
  let sent;
  try {
    sent = await busy(button, '送信中…', () => api('POST', `/v1/collections/${seg(id)}/resend`, { signal }));
  } catch (err) {
    if (isAborted(err)) return;
    showProblem($('#col-list-error'), err);
    if (err.code === 'collection_closed') loadList(true);
    return;
  }
  if (!row.isConnected) return;
  showProblem($('#col-list-error'), null);
  const ok = sent?.delivery?.status === 'sent';
  row.querySelector('td.status .delivery')?.remove();
  row.querySelector('td.status').append(h('p',
    { class: `delivery ${ok ? 'sent' : 'failed'}`, dataset: { status: String(sent?.delivery?.status) } },
    ok ? '再送しました。' : '再送できませんでした。'));
  $('#col-list-summary').textContent = ok
    ? 'リンクをメールで再送しました。以前のメールのリンクも期限まで使えます。'
    : 'メールを送れませんでした。リンクは有効です。';
}
