// #/review — 提出の確認 (registrar): the records employees submitted through a collection
// link, waiting for the registrar to check the identity documents and confirm (the
// record becomes active) or reject (the record is disposed of). Document photos come
// from short-lived presigned URLs that are dropped from the page when they expire or the
// record is decided.

import { api, allPages, seg } from './api.js';
import {
  label, relationText, purposesText, NUMBER_CHECKS, IDENTITY_CHECKS, DOCUMENT_KINDS,
} from './labels.js';
import { $, h, fillSelect } from './dom.js';
import { formatDate, formatDateTime, todayTokyo } from './dates.js';
import { latest, isAborted, httpUrl } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy } from './ui.js';

// The list on screen and everything asked about its items (documents, a photo, a
// decision): a reload or a reset aborts them all, and drops their answers.
const list = latest();
let seq = 0; // for unique element ids
const timers = new Set(); // expiry timers of shown documents

export function init() {
  $('#review-reload').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', load));
  $('#review-list').addEventListener('click', onClick);
}

export function show() {
  load();
}

export function hide() {
  // Leaving the page drops every presigned URL; items stay for when the user returns.
  for (const view of document.querySelectorAll('#review-list .doc-view')) dropView(view);
}

export function reset() {
  list.abort();
  clearItems();
  $('#review-summary').textContent = '';
  $('#review-empty').hidden = true;
  showProblem($('#review-error'), null);
}

function clearItems() {
  for (const t of timers) clearTimeout(t);
  timers.clear();
  $('#review-list').replaceChildren();
}

async function load() {
  const signal = list.start();
  showProblem($('#review-error'), null);
  $('#review-summary').textContent = '読み込み中です…';
  $('#review-empty').hidden = true;
  let pending = [];
  let partial = false;
  try {
    const cols = await allPages('/v1/collections', { status: 'submitted' }, { maxPages: 20, signal });
    partial = !cols.complete;
    // employee id → the ids of that employee's submitted collections
    const byEmployee = new Map();
    for (const c of cols.items) {
      if (!byEmployee.has(c.employee_id)) byEmployee.set(c.employee_id, new Set());
      byEmployee.get(c.employee_id).add(c.collection_id);
    }
    for (const [employeeId, ids] of byEmployee) {
      const records = await allPages('/v1/records', { employee_id: employeeId }, { maxPages: 10, signal });
      for (const r of records.items) {
        if (r.status === 'pending_review' && ids.has(r.submitted?.collection_id)) pending.push(r);
      }
    }
  } catch (err) {
    if (isAborted(err)) return;
    $('#review-summary').textContent = '';
    showProblem($('#review-error'), err);
    return;
  }
  clearItems();
  pending = pending.sort((a, b) => String(a.review_due_at || '').localeCompare(String(b.review_due_at || '')));
  for (const r of pending) $('#review-list').append(itemOf(r));
  $('#review-empty').hidden = pending.length > 0;
  $('#review-summary').textContent = pending.length
    ? `確認待ち: ${pending.length}件（確認期限の近い順）${partial ? '。件数が多いため一部だけ表示しています' : ''}`
    : '';
  for (const item of document.querySelectorAll('#review-list .review-item')) loadDocuments(item, signal);
}

function selectField(cls, text, map, value, idBase, field) {
  const id = `${idBase}-${cls}`;
  const errId = `${id}-err`;
  const select = h('select', { id, class: cls, 'aria-describedby': errId });
  fillSelect(select, map);
  select.value = value && Object.prototype.hasOwnProperty.call(map, value) ? value : '';
  return h('div', { class: 'field' },
    h('label', { for: id }, text),
    select,
    h('p', { class: 'field-error', id: errId, dataset: { for: field }, role: 'alert', hidden: true }));
}

