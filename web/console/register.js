// #/register — 番号の登録 (registrar): a number with its identity verification, or the
// record of a refusal. The number lives only in the input field and in the body of the
// one request that sends it; it is cleared from the field after a successful
// registration. The server decides every rule: the page only hints.

import { api, newIdempotencyKey } from './api.js';
import { normalize, check } from './mynumber.js';
import {
  label, relationText, purposesText, NUMBER_CHECK_TEXT, RELATIONS, STATUSES,
} from './labels.js';
import { $, $$, h } from './dom.js';
import { todayTokyo } from './dates.js';
import {
  showFormError, showFieldErrors, clearFieldErrors, clearFieldError, showProblem, busy,
} from './ui.js';

const OVERRIDES = {
  record_exists: 'すでに登録があります。置き換える場合は「置き換える」を選んでください',
};

let sending = false;

const form = () => $('#register-form');
const mode = () => ($('input[name="reg-mode"]:checked')?.value === 'refusal' ? 'refusal' : 'number');

export function init() {
  form().addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  for (const r of $$('input[name="reg-mode"]')) r.addEventListener('change', updateMode);
  $('#reg-relation').addEventListener('change', () => { updateRelation(); updateComboHint(); });
  $('#reg-my-number').addEventListener('input', liveHint);
  $('#reg-my-number').addEventListener('blur', () => liveHint(true));
  $('#reg-number-check').addEventListener('change', onNumberCheck);
  $('#reg-identity-check').addEventListener('change', updateComboHint);
  $('#reg-purposes').addEventListener('change', updateComboHint);
  // Editing a field clears its error (the message was about the old value).
  form().addEventListener('input', (e) => clearFieldError(form(), fieldOf(e.target)));
  form().addEventListener('change', (e) => clearFieldError(form(), fieldOf(e.target)));
  setDefaults();
}

const FIELD_OF = {
  'reg-employee-id': 'employee_id',
  'reg-relation': 'relation',
  'reg-dependent-label': 'dependent_label',
  'reg-my-number': 'my_number',
  'reg-number-check': 'verification.number_check',
  'reg-identity-check': 'verification.identity_check',
  'reg-verified-on': 'verification.verified_on',
  'reg-refusal-reason': 'refusal.reason',
  'reg-refusal-requested-on': 'refusal.requested_on',
  'reg-replace': 'replace',
};
function fieldOf(el) {
  if (el?.name === 'reg-purposes') return 'purposes';
  return FIELD_OF[el?.id] || '';
}

function setDefaults() {
  const today = todayTokyo();
  for (const id of ['#reg-verified-on', '#reg-refusal-requested-on']) {
    $(id).value = today;
    $(id).max = today;
  }
}

export function show() {
  // A date default set yesterday is stale after midnight.
  const today = todayTokyo();
  for (const id of ['#reg-verified-on', '#reg-refusal-requested-on']) {
    $(id).max = today;
    if (!$(id).value) $(id).value = today;
  }
}

export function hide() {}

/** Another principal: clear everything, number first. */
export function reset() {
  form().reset();
  $('#reg-my-number').value = '';
  setDefaults();
  updateMode();
  updateRelation();
  liveHint();
  clearFieldErrors(form());
  showProblem($('#reg-error'), null);
  $('#reg-result').replaceChildren();
  $('#reg-result').hidden = true;
}

function updateMode() {
  const refusing = mode() === 'refusal';
  $('#reg-number-fields').hidden = refusing;
  $('#reg-refusal-fields').hidden = !refusing;
  $('#reg-submit').textContent = refusing ? '提供拒否を記録する' : '登録する';
}

function updateRelation() {
  $('#reg-dependent-label-field').hidden = $('#reg-relation').value !== 'dependent';
}

function liveHint(final = false) {
  const input = $('#reg-my-number');
  const out = $('#reg-number-hint');
  const state = check(input.value);
  const typing = state === 'length' && final !== true && normalize(input.value).length < 12;
  out.textContent = state === 'empty' ? '' : NUMBER_CHECK_TEXT[state] || NUMBER_CHECK_TEXT.length;
  out.classList.toggle('ok', state === 'ok');
  out.classList.toggle('bad', state !== 'ok' && state !== 'empty' && !typing);
}

function onNumberCheck() {
  // A My Number Card proves both: offer the matching identity check (still editable).
  const identity = $('#reg-identity-check');
  if ($('#reg-number-check').value === 'my_number_card' && identity.value === '') identity.value = 'my_number_card';
  updateComboHint();
}

function selectedPurposes(name) {
  return $$(`input[name="${name}"]:checked`).map((c) => c.value);
}

