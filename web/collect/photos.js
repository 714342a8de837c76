// The photos of the identity documents (本人確認書類の写真): one slot per photo, each a
// clone of index.html's #doc-slot-template. A photo is shrunk and uploaded as soon as it
// is chosen: a ticket from POST /v1/collect/documents, then a PUT of the bytes to the
// presigned URL it names (a secret: kept in a local variable only, never logged or
// stored). The submission names the ids of the uploaded photos of the documents chosen.
//
// Each slot has an AbortController for the photo it holds: choosing another file,
// removing the photo or the link's end aborts it, and whatever that photo's work answers
// afterwards is dropped without a word.

import { $ } from './dom.js';
import { httpUrl } from './requests.js';
import { fieldEl, isShown, announce } from './errors.js';

const API = '/v1/collect';
const MAX_DOC_BYTES = 5 * 1024 * 1024; // 5242880, the server's limit
const MAX_SIDE = 1600; // longer side of a shrunk photo, in px
const JPEG_QUALITY = 0.85;
const UPLOAD_TIMEOUT_MS = 120000;

// The slots, in page order: `id` names the slot's elements (doc-{id}, doc-{id}-status, …),
// `kind` is the document kind the API is told.
const SLOTS = [
  {
    id: 'my_number_card_front', kind: 'my_number_card_front', label: 'マイナンバーカードの表面',
    hint: '顔写真のある面です。裏面（番号のある面）は撮らなくてかまいません。',
  },
  {
    id: 'notification_card_front', kind: 'notification_card_front', label: '通知カードの表面',
    hint: '氏名と番号が書かれた面です。',
  },
  {
    id: 'notification_card_back', kind: 'notification_card_back', label: '通知カードの裏面',
    hint: '住所などの変更が書かれる面です。何も書かれていなくても撮影してください。',
  },
  {
    id: 'resident_record', kind: 'other', label: '住民票の写し（番号付き）',
    hint: '番号・氏名・住所が書かれたページです。',
  },
  {
    id: 'photo_id', kind: 'photo_id', label: '顔写真付きの身分証明書',
    hint: '運転免許証・パスポート・在留カードなどの顔写真のある面です。',
  },
  {
    id: 'other', kind: 'other', label: '顔写真のない書類（1点目）',
    hint: '健康保険の資格確認書・年金手帳など、氏名と生年月日または住所が書かれた書類です。',
  },
  {
    id: 'other_2', kind: 'other', label: '顔写真のない書類（2点目）',
    hint: '1点目とは別の種類の書類にしてください。',
  },
];

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

// Set by initPhotos: {token(), authHeaders(), invalidate()} of the page.
let link = null;
// Photo slots by their id ("my_number_card_front", …, "other_2").
const slots = new Map();
// The slots named by the last submission, in `documents` order, with the document each
// held then: a server error on `documents[i]` is shown beside that photo, if still there.
let sentSlots = [];

// ---- slots on the page ----------------------------------------------------------------

/** A clone of the slot template for `def`, every id, label and description its own. */
function slotElement(def) {
  const box = $('#doc-slot-template').content.firstElementChild.cloneNode(true);
  const base = `doc-${def.id}`;
  box.id = `${base}-slot`;
  box.dataset.docSlot = def.id;
  box.dataset.kind = def.kind;
  const label = $('.doc-label', box);
  label.htmlFor = base;
  label.textContent = def.label;
  const hint = $('.doc-hint', box);
  hint.id = `${base}-hint`;
  hint.textContent = def.hint;
  const input = $('input[type="file"]', box);
  input.id = base;
  input.dataset.kind = def.kind;
  input.setAttribute('aria-describedby', `${base}-hint ${base}-status`);
  const preview = $('.doc-preview', box);
  preview.id = `${base}-preview`;
  preview.alt = `${def.label}のプレビュー`;
  $('.doc-file', box).id = `${base}-file`;
  $('.doc-status', box).id = `${base}-status`;
  $('[data-doc-action="retry"]', box).setAttribute('aria-label', `${def.label}をもう一度送る`);
  $('[data-doc-action="remove"]', box).setAttribute('aria-label', `${def.label}の写真を削除`);
  return box;
}

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
export function updateDocs() {
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

/** Drop a slot's photo: abort its work (its results are then ignored), revoke its preview. */
function dropPhoto(slot) {
  slot.ctrl.abort();
  slot.ctrl = new AbortController();
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

/** Every photo dropped (its work aborted): the link ended or the form was sent. */
export function resetDocs() {
  for (const slot of slots.values()) clearSlot(slot);
  sentSlots = [];
}

// ---- a photo's bytes --------------------------------------------------------------------

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

// ---- upload ---------------------------------------------------------------------------

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

/** Ask for a ticket and PUT the slot's blob. Never throws; silent once its photo is dropped. */
async function upload(slot) {
  // The photo's signal: aborted when the photo is replaced, removed, or the link ends.
  const { signal } = slot.ctrl;
  const current = () => !signal.aborted && link.token() !== null;
  // This attempt's own controller: aborted with the photo, or by the timeout (which is
  // shown as a network error, unlike an abort of the photo).
  const attempt = new AbortController();
  const stop = () => attempt.abort();
  signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, UPLOAD_TIMEOUT_MS);
  const { blob, type } = slot;
  try {
    setSlotState(slot, 'uploading');
    let res;
    try {
      res = await fetch(`${API}/documents`, {
        method: 'POST',
        headers: { ...link.authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: slot.kind, content_type: type, bytes: blob.size }),
        cache: 'no-store',
        signal: attempt.signal,
      });
    } catch {
      if (current()) failSlot(slot, 'network');
      return;
    }
    const data = await res.json().catch(() => null);
    if (!current()) return;
    if (res.status !== 201) {
      const key = ticketError(res.status, data);
      if (key === null) link.invalidate(); // unknown, used, expired, cancelled or locked link
      else failSlot(slot, key);
      return;
    }
    const documentId = typeof data?.document_id === 'string' ? data.document_id : '';
    const uploadUrl = httpUrl(data?.upload_url);
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
        signal: attempt.signal,
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
    signal.removeEventListener('abort', stop);
  }
}

