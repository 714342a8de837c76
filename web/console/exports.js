// #/exports — 番号の一括出力 (handler, admin, auditor): a handler requests the numbers of a
// purpose (everyone's, or a list of employees) for the year's filings; another handler or
// an admin approves (four eyes: the page offers no approval of one's own request, and the
// API refuses it); the requester downloads the file once, within the hour after the
// approval, as an Excel workbook (every cell text: all twelve digits survive) or as CSV with
// a BOM so that Excel reads it as UTF-8. The auditor sees the list.
// The file's bytes pass through this page's memory into the browser's download only (a
// blob: URL revoked once it is saved); nothing is kept in any storage.

import { api, seg } from './api.js';
import { $, $$, h, saveFile } from './dom.js';
import { formatDateTime, todayTokyo } from './dates.js';
import { label, PURPOSES, EXPORT_STATUSES } from './labels.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, clearFieldError, busy } from './ui.js';

let ctx = null;
let cursor = null;
let requesting = false;
const list = latest();
const work = latest();

const form = () => $('#exp-form');
const scope = () => ($('input[name="exp-scope"]:checked')?.value === 'list' ? 'list' : 'all');
const me = () => ctx.sub();
const mayRequest = () => ctx.hasRole('handler');
const mayApprove = () => ctx.hasRole('handler') || ctx.hasRole('admin');

/** What the API's refusals mean here. */
const OVERRIDES = {
  four_eyes: '自分で依頼した出力は承認できません。別の事務取扱担当者か管理者に承認を依頼してください。',
  not_requester: 'ダウンロードできるのは依頼した担当者だけです。',
  not_approved: 'まだ承認されていないか、すでに承認・ダウンロードされています。読み込み直してください。',
  export_gone: 'この出力はダウンロード済みか期限切れのため、もうダウンロードできません（番号のファイルは1回だけ作られます）。必要なら新しく依頼してください。',
  no_records: 'この範囲には、この利用目的の有効な記録がありません。',
  too_many_records: '記録が多すぎて1つのファイルにできません（10,000件まで）。従業員を分けて依頼してください。',
};

export function init(c) {
  ctx = c;
  form().addEventListener('submit', (e) => { e.preventDefault(); request(); });
  form().addEventListener('input', (e) => clearFieldError(form(), e.target.id === 'exp-employee-ids' ? 'employee_ids' : 'purpose'));
  for (const r of $$('input[name="exp-scope"]')) r.addEventListener('change', updateScope);
  $('#exp-reload').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(true)));
  $('#exp-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(false)));
  $('#exp-table').addEventListener('click', onAction);
}

export function show() {
  form().hidden = !mayRequest();
  updateScope();
  load(true);
}

export function hide() {}

export function reset() {
  list.abort();
  work.abort();
  cursor = null;
  form().reset();
  clearFieldErrors(form());
  updateScope();
  showProblem($('#exp-error'), null);
  showProblem($('#exp-list-error'), null);
  $('#exp-requested').replaceChildren();
  $('#exp-requested').hidden = true;
  $('#exp-table tbody').replaceChildren();
  $('#exp-more').hidden = true;
  $('#exp-summary').textContent = '';
}

function updateScope() {
  $('#exp-list-fields').hidden = scope() !== 'list';
  clearFieldError(form(), 'employee_ids');
}

// ---- request -------------------------------------------------------------------------

/** The employee ids typed one a line (or separated by commas or spaces), each once. */
const employeeIds = () => [...new Set($('#exp-employee-ids').value.split(/[\s,、]+/).map((s) => s.trim()).filter(Boolean))];

function requestBody() {
  const purpose = $('#exp-purpose').value;
  const errors = [];
  if (!purpose) errors.push({ field: 'purpose', rule: 'required' });
  if (scope() === 'all') return errors.length ? { errors } : { body: { purpose, all: true } };
  const ids = employeeIds();
  if (!ids.length) errors.push({ field: 'employee_ids', rule: 'required' });
  else if (ids.length > 1000) errors.push({ field: 'employee_ids', rule: 'too_many' });
  return errors.length ? { errors } : { body: { purpose, employee_ids: ids } };
}

async function request() {
  if (requesting) return;
  clearFieldErrors(form());
  showProblem($('#exp-error'), null);
  const { body, errors } = requestBody();
  if (errors) { showFieldErrors(form(), errors); return; }
  requesting = true;
  $('#exp-requested').hidden = true;
  let made;
  try {
    made = await busy($('#exp-submit'), '依頼しています…', () => api('POST', '/v1/exports', { body }));
  } catch (err) {
    if (isAborted(err)) return;
    // employee_ids[3] and the like: the list as a whole is the field on this page.
    const fieldErrors = (err.errors || []).map((e) => ({ ...e, field: String(e.field).replace(/\[[0-9]+\]$/, '') }));
    const rest = fieldErrors.length ? showFieldErrors(form(), fieldErrors) : [];
    showProblem($('#exp-error'), err, OVERRIDES, rest);
    return;
  } finally {
    requesting = false;
  }
  const box = $('#exp-requested');
  box.replaceChildren(
    h('p', { class: 'done-title' }, `出力を依頼しました（${Number(made?.record_count ?? 0)}件）。`),
    h('p', {}, '別の事務取扱担当者か管理者が承認すると、一覧の「ダウンロード」からあなたが1回だけダウンロードできます（承認から1時間以内）。'));
  box.hidden = false;
  box.focus();
  load(true);
}

// ---- list ----------------------------------------------------------------------------

