// Employee self-service collection form. No storage of any kind: the token and
// the numbers live only in this module and in the form fields until submitted.
import { normalize, check } from './mynumber.js';

const API = '/v1/collect';
const MAX_DEPENDENTS = 10;

const PURPOSES = {
  withholding_tax: '源泉徴収票・給与支払報告書の作成',
  dependents_declaration: '扶養控除等申告書',
  payment_record: '支払調書',
  social_insurance: '健康保険・厚生年金',
  employment_insurance: '雇用保険',
  national_pension_dependent_spouse: '国民年金第3号被保険者の届出',
};

// Live check messages (while typing).
const CHECK_MESSAGES = {
  ok: '形式は正しいです',
  length: '12桁で入力してください',
  non_digit: '数字で入力してください',
  check_digit: '番号に誤りがあります（チェックデジット）',
};

// Messages for field errors, from the server's problem+json or our own pre-check.
const RULE_MESSAGES = {
  required: '入力してください',
  length: '長さが正しくありません',
  non_digit: '数字で入力してください',
  check_digit: '番号に誤りがあります',
  enum: '選択してください',
  contains_number: '番号のような数字は書かないでください',
};
const GENERIC = '入力内容を確認してください';
const BUSY = '混み合っています。しばらくしてからもう一度お試しください。';
const CONFLICT = 'すでに登録済みの番号があります。人事担当者にお問い合わせください。';

// The collection token: module variable only (never storage, removed from the URL).
let token = null;
let includeFamily = false;
let sending = false;
let savedIdentity = '';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const form = $('#collect-form');

/** Path such as "dependents[1].my_number" to a string usable in an id. */
const safeId = (path) => path.replace(/[^A-Za-z0-9]/g, '-');

// Look elements up by exact attribute value (no selector escaping of "[1].").
const byData = (attr, path) => $$(`[${attr}]`).find((el) => el.getAttribute(attr) === path) || null;
const fieldEl = (path) => byData('data-field', path);
const errorEl = (path) => byData('data-error-for', path);
const checkEl = (path) => byData('data-check-for', path);
const isShown = (el) => !el.closest('[hidden]');

function showPanel(name) {
  for (const p of ['loading', 'invalid', 'form', 'done']) $(`#panel-${p}`).hidden = p !== name;
  // Move focus to end states so screen readers read them out.
  if (name === 'invalid' || name === 'done') $(`#panel-${name}`).focus();
}

function announce(text) {
  const live = $('#live');
  live.textContent = '';
  // A fresh text node after a tick makes repeated messages announced again.
  setTimeout(() => { live.textContent = text; }, 50);
}

const authHeaders = () => ({ Authorization: `Collection ${token}` });

// ---- wiring of fields: ids, labels, error slots, aria-describedby ----------

/** Give a .field box's control, label, hint, check and error consistent ids for `path`. */
function wireField(box, path) {
  const control = $('input, select, textarea', box);
  const id = `f-${safeId(path)}`;
  control.dataset.field = path;
  control.id = id;
  const label = $('label', box);
  if (label && !label.contains(control)) label.htmlFor = id;
  $$('.hint', box).forEach((h, i) => { if (!h.id || h.id.startsWith('hint-')) h.id = `hint-${safeId(path)}-${i}`; });
  const chk = $('.check', box);
  if (chk) { chk.id = `check-${safeId(path)}`; chk.dataset.checkFor = path; }
  const err = $('.error', box);
  if (err) { err.id = `err-${safeId(path)}`; err.dataset.errorFor = path; }
  describe(control);
}

