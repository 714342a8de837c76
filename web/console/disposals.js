// #/disposals — 削除・廃棄の記録 (registrar, auditor): the disposal log, page by page, and
// all of it as a CSV for Excel (UTF-8 with BOM, CRLF, RFC 4180 quoting, formula
// injection neutralised). Disposal records never hold a number. Listed for one employee,
// an auditor gets a link to that employee's deletion certificate (#/certificates).

import { api, allPages } from './api.js';
import { label, relationText, DISPOSAL_REASONS, DISPOSERS, RELATIONS } from './labels.js';
import { $, h, saveFile } from './dom.js';
import { formatDateTime, todayCompact } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy, tableCsv } from './ui.js';
import { certificateLink } from './certificates.js';

let ctx = null;
let cursor = null;
let filter = '';
// The list on screen, and the CSV being made: a new list or a reset aborts them.
const list = latest();
const csv = latest();

const form = () => $('#disp-form');

export function init(c) {
  ctx = c;
  form().addEventListener('submit', (e) => { e.preventDefault(); busy($('#disp-load'), '読み込み中…', () => load(true)); });
  form().addEventListener('input', () => clearFieldErrors(form()));
  $('#disp-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(false)));
  $('#disp-csv').addEventListener('click', (e) => busy(e.currentTarget, 'CSVを作っています…', downloadCsv));
}

export function show() {
  load(true);
}

export function hide() {}

export function reset() {
  list.abort();
  csv.abort();
  cursor = null;
  form().reset();
  clearFieldErrors(form());
  $('#disp-table tbody').replaceChildren();
  $('#disp-more').hidden = true;
  $('#disp-summary').textContent = '';
  $('#disp-certificate').hidden = true;
  showProblem($('#disp-error'), null);
}

function showError(err) {
  const rest = err.errors?.length ? showFieldErrors(form(), err.errors) : [];
  showProblem($('#disp-error'), err, {}, rest);
}

async function load(fresh) {
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    cursor = null;
    filter = $('#disp-employee-id').value.trim();
    clearFieldErrors(form());
    $('#disp-table tbody').replaceChildren();
    $('#disp-more').hidden = true;
    $('#disp-summary').textContent = '読み込み中です…';
    $('#disp-certificate').hidden = true;
  }
  showProblem($('#disp-error'), null);
  let page;
  try {
    page = await api('GET', '/v1/disposals', { query: { employee_id: filter, limit: 50, cursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#disp-summary').textContent = '';
    showError(err);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  for (const d of items) $('#disp-table tbody').append(rowOf(d));
  cursor = page?.next_cursor || null;
  $('#disp-more').hidden = !cursor;
  const n = $('#disp-table tbody').children.length;
  $('#disp-summary').textContent = n
    ? `${filter ? `従業員番号 ${filter}: ` : ''}${n}件${cursor ? '（続きがあります）' : ''}`
    : '削除・廃棄の記録はありません。';
  certificateLink($('#disp-certificate'), ctx, filter);
}

function disposerText(by) {
  if (!by || typeof by !== 'object') return '';
  const kind = label(DISPOSERS, by.kind);
  return by.kind === 'principal' && by.id ? `${kind}（${by.id}）` : kind;
}

function rowOf(d) {
  return h('tr', { dataset: { recordId: d.record_id } },
    h('td', {}, formatDateTime(d.disposed_at)),
    h('td', {}, String(d.employee_id ?? '')),
    h('td', {}, relationText(d)),
    h('td', {}, label(DISPOSAL_REASONS, d.reason),
      d.documents_deleted ? h('span', { class: 'sub-line muted' }, `書類の写真 ${d.documents_deleted}件も削除`) : null),
    h('td', {}, disposerText(d.disposed_by)),
    h('td', {}, formatDateTime(d.backup_expires_at)),
    h('td', {}, d.note ? String(d.note) : ''),
    h('td', { class: 'mono' }, String(d.record_id ?? '')));
}

// ---- CSV ----------------------------------------------------------------------------

const COLUMNS = [
  ['記録ID', 'record_id', (d) => d.record_id],
  ['従業員番号', 'employee_id', (d) => d.employee_id],
  ['続柄', 'relation', (d) => d.relation],
  ['続柄（表示）', 'relation_label', (d) => label(RELATIONS, d.relation)],
  ['呼び名', 'dependent_label', (d) => d.dependent_label],
  ['理由', 'reason', (d) => d.reason],
  ['理由（表示）', 'reason_label', (d) => label(DISPOSAL_REASONS, d.reason)],
  ['廃棄日時（UTC）', 'disposed_at', (d) => d.disposed_at],
  ['実行者の種類', 'disposed_by_kind', (d) => d.disposed_by?.kind],
  ['実行者', 'disposed_by_id', (d) => d.disposed_by?.id],
  ['バックアップ消去日時（UTC）', 'backup_expires_at', (d) => d.backup_expires_at],
  ['メモ', 'note', (d) => d.note],
  ['削除した書類の数', 'documents_deleted', (d) => d.documents_deleted ?? 0],
];

async function downloadCsv() {
  showProblem($('#disp-error'), null);
  const employeeId = $('#disp-employee-id').value.trim();
  let all;
  try {
    all = await allPages('/v1/disposals', { employee_id: employeeId }, { maxPages: 1000, signal: csv.start() });
  } catch (err) {
    if (!isAborted(err)) showError(err);
    return;
  }
  const blob = new Blob([tableCsv(COLUMNS, all.items)], { type: 'text/csv;charset=utf-8' });
  saveFile(blob, `disposals-${todayCompact()}.csv`);
  $('#disp-summary').textContent = `CSVを保存しました（${all.items.length}件${all.complete ? '' : '。件数が多すぎるため途中まで'}）。`;
}