async function load(fresh) {
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    cursor = null;
    $('#exp-table tbody').replaceChildren();
    $('#exp-more').hidden = true;
    $('#exp-summary').textContent = '読み込み中です…';
  }
  showProblem($('#exp-list-error'), null);
  let page;
  try {
    page = await api('GET', '/v1/exports', { query: { limit: 50, cursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#exp-summary').textContent = '';
    showProblem($('#exp-list-error'), err, OVERRIDES);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  $('#exp-table tbody').append(...items.map(rowOf));
  cursor = page?.next_cursor || null;
  $('#exp-more').hidden = !cursor;
  const shown = $$('#exp-table tbody tr').length;
  $('#exp-summary').textContent = shown ? `${shown}件（新しい順）` : '出力の依頼はまだありません。';
}

function targetText(x) {
  return x.all ? '全員' : `従業員${Number(x.employee_count ?? 0)}人`;
}

function peopleText(x) {
  return [`依頼: ${x.requested_by ?? ''}`, x.approved_by ? `承認: ${x.approved_by}` : null].filter(Boolean).join(' / ');
}

function rowOf(x) {
  const id = String(x.export_id ?? '');
  return h('tr', { dataset: { exportId: id } },
    h('td', { 'data-label': '依頼日時' }, formatDateTime(x.requested_at)),
    h('td', { 'data-label': '利用目的' }, label(PURPOSES, x.purpose)),
    h('td', { 'data-label': '対象' }, targetText(x)),
    h('td', { 'data-label': '件数' }, `${Number(x.record_count ?? 0)}件`),
    h('td', { 'data-label': '状態' }, h('span', { class: `badge export-status` }, label(EXPORT_STATUSES, x.status))),
    h('td', { 'data-label': '担当者' }, peopleText(x)),
    h('td', { 'data-label': '操作' }, actionOf(x, id)));
}

/** What this principal can do with an export now, or why not. */
function actionOf(x, id) {
  const mine = x.requested_by === me();
  const deadline = x.expires_at ? `（${formatDateTime(x.expires_at)}まで）` : '';
  switch (x.status) {
    case 'pending_approval':
      if (mine) return h('span', { class: 'hint' }, `別の担当者の承認を待っています${deadline}。自分の依頼は承認できません。`);
      if (!mayApprove()) return h('span', { class: 'hint' }, '承認待ち');
      return h('button', { type: 'button', class: 'button primary small', dataset: { action: 'approve', exportId: id }, 'aria-label': `${x.requested_by ?? ''}の依頼（${label(PURPOSES, x.purpose)}）を承認する` }, '承認する');
    case 'approved':
      if (!mine) return h('span', { class: 'hint' }, `依頼した担当者のダウンロードを待っています${deadline}`);
      // The file is made once: the form is chosen before. Excel keeps every digit of an
      // .xlsx (text cells) but drops a CSV's leading zero when the CSV is opened directly.
      return h('div', { class: 'download-choice' },
        h('button', { type: 'button', class: 'button primary small', dataset: { action: 'download', format: 'xlsx', exportId: id } }, 'ダウンロード（Excel）'),
        h('button', { type: 'button', class: 'button secondary small', dataset: { action: 'download', format: 'csv', exportId: id } }, 'ダウンロード（CSV）'),
        h('span', { class: 'hint sub-line' }, `どちらか1回だけ${deadline}。CSVをExcelで直接開くと番号の先頭の0が消えるため、Excelで使うときは「Excel」を選んでください。`));
    case 'downloaded':
      return h('span', { class: 'hint' }, `${formatDateTime(x.downloaded_at)}にダウンロード済み。もう一度はダウンロードできません。`);
    case 'expired':
      return h('span', { class: 'hint' }, '期限切れ。必要なら新しく依頼してください。');
    default:
      return '';
  }
}

function onAction(e) {
  const button = e.target.closest('button[data-action][data-export-id]');
  if (!button || button.disabled) return;
  const id = button.dataset.exportId;
  if (button.dataset.action === 'approve') busy(button, '承認しています…', () => approve(id));
  else if (button.dataset.action === 'download') busy(button, '準備中…', () => download(id, button.dataset.format === 'xlsx' ? 'xlsx' : 'csv'));
}

async function approve(id) {
  showProblem($('#exp-list-error'), null);
  try {
    await api('POST', `/v1/exports/${seg(id)}/approve`, { signal: work.signal });
  } catch (err) {
    if (isAborted(err)) return;
    showProblem($('#exp-list-error'), err, OVERRIDES);
    return;
  }
  $('#exp-summary').textContent = '承認しました。依頼した担当者がダウンロードできます。';
  await load(true);
}

async function download(id, format) {
  showProblem($('#exp-list-error'), null);
  let blob;
  try {
    blob = await api('GET', `/v1/exports/${seg(id)}/file`, { query: { format }, as: 'blob', signal: work.signal });
  } catch (err) {
    if (isAborted(err)) return;
    // The list first (its state has moved on), then why: loading clears the list's error.
    await load(true);
    showProblem($('#exp-list-error'), err, OVERRIDES);
    return;
  }
  const name = `mynumber-export-${todayTokyo()}-${id.slice(0, 8)}`;
  if (format === 'xlsx') {
    saveFile(blob, `${name}.xlsx`);
  } else {
    // A BOM first, so that Excel opens the UTF-8 file as UTF-8 (labels in Japanese).
    saveFile(new Blob(['\uFEFF', blob], { type: 'text/csv;charset=utf-8' }), `${name}.csv`);
  }
  await load(true);
}
