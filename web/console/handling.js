// #/handling — 取扱状況 (auditor): the record of handling, from the durable trail in the
// table — every number shown (one by one, or in an export's file), every document photo
// viewed and every refused reveal — filtered by period (days in Japan), person, employee,
// purpose and kind, newest first, page by page, and all of it as CSV for Excel (BOM,
// formula-safe). Never a number: the trail holds none.

import { api, allPages } from './api.js';
import { label, PURPOSES, RELATIONS } from './labels.js';
import { $, h, saveFile, fillSelect } from './dom.js';
import { formatDateTime, todayTokyo, todayCompact } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy, tableCsv } from './ui.js';

/** The kinds of event the trail holds. */
const KINDS = {
  reveal: '番号の表示',
  view_document: '本人確認書類の閲覧',
  denied: '拒否された操作',
  backfill_opened: '重複確認のための復号',
};
const OUTCOMES = {
  authorized: '許可（表示の前に記録）',
  denied: '拒否',
  success: '成功',
  failed: '失敗',
};
const REASONS = {
  purpose_not_stated: '利用目的にない目的',
};
/** Rows one screenful aims at; quiet stretches of the period are read through. */
const PAGE = 50;

let cursor = null;
let query = null; // the filters of the list on screen
const list = latest();
const csv = latest();

const form = () => $('#hand-form');

export function init() {
  fillSelect($('#hand-purpose'), PURPOSES, { placeholder: 'すべて' });
  fillSelect($('#hand-event'), KINDS, { placeholder: 'すべて' });
  form().addEventListener('submit', (e) => { e.preventDefault(); busy($('#hand-load'), '読み込み中…', () => load(true)); });
  form().addEventListener('input', () => clearFieldErrors(form()));
  $('#hand-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(false)));
  $('#hand-csv').addEventListener('click', (e) => busy(e.currentTarget, 'CSVを作っています…', downloadCsv));
  defaultPeriod();
}

export function show() {
  if (!query) load(true);
}

export function hide() {}

export function reset() {
  list.abort();
  csv.abort();
  cursor = null;
  query = null;
  form().reset();
  defaultPeriod();
  clearFieldErrors(form());
  $('#hand-table tbody').replaceChildren();
  $('#hand-more').hidden = true;
  $('#hand-summary').textContent = '';
  showProblem($('#hand-error'), null);
}

/** The last 7 days, today included. */
function defaultPeriod() {
  const today = todayTokyo();
  const from = new Date(`${today}T00:00:00Z`);
  from.setUTCDate(from.getUTCDate() - 6);
  $('#hand-from').value = from.toISOString().slice(0, 10);
  $('#hand-to').value = today;
}

function filters() {
  const v = (id) => $(id).value.trim();
  return {
    from: v('#hand-from'),
    to: v('#hand-to'),
    actor: v('#hand-actor'),
    employee_id: v('#hand-employee-id'),
    purpose: v('#hand-purpose'),
    event: v('#hand-event'),
  };
}

function localErrors(q) {
  const errors = [];
  if (!q.from) errors.push({ field: 'from', rule: 'required' });
  if (!q.to) errors.push({ field: 'to', rule: 'required' });
  if (q.from && q.to && q.from > q.to) errors.push({ field: 'from', rule: 'after_to' });
  return errors;
}

function showError(err) {
  const rest = err.errors?.length ? showFieldErrors(form(), err.errors) : [];
  showProblem($('#hand-error'), err, {}, rest);
}

async function load(fresh) {
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    const q = filters();
    clearFieldErrors(form());
    const errors = localErrors(q);
    if (errors.length) { showFieldErrors(form(), errors); return; }
    query = q;
    cursor = null;
    $('#hand-table tbody').replaceChildren();
    $('#hand-more').hidden = true;
  }
  $('#hand-summary').textContent = '読み込み中です…';
  showProblem($('#hand-error'), null);
  let added = 0;
  try {
    // A page may come back short (the API reads a bounded part of the period at once):
    // read on until a screenful or the end.
    do {
      const page = await api('GET', '/v1/handling', { query: { ...query, limit: PAGE, cursor }, signal });
      const items = Array.isArray(page?.items) ? page.items : [];
      $('#hand-table tbody').append(...items.map(rowOf));
      added += items.length;
      cursor = page?.next_cursor || null;
    } while (cursor && added < PAGE);
  } catch (err) {
    if (isAborted(err)) return;
    $('#hand-summary').textContent = '';
    showError(err);
    return;
  }
  $('#hand-more').hidden = !cursor;
  const n = $('#hand-table tbody').children.length;
  $('#hand-summary').textContent = n
    ? `${query.from}〜${query.to}: ${n}件（新しい順${cursor ? '。続きがあります' : ''}）`
    : `${query.from}〜${query.to}: 該当する記録はありません。`;
}

