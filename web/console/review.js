// #/review — 提出の確認 (registrar): what employees submitted through a collection link,
// one card per submission (the employee, the photos once at the top, then each person's
// record), waiting for the registrar to check the identity documents and confirm each
// record (it becomes active) or reject it (it is disposed of), or confirm all of them at
// once. Document photos come from short-lived presigned URLs that are dropped from the
// page when they expire or the record that holds them is decided.

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
  const cards = submissions(pending);
  for (const card of cards) $('#review-list').append(cardOf(card));
  $('#review-empty').hidden = cards.length > 0;
  $('#review-summary').textContent = cards.length
    ? `確認待ち: ${cards.length}件の提出・${pending.length}人分（確認期限の近い順）${partial ? '。件数が多いため一部だけ表示しています' : ''}`
    : '';
  for (const card of document.querySelectorAll('#review-list .review-submission')) loadDocuments(card, signal);
}

const RELATION_ORDER = { self: 0, spouse: 1, dependent: 2 };

/** Pending records grouped by the submission (collection) they came in, the employee's own
 * first; the submissions whose review falls due soonest first. */
function submissions(pending) {
  const groups = new Map();
  for (const r of pending) {
    const key = r.submitted?.collection_id || r.record_id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const due = (records) => records.map((r) => String(r.review_due_at || '')).sort()[0] || '';
  return [...groups.entries()]
    .map(([id, records]) => ({
      id,
      records: records.sort((a, b) => (RELATION_ORDER[a.relation] ?? 3) - (RELATION_ORDER[b.relation] ?? 3)),
      due: due(records),
    }))
    .sort((a, b) => a.due.localeCompare(b.due));
}

function cardOf({ id, records, due }) {
  seq += 1;
  const titleId = `rs${seq}-title`;
  const first = records[0];
  const several = records.length > 1;
  return h('article', { class: 'review-submission', dataset: { collectionId: id }, 'aria-labelledby': titleId },
    h('h3', { id: titleId }, `従業員番号 ${first.employee_id}・${records.length}人分の提出`),
    h('dl', { class: 'kv' },
      h('dt', {}, '利用目的'), h('dd', {}, purposesText(first.purposes)),
      h('dt', {}, '提出日時'), h('dd', {}, formatDateTime(first.created_at)),
      h('dt', {}, '確認期限'), h('dd', {}, due ? `${formatDate(due)}（過ぎると自動で削除されます）` : '—')),
    h('section', { class: 'documents', 'aria-label': '本人確認書類の写真' },
      h('h4', {}, '本人確認書類の写真'),
      h('p', { class: 'documents-status hint' }, '読み込み中です…'),
      h('ul', { class: 'doc-list' }),
      h('div', { class: 'doc-view-area' })),
    records.map(itemOf),
    several ? confirmAllForm(`rs${seq}`, first) : null,
    h('div', { class: 'form-error card-error', hidden: true }));
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

/** One verification for the whole submission: the number check and the employee's identity
 * check as the registrar made them; each dependant's identity is then the employee's check.
 * A 国民年金第3号 spouse is left to its own form (the employer checks that spouse). */
function confirmAllForm(base, first) {
  const said = first.relation === 'self' ? first.submitted || {} : {};
  const dateId = `${base}-all-verified-on`;
  const today = todayTokyo();
  const date = h('input', { type: 'date', id: dateId, class: 'all-verified-on', max: today });
  date.value = today;
  const form = h('form', { class: 'confirm-all', novalidate: true, autocomplete: 'off' },
    h('h4', {}, 'まとめて確認する'),
    h('p', { class: 'hint' }, '番号確認の書類と、従業員本人の身元確認の方法を1回選んで、まだ決めていない記録をまとめて確認します。扶養親族の身元は従業員本人が確認したものとします。国民年金第3号の配偶者は事業者が確認するため、その記録のところで個別に確認してください。'),
    selectField('all-number-check', '番号確認に使った書類', NUMBER_CHECKS, said.number_document, base, 'all.number_check'),
    selectField('all-identity-check', '従業員本人の身元確認の方法', IDENTITY_CHECKS, said.identity_document, base, 'all.identity_check'),
    h('div', { class: 'field' }, h('label', { for: dateId }, '確認した日'), date),
    h('button', { type: 'submit', class: 'button primary confirm-all-button' }, 'まとめて確認して有効にする'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const card = form.closest('.review-submission');
    busy(form.querySelector('.confirm-all-button'), '確認しています…', () => confirmAll(card));
  });
  return form;
}

/** Whether the employee checks this person's number: a dependant, or a spouse who is not
 * under 国民年金第3号 (that spouse's the employer checks). */
const employeeChecks = (r) => r.relation === 'dependent'
  || (r.relation === 'spouse' && !(r.purposes || []).includes('national_pension_dependent_spouse'));

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
    h('h5', {}, '確認して有効にする'),
    selectField('rv-number-check', '番号確認に使った書類', NUMBER_CHECKS, said.number_document, base, 'verification.number_check'),
    selectField('rv-identity-check', '身元確認の方法', IDENTITY_CHECKS, said.identity_document
      || (employeeChecks(r) ? 'by_employee' : ''), base, 'verification.identity_check'),
    h('div', { class: 'field' },
      h('label', { for: dateId }, '確認した日'),
      dateInput,
      h('p', { class: 'field-error', id: `${dateId}-err`, dataset: { for: 'verification.verified_on' }, role: 'alert', hidden: true })),
    h('p', { class: 'hint' }, r.relation === 'self'
      ? '本人の番号は、書類の写真または原本で番号確認と身元確認をしてください。'
      : '扶養親族の番号は従業員本人が確認します（「従業員本人が確認」）。国民年金第3号の配偶者は担当者が確認します。'),
    h('button', { type: 'submit', class: 'button primary confirm' }, '確認して有効にする'));
  const rejectForm = h('form', { class: 'rv-reject', novalidate: true, autocomplete: 'off' },
    h('h5', {}, '却下する'),
    h('div', { class: 'field' },
      h('label', { for: reasonId }, '却下の理由'),
      h('p', { class: 'hint', id: `${reasonId}-hint` }, '例: 書類の写真が読めない、番号が書類と一致しない。500文字以内。番号は書かないでください。却下すると、提出された番号と書類の写真は削除されます。'),
      h('textarea', { id: reasonId, class: 'rv-reason', rows: '2', maxlength: '500', 'aria-describedby': `${reasonId}-hint ${reasonId}-err` }),
      h('p', { class: 'field-error', id: `${reasonId}-err`, dataset: { for: 'reason' }, role: 'alert', hidden: true })),
    h('button', { type: 'submit', class: 'button danger reject' }, '却下する'));
  confirmForm.addEventListener('submit', (e) => { e.preventDefault(); decide(e.currentTarget.closest('.review-item'), 'confirm'); });
  rejectForm.addEventListener('submit', (e) => { e.preventDefault(); decide(e.currentTarget.closest('.review-item'), 'reject'); });

  const employerChecks = r.relation === 'spouse' && !employeeChecks(r);
  return h('section', { class: 'review-item', dataset: { recordId: r.record_id, relation: r.relation, employerChecks: String(employerChecks) }, 'aria-labelledby': titleId },
    h('h4', { id: titleId }, relationText(r)),
    h('dl', { class: 'kv' },
      h('dt', {}, '本人の申告（番号確認の書類）'), h('dd', {}, said.number_document ? label(NUMBER_CHECKS, said.number_document) : '（申告なし）'),
      h('dt', {}, '本人の申告（身元確認の書類）'), h('dd', {}, said.identity_document ? label(IDENTITY_CHECKS, said.identity_document) : '（申告なし）')),
    h('div', { class: 'decide' }, confirmForm, rejectForm),
    h('div', { class: 'form-error item-error', hidden: true }));
}

