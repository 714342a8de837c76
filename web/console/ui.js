// The console's forms: field errors beside their fields, problems (application/problem+json)
// in Japanese, busy buttons. The words of the API's codes are in labels.js (shared with
// the employee's form); no I/O, no storage. Text is always set with textContent.

import { ruleMessage } from './labels.js';
import { h, $$ } from './dom.js';
import { isAborted } from './requests.js';

// ---- problems (application/problem+json) ------------------------------------------

const PROBLEMS = {
  invalid_request: '入力内容を確認してください。',
  unauthenticated: 'サインインが必要です。',
  forbidden_role: 'この操作を行う権限がありません。',
  purpose_not_stated: 'この記録の利用目的ではないため表示できません（この試みは記録されました）',
  not_found: '見つかりません（削除済み・削除予定日を過ぎた・別の事業者の記録などの可能性があります）。',
  collection_not_found: '収集リンクが見つかりません。',
  record_exists: 'すでに登録があります。置き換える場合は「置き換える」を選んでください。',
  no_number: 'この記録には番号がありません（提供拒否の記録です）。',
  concurrent_change: '同時に別の変更がありました。読み込み直してからもう一度お試しください。',
  pending_review: 'この記録は本人からの提出で、まだ確認されていません。表示はできず、廃棄や置き換えの代わりに「提出の確認」で却下します。',
  not_pending: 'この記録はすでに確認または却下されています。',
  collection_closed: 'この収集リンクはすでに終了しています（提出済み・取り消し済み・期限切れなど）。',
  not_emailed: 'このリンクはメールで送られていません。メールアドレスを指定して新しいリンクを作成してください。',
  document_limit: '書類の数が上限に達しています。',
  payload_too_large: '送信内容が大きすぎます。',
  unsupported_media_type: '送信形式が正しくありません。',
  idempotency_key_reused: '同じ送信が別の内容で繰り返されました。もう一度送信してください。',
  throttled: '短い時間に多くの操作があったため、一時的に制限されています。しばらくしてからもう一度お試しください。',
  dependency_failed: '一時的な障害で処理できませんでした（何も変更されていません）。しばらくしてからもう一度お試しください。',
  method_not_allowed: 'この操作はできません。',
  network: 'サーバーに接続できませんでした。通信状況を確かめて、もう一度お試しください。',
  reauth_other_principal: '別のアカウントでサインインしたため、送信しませんでした。内容を確かめて、もう一度送信してください。',
  signed_out: 'サインインしていないため、送信できませんでした。',
};
const BY_STATUS = {
  400: PROBLEMS.invalid_request,
  401: PROBLEMS.unauthenticated,
  403: PROBLEMS.forbidden_role,
  404: PROBLEMS.not_found,
  409: '他の変更と競合しました。読み込み直してからもう一度お試しください。',
  413: PROBLEMS.payload_too_large,
  422: PROBLEMS.idempotency_key_reused,
  429: PROBLEMS.throttled,
  503: PROBLEMS.dependency_failed,
};

/** Japanese text for an API error; `overrides` maps a code to a page-specific message. */
export function problemText(err, overrides = {}) {
  const code = err?.code || '';
  if (code && Object.prototype.hasOwnProperty.call(overrides, code)) return overrides[code];
  if (code && Object.prototype.hasOwnProperty.call(PROBLEMS, code)) return PROBLEMS[code];
  if (err?.status && BY_STATUS[err.status]) return BY_STATUS[err.status];
  if (err?.status >= 500) return PROBLEMS.dependency_failed;
  return 'エラーが発生しました。しばらくしてからもう一度お試しください。';
}

// ---- field errors ------------------------------------------------------------------

/** The `.field-error` of `root` for `field` (exact match, no selector escaping). */
function errorSlot(root, field) {
  return $$('.field-error[data-for]', root).find((e) => e.dataset.for === field) || null;
}