/** A hint (never a block) when the combination looks wrong; the server decides. */
function comboHint() {
  const numberCheck = $('#reg-number-check').value;
  const identity = $('#reg-identity-check').value;
  const relation = $('#reg-relation').value;
  if (!numberCheck || !identity) return '';
  if (numberCheck === 'my_number_card' && identity !== 'my_number_card') {
    return '個人番号カードは1枚で番号確認と身元確認の両方になります。身元確認も「個人番号カード」を選ぶのが普通です。';
  }
  if (numberCheck !== 'my_number_card' && identity === 'my_number_card') {
    return '番号確認が個人番号カードでない場合は、身元確認に個人番号カード以外の方法（顔写真付きの身分証明書など）を選んでください。';
  }
  if (identity === 'by_employee') {
    if (relation === 'self') return '本人の番号は事業者（担当者）が確認します。「従業員本人が確認」は扶養親族の番号にだけ使えます。';
    if (selectedPurposes('reg-purposes').includes('national_pension_dependent_spouse')) {
      return '国民年金第3号の届出に使う配偶者の番号は、事業者（担当者）が確認します。「従業員本人が確認」は使えません。';
    }
  }
  return '';
}

function updateComboHint() {
  const text = comboHint();
  const out = $('#reg-verification-hint');
  out.textContent = text;
  out.hidden = !text;
}

function buildBody() {
  const body = {
    employee_id: $('#reg-employee-id').value.trim(),
    relation: $('#reg-relation').value,
    purposes: selectedPurposes('reg-purposes'),
  };
  if (body.relation === 'dependent') body.dependent_label = $('#reg-dependent-label').value.trim();
  if (mode() === 'refusal') {
    body.refusal = {
      reason: $('#reg-refusal-reason').value.trim(),
      requested_on: $('#reg-refusal-requested-on').value,
    };
  } else {
    body.my_number = normalize($('#reg-my-number').value);
    body.verification = {
      number_check: $('#reg-number-check').value,
      identity_check: $('#reg-identity-check').value,
      verified_on: $('#reg-verified-on').value,
    };
  }
  if ($('#reg-replace').checked) body.replace = true;
  return body;
}

async function submit() {
  if (sending) return;
  clearFieldErrors(form());
  showProblem($('#reg-error'), null);
  $('#reg-result').hidden = true;
  $('#reg-result').replaceChildren();
  // Only the number is checked here (it is never sent malformed); the rest is the server's.
  if (mode() === 'number') {
    const state = check($('#reg-my-number').value);
    if (state !== 'ok') {
      liveHint(true);
      showFieldErrors(form(), [{ field: 'my_number', rule: state === 'empty' ? 'required' : state }]);
      return;
    }
  }
  sending = true;
  // One key per attempt; api.js reuses it if it resends after a new sign-in.
  const key = newIdempotencyKey();
  let record;
  try {
    record = await busy($('#reg-submit'), '登録しています…', () => {
      let body = buildBody();
      const request = api('POST', '/v1/records', { body, headers: { 'Idempotency-Key': key } });
      body = null; // the request holds the only other copy of the number
      return request;
    });
  } catch (err) {
    showFormError(form(), $('#reg-error'), err, OVERRIDES);
    if (err.code === 'record_exists') {
      const slot = $('#err-reg-replace');
      slot.textContent = OVERRIDES.record_exists;
      slot.hidden = false;
    }
    return;
  } finally {
    sending = false;
  }
  // Registered: the number leaves the page.
  $('#reg-my-number').value = '';
  liveHint();
  $('#reg-replace').checked = false;
  showResult(record);
}

function showResult(record) {
  const box = $('#reg-result');
  const id = String(record?.record_id ?? '');
  box.replaceChildren(
    h('p', { class: 'done-title' }, '登録しました'),
    h('dl', { class: 'kv' },
      h('dt', {}, '記録ID'), h('dd', {}, h('span', { class: 'mono', dataset: { recordId: id } }, id)),
      h('dt', {}, '従業員番号'), h('dd', {}, String(record?.employee_id ?? '')),
      h('dt', {}, '続柄'), h('dd', {}, relationText(record)),
      h('dt', {}, '状態'), h('dd', {}, label(STATUSES, record?.status)),
      h('dt', {}, '利用目的'), h('dd', {}, purposesText(record?.purposes))),
    Array.isArray(record?.same_number_as) && record.same_number_as.length
      ? h('p', { class: 'hint warning' }, `同じ番号が別の記録にもあります（${record.same_number_as.map((s) => `${s.employee_id} ${label(RELATIONS, s.relation)}`).join('、')}）。共働きの配偶者などであれば問題ありません。`)
      : null,
    h('p', { class: 'hint' }, '続けて家族の番号を登録する場合は、続柄を選び直してください。'));
  box.hidden = false;
  box.focus();
}