const kindText = (e) => label(KINDS, e.event);
const outcomeText = (e) => [label(OUTCOMES, e.outcome), e.reason ? label(REASONS, e.reason) : null].filter(Boolean).join('・');
const relationText = (e) => (e.relation ? label(RELATIONS, e.relation) : '');
const sourceText = (e) => (e.export_id ? `一括出力 ${e.export_id}` : e.document_id ? `書類 ${e.document_id}` : '');

function rowOf(e) {
  return h('tr', {},
    h('td', { 'data-label': '日時' }, formatDateTime(e.time)),
    h('td', { 'data-label': '種類' }, kindText(e)),
    h('td', { 'data-label': '結果' }, outcomeText(e)),
    h('td', { 'data-label': '担当者' }, String(e.actor ?? '')),
    h('td', { 'data-label': '従業員番号' }, String(e.employee_id ?? '')),
    h('td', { 'data-label': '続柄' }, relationText(e)),
    h('td', { 'data-label': '利用目的' }, e.purpose ? label(PURPOSES, e.purpose) : ''),
    h('td', { 'data-label': '出力・書類', class: 'mono' }, sourceText(e)),
    h('td', { 'data-label': '記録ID', class: 'mono' }, String(e.record_id ?? '')));
}

// ---- CSV ----------------------------------------------------------------------------

const COLUMNS = [
  ['日時（UTC）', 'time', (e) => e.time],
  ['種類', 'event', (e) => e.event],
  ['種類（表示）', 'event_label', kindText],
  ['結果', 'outcome', (e) => e.outcome],
  ['理由', 'reason', (e) => e.reason],
  ['担当者', 'actor', (e) => e.actor],
  ['役割', 'roles', (e) => (Array.isArray(e.roles) ? e.roles.join(';') : '')],
  ['従業員番号', 'employee_id', (e) => e.employee_id],
  ['続柄', 'relation', (e) => e.relation],
  ['利用目的', 'purpose', (e) => e.purpose],
  ['記録ID', 'record_id', (e) => e.record_id],
  ['一括出力ID', 'export_id', (e) => e.export_id],
  ['書類ID', 'document_id', (e) => e.document_id],
  ['接続元', 'source_ip', (e) => e.source_ip],
  ['リクエストID', 'request_id', (e) => e.request_id],
];

async function downloadCsv() {
  const q = filters();
  clearFieldErrors(form());
  const errors = localErrors(q);
  if (errors.length) { showFieldErrors(form(), errors); return; }
  showProblem($('#hand-error'), null);
  let all;
  try {
    all = await allPages('/v1/handling', q, { maxPages: 1000, signal: csv.start() });
  } catch (err) {
    if (!isAborted(err)) showError(err);
    return;
  }
  const blob = new Blob([tableCsv(COLUMNS, all.items)], { type: 'text/csv;charset=utf-8' });
  saveFile(blob, `handling-${q.from.replaceAll('-', '')}-${q.to.replaceAll('-', '')}-${todayCompact()}.csv`);
  $('#hand-summary').textContent = `CSVを保存しました（${all.items.length}件${all.complete ? '' : '。件数が多すぎるため途中まで'}）。`;
}
