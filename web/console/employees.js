// #/employees — 従業員と記録: an employee's records (metadata only, never a number).
// Registrars may dispose of a record early (with a confirm step); handlers get a link to
// the reveal page with the record chosen; auditors a link to the employee's deletion
// certificate.

import { api, seg } from './api.js';
import {
  label, relationText, purposesText, STATUSES, NUMBER_CHECKS, IDENTITY_CHECKS, SOURCES,
  DISPOSAL_REASONS, EARLY_DISPOSAL_REASONS,
} from './labels.js';
import { $, h } from './dom.js';
import { formatDate, formatDateTime } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy } from './ui.js';
import { certificateLink } from './certificates.js';

let ctx = null;
let employeeId = '';
let cursor = null;
let count = 0;
// The search on screen: a new search or a reset aborts its requests (and their answers).
const requests = latest();

const form = () => $('#employee-search');
const table = () => $('#records');
const tbody = () => $('#records tbody');

export function init(c) {
  ctx = c;
  form().addEventListener('submit', (e) => { e.preventDefault(); search(); });
  $('#employee-id').addEventListener('input', () => clearFieldErrors(form()));
  $('#records-more').addEventListener('click', (e) => more(e.currentTarget));
  tbody().addEventListener('click', onTableClick);
}

export function show(data) {
  table().classList.toggle('no-actions', !ctx.hasRole('registrar') && !ctx.hasRole('handler'));
  if (data?.employeeId) {
    $('#employee-id').value = data.employeeId;
    search();
  }
}

export function hide() {}

export function reset() {
  requests.abort();
  employeeId = '';
  cursor = null;
  count = 0;
  $('#employee-id').value = '';
  tbody().replaceChildren();
  table().hidden = true;
  $('#records-more').hidden = true;
  $('#records-summary').textContent = '';
  $('#records-certificate').hidden = true;
  showProblem($('#employees-error'), null);
  clearFieldErrors(form());
}

async function search() {
  const id = $('#employee-id').value.trim();
  clearFieldErrors(form());
  showProblem($('#employees-error'), null);
  if (!id) {
    showFieldErrors(form(), [{ field: 'employee_id', rule: 'required' }]);
    return;
  }
  const signal = requests.start();
  employeeId = id;
  cursor = null;
  count = 0;
  tbody().replaceChildren();
  table().hidden = true;
  $('#records-more').hidden = true;
  $('#records-certificate').hidden = true;
  $('#records-summary').textContent = '読み込み中です…';
  await busy($('#employee-submit'), '検索中…', () => load(signal));
}

async function more(button) {
  await busy(button, '読み込み中…', () => load(requests.signal));
}

