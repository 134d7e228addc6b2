/* global Node */
// Small DOM tools for the admin console. Every string from the API enters the page as a text node, never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes, listeners (onclick…) and children; strings become text nodes. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function date(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().slice(0, 10);
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 min ago", "in 2 h" */
export function relative(iso) {
  if (!iso) return 'never';
  const diff = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(diff);
  const [n, unit] = abs < 90_000 ? [Math.round(abs / 1000), 's'] : abs < 5_400_000 ? [Math.round(abs / 60_000), 'min'] : abs < 172_800_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'days'];
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return Number(value).toLocaleString('en', { maximumFractionDigits: digits });
}

export function money(cents, currency = 'eur') {
  if (cents === null || cents === undefined) return '—';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: String(currency).toUpperCase() }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${String(currency).toUpperCase()}`;
  }
}

export const humanize = (value) => String(value ?? '').replace(/[_-]+/g, ' ').replace(/^\w/, (c) => c.toUpperCase());

/** A status word as a coloured badge (the class says which colour). */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone || toneOf(text)}` }, humanize(text));
}

export function toneOf(status) {
  if (['healthy', 'succeeded', 'processed', 'active', 'up', 'alive', 'paid', 'info', 'delivered'].includes(status)) return 'ok';
  if (['degraded', 'warning', 'trial', 'past_due', 'skipped', 'running', 'ignored', 'pending', 'processing'].includes(status)) return 'warn';
  if (['critical', 'failed', 'expired', 'cancelled', 'down', 'deactivated', 'dead'].includes(status)) return 'bad';
  return 'neutral';
}

/** A meter bar: value of max, with a label; the fill's width is set through the CSSOM (allowed by the CSP). */
export function gauge(label, value, max, caption, tone) {
  const share = max > 0 ? Math.min(1, value / max) : 0;
  const fillEl = h('div', { class: `gauge-fill ${tone || (share >= 0.9 ? 'bad' : share >= 0.75 ? 'warn' : 'ok')}` });
  fillEl.style.width = `${(share * 100).toFixed(1)}%`;
  return h('div', { class: 'gauge', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': max, 'aria-valuenow': value, 'aria-label': label },
    h('div', { class: 'gauge-head' }, h('span', {}, label), h('span', { class: 'muted' }, caption)),
    h('div', { class: 'gauge-track' }, fillEl));
}

/** A table in a scroll box, so a wide one never widens the page; `rows` are arrays of cells. */
export function table(headers, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

export function card(title, id, ...children) {
  return h('section', { class: 'card', id, 'aria-labelledby': id ? `${id}-title` : undefined }, h('h2', { id: id ? `${id}-title` : undefined }, title), ...children);
}

// ---------- messages and confirmations ----------

export function showMessage(kind, text, lines = []) {
  const box = $('#message');
  box.className = `message ${kind}`;
  fill(box, h('p', {}, text), lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null);
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

export function clearMessage() {
  const box = $('#message');
  box.hidden = true;
  box.replaceChildren();
}

/** Asks before an action; resolves true on Confirm. */
export function confirmAction(title, ...body) {
  const dialog = $('#confirm-dialog');
  fill($('#confirm-title'), title);
  fill($('#confirm-body'), body.map((b) => (typeof b === 'string' ? h('p', {}, b) : b)));
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}
