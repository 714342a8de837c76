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
  formula: '「=」「+」「-」「@」で始めないでください',
};
const GENERIC = '入力内容を確認してください';
const BUSY = '混み合っています。しばらくしてからもう一度お試しください。';
const CONFLICT = 'すでに登録済みの番号があります。人事担当者にお問い合わせください。';

// ---- document photos (本人確認書類の写真) ----------------------------------------
const MAX_DOC_BYTES = 5 * 1024 * 1024; // 5242880, the server's limit
const MAX_SIDE = 1600; // longer side of a shrunk photo, in px
const JPEG_QUALITY = 0.85;
const UPLOAD_TIMEOUT_MS = 120000;
const DOC_STATES = {
  empty: '未選択',
  preparing: '準備中…',
  uploading: 'アップロード中…',
  uploaded: 'アップロード済み',
  error: 'エラー',
};
// Why a photo could not be used or sent. `retry` = sending the same file again may work.
const DOC_ERRORS = {
  type: { text: '画像（JPEG・PNGなど）かPDFを選んでください', retry: false },
  pdf_too_large: { text: 'PDFが5MBを超えています。5MB以下のファイルを選んでください', retry: false },
  too_large: { text: 'ファイルが5MBを超えています。撮り直すか、別のファイルを選んでください', retry: false },
  decode: { text: 'この画像を読み込めませんでした。撮り直すか、JPEG・PNGの画像を選んでください', retry: false },
  content_type: { text: 'JPEG・PNG・PDF以外の形式は送れません', retry: false },
  limit: { text: '写真は1つのリンクにつき6枚までです。これ以上は送れません。人事担当者にお問い合わせください', retry: false },
  network: { text: '写真を送れませんでした。通信状況を確かめて「もう一度送る」を押してください', retry: true },
  upload_failed: { text: '写真を送れませんでした。「もう一度送る」を押してください', retry: true },
  busy: { text: '混み合っています。しばらくしてから「もう一度送る」を押してください', retry: true },
  not_uploaded: { text: '写真のアップロードが完了していません。「もう一度送る」を押してください', retry: true },
  unknown: { text: 'この写真は使えなくなりました。「もう一度送る」を押すか、選び直してください', retry: true },
  duplicate: { text: '同じ写真が重複しています。削除してください', retry: false },
  rejected: { text: 'この写真は受け付けられませんでした。選び直してください', retry: false },
};
const docError = (key) => (Object.prototype.hasOwnProperty.call(DOC_ERRORS, key) ? DOC_ERRORS[key] : DOC_ERRORS.rejected);
const NOTHING_TO_REVIEW = '番号を提供しない場合は、書類の写真を送る必要はありません。';

// The collection token: module variable only (never storage, removed from the URL).
let token = null;
let includeFamily = false;
let sending = false;
let savedIdentity = '';
// Photo slots by their id suffix ("my_number_card_front", …, "other_2"); see initDocs().
const slots = new Map();
// The slots (and their generation) named by the last submission, in `documents` order,
// so that a server error on `documents[i]` is shown beside the right photo.
let sentSlots = [];

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
  let firstDoc = null;
  for (const { field, rule } of errors) {
    const path = String(field);
    const doc = /^documents\[([0-9]+)\]$/.exec(path);
    if (doc) {
      const sent = sentSlots[Number(doc[1])];
      if (sent && sent.slot.gen === sent.gen) {
        failSlot(sent.slot, rule);
        if (!firstDoc) firstDoc = sent.slot;
      } else {
        general.add(DOC_ERRORS.rejected.text);
      }
      continue;
    }
    if (path === 'documents') { general.add(rule === 'nothing_to_review' ? NOTHING_TO_REVIEW : GENERIC); continue; }
    const message = RULE_MESSAGES[rule] || GENERIC;
    if (!setFieldError(path, message)) general.add(message);
  }
  if (general.size) showGeneral([...general].join(' '));
  const first = $$('[data-field]', form).find((e) => e.getAttribute('aria-invalid') === 'true');
  if (first) first.focus();
  else if (firstDoc) firstDoc.input.focus();
  else if (!general.size) showGeneral(GENERIC);
  announce(`入力内容に誤りがあります（${errors.length}件）。`);
}

