// #/reveal — 番号の表示 (handler). Every reveal, and every refused try, is audited by the
// API. The number is held in one module variable and in the text of #rev-number only,
// for at most 30 seconds: it is cleared on 「今すぐ隠す」, when the tab is hidden, on
// pagehide, on any route change and when the principal changes. It is never written to
// storage, history, the title, a URL, an attribute or the console.

import { api, seg } from './api.js';
import { label, relationText, PURPOSES, PURPOSE_ORDER, STATUSES } from './labels.js';
import { $, h } from './dom.js';
import { formatDate } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy } from './ui.js';

const SHOW_SECONDS = 30;
const OVERRIDES = {
  purpose_not_stated: 'この記録の利用目的ではないため表示できません（この試みは記録されました）',
  forbidden_role: 'この記録の利用目的ではないため表示できません（この試みは記録されました）',
  pending_review: 'この記録は本人からの提出で、まだ確認されていません。収集担当が「提出の確認」で確認するまで表示できません。',
  no_number: 'この記録は提供拒否の記録で、番号がありません。',
  throttled: '短い時間に多くの表示を行ったため、一時的に制限されています。しばらくしてからもう一度お試しください。',
};

let shown = null; // the revealed number (12 digits) while on screen, else null
let timer = null;
let deadline = 0;
let records = []; // the employee's records (metadata only)
// The employee looked up, and a reveal for one of their records: a new search or a reset
// aborts them (a number answered after that is never shown).
const lookup = latest();
let requested = null; // {recordId} handed over by the employees page

