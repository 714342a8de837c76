// Japanese labels for the API's codes, date formatting, and the small DOM helpers that
// show them (field errors, problems). No I/O, no storage. Text is always set with
// textContent, never parsed as HTML.

export const PURPOSES = {
  withholding_tax: '源泉徴収票・給与支払報告書・退職所得',
  dependents_declaration: '扶養控除等申告書',
  payment_record: '支払調書',
  social_insurance: '健康保険・厚生年金',
  employment_insurance: '雇用保険',
  national_pension_dependent_spouse: '国民年金第3号',
};
export const PURPOSE_ORDER = Object.keys(PURPOSES);

export const RELATIONS = { self: '本人', spouse: '配偶者', dependent: '扶養親族' };

export const STATUSES = { active: '有効', refused: '提供拒否', pending_review: '確認待ち' };

export const COLLECTION_STATUSES = {
  open: '受付中（未提出）',
  submitted: '提出済み（確認待ち）',
  cancelled: '取り消し済み',
  expired: '期限切れ',
  locked: 'ロック（入力の誤りが続いたため）',
};

export const NUMBER_CHECKS = {
  my_number_card: '個人番号カード',
  notification_card: '通知カード',
  resident_record: '住民票の写し（番号付き）',
};

export const IDENTITY_CHECKS = {
  my_number_card: '個人番号カード',
  photo_id: '写真付き身分証明書（運転免許証・パスポート・在留カードなど）',
  two_documents: '写真のない書類2点',
  jpki: 'デジタル認証アプリ（JPKI）',
  known_in_person: '対面で本人と確認済み（知っている従業員）',
  by_employee: '従業員本人が確認（扶養親族）',
};

export const DISPOSAL_REASONS = {
  no_longer_needed: '不要になった',
  withdrawn: '撤回',
  error: '誤登録',
  replaced: '置き換え',
  retention_ended: '保存期間満了',
  ttl_backstop: '自動削除（TTL）',
  rejected: '確認で却下',
  unconfirmed: '未確認のまま期限切れ',
};
/** The reasons a registrar may choose for an early disposal. */
export const EARLY_DISPOSAL_REASONS = ['no_longer_needed', 'withdrawn', 'error'];

export const DISPOSERS = {
  principal: '担当者',
  schedule: '自動削除（スケジュール）',
  dynamodb_ttl: '自動削除（TTL）',
};

export const DOCUMENT_KINDS = {
  my_number_card_front: '個人番号カード（表）',
  notification_card_front: '通知カード（表）',
  notification_card_back: '通知カード（裏）',
  photo_id: '写真付き身分証明書',
  other: 'その他',
};

export const SOURCES = {
  registrar: '担当者が登録',
  staff: '担当者が登録',
  self_service: '本人が提出（収集リンク）',
  import: '一括登録',
};

export const ROLES = {
  registrar: '収集担当',
  handler: '事務取扱担当者',
  auditor: '監査担当',
  admin: '管理者',
};
export const ROLE_ORDER = Object.keys(ROLES);

/** A label from `map`, or the code itself when the server sends one we do not know. */
export function label(map, code) {
  if (code === null || code === undefined || code === '') return '';
  return Object.prototype.hasOwnProperty.call(map, code) ? map[code] : String(code);
}

/** 本人 / 配偶者 / 扶養親族（長男） */
export function relationText(item) {
  const base = label(RELATIONS, item?.relation);
  return item?.dependent_label ? `${base}（${item.dependent_label}）` : base;
}

export function purposesText(purposes) {
  return (Array.isArray(purposes) ? purposes : []).map((p) => label(PURPOSES, p)).join('、');
}

// ---- field error rules ------------------------------------------------------------

