// #/imports — CSVの取り込み (registrar): a CSV exported from kintone or Excel (UTF-8 or
// Shift_JIS, sent as it is with its charset) is checked first by a dry run, then imported.
// A file over one request's 1,000 rows is sent in parts, each with the header row, and the
// progress is shown. The failed rows are listed (row, column, rule — the API never returns
// a number) and can be saved as a formula-safe CSV. The file's bytes stay in this page's
// memory only, until another file is chosen or the principal changes.

import { api } from './api.js';
import { $, h, saveFile } from './dom.js';
import { todayCompact } from './dates.js';
import { ruleMessage } from './labels.js';
import { latest, isAborted } from './requests.js';
import { showProblem, showFieldErrors, clearFieldErrors, busy, csvText } from './ui.js';

/** Rows a request may carry (SPEC §4b). */
const ROWS_PER_REQUEST = 1000;
const LF = 0x0a;
const QUOTE = 0x22;

/** The columns' names as the header of a kintone export writes them. */
const COLUMN_NAMES = {
  employee_id: '社員番号',
  relation: '区分',
  dependent_label: '続柄',
  my_number: 'マイナンバー',
  purposes: '利用目的',
  number_check: '番号確認書類',
  identity_check: '身元確認書類',
  verified_on: '確認日',
  header: '見出し行',
  body: 'ファイル',
};
const IMPORT_RULES = {
  duplicate_number: 'この番号は、ほかの従業員の本人の番号として登録されています',
  missing_column: '必要な列がありません',
  unknown_column: '知らない列があります',
  too_many_rows: '行が多すぎます',
  charset: '文字コードを読み取れません（UTF-8 か Shift_JIS で保存してください）',
};

let file = null; // { name, charset, parts: [{ bytes, firstRow }], rows }
let checkedFile = null; // the file whose dry run finished with rows to register
let failures = [];
const work = latest();

export function init() {
  $('#imp-file').addEventListener('change', (e) => choose(e.target.files?.[0]));
  const zone = $('#imp-drop');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    choose(e.dataTransfer?.files?.[0]);
  });
  $('#imp-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy($('#imp-check'), '確認しています…', () => run(true));
  });
  $('#imp-run').addEventListener('click', async (e) => {
    await busy(e.currentTarget, '取り込んでいます…', () => run(false));
    // Imported (or failed): a new dry run comes first again.
    $('#imp-run').disabled = !checkedFile;
  });
  $('#imp-report').addEventListener('click', saveReport);
}

export function show() {}

export function hide() {}

export function reset() {
  work.abort();
  file = null;
  checkedFile = null;
  failures = [];
  $('#imp-form').reset();
  clearFieldErrors($('#imp-form'));
  $('#imp-file-info').textContent = '';
  clearResult();
}

function clearResult() {
  showProblem($('#imp-error'), null);
  $('#imp-run').disabled = true;
  $('#imp-result').hidden = true;
  $('#imp-result').replaceChildren();
  $('#imp-failures-wrap').hidden = true;
  $('#imp-table tbody').replaceChildren();
  $('#imp-report').hidden = true;
  $('#imp-progress-box').hidden = true;
}

// ---- the file ------------------------------------------------------------------------

async function choose(chosen) {
  work.abort();
  clearFieldErrors($('#imp-form'));
  clearResult();
  file = null;
  checkedFile = null;
  failures = [];
  if (!chosen) { $('#imp-file-info').textContent = ''; return; }
  const bytes = new Uint8Array(await chosen.arrayBuffer());
  const parts = split(bytes);
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  if (!rows) {
    $('#imp-file-info').textContent = '';
    showFieldErrors($('#imp-form'), [{ field: 'file', rule: 'empty' }]);
    return;
  }
  file = { name: chosen.name, charset: charsetOf(bytes), parts, rows };
  const sending = parts.length > 1 ? `。${parts.length}回に分けて送ります` : '';
  $('#imp-file-info').textContent = `${chosen.name}: ${rows}行（${file.charset === 'shift_jis' ? 'Shift_JIS' : 'UTF-8'}${sending}）。「内容を確認する」を押してください。`;
}

/** UTF-8 when the bytes decode as UTF-8, else Shift_JIS (what Excel writes in Japan). */
function charsetOf(bytes) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf-8';
  } catch {
    return 'shift_jis';
  }
}

/**
 * The file in parts of at most ROWS_PER_REQUEST rows, each after the header row; a row
 * ends at a line feed outside quotes. Byte-wise is safe in both charsets: neither `"` nor
 * a line feed is ever the second byte of a Shift_JIS character.
 */
