// The form's language: Japanese (the page as written) or English (english.js), chosen
// from the browser's languages and switched with the button at the top. The other modules
// keep writing Japanese; while English is on, every text and label the page shows or
// changes is put in English as it appears (a MutationObserver), and switching back puts
// the Japanese back. Nothing is stored: the choice lasts as long as the page.

import { $ } from './dom.js';
import { WORDS, PATTERNS } from './english.js';

/** Attributes a person hears or sees besides text. */
const ATTRIBUTES = ['aria-label', 'alt', 'title', 'placeholder'];
const JAPANESE = /[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]/;

let current = 'ja';
/** What was replaced: text node → {ja, en}; element → {attribute: {ja, en}}. */
const texts = new WeakMap();
const attributes = new WeakMap();

/** The English of a Japanese wording (surrounding spaces kept), or null. */
export function english(ja) {
  const s = ja.trim();
  if (!s) return null;
  let en = WORDS.get(s);
  if (en === undefined) {
    for (const [pattern, make] of PATTERNS) {
      const m = pattern.exec(s);
      if (m) { en = make(m); break; }
    }
  }
  return en === undefined ? null : ja.replace(s, en);
}

/** 'en' or 'ja': the first of the browser's languages that is one of them; else Japanese. */
export function preferred(languages = navigator.languages ?? [navigator.language]) {
  for (const l of languages) {
    const tag = String(l).toLowerCase();
    if (tag === 'ja' || tag.startsWith('ja-')) return 'ja';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'ja';
}

const skipped = (node) => Boolean(node.parentElement?.closest('[data-lang-switch], script, style'));

function translateText(node) {
  if (skipped(node) || !JAPANESE.test(node.data)) return;
  const en = english(node.data);
  if (en === null) return;
  texts.set(node, { ja: node.data, en });
  node.data = en;
}

function translateAttributes(el) {
  if (el.closest('[data-lang-switch]')) return;
  for (const name of ATTRIBUTES) {
    const value = el.getAttribute(name);
    if (!value || !JAPANESE.test(value)) continue;
    const en = english(value);
    if (en === null) continue;
    const saved = attributes.get(el) ?? {};
    saved[name] = { ja: value, en };
    attributes.set(el, saved);
    el.setAttribute(name, en);
  }
}

function translateTree(root) {
  if (root.nodeType === Node.TEXT_NODE) { translateText(root); return; }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  translateAttributes(root);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) translateText(n);
    else translateAttributes(n);
  }
}

/** Puts back the Japanese of what is still as English made it (the page may have moved on). */
function restoreTree(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = root; n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) {
      const saved = texts.get(n);
      if (saved && n.data === saved.en) n.data = saved.ja;
      texts.delete(n);
    } else if (n.nodeType === Node.ELEMENT_NODE) {
      for (const [name, saved] of Object.entries(attributes.get(n) ?? {})) {
        if (n.getAttribute(name) === saved.en) n.setAttribute(name, saved.ja);
      }
      attributes.delete(n);
    }
  }
}

const observer = new MutationObserver((mutations) => {
  for (const m of mutations) {
    if (m.type === 'childList') m.addedNodes.forEach(translateTree);
    else if (m.type === 'characterData') translateText(m.target);
    else if (m.type === 'attributes') translateAttributes(m.target);
  }
});

function apply(lang) {
  current = lang;
  const root = document.documentElement;
  root.lang = lang;
  const button = $('#language');
  // The button names the other language in that language.
  button.textContent = lang === 'en' ? '日本語' : 'English';
  button.lang = lang === 'en' ? 'ja' : 'en';
  if (lang === 'en') {
    translateTree(root);
    observer.observe(root, {
      subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ATTRIBUTES,
    });
  } else {
    observer.disconnect();
    restoreTree(root);
  }
}

/** Sets the language from the browser's, and wires the switch. */
export function initLanguage() {
  $('#language').addEventListener('click', () => apply(current === 'en' ? 'ja' : 'en'));
  apply(preferred());
}