/** The control(s) a `.field-error` describes: those whose aria-describedby names it. */
function controlsOf(root, slot) {
  if (!slot.id) return [];
  return $$('[aria-describedby]', root).filter((c) => c.getAttribute('aria-describedby').split(/\s+/).includes(slot.id));
}

export function clearFieldErrors(root) {
  for (const slot of $$('.field-error[data-for]', root)) {
    slot.textContent = '';
    slot.hidden = true;
    for (const c of controlsOf(root, slot)) c.removeAttribute('aria-invalid');
  }
}

export function clearFieldError(root, field) {
  const slot = errorSlot(root, field);
  if (!slot) return;
  slot.textContent = '';
  slot.hidden = true;
  for (const c of controlsOf(root, slot)) c.removeAttribute('aria-invalid');
}

/**
 * Shows each {field, rule} beside its field in `root`; returns the messages that have no
 * slot (shown by the caller in the general area). Focuses the first invalid control.
 * The value is never echoed: only the field and the rule are used.
 */
export function showFieldErrors(root, errors) {
  clearFieldErrors(root);
  const rest = [];
  let first = null;
  for (const e of Array.isArray(errors) ? errors : []) {
    const field = String(e?.field ?? '');
    const message = ruleMessage(field, String(e?.rule ?? ''));
    const slot = errorSlot(root, field);
    if (!slot) { rest.push(message); continue; }
    if (!slot.hidden) continue; // keep the first message of a field
    slot.textContent = message;
    slot.hidden = false;
    const controls = controlsOf(root, slot);
    for (const c of controls) c.setAttribute('aria-invalid', 'true');
    if (!first && controls[0]) first = controls[0];
  }
  if (first) first.focus();
  return [...new Set(rest)];
}

/** A `.problem[data-code]` element with the Japanese text of `err`. */
export function problemElement(err, overrides, extra = [], alert = true) {
  const code = err?.code || (err?.status ? `http_${err.status}` : 'error');
  const box = h('div', { class: 'problem', role: alert ? 'alert' : null, dataset: { code } }, h('p', {}, problemText(err, overrides)));
  for (const line of extra) box.append(h('p', {}, line));
  return box;
}

/** Replaces the content of `container` with the problem (or clears it for null). */
export function showProblem(container, err, overrides, extra) {
  // An aborted request was replaced or reset: it has nothing to say.
  if (!container || isAborted(err)) return;
  if (!err) { container.replaceChildren(); container.hidden = true; return; }
  // Inside a container that is itself an alert, the problem is not a second one.
  container.replaceChildren(problemElement(err, overrides, extra, container.getAttribute('role') !== 'alert'));
  container.hidden = false;
}

/** Handles an API error in a form: field errors beside fields, the rest in `general`. */
export function showFormError(form, general, err, overrides) {
  if (isAborted(err)) return;
  const rest = err?.errors?.length ? showFieldErrors(form, err.errors) : [];
  showProblem(general, err, overrides, rest);
}

/** Disables `button` while `work` runs, with a busy text; returns work's result. */
export async function busy(button, text, work) {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (text) button.textContent = text;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = before;
  }
}

// ---- CSV ---------------------------------------------------------------------------

/** One CSV field: formula-looking text neutralised, then RFC 4180 quoting. */
function csvField(value) {
  let s = value === null || value === undefined ? '' : String(value);
  // A spreadsheet would run =, +, -, @ (and tab/CR-led) text as a formula.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** A CSV file's text for Excel: a BOM, every field through `csvField`, CRLF line ends. */
export function csvText(rows) {
  return `\uFEFF${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/**
 * The CSV of `items` under `columns` ([Japanese name, API name, value of an item]): the
 * header names both, 「名前（name）」.
 */
export function tableCsv(columns, items) {
  return csvText([
    columns.map(([ja, key]) => `${ja}（${key}）`),
    ...items.map((d) => columns.map(([, , get]) => get(d))),
  ]);
}