export function init() {
  $('#rev-find-form').addEventListener('submit', (e) => { e.preventDefault(); find(); });
  $('#rev-find-form').addEventListener('input', () => clearFieldErrors($('#rev-find-form')));
  $('#rev-record').addEventListener('change', () => { hideNumber(); fillPurposes(); });
  $('#rev-purpose').addEventListener('change', () => { hideNumber(); clearError(); });
  $('#rev-form').addEventListener('submit', (e) => { e.preventDefault(); reveal(); });
  $('#rev-hide').addEventListener('click', () => { hideNumber(); $('#rev-submit').focus(); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') hideNumber(); });
  window.addEventListener('pagehide', hideNumber);
  window.addEventListener('beforeunload', hideNumber);
}

export function show(data) {
  if (data?.employeeId) {
    requested = data.recordId ? { recordId: data.recordId } : null;
    $('#rev-employee-id').value = data.employeeId;
    find();
  }
}

/** Route change: the number goes. */
export function hide() {
  hideNumber();
}

export function reset() {
  hideNumber();
  lookup.abort();
  records = [];
  requested = null;
  $('#rev-find-form').reset();
  clearFieldErrors($('#rev-find-form'));
  $('#rev-record').replaceChildren();
  $('#rev-purpose').replaceChildren();
  $('#rev-form').hidden = true;
  showProblem($('#rev-find-error'), null);
  clearError();
}

function clearError() {
  const box = $('#rev-error');
  box.replaceChildren();
  box.hidden = true;
  box.removeAttribute('data-code');
}

function showError(err) {
  const box = $('#rev-error');
  showProblem(box, err, OVERRIDES);
  box.dataset.code = err.code || `http_${err.status}`;
}

async function find() {
  hideNumber();
  clearError();
  showProblem($('#rev-find-error'), null);
  clearFieldErrors($('#rev-find-form'));
  const employeeId = $('#rev-employee-id').value.trim();
  if (!employeeId) {
    showFieldErrors($('#rev-find-form'), [{ field: 'employee_id', rule: 'required' }]);
    return;
  }
  const signal = lookup.start();
  $('#rev-form').hidden = true;
  const items = [];
  try {
    await busy($('#rev-find'), '探しています…', async () => {
      let cursor = null;
      for (let i = 0; i < 10; i += 1) {
        const page = await api('GET', '/v1/records', { query: { employee_id: employeeId, limit: 100, cursor }, signal });
        if (Array.isArray(page?.items)) items.push(...page.items);
        cursor = page?.next_cursor || null;
        if (!cursor) break;
      }
    });
  } catch (err) {
    if (isAborted(err)) return;
    const rest = err.errors?.length ? showFieldErrors($('#rev-find-form'), err.errors) : [];
    showProblem($('#rev-find-error'), err, {}, rest);
    return;
  }
  records = items;
  fillRecords();
}

function recordText(r) {
  const parts = [relationText(r), label(STATUSES, r.status)];
  if (r.due_at) parts.push(`退職済み・削除予定日 ${formatDate(r.due_at)}`);
  if (r.status !== 'active') parts.push('表示できません');
  return parts.join('・');
}

function fillRecords() {
  const select = $('#rev-record');
  if (!records.length) {
    select.replaceChildren();
    $('#rev-form').hidden = true;
    const box = $('#rev-find-error');
    box.replaceChildren(h('p', { class: 'empty', role: 'status' }, `従業員番号 ${$('#rev-employee-id').value.trim()} の記録はありません。`));
    box.hidden = false;
    return;
  }
  const wanted = requested?.recordId;
  requested = null;
  const active = records.filter((r) => r.status === 'active');
  const options = [h('option', { value: '' }, active.length ? '記録を選んでください' : '表示できる記録がありません')];
  for (const r of records) {
    options.push(h('option', { value: r.record_id, disabled: r.status !== 'active' }, recordText(r)));
  }
  select.replaceChildren(...options);
  const preferred = active.find((r) => r.record_id === wanted) || (active.length === 1 ? active[0] : null);
  select.value = preferred ? preferred.record_id : '';
  $('#rev-form').hidden = false;
  fillPurposes();
  if (preferred) $('#rev-purpose').focus();
  else select.focus();
}

function fillPurposes() {
  clearError();
  const select = $('#rev-purpose');
  const record = records.find((r) => r.record_id === $('#rev-record').value);
  if (!record) {
    select.replaceChildren(h('option', { value: '' }, '先に記録を選んでください'));
    select.disabled = true;
    $('#rev-submit').disabled = true;
    return;
  }
  const stated = PURPOSE_ORDER.filter((p) => record.purposes?.includes(p));
  const others = PURPOSE_ORDER.filter((p) => !stated.includes(p));
  select.replaceChildren(
    h('optgroup', { label: 'この記録の利用目的' }, ...stated.map((p) => h('option', { value: p }, PURPOSES[p]))),
    ...(others.length
      ? [h('optgroup', { label: 'その他（表示は拒否され、記録されます）' }, ...others.map((p) => h('option', { value: p }, PURPOSES[p])))]
      : []));
  select.value = stated[0] || others[0] || '';
  select.disabled = false;
  $('#rev-submit').disabled = false;
}

async function reveal() {
  hideNumber();
  clearError();
  const recordId = $('#rev-record').value;
  const purpose = $('#rev-purpose').value;
  if (!recordId || !purpose) return;
  const signal = lookup.signal;
  let answer;
  try {
    answer = await busy($('#rev-submit'), '確認しています…', () => api('POST', `/v1/records/${seg(recordId)}/reveal`, { body: { purpose }, signal }));
  } catch (err) {
    if (isAborted(err)) return;
    showError(err);
    return;
  }
  const digits = typeof answer?.my_number === 'string' ? answer.my_number : '';
  answer = null;
  // Gone elsewhere meanwhile (another page, a hidden tab, another principal): do not show.
  if (signal.aborted || $('#page-reveal').hidden || document.visibilityState === 'hidden') return;
  if (!/^[0-9]{12}$/.test(digits)) return;
  showNumber(digits, recordId, purpose);
}

function showNumber(digits, recordId, purpose) {
  shown = digits;
  const record = records.find((r) => r.record_id === recordId);
  $('#rev-label').textContent = `${record ? relationText(record) : ''}のマイナンバー（目的: ${PURPOSES[purpose] || purpose}）`;
  // Grouped 4-4-4 by separate spans; the text is the 12 digits.
  $('#rev-number').replaceChildren(
    h('span', { class: 'group' }, shown.slice(0, 4)),
    h('span', { class: 'group' }, shown.slice(4, 8)),
    h('span', { class: 'group' }, shown.slice(8, 12)));
  $('#rev-shown').hidden = false;
  deadline = Date.now() + SHOW_SECONDS * 1000;
  tick();
  timer = setInterval(tick, 250);
  $('#rev-hide').focus();
}

function tick() {
  const left = Math.ceil((deadline - Date.now()) / 1000);
  if (left <= 0) { hideNumber(); return; }
  const text = `あと${left}秒で隠します`;
  const el = $('#rev-countdown');
  if (el.textContent !== text) el.textContent = text;
}

/** Clears the number from the page and from memory. Safe to call at any time. */
export function hideNumber() {
  if (timer) { clearInterval(timer); timer = null; }
  shown = null;
  const number = document.getElementById('rev-number');
  if (number) number.replaceChildren();
  const countdown = document.getElementById('rev-countdown');
  if (countdown) countdown.textContent = '';
  const label_ = document.getElementById('rev-label');
  if (label_) label_.textContent = '';
  const box = document.getElementById('rev-shown');
  if (box) box.hidden = true;
}
