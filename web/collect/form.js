// The form itself: its fields (ids, labels, live number check), the family parts
// (spouse, dependants added and removed), the request body with the same checks the
// server makes, and the submission. The numbers live only in the fields and in the body
// of the one request that sends them.

import { $, $$ } from './dom.js';
import { normalize, check } from './mynumber.js';
import { NUMBER_CHECK_TEXT } from './labels.js';
import {
  MESSAGES, fieldEl, checkEl, describe, announce, clearFieldError, clearErrors, showGeneral,
  showErrors,
} from './errors.js';
import * as photos from './photos.js';

const API = '/v1/collect';
const MAX_DEPENDENTS = 10;

// Set by initForm: {token(), authHeaders(), invalidate(), done(count)} of the page.
let link = null;
let includeFamily = false;
let sending = false;
let savedIdentity = '';

const form = () => $('#collect-form');

/** Path such as "dependents[1].my_number" to a string usable in an id. */
const safeId = (path) => path.replace(/[^A-Za-z0-9]/g, '-');

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

// ---- live check of number inputs -------------------------------------------

function liveCheck(input, final = false) {
  const out = checkEl(input.dataset.field);
  const state = check(input.value);
  // While the person is still typing, "too short" is a hint, not an error.
  const pending = state === 'length' && !final && normalize(input.value).length < 12;
  out.textContent = state === 'empty' ? '' : NUMBER_CHECK_TEXT[state];
  out.classList.toggle('ok', state === 'ok');
  out.classList.toggle('bad', state !== 'ok' && state !== 'empty' && !pending);
  // Announce only the moments that matter, not every keystroke.
  if (state !== input.dataset.state && (state === 'ok' || state === 'check_digit')) announce(out.textContent);
  input.dataset.state = state;
}

// ---- form state ---------------------------------------------------------------

function updateSelfMode() {
  const refusing = $('#self-refuse').checked;
  $('#self-give-fields').hidden = refusing;
  $('#self-refuse-fields').hidden = !refusing;
  photos.updateDocs();
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
  photos.updateDocs();
}

/** Whether the link asks for the family's numbers too (the spouse and dependants parts). */
export function setFamily(on) {
  includeFamily = on;
  $('#family').hidden = !on;
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
  const label = (path) => {
    const before = errors.length;
    const v = text(path);
    // A spreadsheet would run it as a formula in HR's export file (the server refuses it too).
    if (errors.length === before && /^[=+\-@]/.test(v)) errors.push({ field: path, rule: 'formula' });
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
      label: label(`dependents[${i}].label`),
      my_number: number(`dependents[${i}].my_number`),
    }));
  }
  return { body, errors };
}

/** Wipe every field after submission or when the link dies. */
export function clearInputs() {
  for (const el of $$('input, select, textarea', form())) {
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
    el.value = '';
  }
  $$('[data-check-for]').forEach((e) => { e.textContent = ''; });
}

function setSending(on, text = '送信中…') {
  sending = on;
  const button = $('#submit');
  button.disabled = on;
  button.textContent = on ? text : '確認して提出';
  form().setAttribute('aria-busy', String(on));
}

async function submit(event) {
  event.preventDefault(); // form-action 'none': we only ever send with fetch
  if (sending || !link.token()) return;
  const first = build();
  if (first.errors.length) { showErrors(first.errors, photos.documentError); return; }
  clearErrors();
  // Photos still being shrunk or uploaded: wait for them rather than send without them.
  if (photos.uploading()) {
    setSending(true, '写真の送信を待っています…');
    announce('写真の送信が終わるのを待っています。');
    await photos.waitForUploads();
    setSending(false);
    if (!link.token()) return; // the link stopped working meanwhile
  }
  // The fields may have changed while we waited: build again.
  const { body, errors } = build();
  if (errors.length) { showErrors(errors, photos.documentError); return; }
  const failed = photos.failedPhoto();
  if (failed) {
    showGeneral(`「${failed}」の写真を送れていません。「もう一度送る」を押すか、選び直すか、削除してから提出してください。`);
    return;
  }
  // Only the photos of the documents now chosen, and none with a refusal (nothing to review).
  const documents = body.self.refusal ? [] : photos.documentsToSend();
  if (documents.length) body.documents = documents;
  setSending(true);
  let res;
  try {
    res = await fetch(API, {
      method: 'POST',
      headers: { ...link.authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    setSending(false);
    showGeneral(MESSAGES.busy);
    return;
  }
  setSending(false);
  const data = await res.json().catch(() => null);

  if (res.status === 201) {
    link.done(Array.isArray(data?.records) ? data.records.length : 0);
  } else if (res.status === 400 && Array.isArray(data?.errors) && data.errors.length) {
    showErrors(data.errors, photos.documentError);
  } else if (res.status === 400) {
    showGeneral(MESSAGES.generic);
  } else if (res.status === 401 || res.status === 404) {
    link.invalidate(); // unknown, used, expired, cancelled or locked after too many attempts
  } else if (res.status === 409) {
    showGeneral(MESSAGES.conflict);
  } else {
    showGeneral(MESSAGES.busy); // 429, 503 and anything unexpected: keep the form as filled
  }
}

/** Wires the form; `page` is {token(), authHeaders(), invalidate(), done(count)}. */
export function initForm(page) {
  link = page;
  // Static fields get their ids and error slots from their data-field path.
  for (const box of $$('.field', form())) wireField(box, $('[data-field]', box).dataset.field);

  form().addEventListener('submit', submit);
  form().addEventListener('input', (e) => {
    const path = e.target.dataset.field;
    if (path) clearFieldError(path);
    if (e.target.matches('[data-mynumber]')) liveCheck(e.target);
  });
  form().addEventListener('change', (e) => {
    const path = e.target.dataset.field;
    if (path) clearFieldError(path);
  });
  // On leaving a number field, a too-short number becomes an error-styled message.
  form().addEventListener('focusout', (e) => {
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
}
