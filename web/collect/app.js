// Employee self-service collection form (served at /collect): this entry reads the link,
// loads what it asks for and wires the parts. No storage of any kind: the token and the
// numbers live only in module memory and in the form fields until submitted.
//
// Files (web/collect/, embedded by functions/collect with web/shared/, all served flat
// under /collect/):
//   index.html  the page, with the templates of a dependant's row and of a photo slot
//   app.css     styles (over base.css)
//   app.js      this entry: the link's token, loading, the panels
//   form.js     the fields, the family parts, the request body and the submission
//   photos.js   the document photos: slots, shrinking, uploads
//   errors.js   field errors, the general problem, announcements
//   language.js Japanese or English (english.js: the English of each wording)
// and, shared with the HR console (web/shared/): labels.js (the words), dom.js,
// dates.js, requests.js, mynumber.js (the number check) and base.css.

import { $, fillLabelled } from './dom.js';
import { PURPOSES, label } from './labels.js';
import { formatDeadline } from './dates.js';
import { latest, isAborted } from './requests.js';
import { initForm, setFamily, clearInputs } from './form.js';
import { initPhotos, resetDocs } from './photos.js';
import { initLanguage } from './language.js';

const API = '/v1/collect';

// The collection token: module variable only (never storage, removed from the URL).
let token = null;
// The link's description being loaded: another load (「もう一度読み込む」) aborts it.
const describing = latest();

const link = {
  token: () => token,
  authHeaders: () => ({ Authorization: `Collection ${token}` }),
  invalidate,
  done,
};

function showPanel(name) {
  for (const p of ['loading', 'invalid', 'form', 'done']) $(`#panel-${p}`).hidden = p !== name;
  // Move focus to end states so screen readers read them out.
  if (name === 'invalid' || name === 'done') $(`#panel-${name}`).focus();
}

/** The link no longer works: nothing typed or chosen stays, and the page says so. */
function invalidate() {
  describing.abort();
  clearInputs();
  resetDocs();
  token = null;
  showPanel('invalid');
}

/** Submitted: the link is spent, nothing typed or chosen stays. */
function done(count) {
  clearInputs();
  resetDocs();
  token = null;
  $('#done-count').textContent = `提出件数：${count}件`;
  showPanel('done');
}

function render(info) {
  $('#employee-id').textContent = String(info.employee_id ?? '');
  const list = $('#purposes');
  list.replaceChildren(...(Array.isArray(info.purposes) ? info.purposes : []).map((p) => {
    const li = document.createElement('li');
    li.textContent = label(PURPOSES, p);
    return li;
  }));
  $('#expires-at').textContent = formatDeadline(info.expires_at);
  setFamily(info.include_family === true);
}

async function load() {
  const signal = describing.start();
  showPanel('loading');
  $('#loading-text').hidden = false;
  $('#loading-error').hidden = true;
  let res;
  let info = null;
  try {
    res = await fetch(API, { headers: link.authHeaders(), cache: 'no-store', signal });
    if (res.status === 200) info = await res.json().catch((err) => { if (isAborted(err)) throw err; return null; });
  } catch (err) {
    if (isAborted(err)) return; // a newer load took over
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
  if (!info) { invalidate(); return; }
  render(info);
  showPanel('form');
}

function init() {
  // First, so that English is on before anything is drawn (and it follows what is).
  initLanguage();
  // The choices (which documents) come from the shared labels.
  fillLabelled(document);
  initForm(link);
  initPhotos(link);
  $('#retry').addEventListener('click', load);

  // Take the token from the fragment, then drop it from the address bar and history entry.
  token = location.hash.slice(1) || null;
  history.replaceState(null, '', location.pathname);
  if (!token) { showPanel('invalid'); return; }
  load();
}

init();