function split(bytes) {
  const ends = [];
  let quoted = false;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === QUOTE) quoted = !quoted;
    else if (bytes[i] === LF && !quoted) ends.push(i + 1);
  }
  if (!ends.length || ends[ends.length - 1] < bytes.length) ends.push(bytes.length);
  const blank = (from, to) => bytes.subarray(from, to).every((b) => b === 0x0d || b === LF || b === 0x20);
  const records = ends.map((end, i) => [i ? ends[i - 1] : 0, end]);
  // Blank lines at the end (Excel adds one) are not rows.
  while (records.length > 1 && blank(...records[records.length - 1])) records.pop();
  const [header, ...data] = records;
  if (!header || !data.length) return [];
  const headerBytes = bytes.subarray(...header);
  const parts = [];
  for (let i = 0; i < data.length; i += ROWS_PER_REQUEST) {
    const group = data.slice(i, i + ROWS_PER_REQUEST);
    const body = new Uint8Array(headerBytes.length + group.reduce((n, [a, b]) => n + b - a, 0));
    body.set(headerBytes, 0);
    let at = headerBytes.length;
    for (const [a, b] of group) { body.set(bytes.subarray(a, b), at); at += b - a; }
    // The API numbers a part's rows from 2 (its header is row 1): this part's first row
    // is the file's row i + 2.
    parts.push({ bytes: body, firstRow: i + 2, rows: group.length });
  }
  return parts;
}

// ---- dry run and import ----------------------------------------------------------------

async function run(dryRun) {
  if (!file) {
    showFieldErrors($('#imp-form'), [{ field: 'file', rule: 'required' }]);
    return;
  }
  if (!dryRun && checkedFile !== file) return;
  const current = file;
  checkedFile = null;
  const signal = work.start();
  clearResult();
  const totals = { created: 0, unchanged: 0, failed: 0 };
  failures = [];
  const progress = $('#imp-progress');
  progress.max = current.rows;
  progress.value = 0;
  $('#imp-progress-box').hidden = current.parts.length < 2;
  let done = 0;
  for (const part of current.parts) {
    let answer;
    try {
      const body = new Blob([part.bytes], { type: `text/csv; charset=${current.charset}` });
      answer = await api('POST', '/v1/imports', { query: { dry_run: dryRun ? 'true' : 'false' }, body, signal });
    } catch (err) {
      if (isAborted(err)) return;
      const sent = done ? `（${done}行目までは${dryRun ? '確認' : '処理'}済みです）` : '';
      const rest = (err.errors || []).map((e) => `${columnName(e.field)}: ${ruleText(e.field, e.rule)}`);
      showProblem($('#imp-error'), err, {}, sent ? [...rest, sent] : rest);
      return;
    }
    for (const k of Object.keys(totals)) totals[k] += Number(answer?.[k] ?? 0);
    for (const row of Array.isArray(answer?.rows) ? answer.rows : []) {
      if (row.status !== 'failed') continue;
      const fileRow = Number(row.row) - 2 + part.firstRow;
      for (const e of Array.isArray(row.errors) ? row.errors : []) {
        failures.push({ row: fileRow, field: String(e.field ?? ''), rule: String(e.rule ?? ''), duplicateOf: row.duplicate_of });
      }
    }
    done += part.rows;
    progress.value = done;
    $('#imp-progress-text').textContent = `${done} / ${current.rows}行`;
  }
  if (dryRun && totals.created > 0) checkedFile = current;
  showResult(dryRun, totals);
}

function columnName(field) {
  const name = COLUMN_NAMES[field];
  return name ? `${name}（${field}）` : field;
}

function ruleText(field, rule) {
  return IMPORT_RULES[rule] || ruleMessage(field, rule);
}

function showResult(dryRun, { created, unchanged, failed }) {
  const box = $('#imp-result');
  const title = dryRun
    ? `確認しました（まだ何も登録していません）: 登録される行 ${created}、登録済みで変更なし ${unchanged}、エラー ${failed}。`
    : `取り込みました: 登録 ${created}行、登録済みで変更なし ${unchanged}行、エラー ${failed}行。`;
  const next = dryRun
    ? (failed
      ? 'エラーの行は取り込まれません。ファイルを直して選び直し、もう一度確認するか、このまま「取り込む」でほかの行だけを登録できます。'
      : '問題はありません。「取り込む」を押すと登録します。')
    : (failed ? 'エラーの行を直したファイルを取り込むと、登録済みの行は「変更なし」になり、直した行だけが登録されます。' : '');
  box.replaceChildren(h('p', { class: 'done-title' }, title), ...(next ? [h('p', {}, next)] : []));
  box.hidden = false;
  $('#imp-run').disabled = !checkedFile;
  const tbody = $('#imp-table tbody');
  tbody.replaceChildren(...failures.map((f) => h('tr', {},
    h('td', { 'data-label': '行' }, String(f.row)),
    h('td', { 'data-label': '項目' }, columnName(f.field)),
    h('td', { 'data-label': '理由' }, ruleText(f.field, f.rule) + (f.duplicateOf ? `（従業員番号 ${f.duplicateOf}）` : '')))));
  $('#imp-failures-wrap').hidden = !failures.length;
  $('#imp-report').hidden = !failures.length;
  box.focus();
}

/** The failed rows as CSV (with a BOM for Excel); formula-looking text is neutralised. */
function saveReport() {
  const text = csvText([
    ['行', '項目', '規則', '理由', '重複先の従業員番号'],
    ...failures.map((f) => [f.row, f.field, f.rule, ruleText(f.field, f.rule), f.duplicateOf ?? '']),
  ]);
  const blob = new Blob([text], { type: 'text/csv;charset=utf-8' });
  saveFile(blob, `import-errors-${todayCompact()}.csv`);
}
