// Dates as both pages show them: Asia/Tokyo (UTC+9, no daylight saving time), whatever
// the device's time zone. No DOM, no I/O.

const TOKYO = 9 * 3600 * 1000;
const pad = (n) => String(n).padStart(2, '0');

/** The Tokyo calendar fields of a time in ms: {y, m, d, hh, mm} (two-digit strings but y). */
export function tokyoParts(ms) {
  const d = new Date(ms + TOKYO);
  return {
    y: d.getUTCFullYear(), m: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()),
    hh: pad(d.getUTCHours()), mm: pad(d.getUTCMinutes()),
  };
}

/** Today in Asia/Tokyo as YYYY-MM-DD (for date inputs). */
export function todayTokyo() {
  const p = tokyoParts(Date.now());
  return `${p.y}-${p.m}-${p.d}`;
}

/** Today in Asia/Tokyo as YYYYMMDD (for file names). */
export function todayCompact() {
  return todayTokyo().replaceAll('-', '');
}

/**
 * A date as typed ("2026-03-31", "2026/3/31", "2026年3月31日", "20260331", full-width
 * digits too) as YYYY-MM-DD; '' for an empty input; null when it is not a real date.
 */
export function parseDateInput(text) {
  const s = String(text ?? '')
    .replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[\uFF0F\uFF0D\u2212\u30FC]/g, '-')
    .trim();
  if (!s) return '';
  let m = /^([0-9]{4})[-/.年\s]+([0-9]{1,2})[-/.月\s]+([0-9]{1,2})日?$/.exec(s);
  if (!m) m = /^([0-9]{4})([0-9]{2})([0-9]{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${pad(mo)}-${pad(d)}`;
}

/** A date ("2033-03-31") as is; a timestamp as its Tokyo date. */
export function formatDate(value) {
  if (typeof value !== 'string' || !value) return '';
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  const p = tokyoParts(t);
  return `${p.y}-${p.m}-${p.d}`;
}

/** A timestamp as "YYYY-MM-DD HH:MM" in Tokyo time. */
export function formatDateTime(value) {
  if (typeof value !== 'string' || !value) return '';
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  const p = tokyoParts(t);
  return `${p.y}-${p.m}-${p.d} ${p.hh}:${p.mm}`;
}

/** A timestamp as "2026年12月16日 9:00まで" in Tokyo time; '' when it is not one. */
export function formatDeadline(value) {
  const t = Date.parse(value);
  if (Number.isNaN(t)) return '';
  const p = tokyoParts(t);
  return `${p.y}年${Number(p.m)}月${Number(p.d)}日 ${Number(p.hh)}:${p.mm}まで`;
}