/** aria-describedby = the box's visible hints, live check and error, in that order. */
function describe(control) {
  const box = control.closest('.field');
  const ids = $$('.hint, .check, .error', box).filter((e) => !e.hidden && e.id).map((e) => e.id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

// ---- live check of number inputs -------------------------------------------

function liveCheck(input, final = false) {
  const out = checkEl(input.dataset.field);
  const state = check(input.value);
  // While the person is still typing, "too short" is a hint, not an error.
  const pending = state === 'length' && !final && normalize(input.value).length < 12;
  out.textContent = state === 'empty' ? '' : CHECK_MESSAGES[state];
  out.classList.toggle('ok', state === 'ok');
  out.classList.toggle('bad', state !== 'ok' && state !== 'empty' && !pending);
  // Announce only the moments that matter, not every keystroke.
  if (state !== input.dataset.state && (state === 'ok' || state === 'check_digit')) announce(out.textContent);
  input.dataset.state = state;
}

// ---- errors -----------------------------------------------------------------

function setFieldError(path, message) {
  const control = fieldEl(path);
  const err = errorEl(path);
  if (!control || !err || !isShown(control)) return false;
  if (!err.hidden) return true; // keep the first message for a field
  err.textContent = message;
  err.hidden = false;
  control.setAttribute('aria-invalid', 'true');
  const chk = checkEl(path);
  if (chk) chk.hidden = true; // the error replaces the live hint, no double message
  describe(control);
  return true;
}

function clearFieldError(path) {
  const err = errorEl(path);
  const control = fieldEl(path);
  if (err) { err.hidden = true; err.textContent = ''; }
  const chk = checkEl(path);
  if (chk) chk.hidden = false;
  if (control) { control.removeAttribute('aria-invalid'); describe(control); }
}

function showGeneral(message) {
  const box = $('#general-error');
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

function clearErrors() {
  $$('[data-error-for]').forEach((e) => clearFieldError(e.dataset.errorFor));
  const box = $('#general-error');
  box.hidden = true;
  box.textContent = '';
}

/** errors: [{field, rule}] from the server or from validate(). */
function showErrors(errors) {
  clearErrors();
  const general = new Set();
  for (const { field, rule } of errors) {
    const message = RULE_MESSAGES[rule] || GENERIC;
    if (!setFieldError(String(field), message)) general.add(message);
  }
  if (general.size) showGeneral([...general].join(' '));
  const first = $$('[data-field]', form).find((e) => e.getAttribute('aria-invalid') === 'true');
  if (first) first.focus();
  else if (!general.size) showGeneral(GENERIC);
  announce(`入力内容に誤りがあります（${errors.length}件）。`);
}

// ---- form state ---------------------------------------------------------------

function updateSelfMode() {
  const refusing = $('#self-refuse').checked;
  $('#self-give-fields').hidden = refusing;
  $('#self-refuse-fields').hidden = !refusing;
}

// A My Number Card proves both the number and the identity: imply and lock the second select.
function updateIdentity() {
  const numberDoc = fieldEl('self.number_document');
  const idDoc = fieldEl('self.identity_document');
  const implied = numberDoc.value === 'my_number_card';
  if (implied && !idDoc.disabled) { savedIdentity = idDoc.value; idDoc.value = 'my_number_card'; }
  if (!implied && idDoc.disabled) idDoc.value = savedIdentity;
  idDoc.disabled = implied;
  $('#identity-implied').hidden = !implied;
  if (implied) clearFieldError('self.identity_document');
  describe(idDoc);
}

const dependentRows = () => $$('#dependents > li');

/** Re-derive paths, ids and legends from row positions after add/remove. */
function renumber() {
  dependentRows().forEach((row, i) => {
    $('legend', row).textContent = `扶養親族 ${i + 1}`;
    $('.remove', row).setAttribute('aria-label', `扶養親族 ${i + 1} を削除`);
    for (const box of $$('.field', row)) {
      const control = $('[data-key]', box);
      wireField(box, `dependents[${i}].${control.dataset.key}`);
      if (control.matches('[data-mynumber]')) liveCheck(control);
    }
  });
  $('#add-dependent').disabled = dependentRows().length >= MAX_DEPENDENTS;
}

function addDependent() {
  if (dependentRows().length >= MAX_DEPENDENTS) return;
  const row = $('#dependent-template').content.firstElementChild.cloneNode(true);
  $('#dependents').append(row);
  dependentRows().forEach((r) => $$('[data-field]', r).forEach((c) => clearFieldError(c.dataset.field)));
  renumber();
  $('[data-key="label"]', row).focus();
}

function removeDependent(row) {
  // Server errors refer to old positions; drop them before the paths shift.
  dependentRows().forEach((r) => $$('[data-field]', r).forEach((c) => clearFieldError(c.dataset.field)));
  row.remove();
  renumber();
  announce('扶養親族を削除しました。');
  $('#add-dependent').focus();
}

// ---- payload + client-side pre-check ----------------------------------------

// Something that looks like a 12-digit number must not end up in free text.
const looksLikeNumber = (text) => /[0-9]{12}/.test(normalize(text));

/** Build the request body and the same [{field, rule}] errors the server would give. */
function build() {
  const errors = [];
  const value = (path) => fieldEl(path).value.trim();
  const text = (path) => {
    const v = value(path);
    if (!v) errors.push({ field: path, rule: 'required' });
    else if (looksLikeNumber(v)) errors.push({ field: path, rule: 'contains_number' });
    return v;
  };
  const choice = (path) => {
    const v = value(path);
    if (!v) errors.push({ field: path, rule: 'required' });
    return v;
  };
  const number = (path) => {
    const state = check(fieldEl(path).value);
    if (state !== 'ok') errors.push({ field: path, rule: state === 'empty' ? 'required' : state });
    return normalize(fieldEl(path).value);
  };

  const body = {};
  if ($('#self-refuse').checked) {
    body.self = { refusal: { reason: text('self.refusal.reason') } };
  } else {
    const my_number = number('self.my_number');
    const number_document = choice('self.number_document');
    const identity_document = number_document === 'my_number_card' ? 'my_number_card' : choice('self.identity_document');
    body.self = { my_number, number_document, identity_document };
  }
  if (includeFamily) {
    if ($('#spouse-include').checked) {
      body.spouse = {
        my_number: number('spouse.my_number'),
        national_pension_dependent_spouse: fieldEl('spouse.national_pension_dependent_spouse').checked,
      };
    }
    body.dependents = dependentRows().map((_, i) => ({
      label: text(`dependents[${i}].label`),
      my_number: number(`dependents[${i}].my_number`),
    }));
  }
  return { body, errors };
}

/** Wipe every field after submission or when the link dies. */
function clearInputs() {
  for (const el of $$('input, select, textarea', form)) {
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
    el.value = '';
  }
  $$('[data-check-for]').forEach((e) => { e.textContent = ''; });
}

function invalidate() {
  clearInputs();
  token = null;
  showPanel('invalid');
}

function setSending(on) {
  sending = on;
  const button = $('#submit');
  button.disabled = on;
  button.textContent = on ? '送信中…' : '確認して提出';
  form.setAttribute('aria-busy', String(on));
}

async function submit(event) {
  event.preventDefault(); // form-action 'none': we only ever send with fetch
  if (sending || !token) return;
  const { body, errors } = build();
  if (errors.length) { showErrors(errors); return; }
  clearErrors();
  setSending(true);
  let res;
  try {
    res = await fetch(API, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    setSending(false);
    showGeneral(BUSY);
    return;
  }
  setSending(false);
  const data = await res.json().catch(() => null);

  if (res.status === 201) {
    const count = Array.isArray(data?.records) ? data.records.length : 0;
    clearInputs();
    token = null;
    $('#done-count').textContent = `提出件数：${count}件`;
    showPanel('done');
  } else if (res.status === 400 && Array.isArray(data?.errors) && data.errors.length) {
    showErrors(data.errors);
  } else if (res.status === 400) {
    showGeneral(GENERIC);
  } else if (res.status === 401 || res.status === 404) {
    invalidate(); // unknown, used, expired, cancelled or locked after too many attempts
  } else if (res.status === 409) {
    showGeneral(CONFLICT);
  } else {
    showGeneral(BUSY); // 429, 503 and anything unexpected: keep the form as filled
  }
}

// ---- loading ------------------------------------------------------------------

/** "2026-12-16T00:00:00.000Z" → "2026年12月16日 9:00まで" in JST (UTC+9, no DST). */
function formatDeadline(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t + 9 * 3600 * 1000);
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${d.getUTCHours()}:${mm}まで`;
}

function render(info) {
  $('#employee-id').textContent = String(info.employee_id ?? '');
  const list = $('#purposes');
  list.replaceChildren(...(Array.isArray(info.purposes) ? info.purposes : []).map((p) => {
    const li = document.createElement('li');
    li.textContent = PURPOSES[p] || String(p);
    return li;
  }));
  $('#expires-at').textContent = formatDeadline(info.expires_at);
  includeFamily = info.include_family === true;
  $('#family').hidden = !includeFamily;
}

async function load() {
  showPanel('loading');
  $('#loading-text').hidden = false;
  $('#loading-error').hidden = true;
  let res;
  try {
    res = await fetch(API, { headers: authHeaders(), cache: 'no-store' });
  } catch {
    res = null;
  }
  // Busy or offline: the link may still be good, so offer a retry (a reload would
  // lose the token, which is no longer in the address bar).
  if (!res || res.status === 429 || res.status === 503) {
    $('#loading-text').hidden = true;
    $('#loading-error').hidden = false;
    $('#retry').focus();
    return;
  }
  const info = res.status === 200 ? await res.json().catch(() => null) : null;
  if (!info) { invalidate(); return; }
  render(info);
  showPanel('form');
}

function init() {
  // Static fields get their ids and error slots from their data-field path.
  for (const box of $$('.field', form)) wireField(box, $('[data-field]', box).dataset.field);

  form.addEventListener('submit', submit);
  form.addEventListener('input', (e) => {
    const path = e.target.dataset.field;
    if (path) clearFieldError(path);
    if (e.target.matches('[data-mynumber]')) liveCheck(e.target);
  });
  form.addEventListener('change', (e) => {
    const path = e.target.dataset.field;
    if (path) clearFieldError(path);
  });
  // On leaving a number field, a too-short number becomes an error-styled message.
  form.addEventListener('focusout', (e) => {
    if (e.target.matches('[data-mynumber]')) liveCheck(e.target, true);
  });
  $('#self-give').addEventListener('change', updateSelfMode);
  $('#self-refuse').addEventListener('change', updateSelfMode);
  fieldEl('self.number_document').addEventListener('change', updateIdentity);
  $('#spouse-include').addEventListener('change', (e) => { $('#spouse-fields').hidden = !e.target.checked; });
  $('#add-dependent').addEventListener('click', addDependent);
  $('#dependents').addEventListener('click', (e) => {
    const button = e.target.closest('.remove');
    if (button) removeDependent(button.closest('li'));
  });
  $('#retry').addEventListener('click', load);

  // Take the token from the fragment, then drop it from the address bar and history entry.
  token = location.hash.slice(1) || null;
  history.replaceState(null, '', location.pathname);
  if (!token) { showPanel('invalid'); return; }
  load();
}

init();