const RULES = {
  required: '入力（選択）してください',
  length: '長さが正しくありません',
  non_digit: '数字だけで入力してください',
  check_digit: 'チェックデジットが一致しません。番号を確かめてください',
  format: '形式が正しくありません',
  enum: '選択肢から選んでください',
  combination: 'この組み合わせでは本人確認になりません',
  future: '未来の日付は指定できません',
  future_date: '未来の日付は指定できません',
  contains_number: '番号のような数字（12桁）は書かないでください',
  formula: '「=」「+」「-」「@」で始まる呼び名は使えません（表計算ソフトが数式として実行するため）',
  unknown: 'この項目は使えません',
  unknown_field: 'この項目は使えません',
  employer_must_verify: '本人の番号は事業者（担当者）が確認します。「従業員本人が確認」は使えません',
  employer_must_verify_spouse: '国民年金第3号の配偶者の番号は事業者（担当者）が確認します。「従業員本人が確認」は使えません',
  not_a_number_check: '個人番号通知書は番号確認の書類になりません',
  only_for_dependent: '続柄・呼び名は扶養親族のときだけ入力します',
  exclusive_with_my_number: '提供拒否の記録には番号を入れられません',
  range: '範囲外の値です',
  empty: '1つ以上選んでください',
  charset: '使えない文字が含まれています',
  type: '値の種類が正しくありません',
  duplicate: '重複しています',
  too_many: '数が多すぎます',
  too_large: '大きすぎます',
};
// Messages that read better for one field.
const FIELD_RULES = {
  'my_number:required': 'マイナンバーを入力してください',
  'my_number:length': '12桁の数字を入力してください',
  'employee_id:required': '従業員番号を入力してください',
  'employee_id:format': '従業員番号は半角英数字と . _ - で入力してください（64文字まで）',
  'employee_id:length': '従業員番号は64文字までです',
  'employee_id:charset': '従業員番号は半角英数字と . _ - で入力してください',
  'employee_id:contains_number': '従業員番号にマイナンバーのような12桁の数字は使えません',
  'dependent_label:required': '扶養親族の続柄・呼び名（例: 長男）を入力してください',
  'dependent_label:length': '続柄・呼び名は20文字程度までにしてください',
  'purposes:required': '利用目的を1つ以上選んでください',
  'purposes:empty': '利用目的を1つ以上選んでください',
  'refusal.reason:required': '提供しない理由を入力してください',
  'refusal.reason:length': '理由は1〜500文字で入力してください',
  'reason:length': '理由は1〜500文字で入力してください',
  'reason:required': '理由を入力してください',
  'expires_in_days:range': '1〜30日の範囲で入力してください',
  'last_declaration_year:range': '年が範囲外です',
  'left_on:range': '退職日が範囲外です',
  'left_on:required': '退職日を入力してください',
  'left_on:format': '退職日は 2026-03-31 のように 年-月-日 で入力してください',
};
export const GENERIC_RULE = '入力内容を確認してください';

export function ruleMessage(field, rule) {
  return FIELD_RULES[`${field}:${rule}`] || RULES[rule] || GENERIC_RULE;
}

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

// ---- dates ------------------------------------------------------------------------

const TOKYO = 9 * 3600 * 1000; // Asia/Tokyo is UTC+9 with no daylight saving time.
const pad = (n) => String(n).padStart(2, '0');

function tokyoParts(ms) {
  const d = new Date(ms + TOKYO);
  return {
    y: d.getUTCFullYear(), m: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()),
    hh: pad(d.getUTCHours()), mm: pad(d.getUTCMinutes()),
  };
}

/** Today in Asia/Tokyo as YYYY-MM-DD (for date inputs). */
export function todayTokyo() {
  const p = tokyoParts(Date.now());
  return `${p.y}-${p.m}-${p.d}`;
}

/** Today in Asia/Tokyo as YYYYMMDD (for file names). */
export function todayCompact() {
  return todayTokyo().replaceAll('-', '');
}

/**
 * A date as typed ("2026-03-31", "2026/3/31", "2026年3月31日", "20260331", full-width
 * digits too) as YYYY-MM-DD; '' for an empty input; null when it is not a real date.
 */
export function parseDateInput(text) {
  const s = String(text ?? '')
    .replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[\uFF0F\uFF0D\u2212\u30FC]/g, '-')
    .trim();
  if (!s) return '';
  let m = /^([0-9]{4})[-/.年\s]+([0-9]{1,2})[-/.月\s]+([0-9]{1,2})日?$/.exec(s);
  if (!m) m = /^([0-9]{4})([0-9]{2})([0-9]{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${pad(mo)}-${pad(d)}`;
}

/** A date ("2033-03-31") as is; a timestamp as its Tokyo date. */
export function formatDate(value) {
  if (typeof value !== 'string' || !value) return '';
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  const p = tokyoParts(t);
  return `${p.y}-${p.m}-${p.d}`;
}

/** A timestamp as "YYYY-MM-DD HH:MM" in Tokyo time. */
export function formatDateTime(value) {
  if (typeof value !== 'string' || !value) return '';
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  const p = tokyoParts(t);
  return `${p.y}-${p.m}-${p.d} ${p.hh}:${p.mm}`;
}

// ---- DOM helpers ------------------------------------------------------------------

/**
 * h('td', {class: 'x', dataset: {recordId: id}}, 'text', child…) — attributes are set with
 * setAttribute (never event handler attributes), children as text nodes or elements.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) throw new Error('no handler attributes');
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

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
  if (!container) return;
  if (!err) { container.replaceChildren(); container.hidden = true; return; }
  // Inside a container that is itself an alert, the problem is not a second one.
  container.replaceChildren(problemElement(err, overrides, extra, container.getAttribute('role') !== 'alert'));
  container.hidden = false;
}

/** Handles an API error in a form: field errors beside fields, the rest in `general`. */
export function showFormError(form, general, err, overrides) {
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

/** Fills a <select> with a placeholder and the labels of `map` (in `order`). */
export function fillSelect(select, map, { order = Object.keys(map), placeholder = '選択してください', only = null } = {}) {
  const options = [];
  if (placeholder !== null) options.push(h('option', { value: '' }, placeholder));
  for (const code of order) {
    if (only && !only.includes(code)) continue;
    options.push(h('option', { value: code }, map[code]));
  }
  select.replaceChildren(...options);
}