/** The photos of a submission: those of each of its records (the employee's own, mostly). */
async function loadDocuments(card, signal) {
  const status = card.querySelector('.documents-status');
  const ids = [...card.querySelectorAll('.review-item')].map((item) => item.dataset.recordId);
  let found;
  try {
    found = await Promise.all(ids.map((id) => api('GET', `/v1/records/${seg(id)}/documents`, { signal })
      .then((r) => (Array.isArray(r?.items) ? r.items : []).map((d) => ({ ...d, record_id: id }))
        , (err) => { if (err.status === 404) return []; throw err; })));
  } catch (err) {
    if (isAborted(err) || !card.isConnected) return;
    status.textContent = '書類の一覧を読み込めませんでした。';
    return;
  }
  if (!card.isConnected) return;
  const docs = found.flat();
  card.dataset.photos = String(docs.length);
  status.textContent = docs.length
    ? '「表示」を押すと写真を開きます（開いたことは記録されます。表示は60秒で消えます）。'
    : '書類の写真は送られていません。原本などで確認してください。';
  card.querySelector('.doc-list').replaceChildren(...docs.map((d) => h('li', { dataset: { documentId: d.document_id, recordId: d.record_id } },
    h('span', {}, `${label(DOCUMENT_KINDS, d.kind)}（${d.content_type === 'application/pdf' ? 'PDF' : '画像'}・${kb(d.bytes)}）`),
    ' ',
    h('button', { type: 'button', class: 'button secondary small view-doc', dataset: { documentId: d.document_id, recordId: d.record_id, contentType: d.content_type || '' } }, '表示'))));
}

