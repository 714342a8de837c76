// Development principal picker (compiled in only for local development: `make dev`).
// It is the only file that names the development headers the local API reads instead
// of a token. The chosen principal lives in this module's memory only.

import { ROLES as ROLE_LABELS, ROLE_ORDER as ROLE_NAMES } from './labels.js';
import { h } from './dom.js';

const PRESETS = {
  registrar: { sub: 'hr-sato', roles: ['registrar'], label: ROLE_LABELS.registrar },
  handler: { sub: 'payroll-suzuki', roles: ['handler'], label: ROLE_LABELS.handler },
  auditor: { sub: 'audit-tanaka', roles: ['auditor'], label: ROLE_LABELS.auditor },
  admin: { sub: 'admin-yamada', roles: ['admin'], label: ROLE_LABELS.admin },
  none: { sub: 'no-role-guest', roles: [], label: '役割なし' },
};

let current = null; // {sub, tenant, roles}

/** The development headers for the current principal, or null before one is applied. */
export function headers() {
  if (!current) return null;
  return {
    'x-dev-sub': current.sub,
    'x-dev-tenant': current.tenant,
    'x-dev-roles': current.roles.join(','),
  };
}

export function principal() {
  return current ? { ...current, roles: [...current.roles] } : null;
}

/** Renders the picker into `panel`; onApply(principal) runs after each apply. */
export function mount(panel, onApply) {
  const error = h('p', { class: 'field-error', id: 'dev-error', role: 'alert', hidden: true });
  const sub = h('input', { type: 'text', id: 'dev-sub', autocomplete: 'off', spellcheck: 'false', maxlength: '128', 'aria-describedby': 'dev-error' });
  const tenant = h('input', { type: 'text', id: 'dev-tenant', autocomplete: 'off', spellcheck: 'false', maxlength: '64', value: 'demo' });
  tenant.value = 'demo';
  const boxes = ROLE_NAMES.map((role) => h('input', { type: 'checkbox', id: `dev-role-${role}`, value: role }));
  const form = h('form', { id: 'dev-principal', class: 'dev-principal', novalidate: true, autocomplete: 'off' },
    h('p', { class: 'dev-notice', role: 'note' }, '開発モード: 認証ヘッダーを使っています'),
    h('div', { class: 'dev-fields' },
      h('div', { class: 'field' }, h('label', { for: 'dev-sub' }, '利用者ID（sub）'), sub),
      h('div', { class: 'field' }, h('label', { for: 'dev-tenant' }, '事業者ID（テナント）'), tenant),
      h('fieldset', { class: 'dev-roles' },
        h('legend', {}, '役割'),
        ...ROLE_NAMES.map((role, i) => h('label', { class: 'choice', for: `dev-role-${role}` }, boxes[i], ` ${ROLE_LABELS[role]}`))),
      h('button', { type: 'submit', id: 'dev-apply', class: 'button primary' }, '適用')),
    error,
    h('div', { class: 'dev-presets', role: 'group', 'aria-label': 'よく使う利用者' },
      h('span', { class: 'dev-presets-label' }, 'すぐに切り替え:'),
      ...Object.entries(PRESETS).map(([name, p]) => h('button', { type: 'button', class: 'button secondary small', 'data-preset': name, title: p.sub, 'aria-label': `${p.label}（${p.sub}）として適用` }, p.label))));

  const apply = () => {
    const s = sub.value.trim();
    const t = tenant.value.trim();
    if (!s || !t) {
      error.textContent = !s ? '利用者IDを入力してください' : '事業者IDを入力してください';
      error.hidden = false;
      (s ? tenant : sub).focus();
      return;
    }
    if (!/^[\x21-\x7e]+$/.test(s) || !/^[\x21-\x7e]+$/.test(t)) {
      error.textContent = '利用者IDと事業者IDは半角英数字で入力してください';
      error.hidden = false;
      return;
    }
    error.hidden = true;
    error.textContent = '';
    current = { sub: s, tenant: t, roles: ROLE_NAMES.filter((_, i) => boxes[i].checked) };
    onApply(principal());
  };

  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  form.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-preset]');
    if (!button) return;
    const p = PRESETS[button.dataset.preset];
    if (!p) return;
    sub.value = p.sub;
    ROLE_NAMES.forEach((role, i) => { boxes[i].checked = p.roles.includes(role); });
    apply();
  });
  panel.replaceChildren(form);
  panel.hidden = false;
}