function itemOf(r) {
  seq += 1;
  const base = `rv${seq}`;
  const said = r.submitted || {};
  const titleId = `${base}-title`;
  const dateId = `${base}-rv-verified-on`;
  const reasonId = `${base}-rv-reason`;
  const today = todayTokyo();
  const dateInput = h('input', { type: 'date', id: dateId, class: 'rv-verified-on', max: today, 'aria-describedby': `${dateId}-err` });
  dateInput.value = today;
  const confirmForm = h('form', { class: 'rv-confirm', novalidate: true, autocomplete: 'off' },
    h('h4', {}, '確認して有効にする'),
    selectField('rv-number-check', '番号確認に使った書類', NUMBER_CHECKS, said.number_document, base, 'verification.number_check'),
    selectField('rv-identity-check', '身元確認の方法', IDENTITY_CHECKS, said.identity_document
      || (r.relation === 'dependent' ? 'by_employee' : ''), base, 'verification.identity_check'),
    h('div', { class: 'field' },
      h('label', { for: dateId }, '確認した日'),
      dateInput,
      h('p', { class: 'field-error', id: `${dateId}-err`, dataset: { for: 'verification.verified_on' }, role: 'alert', hidden: true })),
    h('p', { class: 'hint' }, r.relation === 'self'
      ? '本人の番号は、書類の写真または原本で番号確認と身元確認をしてください。'
      : '扶養親族の番号は従業員本人が確認します（「従業員本人が確認」）。国民年金第3号の配偶者は担当者が確認します。'),
    h('button', { type: 'submit', class: 'button primary confirm' }, '確認して有効にする'));
  const rejectForm = h('form', { class: 'rv-reject', novalidate: true, autocomplete: 'off' },
    h('h4', {}, '却下する'),
    h('div', { class: 'field' },
      h('label', { for: reasonId }, '却下の理由'),
      h('p', { class: 'hint', id: `${reasonId}-hint` }, '例: 書類の写真が読めない、番号が書類と一致しない。500文字以内。番号は書かないでください。却下すると、提出された番号と書類の写真は削除されます。'),
      h('textarea', { id: reasonId, class: 'rv-reason', rows: '2', maxlength: '500', 'aria-describedby': `${reasonId}-hint ${reasonId}-err` }),
      h('p', { class: 'field-error', id: `${reasonId}-err`, dataset: { for: 'reason' }, role: 'alert', hidden: true })),
    h('button', { type: 'submit', class: 'button danger reject' }, '却下する'));
  confirmForm.addEventListener('submit', (e) => { e.preventDefault(); decide(e.currentTarget.closest('.review-item'), 'confirm'); });
  rejectForm.addEventListener('submit', (e) => { e.preventDefault(); decide(e.currentTarget.closest('.review-item'), 'reject'); });

  return h('article', { class: 'review-item', dataset: { recordId: r.record_id }, 'aria-labelledby': titleId },
    h('h3', { id: titleId }, `従業員番号 ${r.employee_id}・${relationText(r)}`),
    h('dl', { class: 'kv' },
      h('dt', {}, '本人の申告（番号確認の書類）'), h('dd', {}, said.number_document ? label(NUMBER_CHECKS, said.number_document) : '（申告なし）'),
      h('dt', {}, '本人の申告（身元確認の書類）'), h('dd', {}, said.identity_document ? label(IDENTITY_CHECKS, said.identity_document) : '（申告なし）'),
      h('dt', {}, '利用目的'), h('dd', {}, purposesText(r.purposes)),
      h('dt', {}, '提出日時'), h('dd', {}, formatDateTime(r.created_at)),
      h('dt', {}, '確認期限'), h('dd', {}, r.review_due_at ? `${formatDate(r.review_due_at)}（過ぎると自動で削除されます）` : '—')),
    h('section', { class: 'documents', 'aria-label': '本人確認書類の写真' },
      h('h4', {}, '本人確認書類の写真'),
      h('p', { class: 'documents-status hint' }, '読み込み中です…'),
      h('ul', { class: 'doc-list' }),
      h('div', { class: 'doc-view-area' })),
    h('div', { class: 'decide' }, confirmForm, rejectForm),
    h('div', { class: 'form-error item-error', hidden: true }));
}

async function loadDocuments(item, signal) {
  const status = item.querySelector('.documents-status');
  let found;
  try {
    found = await api('GET', `/v1/records/${seg(item.dataset.recordId)}/documents`, { signal });
  } catch (err) {
    if (isAborted(err) || !item.isConnected) return;
    status.textContent = err.status === 404 ? '書類の写真はありません。' : '書類の一覧を読み込めませんでした。';
    return;
  }
  if (!item.isConnected) return;
  const docs = Array.isArray(found?.items) ? found.items : [];
  status.textContent = docs.length
    ? '「表示」を押すと写真を開きます（開いたことは記録されます。表示は60秒で消えます）。'
    : '書類の写真は送られていません。原本などで確認してください。';
  item.querySelector('.doc-list').replaceChildren(...docs.map((d) => h('li', { dataset: { documentId: d.document_id } },
    h('span', {}, `${label(DOCUMENT_KINDS, d.kind)}（${d.content_type === 'application/pdf' ? 'PDF' : '画像'}・${kb(d.bytes)}）`),
    ' ',
    h('button', { type: 'button', class: 'button secondary small view-doc', dataset: { documentId: d.document_id, contentType: d.content_type || '' } }, '表示'))));
}

