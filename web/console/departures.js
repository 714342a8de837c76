// #/departures — 退職・再雇用 (registrar): record a leaving date (each record of the
// employee gets its deletion date) or cancel it on re-hire.

import { api, seg } from './api.js';
import { $, h } from './dom.js';
import { formatDate, parseDateInput, todayTokyo } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showFormError, showFieldErrors, clearFieldErrors, showProblem, busy } from './ui.js';

let sending = false;
// The departure or re-hire being sent: a reset aborts it (its answer is not shown).
const requests = latest();

const form = () => $('#departure-form');

export function init() {
  form().addEventListener('submit', (e) => { e.preventDefault(); depart(); });
  $('#dep-cancel').addEventListener('click', rehire);
  form().addEventListener('input', () => clearFieldErrors(form()));
}

export function show() {
  $('#dep-last-year').max = String(Number(todayTokyo().slice(0, 4)) + 1);
}

export function hide() {}

export function reset() {
  requests.abort();
  form().reset();
  clearFieldErrors(form());
  showProblem($('#dep-error'), null);
  $('#dep-result').replaceChildren();
  $('#dep-result').hidden = true;
}

function employeeId() {
  const id = $('#dep-employee-id').value.trim();
  if (!id) showFieldErrors(form(), [{ field: 'employee_id', rule: 'required' }]);
  return id;
}

async function depart() {
  if (sending) return;
  clearFieldErrors(form());
  showProblem($('#dep-error'), null);
  const id = employeeId();
  if (!id) return;
  const leftOn = parseDateInput($('#dep-left-on').value);
  if (!leftOn) { showFieldErrors(form(), [{ field: 'left_on', rule: leftOn === '' ? 'required' : 'format' }]); return; }
  $('#dep-left-on').value = leftOn;
  const body = { left_on: leftOn };
  const yearText = $('#dep-last-year').value.trim();
  if (yearText) {
    const year = Number(yearText);
    if (!Number.isInteger(year)) { showFieldErrors(form(), [{ field: 'last_declaration_year', rule: 'format' }]); return; }
    body.last_declaration_year = year;
  }
  await send($('#dep-submit'), '記録しています…', 'POST', id, body);
}

async function rehire() {
  if (sending) return;
  clearFieldErrors(form());
  showProblem($('#dep-error'), null);
  const id = employeeId();
  if (!id) return;
  await send($('#dep-cancel'), '取り消しています…', 'DELETE', id, undefined);
}

async function send(button, text, method, id, body) {
  sending = true;
  const signal = requests.start();
  $('#dep-result').hidden = true;
  let result;
  try {
    result = await busy(button, text, () => api(method, `/v1/employees/${seg(id)}/departure`, { body, signal }));
  } catch (err) {
    if (!isAborted(err)) showFormError(form(), $('#dep-error'), err);
    return;
  } finally {
    sending = false;
  }
  showResult(method === 'DELETE', id, result);
}

function showResult(rehired, id, result) {
  const box = $('#dep-result');
  const records = Array.isArray(result?.records) ? result.records : [];
  const rows = records.map((r) => h('tr', { dataset: { recordId: r.record_id } },
    h('td', { class: 'mono' }, String(r.record_id ?? '')),
    h('td', {}, r.due_at ? formatDate(r.due_at) : '削除予定なし')));
  box.replaceChildren(
    h('p', { class: 'done-title' }, rehired
      ? `従業員番号 ${result?.employee_id ?? id} の退職を取り消しました（再雇用）。削除予定はなくなりました。`
      : `従業員番号 ${result?.employee_id ?? id} の退職を記録しました（退職日 ${formatDate(result?.left_on)}${result?.last_declaration_year ? `、最後の扶養控除等申告書 ${result.last_declaration_year}年分` : ''}）。`),
    records.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' },
        h('caption', {}, '記録ごとの削除予定日'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '記録ID'), h('th', { scope: 'col' }, '削除予定日'))),
        h('tbody', {}, ...rows)))
      : h('p', {}, 'この従業員の記録はありません。'),
    rehired ? null : h('p', { class: 'hint' }, '削除予定日を過ぎた記録は、その翌日から読めなくなり、自動で削除されます。30日前から予告が記録されます。'));
  box.hidden = false;
  box.focus();
}