const kb = (bytes) => (Number.isFinite(bytes) ? `${Math.max(1, Math.round(bytes / 1024))}KB` : '');

async function onClick(e) {
  const button = e.target.closest('button.view-doc');
  if (button) { viewDocument(button); return; }
  const close = e.target.closest('button.doc-close');
  if (close) dropView(close.closest('.doc-view'));
}

async function viewDocument(button) {
  const card = button.closest('.review-submission');
  const docId = button.dataset.documentId;
  const area = card.querySelector('.doc-view-area');
  const signal = list.signal;
  let link;
  try {
    link = await busy(button, '開いています…', () => api('GET', `/v1/records/${seg(button.dataset.recordId)}/documents/${seg(docId)}`, { signal }));
  } catch (err) {
    if (isAborted(err) || !card.isConnected) return;
    showProblem(card.querySelector('.card-error'), err);
    return;
  }
  if (!card.isConnected) return;
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

/** Confirms every record of the card not decided yet with the card's one verification,
 * except a 国民年金第3号 spouse's; says what it could not. */
async function confirmAll(card) {
  const pick = (cls) => card.querySelector(`.confirm-all .${cls}`).value;
  const numberCheck = pick('all-number-check');
  const identityCheck = pick('all-identity-check');
  const verifiedOn = card.querySelector('.confirm-all .all-verified-on').value;
  const open = [...card.querySelectorAll('.review-item:not(.decided)')];
  const own = open.filter((item) => item.dataset.employerChecks !== 'true');
  const box = card.querySelector('.card-error');
  const missing = [
    !numberCheck && { field: 'all.number_check', rule: 'required' },
    !identityCheck && own.some((item) => item.dataset.relation === 'self') && { field: 'all.identity_check', rule: 'required' },
  ].filter(Boolean);
  clearFieldErrors(card.querySelector('.confirm-all'));
  if (missing.length) { showFieldErrors(card.querySelector('.confirm-all'), missing); return; }
  let done = 0;
  for (const item of own) {
    item.querySelector('.rv-number-check').value = numberCheck;
    item.querySelector('.rv-identity-check').value = item.dataset.relation === 'self' ? identityCheck : 'by_employee';
    item.querySelector('.rv-verified-on').value = verifiedOn;
    if (await decide(item, 'confirm')) done += 1;
  }
  const failed = own.length - done;
  const left = open.length - own.length;
  const lines = [];
  if (failed) lines.push(`${failed}人分は確認できませんでした。理由はその記録のところにあります。`);
  if (left) lines.push(`国民年金第3号の配偶者（${left}人分）は、その記録のところで個別に確認してください。`);
  box.replaceChildren(...(lines.length ? [h('p', { role: 'status' }, `${done}人分を確認しました。`, ...lines)] : []));
  box.hidden = !lines.length;
}

/** Confirms or rejects one record; true when the server did. */
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
    if (!reason) { showFieldErrors(item, [{ field: 'reason', rule: 'required' }]); return false; }
    body = { reason };
  }
  const signal = list.signal;
  let result;
  try {
    result = await busy(button, action === 'confirm' ? '確認しています…' : '却下しています…',
      () => api('POST', `/v1/records/${seg(item.dataset.recordId)}/${action}`, { body, signal }));
  } catch (err) {
    if (isAborted(err) || !item.isConnected) return false;
    const rest = err.errors?.length ? showFieldErrors(item, err.errors) : [];
    showProblem(errorBox, err, {}, rest);
    return false;
  }
  if (!item.isConnected) return false;
  // Decided: the record's photos are deleted on the server; drop them and their URLs here.
  const card = item.closest('.review-submission');
  for (const li of card.querySelectorAll('.doc-list li')) {
    if (li.dataset.recordId !== item.dataset.recordId) continue;
    for (const view of card.querySelectorAll('.doc-view')) if (view.dataset.documentId === li.dataset.documentId) dropView(view);
    li.remove();
  }
  item.querySelector('.decide')?.remove();
  item.classList.add('decided');
  // Nothing left to look at or to confirm together: those parts of the card go.
  const undecided = card.querySelector('.review-item:not(.decided)');
  if (!undecided || (Number(card.dataset.photos) > 0 && !card.querySelector('.doc-list li'))) {
    for (const view of card.querySelectorAll('.doc-view')) dropView(view);
    card.querySelector('.documents')?.remove();
  }
  if (!undecided) card.querySelector('.confirm-all')?.remove();
  item.append(h('p', { class: 'done-text', role: 'status' }, action === 'confirm'
    ? `確認しました。この記録は有効になりました（${formatDate(result?.verification?.verified_on) || ''}）。`
    : '却下しました。提出された番号と書類の写真は削除され、削除・廃棄の記録に残りました。'));
  return true;
}