const kb = (bytes) => (Number.isFinite(bytes) ? `${Math.max(1, Math.round(bytes / 1024))}KB` : '');

async function onClick(e) {
  const button = e.target.closest('button.view-doc');
  if (button) { viewDocument(button); return; }
  const close = e.target.closest('button.doc-close');
  if (close) dropView(close.closest('.doc-view'));
}

async function viewDocument(button) {
  const item = button.closest('.review-item');
  const docId = button.dataset.documentId;
  const area = item.querySelector('.doc-view-area');
  const signal = list.signal;
  let link;
  try {
    link = await busy(button, '開いています…', () => api('GET', `/v1/records/${seg(item.dataset.recordId)}/documents/${seg(docId)}`, { signal }));
  } catch (err) {
    if (isAborted(err) || !item.isConnected) return;
    showProblem(item.querySelector('.item-error'), err);
    return;
  }
  if (!item.isConnected) return;
  const url = httpUrl(link?.url);
  if (!url) return;
  // One view per document: replace an earlier one.
  for (const old of area.querySelectorAll('.doc-view')) if (old.dataset.documentId === docId) dropView(old);
  const kind = button.closest('li')?.querySelector('span')?.textContent || '書類';
  const isPdf = button.dataset.contentType === 'application/pdf';
  const view = h('figure', { class: 'doc-view', dataset: { documentId: docId } },
    isPdf
      ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'button secondary' }, `${kind}のPDFを新しいタブで開く`)
      : h('img', { src: url, alt: kind, referrerpolicy: 'no-referrer', class: 'doc-image' }),
    h('figcaption', {}, kind, ' ', h('button', { type: 'button', class: 'button secondary small doc-close' }, '閉じる')));
  area.append(view);
  const seconds = Number.isFinite(link?.expires_in) && link.expires_in > 0 ? link.expires_in : 60;
  const t = setTimeout(() => {
    timers.delete(t);
    if (view.isConnected) {
      dropView(view);
      area.append(h('p', { class: 'hint doc-expired' }, `${kind}の表示期限が切れました。もう一度「表示」を押してください。`));
    }
  }, seconds * 1000);
  view.dataset.timer = String(t);
  timers.add(t);
}

/** Removes a document view and its URL (img src / link href) from the page. */
function dropView(view) {
  if (!view) return;
  const t = Number(view.dataset.timer);
  if (t) { clearTimeout(t); timers.delete(t); }
  const img = view.querySelector('img');
  if (img) img.removeAttribute('src');
  const a = view.querySelector('a[href]');
  if (a) a.removeAttribute('href');
  view.remove();
}

async function decide(item, action) {
  const form = item.querySelector(action === 'confirm' ? 'form.rv-confirm' : 'form.rv-reject');
  const button = form.querySelector(action === 'confirm' ? 'button.confirm' : 'button.reject');
  const errorBox = item.querySelector('.item-error');
  clearFieldErrors(item);
  showProblem(errorBox, null);
  let body;
  if (action === 'confirm') {
    body = {
      verification: {
        number_check: item.querySelector('.rv-number-check').value,
        identity_check: item.querySelector('.rv-identity-check').value,
        verified_on: item.querySelector('.rv-verified-on').value,
      },
    };
  } else {
    const reason = item.querySelector('.rv-reason').value.trim();
    if (!reason) { showFieldErrors(item, [{ field: 'reason', rule: 'required' }]); return; }
    body = { reason };
  }
  const signal = list.signal;
  let result;
  try {
    result = await busy(button, action === 'confirm' ? '確認しています…' : '却下しています…',
      () => api('POST', `/v1/records/${seg(item.dataset.recordId)}/${action}`, { body, signal }));
  } catch (err) {
    if (isAborted(err) || !item.isConnected) return;
    const rest = err.errors?.length ? showFieldErrors(item, err.errors) : [];
    showProblem(errorBox, err, {}, rest);
    return;
  }
  if (!item.isConnected) return;
  // Decided: the documents are deleted on the server; drop their URLs here too.
  for (const view of item.querySelectorAll('.doc-view')) dropView(view);
  item.querySelector('.documents')?.remove();
  item.querySelector('.decide')?.remove();
  item.classList.add('decided');
  item.append(h('p', { class: 'done-text', role: 'status' }, action === 'confirm'
    ? `確認しました。この記録は有効になりました（${formatDate(result?.verification?.verified_on) || ''}）。`
    : '却下しました。提出された番号と書類の写真は削除され、削除・廃棄の記録に残りました。'));
}