// ---- form state ---------------------------------------------------------------

function updateSelfMode() {
  const refusing = $('#self-refuse').checked;
  $('#self-give-fields').hidden = refusing;
  $('#self-refuse-fields').hidden = !refusing;
  updateDocs();
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
  updateDocs();
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
function clearInputs() {
  for (const el of $$('input, select, textarea', form)) {
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
    el.value = '';
  }
  $$('[data-check-for]').forEach((e) => { e.textContent = ''; });
}

function invalidate() {
  clearInputs();
  resetDocs();
  token = null;
  showPanel('invalid');
}

function setSending(on, text = '送信中…') {
  sending = on;
  const button = $('#submit');
  button.disabled = on;
  button.textContent = on ? text : '確認して提出';
  form.setAttribute('aria-busy', String(on));
}

async function submit(event) {
  event.preventDefault(); // form-action 'none': we only ever send with fetch
  if (sending || !token) return;
  const first = build();
  if (first.errors.length) { showErrors(first.errors); return; }
  clearErrors();
  // Photos still being shrunk or uploaded: wait for them rather than send without them.
  if (activeSlots().some((slot) => slot.task)) {
    setSending(true, '写真の送信を待っています…');
    announce('写真の送信が終わるのを待っています。');
    await waitForUploads();
    setSending(false);
    if (!token) return; // the link stopped working meanwhile
  }
  // The fields may have changed while we waited: build again.
  const { body, errors } = build();
  if (errors.length) { showErrors(errors); return; }
  const failed = activeSlots().find((slot) => slot.state === 'error');
  if (failed) {
    showGeneral(`「${failed.label}」の写真を送れていません。「もう一度送る」を押すか、選び直すか、削除してから提出してください。`);
    return;
  }
  // Only the photos of the documents now chosen, and none with a refusal (nothing to review).
  const uploaded = body.self.refusal ? [] : activeSlots().filter((slot) => slot.state === 'uploaded' && slot.documentId);
  sentSlots = uploaded.map((slot) => ({ slot, gen: slot.gen }));
  if (uploaded.length) body.documents = uploaded.map((slot) => slot.documentId);
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
    resetDocs();
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

// ---- document photos ------------------------------------------------------------
// One slot per photo, in index.html (`data-doc-slot`). A photo is shrunk and uploaded as
// soon as it is chosen: a ticket from POST /v1/collect/documents, then a PUT of the bytes to
// the presigned URL it names (a secret: kept in a local variable only, never logged or
// stored). The submission names the ids of the uploaded photos of the documents chosen.

// Which photos the chosen documents call for (SPEC §2.2): a My Number Card does both checks
// (front only); a notification card (front and back) or a resident-record copy needs an
// identity document besides.
function neededSlots(numberDoc, idDoc) {
  const ids = new Set();
  if (numberDoc === 'my_number_card') ids.add('my_number_card_front');
  if (numberDoc === 'notification_card') { ids.add('notification_card_front'); ids.add('notification_card_back'); }
  if (numberDoc === 'resident_record') ids.add('resident_record');
  if (numberDoc && numberDoc !== 'my_number_card') {
    if (idDoc === 'my_number_card') ids.add('my_number_card_front');
    if (idDoc === 'photo_id') ids.add('photo_id');
    if (idDoc === 'two_documents') { ids.add('other'); ids.add('other_2'); }
  }
  return ids;
}

const NUMBER_DOC_PHOTOS = {
  notification_card: '通知カードの表面と裏面',
  resident_record: '住民票の写し（番号付き）',
};
const IDENTITY_DOC_PHOTOS = {
  my_number_card: 'マイナンバーカードの表面',
  photo_id: '顔写真付きの身分証明書（運転免許証・パスポートなど）',
  two_documents: '顔写真のない書類2点',
};

function docsNeededText(numberDoc, idDoc) {
  if (numberDoc === 'my_number_card') {
    return 'マイナンバーカードの表面（顔写真のある面）の写真を1枚送ってください。裏面（番号のある面）は不要です。';
  }
  const numberPart = NUMBER_DOC_PHOTOS[numberDoc];
  if (!numberPart) return '「番号を確認する書類」を選ぶと、必要な写真の欄が表示されます。';
  if (IDENTITY_DOC_PHOTOS[idDoc]) {
    return `${numberPart}の写真と、本人確認のための${IDENTITY_DOC_PHOTOS[idDoc]}の写真を送ってください。`;
  }
  if (idDoc === 'jpki') {
    return `${numberPart}の写真を送ってください。本人確認はデジタル認証アプリで行うため、身分証明書の写真は不要です。`;
  }
  return `${numberPart}の写真を送ってください。「本人であることを確認する書類」を選ぶと、その写真の欄も表示されます。`;
}

/** Show the slots the current choices call for; hide the section when refusing. */
function updateDocs() {
  const section = $('#docs');
  if (!section) return;
  const refusing = $('#self-refuse').checked;
  section.hidden = refusing;
  const numberDoc = fieldEl('self.number_document').value;
  const idDoc = fieldEl('self.identity_document').value;
  $('#docs-needed').textContent = docsNeededText(numberDoc, idDoc);
  const needed = neededSlots(numberDoc, idDoc);
  // A hidden slot keeps its photo (switching back costs no upload) but is not submitted.
  for (const slot of slots.values()) slot.box.hidden = !needed.has(slot.id);
}

/** The slots on screen, in page order: the only ones a submission names. */
const activeSlots = () => [...slots.values()].filter((slot) => isShown(slot.box));

function setSlotState(slot, state, reason = '') {
  slot.state = state;
  slot.status.dataset.state = state;
  slot.status.textContent = state === 'error' ? `${DOC_STATES.error}：${reason}` : DOC_STATES[state];
  if (state === 'error') slot.input.setAttribute('aria-invalid', 'true');
  else slot.input.removeAttribute('aria-invalid');
  slot.remove.hidden = state === 'empty';
  slot.retry.hidden = !(state === 'error' && slot.retryable && slot.blob);
}

/** key: a DOC_ERRORS key (or a server rule; unknown ones read as "rejected"). */
function failSlot(slot, key) {
  const error = docError(key);
  slot.retryable = error.retry;
  slot.documentId = null;
  slot.input.value = ''; // so that choosing the same file again is a change too
  setSlotState(slot, 'error', error.text);
  announce(`${slot.label}：${DOC_STATES.error}：${error.text}`);
}

/** An <img> on a blob: URL for an image, a note for a PDF; the previous URL revoked. */
function setPreview(slot, blob, type = '') {
  if (slot.previewUrl) URL.revokeObjectURL(slot.previewUrl);
  slot.previewUrl = null;
  slot.preview.removeAttribute('src');
  slot.preview.hidden = true;
  slot.file.hidden = true;
  if (!blob) return;
  if (type === 'application/pdf') { slot.file.hidden = false; return; }
  slot.previewUrl = URL.createObjectURL(blob);
  slot.preview.src = slot.previewUrl;
  slot.preview.hidden = false;
}

/** Drop a slot's photo: stop its work (its results are then ignored), revoke its preview. */
function dropPhoto(slot) {
  slot.gen += 1;
  if (slot.ctrl) slot.ctrl.abort();
  slot.ctrl = null;
  slot.task = null;
  slot.blob = null;
  slot.type = '';
  slot.documentId = null;
  slot.retryable = false;
  setPreview(slot, null);
}

/** Back to 未選択, the file input emptied too. */
function clearSlot(slot) {
  dropPhoto(slot);
  slot.input.value = '';
  setSlotState(slot, 'empty');
}

function resetDocs() {
  for (const slot of slots.values()) clearSlot(slot);
  sentSlots = [];
}

const isPdf = (file) => file.type === 'application/pdf' || (file.type === '' && /\.pdf$/i.test(file.name || ''));

/**
 * Decode an image (EXIF orientation applied) and hand it to draw(source, width, height).
 * createImageBitmap where it works; otherwise an <img> on a blob: URL, revoked afterwards.
 */
async function withDecoded(file, draw) {
  if (typeof createImageBitmap === 'function') {
    let bitmap = null;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      bitmap = null; // e.g. an older Safari: fall back to <img>
    }
    if (bitmap) {
      try {
        return await draw(bitmap, bitmap.width, bitmap.height);
      } finally {
        if (typeof bitmap.close === 'function') bitmap.close();
      }
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return await draw(img, img.naturalWidth, img.naturalHeight);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * The bytes to upload for an image: redrawn on a canvas with the longer side at most
 * MAX_SIDE px, as JPEG at JPEG_QUALITY. The original is kept instead when the result is
 * not smaller and the original is already a JPEG/PNG within the limit.
 * Returns a Blob; throws when the browser cannot read the image.
 */
async function shrink(file) {
  // Throws when the image cannot be decoded; null when only the canvas step failed
  // (e.g. out of memory on a small phone).
  const shrunk = await withDecoded(file, (source, width, height) => {
    if (!width || !height) throw new Error('decode');
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.fillStyle = '#fff'; // JPEG has no transparency: a PNG's clear parts become white
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
  });
  const keepable = (file.type === 'image/jpeg' || file.type === 'image/png') && file.size <= MAX_DOC_BYTES;
  if (keepable && (!shrunk || shrunk.size >= file.size)) return file;
  if (!shrunk) throw new Error('decode');
  return shrunk;
}

/** Problem+json of a refused ticket → a DOC_ERRORS key (or null when the link is dead). */
function ticketError(status, data) {
  const code = data && typeof data.code === 'string' ? data.code : '';
  if (status === 401 || code === 'collection_not_found' || code === 'collection_closed') return null;
  if (status === 400 && Array.isArray(data?.errors)) {
    const rules = data.errors.map((e) => e && e.rule);
    if (rules.includes('too_large')) return 'too_large';
    if (rules.includes('content_type')) return 'content_type';
    return 'rejected';
  }
  if (status === 409 && code === 'document_limit') return 'limit';
  if (status === 413) return 'too_large';
  if (status === 415) return 'content_type';
  if (status === 429 || status >= 500) return 'busy';
  return 'rejected';
}

/** The ticket's upload URL as an absolute http(s) URL, or '' (never logged, never kept). */
function presignedUrl(value) {
  if (typeof value !== 'string' || !value) return '';
  try {
    const url = new URL(value, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '';
  } catch {
    return '';
  }
}

/** Ask for a ticket and PUT the slot's blob. Never throws; ignores itself once superseded. */
async function upload(slot) {
  const gen = slot.gen;
  const current = () => slot.gen === gen && token !== null;
  const ctrl = new AbortController();
  slot.ctrl = ctrl;
  const timer = setTimeout(() => ctrl.abort(), UPLOAD_TIMEOUT_MS);
  const { blob, type } = slot;
  try {
    setSlotState(slot, 'uploading');
    let res;
    try {
      res = await fetch(`${API}/documents`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: slot.kind, content_type: type, bytes: blob.size }),
        cache: 'no-store',
        signal: ctrl.signal,
      });
    } catch {
      if (current()) failSlot(slot, 'network');
      return;
    }
    const data = await res.json().catch(() => null);
    if (!current()) return;
    if (res.status !== 201) {
      const key = ticketError(res.status, data);
      if (key === null) invalidate(); // unknown, used, expired, cancelled or locked link
      else failSlot(slot, key);
      return;
    }
    const documentId = typeof data?.document_id === 'string' ? data.document_id : '';
    const uploadUrl = presignedUrl(data?.upload_url);
    if (!documentId || !uploadUrl) { failSlot(slot, 'upload_failed'); return; }
    // Exactly the headers the ticket names (they are part of the signature).
    const given = data.upload_headers && typeof data.upload_headers === 'object'
      ? data.upload_headers
      : { 'content-type': type };
    const headers = {};
    for (const [name, value] of Object.entries(given)) if (typeof value === 'string') headers[name] = value;
    let put;
    try {
      put = await fetch(uploadUrl, {
        method: 'PUT',
        headers,
        body: blob,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
        redirect: 'error',
        signal: ctrl.signal,
      });
    } catch {
      if (current()) failSlot(slot, 'network');
      return;
    }
    if (!current()) return;
    // 200 is stored. A refused PUT (e.g. 403 for an expired signature) needs a new ticket,
    // which is what 「もう一度送る」 asks for.
    if (!put.ok) { failSlot(slot, put.status === 503 || put.status === 429 ? 'busy' : 'upload_failed'); return; }
    slot.documentId = documentId;
    setSlotState(slot, 'uploaded');
    announce(`${slot.label}：${DOC_STATES.uploaded}`);
  } finally {
    clearTimeout(timer);
    if (slot.ctrl === ctrl) slot.ctrl = null;
  }
}

/** Run `work` as the slot's pending task; submit() waits for it. */
function track(slot, work) {
  const task = work.catch(() => {}).then(() => { if (slot.task === task) slot.task = null; });
  slot.task = task;
}

/** A new file for a slot: check, shrink, preview, upload. */
async function prepare(slot, file) {
  const gen = slot.gen;
  setSlotState(slot, 'preparing');
  let blob;
  let type;
  if (isPdf(file)) {
    if (file.size > MAX_DOC_BYTES) { failSlot(slot, 'pdf_too_large'); return; }
    blob = file;
    type = 'application/pdf';
  } else if (file.type.startsWith('image/')) {
    try {
      blob = await shrink(file);
    } catch {
      if (slot.gen === gen) failSlot(slot, 'decode');
      return;
    }
    if (slot.gen !== gen) return;
    type = blob.type;
  } else {
    failSlot(slot, 'type');
    return;
  }
  if (type !== 'image/jpeg' && type !== 'image/png' && type !== 'application/pdf') { failSlot(slot, 'decode'); return; }
  if (blob.size < 1) { failSlot(slot, 'decode'); return; }
  if (blob.size > MAX_DOC_BYTES) { failSlot(slot, 'too_large'); return; }
  slot.blob = blob;
  slot.type = type;
  setPreview(slot, blob, type);
  await upload(slot);
}

function choose(slot) {
  const file = slot.input.files && slot.input.files[0];
  if (!file) return; // the picker was cancelled: keep what the slot had
  dropPhoto(slot); // a replaced photo is simply not submitted; the server deletes it later
  track(slot, prepare(slot, file));
}

function retry(slot) {
  if (!slot.blob || slot.task) return;
  slot.gen += 1;
  track(slot, upload(slot));
  slot.input.focus(); // the button hides itself while the upload runs
}

function removePhoto(slot) {
  clearSlot(slot);
  announce(`${slot.label}の写真を削除しました。`);
  slot.input.focus();
}

/** Wait until no slot on screen is preparing or uploading (a replaced photo restarts it). */
async function waitForUploads() {
  for (;;) {
    const pending = activeSlots().map((slot) => slot.task).filter(Boolean);
    if (!pending.length || !token) return;
    await Promise.allSettled(pending);
  }
}

function initDocs() {
  for (const box of $$('[data-doc-slot]')) {
    const id = box.dataset.docSlot;
    const slot = {
      id,
      kind: box.dataset.kind,
      label: $('.doc-label', box).textContent.trim(),
      box,
      input: $(`#doc-${id}`),
      preview: $(`#doc-${id}-preview`),
      file: $(`#doc-${id}-file`),
      status: $(`#doc-${id}-status`),
      retry: $('[data-doc-action="retry"]', box),
      remove: $('[data-doc-action="remove"]', box),
      gen: 0,
      ctrl: null,
      task: null,
      state: 'empty',
      blob: null,
      type: '',
      documentId: null,
      retryable: false,
      previewUrl: null,
    };
    slots.set(id, slot);
    slot.input.addEventListener('change', () => choose(slot));
    slot.retry.addEventListener('click', () => retry(slot));
    slot.remove.addEventListener('click', () => removePhoto(slot));
    setSlotState(slot, 'empty');
  }
  fieldEl('self.identity_document').addEventListener('change', updateDocs);
  updateDocs();
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
  initDocs();

  // Take the token from the fragment, then drop it from the address bar and history entry.
  token = location.hash.slice(1) || null;
  history.replaceState(null, '', location.pathname);
  if (!token) { showPanel('invalid'); return; }
  load();
}

init();