/** Run `work` as the slot's pending task; a submission waits for it. */
function track(slot, work) {
  const task = work.catch(() => {}).then(() => { if (slot.task === task) slot.task = null; });
  slot.task = task;
}

/** A new file for a slot: check, shrink, preview, upload. */
async function prepare(slot, file) {
  const { signal } = slot.ctrl;
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
      if (!signal.aborted) failSlot(slot, 'decode');
      return;
    }
    if (signal.aborted) return;
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
  track(slot, upload(slot));
  slot.input.focus(); // the button hides itself while the upload runs
}

function removePhoto(slot) {
  clearSlot(slot);
  announce(`${slot.label}の写真を削除しました。`);
  slot.input.focus();
}

// ---- what a submission needs ------------------------------------------------------------

/** Whether a photo on screen is still being shrunk or uploaded. */
export const uploading = () => activeSlots().some((slot) => slot.task);

/** Wait until no slot on screen is preparing or uploading (a replaced photo restarts it). */
export async function waitForUploads() {
  for (;;) {
    const pending = activeSlots().map((slot) => slot.task).filter(Boolean);
    if (!pending.length || !link.token()) return;
    await Promise.allSettled(pending);
  }
}

/** The label of a photo on screen that could not be sent, if any. */
export function failedPhoto() {
  return activeSlots().find((slot) => slot.state === 'error')?.label ?? null;
}

/** The ids of the uploaded photos on screen, in `documents` order (remembered for errors). */
export function documentsToSend() {
  const uploaded = activeSlots().filter((slot) => slot.state === 'uploaded' && slot.documentId);
  sentSlots = uploaded.map((slot) => ({ slot, documentId: slot.documentId }));
  return uploaded.map((slot) => slot.documentId);
}

/**
 * A server error on `documents[index]`: shown beside that photo ({input} to focus), or,
 * when the photo is no longer the one sent, as a general {message}.
 */
export function documentError(index, rule) {
  const sent = sentSlots[index];
  if (sent && sent.slot.documentId === sent.documentId) {
    failSlot(sent.slot, rule);
    return { input: sent.slot.input };
  }
  return { message: DOC_ERRORS.rejected.text };
}

/** Builds the slots from the template; `page` is {token(), authHeaders(), invalidate()}. */
export function initPhotos(page) {
  link = page;
  const area = $('#doc-slots');
  for (const def of SLOTS) {
    const box = slotElement(def);
    area.append(box);
    const slot = {
      id: def.id,
      kind: def.kind,
      label: def.label,
      box,
      input: $('input[type="file"]', box),
      preview: $('.doc-preview', box),
      file: $('.doc-file', box),
      status: $('.doc-status', box),
      retry: $('[data-doc-action="retry"]', box),
      remove: $('[data-doc-action="remove"]', box),
      ctrl: new AbortController(),
      task: null,
      state: 'empty',
      blob: null,
      type: '',
      documentId: null,
      retryable: false,
      previewUrl: null,
    };
    slots.set(def.id, slot);
    slot.input.addEventListener('change', () => choose(slot));
    slot.retry.addEventListener('click', () => retry(slot));
    slot.remove.addEventListener('click', () => removePhoto(slot));
    setSlotState(slot, 'empty');
  }
  fieldEl('self.identity_document').addEventListener('change', updateDocs);
  updateDocs();
}

