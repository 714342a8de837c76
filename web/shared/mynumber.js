// Pure helpers for the My Number (個人番号), shared by the collection form and the console.
// No DOM, no I/O: the same functions run in the browser and in node for tests.

// Full-width digits (０-９) as typed with a Japanese IME.
const FULLWIDTH_DIGITS = /[\uFF10-\uFF19]/g;
// Separators people type or paste: spaces (incl. U+3000 ideographic space) and
// hyphen look-alikes (ASCII '-', U+2010–U+2014, U+2212 minus, U+FF0D full-width).
const SEPARATORS = /[\s\u3000\-\u2010-\u2014\u2212\uFF0D]/g;

/** Full-width digits to ASCII, spaces and hyphens removed. */
export function normalize(s) {
  return String(s ?? '')
    .replace(FULLWIDTH_DIGITS, (d) => String.fromCharCode(d.charCodeAt(0) - 0xff10 + 0x30))
    .replace(SEPARATORS, '');
}

/**
 * Check digit for the first 11 digits (string of ASCII digits).
 * P_n is the n-th digit from the right, Q_n = n + 1 (n <= 6) or n - 5 (n >= 7);
 * r = Σ P_n·Q_n mod 11; the digit is 0 when r <= 1, else 11 - r.
 */
export function checkDigit(first11) {
  let sum = 0;
  for (let n = 1; n <= 11; n += 1) {
    const p = first11.charCodeAt(11 - n) - 0x30;
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** "ok" | "empty" | "non_digit" | "length" | "check_digit" for the normalised value. */
export function check(s) {
  const v = normalize(s);
  if (v === '') return 'empty';
  if (!/^[0-9]+$/.test(v)) return 'non_digit';
  if (v.length !== 12) return 'length';
  return checkDigit(v.slice(0, 11)) === v.charCodeAt(11) - 0x30 ? 'ok' : 'check_digit';
}
