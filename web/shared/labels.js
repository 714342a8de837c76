// The Japanese words of both pages (the employee's form and the HR console), one wording
// each: labels for the API's codes, what the number check says, and the messages for
// field errors. Words only: no DOM, no I/O, no storage.
//
// Each `export const NAME = {` map of an API vocabulary is held to the Rust vocabulary it
// labels (tests/tests/suite/pages.rs): every code has a label and no label names an
// unknown code. Keep one `code: '言葉',` per line.

export const PURPOSES = {
  withholding_tax: '源泉徴収票・給与支払報告書・退職所得',
  dependents_declaration: '扶養控除等申告書',
  payment_record: '支払調書',
  social_insurance: '健康保険・厚生年金',
  employment_insurance: '雇用保険',
  national_pension_dependent_spouse: '国民年金第3号被保険者の届出',
};
export const PURPOSE_ORDER = Object.keys(PURPOSES);

export const RELATIONS = {
  self: '本人',
  spouse: '配偶者',
  dependent: '扶養親族',
};

export const STATUSES = {
  active: '有効',
  refused: '提供拒否',
  pending_review: '確認待ち',
};

export const COLLECTION_STATUSES = {
  open: '受付中（未提出）',
  submitted: '提出済み（確認待ち）',
  cancelled: '取り消し済み',
  expired: '期限切れ',
  locked: 'ロック（入力の誤りが続いたため）',
};

/** The documents that prove the number (番号確認). */
export const NUMBER_CHECKS = {
  my_number_card: '個人番号カード（マイナンバーカード）',
  notification_card: '通知カード',
  resident_record: '住民票の写し（番号付き）',
};

/** How the person's identity was established (身元確認). */
export const IDENTITY_CHECKS = {
  my_number_card: '個人番号カード（マイナンバーカード）',
  photo_id: '顔写真付きの身分証明書（運転免許証・パスポート・在留カードなど）',
  two_documents: '顔写真のない書類2点',
  jpki: 'デジタル認証アプリ（JPKI）',
  known_in_person: '対面で本人と確認済み（知っている従業員）',
  by_employee: '従業員本人が確認（扶養親族）',
};

export const EXPORT_STATUSES = {
  pending_approval: '承認待ち',
  approved: '承認済み（ダウンロード待ち）',
  downloaded: 'ダウンロード済み',
  expired: '期限切れ',
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
  photo_id: '顔写真付きの身分証明書',
  other: 'その他',
};

export const SOURCES = {
  registrar: '担当者が登録',
  self_service: '本人が提出（収集リンク）',
};

export const NOTIFICATION_KINDS = {
  link: '収集リンク',
  reminder: '再送（リマインダー）',
  receipt: '受付の控え',
  review_notice: '確認待ちのお知らせ（人事）',
  digest: '週次まとめ（人事）',
};

export const DELIVERY_STATUSES = {
  sent: '送信済み',
  failed: '送信失敗',
  bounced: '不達',
  complained: '迷惑メール報告',
};

export const WEEKDAYS = {
  monday: '月曜日',
  tuesday: '火曜日',
  wednesday: '水曜日',
  thursday: '木曜日',
  friday: '金曜日',
  saturday: '土曜日',
  sunday: '日曜日',
};

export const ROLES = {
  registrar: '収集担当',
  handler: '事務取扱担当者',
  auditor: '監査担当',
  admin: '管理者',
};
export const ROLE_ORDER = Object.keys(ROLES);

const own = (map, key) => (Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined);

/** A label from `map`, or the code itself when the server sends one we do not know. */
export function label(map, code) {
  if (code === null || code === undefined || code === '') return '';
  return own(map, code) ?? String(code);
}

/** 本人 / 配偶者 / 扶養親族（長男） */
export function relationText(item) {
  const base = label(RELATIONS, item?.relation);
  return item?.dependent_label ? `${base}（${item.dependent_label}）` : base;
}

export function purposesText(purposes) {
  return (Array.isArray(purposes) ? purposes : []).map((p) => label(PURPOSES, p)).join('、');
}

// ---- the number as typed ----------------------------------------------------------

/** What a typed number is (mynumber.js `check`), said while it is typed and as an error. */
export const NUMBER_CHECK_TEXT = {
  ok: '形式は正しいです',
  length: '12桁の数字を入力してください',
  non_digit: '数字だけで入力してください',
  check_digit: 'チェックデジットが一致しません。番号に誤りがないか確かめてください',
};

// ---- field error rules ------------------------------------------------------------

const RULES = {
  required: '入力（選択）してください',
  length: '長さが正しくありません',
  non_digit: NUMBER_CHECK_TEXT.non_digit,
  check_digit: NUMBER_CHECK_TEXT.check_digit,
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
  email: 'メールアドレスの形式が正しくありません',
  date: '日付を 年-月-日 で入力してください',
  after_to: '開始日は終了日と同じか、それより前の日付にしてください',
  too_many_disposals: '削除の記録が多すぎて1通に収まりません（5,000件まで）。期間を分けて発行してください',
};
// Messages that read better for one field (its name without the path before it).
const FIELD_RULES = {
  'my_number:required': 'マイナンバーを入力してください',
  'my_number:length': NUMBER_CHECK_TEXT.length,
  'employee_id:required': '従業員番号を入力してください',
  'employee_id:format': '従業員番号は半角英数字と . _ - で入力してください（64文字まで）',
  'employee_id:length': '従業員番号は64文字までです',
  'employee_id:charset': '従業員番号は半角英数字と . _ - で入力してください',
  'employee_id:contains_number': '従業員番号にマイナンバーのような12桁の数字は使えません',
  'dependent_label:required': '扶養親族の続柄・呼び名（例: 長男）を入力してください',
  'dependent_label:length': '続柄・呼び名は1〜40文字で入力してください',
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
  'from:required': '開始日を入力してください',
  'from:date': '開始日を 年-月-日 で入力してください',
  'to:required': '終了日を入力してください',
  'to:date': '終了日を 年-月-日 で入力してください',
  'to:future_date': '終了日は今日までの日付にしてください',
  'display_name:required': '事業者名を入力してください',
  'display_name:length': '事業者名は1〜100文字で入力してください',
  'display_name:charset': '事業者名に使えない文字（制御文字）が含まれています',
};
export const GENERIC_RULE = '入力内容を確認してください';

/** The message for a broken `rule` of `field` ("my_number", "refusal.reason", …). */
export function ruleMessage(field, rule) {
  return own(FIELD_RULES, `${field}:${rule}`) || own(RULES, rule) || GENERIC_RULE;
}
