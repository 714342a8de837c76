// #/mail — メール. The sent log (registrar, auditor): every email the vault sent, with the
// address masked by the server; and the tenant's mail settings (admin): the sender's name,
// HR's addresses, reminders and the digest's weekday. Addresses typed here go to the API
// only; nothing is kept in the browser.

import { api } from './api.js';
import { label, NOTIFICATION_KINDS, DELIVERY_STATUSES, WEEKDAYS } from './labels.js';
import { $, h } from './dom.js';
import { formatDateTime } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy } from './ui.js';

let ctx = null;
let cursor = null;
const list = latest();

const settingsForm = () => $('#mail-settings');

export function init(c) {
  ctx = c;
  $('#mail-more').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(false)));
  $('#mail-reload').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', () => load(true)));
  settingsForm().addEventListener('submit', (e) => { e.preventDefault(); busy($('#mail-save'), '保存しています…', save); });
  settingsForm().addEventListener('input', () => { clearFieldErrors(settingsForm()); $('#mail-saved').textContent = ''; });
  const weekday = $('#mail-digest-weekday');
  weekday.replaceChildren(...Object.keys(WEEKDAYS).map((w) => h('option', { value: w }, label(WEEKDAYS, w))));
}

export function show() {
  const reader = ctx.hasRole('registrar') || ctx.hasRole('auditor');
  $('#mail-log').hidden = !reader;
  settingsForm().hidden = !ctx.hasRole('admin');
  if (reader) load(true);
  if (ctx.hasRole('admin')) loadSettings();
}

export function hide() {}

export function reset() {
  list.abort();
  cursor = null;
  $('#mail-table tbody').replaceChildren();
  $('#mail-more').hidden = true;
  $('#mail-summary').textContent = '';
  showProblem($('#mail-error'), null);
  settingsForm().reset();
  clearFieldErrors(settingsForm());
  showProblem($('#mail-settings-error'), null);
  $('#mail-saved').textContent = '';
}

// ---- the sent log ------------------------------------------------------------------

async function load(fresh) {
  const signal = fresh ? list.start() : list.signal;
  if (fresh) {
    cursor = null;
    $('#mail-table tbody').replaceChildren();
    $('#mail-more').hidden = true;
    $('#mail-summary').textContent = '読み込み中です…';
  }
  showProblem($('#mail-error'), null);
  let page;
  try {
    page = await api('GET', '/v1/notifications', { query: { limit: 50, cursor }, signal });
  } catch (err) {
    if (isAborted(err)) return;
    $('#mail-summary').textContent = '';
    showProblem($('#mail-error'), err);
    return;
  }
  const items = Array.isArray(page?.items) ? page.items : [];
  for (const n of items) $('#mail-table tbody').append(rowOf(n));
  cursor = page?.next_cursor || null;
  $('#mail-more').hidden = !cursor;
  const count = $('#mail-table tbody').children.length;
  $('#mail-summary').textContent = count ? `${count}件${cursor ? '（続きがあります）' : ''}` : '送信したメールはまだありません。';
}

function rowOf(n) {
  const status = String(n.status ?? '');
  return h('tr', { dataset: { notificationId: n.notification_id, status } },
    h('td', {}, formatDateTime(n.sent_at)),
    h('td', {}, label(NOTIFICATION_KINDS, n.kind)),
    h('td', { class: 'mono' }, String(n.to ?? '')),
    h('td', { class: `status status-${status}` }, label(DELIVERY_STATUSES, status)),
    h('td', { class: 'mono' }, String(n.collection_id ?? '')));
}

// ---- the settings (admin) ------------------------------------------------------------

async function loadSettings() {
  showProblem($('#mail-settings-error'), null);
  try {
    fill(await api('GET', '/v1/settings/notifications'));
  } catch (err) {
    showProblem($('#mail-settings-error'), err);
  }
}

function fill(s) {
  $('#mail-sender-name').value = s?.sender_name ?? '';
  $('#mail-hr-recipients').value = (Array.isArray(s?.hr_recipients) ? s.hr_recipients : []).join('\n');
  $('#mail-reminder-days').value = String(s?.reminders?.after_days ?? 3);
  $('#mail-reminder-max').value = String(s?.reminders?.max ?? 2);
  $('#mail-digest-weekday').value = s?.digest?.weekday ?? 'monday';
}

async function save() {
  const form = settingsForm();
  clearFieldErrors(form);
  showProblem($('#mail-settings-error'), null);
  const body = {
    sender_name: $('#mail-sender-name').value.trim(),
    hr_recipients: $('#mail-hr-recipients').value.split(/[\s,、，]+/).map((s) => s.trim()).filter(Boolean),
    reminders: { after_days: Number($('#mail-reminder-days').value), max: Number($('#mail-reminder-max').value) },
    digest: { weekday: $('#mail-digest-weekday').value },
  };
  try {
    fill(await api('PUT', '/v1/settings/notifications', { body }));
    $('#mail-saved').textContent = '保存しました。';
  } catch (err) {
    // hr_recipients[2] → the addresses' box.
    const errors = (err.errors || []).map((e) => ({ ...e, field: String(e.field ?? '').replace(/\[\d+\]$/, '') }));
    const rest = errors.length ? showFieldErrors(form, errors) : [];
    showProblem($('#mail-settings-error'), err, {}, rest);
  }
}
