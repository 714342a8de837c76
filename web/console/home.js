// #/home — ホーム (every role): what needs doing — submissions awaiting review and the
// oldest, links open and expired with nothing sent, exports awaiting approval — and the
// records whose retention ends in each of the next 12 months, drawn as an SVG bar chart by
// this page (no library) with the same figures in a table, and how the daily purge last
// ended. Counts only (GET /v1/summary):
// never a list, never a number. Each count links to the page where it is dealt with, when
// the principal may open it.

import { api } from './api.js';
import { $, h } from './dom.js';
import { formatDateTime } from './dates.js';
import { latest, isAborted } from './requests.js';
import { showProblem, busy } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
let ctx = null;
const load = latest();

export function init(c) {
  ctx = c;
  $('#home-reload').addEventListener('click', (e) => busy(e.currentTarget, '読み込み中…', refresh));
}

export function show() {
  refresh();
}

export function hide() {}

export function reset() {
  load.abort();
  $('#home-tasks').replaceChildren();
  $('#home-chart').replaceChildren();
  $('#home-due-table tbody').replaceChildren();
  $('#home-purge').textContent = '';
  $('#home-summary').textContent = '';
  showProblem($('#home-error'), null);
}

async function refresh() {
  showProblem($('#home-error'), null);
  $('#home-summary').textContent = '読み込み中です…';
  let s;
  try {
    s = await api('GET', '/v1/summary', { signal: load.start() });
  } catch (err) {
    if (isAborted(err)) return;
    $('#home-summary').textContent = '';
    showProblem($('#home-error'), err);
    return;
  }
  renderTasks(s);
  renderDue(Array.isArray(s?.due_by_month) ? s.due_by_month : []);
  renderPurge(s?.last_purge);
  $('#home-summary').textContent = `${s?.today ?? ''} 現在${s?.complete === false ? '（記録が多いため一部の集計です）' : ''}`;
}

/** One line of what needs doing: the count, what it is, and where it is dealt with. */
function task(key, count, text, page, detail) {
  const n = Number(count ?? 0);
  const link = page && ctx.mayOpen(page) ? h('a', { href: `#/${page}`, 'aria-label': `${text}の画面を開く` }, '開く') : null;
  return h('li', { class: n ? 'task task-open' : 'task', dataset: { task: key, count: String(n) } },
    h('span', { class: 'task-count' }, `${n}件`), ' ', h('span', { class: 'task-text' }, text),
    detail ? h('span', { class: 'sub-line muted' }, detail) : null,
    link ? ' ' : null, link);
}

function renderTasks(s) {
  const oldest = s?.review?.oldest_submitted_at;
  $('#home-tasks').replaceChildren(
    task('review', s?.review?.pending_records, '確認待ちの提出（本人から届いた番号）', 'review',
      oldest ? `最も古い提出: ${formatDateTime(oldest)}（30日以内に確認しないと自動で削除されます）` : null),
    task('open-links', s?.collections?.open, '回答待ちの収集リンク', 'collections'),
    task('expired-links', s?.collections?.expired_unsubmitted, '提出されないまま期限が切れた収集リンク', 'collections',
      '必要なら新しいリンクを作成してください。'),
    task('exports', s?.exports?.pending_approval, '承認待ちの番号の一括出力', 'exports'));
}

/** An SVG element with `attrs` and, if given, its text (`h` makes HTML elements only). */
function svgElement(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const monthText = (m) => `${Number(String(m).slice(5, 7))}月`;
const yearOf = (m) => String(m).slice(0, 4);

function renderDue(months) {
  const total = months.reduce((n, m) => n + Number(m.count ?? 0), 0);
  const max = Math.max(1, ...months.map((m) => Number(m.count ?? 0)));
  const [w, hgt, top, bottom] = [600, 220, 20, 40];
  const bw = w / Math.max(1, months.length);
  const svg = svgElement('svg', { viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-labelledby': 'home-chart-title', class: 'due-chart' });
  const title = svgElement('title', { id: 'home-chart-title' }, `今後12か月に削除予定日を迎える記録: 合計${total}件`);
  const base = hgt - bottom;
  svg.append(title, svgElement('line', { x1: 0, x2: w, y1: base, y2: base, class: 'axis' }));
  months.forEach((m, i) => {
    const count = Number(m.count ?? 0);
    const barH = count ? Math.max(2, ((base - top) * count) / max) : 0;
    const middle = i * bw + bw / 2;
    svg.append(
      svgElement('rect', { x: i * bw + bw * 0.2, y: base - barH, width: bw * 0.6, height: barH, class: 'bar', 'data-month': m.month, 'data-count': count }),
      svgElement('text', { x: middle, y: base + 18, 'text-anchor': 'middle', class: 'month' }, monthText(m.month)));
    if (count) svg.append(svgElement('text', { x: middle, y: base - barH - 4, 'text-anchor': 'middle', class: 'value' }, String(count)));
  });
  $('#home-chart').replaceChildren(svg);
  $('#home-due-table tbody').replaceChildren(...months.map((m) => h('tr', {},
    h('th', { scope: 'row' }, `${yearOf(m.month)}年${monthText(m.month)}`),
    h('td', {}, `${Number(m.count ?? 0)}件`))));
  $('#home-due-note').textContent = total
    ? `合計${total}件。削除予定日を過ぎた記録は、毎日の削除処理で自動的に削除され、削除・廃棄の記録に残ります。`
    : '今後12か月に削除予定日を迎える記録はありません。';
}

/** How the daily purge last ended (it serves every tenant: a time and an outcome only). */
function renderPurge(run) {
  const box = $('#home-purge');
  if (!run || typeof run !== 'object') {
    box.textContent = '毎日の削除処理はまだ実行されていません。';
    box.dataset.outcome = 'none';
    return;
  }
  let outcome = '正常に終わりました。';
  if (run.outcome === 'failed') outcome = '削除できなかった記録があります（次回の実行でもう一度削除します）。';
  else if (run.reason === 'deadline') outcome = '時間内に終わらなかった分は、次回の実行で削除します。';
  box.textContent = `最後の実行: ${formatDateTime(run.at)}。${outcome}`;
  box.dataset.outcome = run.outcome === 'failed' ? 'failed' : (run.reason || 'success');
}
