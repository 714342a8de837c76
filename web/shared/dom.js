// DOM helpers of both pages. Text is always set with textContent or text nodes, never
// parsed as HTML; no handler attributes (the CSP allows no inline script anyway).

import * as labels from './labels.js';

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

/**
 * Fills `box` with one labelled checkbox per code of `map`: id `${idPrefix}-${code}`,
 * `name`, checked by default when in `checked`; the first one is described by
 * `describedBy` (the group's error, so that it is the control focused on an error).
 */
export function fillChoices(box, map, { name, idPrefix, checked = [], describedBy = null, only = null }) {
  const items = [];
  for (const code of Object.keys(map)) {
    if (only && !only.includes(code)) continue;
    const id = `${idPrefix}-${code}`;
    const input = h('input', {
      type: 'checkbox', id, name, value: code, checked: checked.includes(code),
      'aria-describedby': items.length === 0 ? describedBy : null,
    });
    items.push(h('label', { class: 'choice', for: id }, input, ` ${map[code]}`));
  }
  box.replaceChildren(...items);
}

const words = (text) => (text ? text.split(/\s+/).filter(Boolean) : null);

/**
 * Writes the shared labels into the page's choices, so that no page keeps a copy of them:
 * `<select data-labels="NUMBER_CHECKS" data-placeholder="選択してください" data-only="a b">`
 * gets its options; any other element with `data-labels="PURPOSES" data-name="…"
 * data-id-prefix="…" data-checked="a b" data-describedby="…"` gets checkboxes.
 */
export function fillLabelled(root = document) {
  for (const el of $$('[data-labels]', root)) {
    const map = labels[el.dataset.labels];
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error(`no labels ${el.dataset.labels}`);
    const only = words(el.dataset.only);
    if (el.tagName === 'SELECT') {
      fillSelect(el, map, { placeholder: el.dataset.placeholder ?? null, only });
    } else {
      fillChoices(el, map, {
        name: el.dataset.name,
        idPrefix: el.dataset.idPrefix,
        checked: words(el.dataset.checked) || [],
        describedBy: el.dataset.describedby || null,
        only,
      });
    }
  }
}

/** Hands `blob` to the browser as a download named `name`, then revokes its blob: URL. */
export function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
  document.body.append(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before the blob: URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
