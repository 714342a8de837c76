// The form's errors and messages: a field's error beside it (its control marked
// aria-invalid and described by it, in place of the live check), what no field can show
// in #general-error, and what a screen reader is told (#live). Fields are found by their
// path ("self.my_number", "dependents[1].label"), as the server names them.

import { $, $$ } from './dom.js';
import { ruleMessage, GENERIC_RULE } from './labels.js';

export const MESSAGES = {
  generic: GENERIC_RULE,
  busy: '混み合っています。しばらくしてからもう一度お試しください。',
  conflict: 'すでに登録済みの番号があります。人事担当者にお問い合わせください。',
  nothingToReview: '番号を提供しない場合は、書類の写真を送る必要はありません。',
};

// Look elements up by exact attribute value (no selector escaping of "[1].").
const byData = (attr, path) => $$(`[${attr}]`).find((el) => el.getAttribute(attr) === path) || null;
export const fieldEl = (path) => byData('data-field', path);
const errorEl = (path) => byData('data-error-for', path);
export const checkEl = (path) => byData('data-check-for', path);
export const isShown = (el) => !el.closest('[hidden]');

/** aria-describedby = the box's visible hints, live check and error, in that order. */
export function describe(control) {
  const box = control.closest('.field');
  const ids = $$('.hint, .check, .error', box).filter((e) => !e.hidden && e.id).map((e) => e.id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

/** Says `text` through the polite live region. */
export function announce(text) {
  const live = $('#live');
  live.textContent = '';
  // A fresh text node after a tick makes repeated messages announced again.
  setTimeout(() => { live.textContent = text; }, 50);
}

/** The field of a path, as the shared messages name it: "dependents[1].my_number" → "my_number". */
const fieldName = (path) => path.replace(/^(self|spouse|dependents\[[0-9]+\])\./, '');

/** The message for a broken `rule` of the field at `path`. */
export const messageFor = (path, rule) => ruleMessage(fieldName(path), String(rule ?? ''));

export function setFieldError(path, message) {
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

export function clearFieldError(path) {
  const err = errorEl(path);
  const control = fieldEl(path);
  if (err) { err.hidden = true; err.textContent = ''; }
  const chk = checkEl(path);
  if (chk) chk.hidden = false;
  if (control) { control.removeAttribute('aria-invalid'); describe(control); }
}

export function showGeneral(message) {
  const box = $('#general-error');
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

export function clearErrors() {
  $$('[data-error-for]').forEach((e) => clearFieldError(e.dataset.errorFor));
  const box = $('#general-error');
  box.hidden = true;
  box.textContent = '';
}

/**
 * errors: [{field, rule}] from the server or from the form's own check. An error on
 * `documents[i]` goes to documentError(i, rule), which shows it beside its photo
 * ({input}) or gives a {message} for the general area.
 */
export function showErrors(errors, documentError) {
  clearErrors();
  const general = new Set();
  let firstDoc = null;
  for (const { field, rule } of errors) {
    const path = String(field);
    const doc = /^documents\[([0-9]+)\]$/.exec(path);
    if (doc) {
      const shown = documentError(Number(doc[1]), rule);
      if (shown.input) { if (!firstDoc) firstDoc = shown.input; }
      else general.add(shown.message);
      continue;
    }
    if (path === 'documents') { general.add(rule === 'nothing_to_review' ? MESSAGES.nothingToReview : MESSAGES.generic); continue; }
    const message = messageFor(path, rule);
    if (!setFieldError(path, message)) general.add(message);
  }
  if (general.size) showGeneral([...general].join(' '));
  const first = $$('[data-field]', $('#collect-form')).find((e) => e.getAttribute('aria-invalid') === 'true');
  if (first) first.focus();
  else if (firstDoc) firstDoc.focus();
  else if (!general.size) showGeneral(MESSAGES.generic);
  announce(`入力内容に誤りがあります（${errors.length}件）。`);
}