async function load(signal) {
  let page;
  try {
    page = await api('GET', '/v1/records', { query: { employee_id: employeeId, limit: 50, cursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#records-summary').textContent = '';
    const rest = err.errors?.length ? showFieldErrors(form(), err.errors) : [];
    showProblem($('#employees-error'), err, {}, rest);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  for (const item of items) tbody().append(...rowsOf(item));
  count += items.length;
  cursor = page?.next_cursor || null;
  table().hidden = count === 0;
  $('#records-more').hidden = !cursor;
  $('#records-summary').textContent = count === 0
    ? `従業員番号 ${employeeId} の記録はありません。`
    : `従業員番号 ${employeeId} の記録: ${count}件${cursor ? '（続きがあります）' : ''}`;
  certificateLink($('#records-certificate'), ctx, employeeId);
}

function statusCell(item) {
  const cell = h('td', { class: 'status' }, h('span', { class: `badge badge-${item.status}` }, label(STATUSES, item.status)));
  if (item.due_at) {
    cell.append(h('span', { class: 'badge badge-departed' }, '退職済み'));
    cell.append(h('span', { class: 'sub-line' }, `削除予定日 ${formatDate(item.due_at)}`));
  }
  if (item.status === 'pending_review' && item.review_due_at) {
    cell.append(h('span', { class: 'sub-line' }, `確認期限 ${formatDate(item.review_due_at)}`));
  }
  return cell;
}

function verificationCell(item) {
  const v = item.verification;
  if (v) {
    return h('td', {},
      h('span', { class: 'sub-line' }, `番号確認: ${label(NUMBER_CHECKS, v.number_check)}`),
      h('span', { class: 'sub-line' }, `身元確認: ${label(IDENTITY_CHECKS, v.identity_check)}`),
      h('span', { class: 'sub-line muted' }, `${formatDate(v.verified_on)} ${v.verified_by || ''}`.trim()));
  }
  if (item.refusal) {
    return h('td', {},
      h('span', { class: 'sub-line' }, '提供を拒否'),
      h('span', { class: 'sub-line muted' }, `依頼日 ${formatDate(item.refusal.requested_on)}`),
      item.refusal.reason ? h('span', { class: 'sub-line muted' }, `理由: ${item.refusal.reason}`) : null);
  }
  if (item.submitted) return h('td', {}, h('span', { class: 'sub-line' }, '未確認（提出の確認で確認します）'));
  return h('td', {}, '—');
}

function rowsOf(item) {
  const actions = h('td', { class: 'actions' });
  if (ctx.hasRole('handler') && item.status === 'active') {
    const link = h('a', { href: '#/reveal', class: 'reveal-link' }, '表示');
    link.setAttribute('aria-label', `${relationText(item)}の番号を表示する`);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      ctx.go('reveal', { employeeId: item.employee_id, recordId: item.record_id });
    });
    actions.append(link);
  }
  // A submission awaiting review is confirmed or rejected there (the rejection deletes its
  // photos); the API refuses to dispose of it here.
  if (ctx.hasRole('registrar') && item.status === 'pending_review') {
    const link = h('a', { href: '#/review', class: 'review-link' }, '提出の確認へ');
    link.setAttribute('aria-label', `${relationText(item)}の提出を確認または却下する`);
    actions.append(link);
  } else if (ctx.hasRole('registrar')) {
    const button = h('button', { type: 'button', class: 'button secondary small dispose', 'aria-expanded': 'false' }, '早期廃棄');
    button.setAttribute('aria-label', `${relationText(item)}の記録を早期廃棄する`);
    actions.append(button);
  }
  const row = h('tr', { dataset: { recordId: item.record_id } },
    h('td', {}, relationText(item)),
    statusCell(item),
    h('td', {}, purposesText(item.purposes)),
    verificationCell(item),
    h('td', {}, label(SOURCES, item.source)),
    h('td', {}, formatDateTime(item.created_at), h('span', { class: 'sub-line muted' }, item.created_by || '')),
    actions);
  return [row];
}

// ---- early disposal ----------------------------------------------------------------

function onTableClick(e) {
  const dispose = e.target.closest('button.dispose');
  if (dispose) { openConfirm(dispose.closest('tr')); return; }
  const confirm = e.target.closest('button.dispose-confirm');
  if (confirm) { doDispose(confirm.closest('tr')); return; }
  const cancel = e.target.closest('button.dispose-cancel');
  if (cancel) closeConfirm(cancel.closest('tr'));
}

function confirmRowOf(row) {
  const next = row.nextElementSibling;
  return next && next.classList.contains('dispose-row') ? next : null;
}

function openConfirm(row) {
  if (confirmRowOf(row)) { confirmRowOf(row).querySelector('.dispose-reason').focus(); return; }
  const recordId = row.dataset.recordId;
  const selectId = `dispose-reason-${recordId}`;
  const errorId = `dispose-error-${recordId}`;
  const select = h('select', { class: 'dispose-reason', id: selectId, 'aria-describedby': errorId },
    ...EARLY_DISPOSAL_REASONS.map((r) => h('option', { value: r }, DISPOSAL_REASONS[r])));
  const cols = row.children.length;
  const confirmRow = h('tr', { class: 'dispose-row', dataset: { forRecord: recordId } },
    h('td', { colspan: String(cols) },
      h('div', { class: 'confirm-step', role: 'group', 'aria-label': '早期廃棄の確認' },
        h('p', { class: 'confirm-text' }, `${row.children[0].textContent}の記録を廃棄します。番号は完全に削除され、元に戻せません。削除・廃棄の記録が残ります。`),
        h('div', { class: 'field inline' }, h('label', { for: selectId }, '理由'), select),
        h('div', { class: 'button-row' },
          h('button', { type: 'button', class: 'button danger dispose-confirm' }, '廃棄する'),
          h('button', { type: 'button', class: 'button secondary dispose-cancel' }, 'やめる')),
        h('div', { class: 'form-error', id: errorId, hidden: true }))));
  row.after(confirmRow);
  row.querySelector('button.dispose')?.setAttribute('aria-expanded', 'true');
  select.focus();
}

function closeConfirm(confirmRow) {
  const row = confirmRow.previousElementSibling;
  confirmRow.remove();
  const button = row?.querySelector('button.dispose');
  if (button) { button.setAttribute('aria-expanded', 'false'); button.focus(); }
}

async function doDispose(confirmRow) {
  const row = confirmRow.previousElementSibling;
  const recordId = confirmRow.dataset.forRecord;
  const reason = confirmRow.querySelector('.dispose-reason').value;
  const errorBox = confirmRow.querySelector('.form-error');
  const button = confirmRow.querySelector('button.dispose-confirm');
  let disposal;
  try {
    // Part of the search on screen: a new search or a reset drops its answer.
    const signal = requests.signal;
    disposal = await busy(button, '廃棄しています…', () => api('DELETE', `/v1/records/${seg(recordId)}`, { body: { reason }, signal }));
  } catch (err) {
    if (isAborted(err)) return;
    showProblem(errorBox, err);
    return;
  }
  const when = formatDateTime(disposal?.disposed_at);
  confirmRow.replaceChildren(h('td', { colspan: String(row.children.length) },
    h('p', { class: 'done-text', role: 'status' }, `廃棄しました（理由: ${label(DISPOSAL_REASONS, disposal?.reason || reason)}${when ? `、${when}` : ''}）。削除・廃棄の記録に残っています。`)));
  confirmRow.classList.remove('dispose-row');
  confirmRow.classList.add('disposed-note');
  row.classList.add('disposed');
  const status = row.querySelector('.status');
  if (status) status.replaceChildren(h('span', { class: 'badge badge-disposed' }, '廃棄済み'));
  row.querySelector('button.dispose')?.remove();
  row.querySelector('a.reveal-link')?.remove();
}
