/* global location, URLSearchParams, FormData */
// The Stripe event ledger with replay, and the platform events with redelivery (when this server has them).
import { errorLines, get, post } from './admin-api.js';
import { badge, card, confirmAction, dateTime, fill, h, showMessage, table } from './admin-dom.js';

const STRIPE_STATUSES = ['failed', 'ignored', 'processing', 'processed'];

export async function renderStripeEvents(view, params) {
  const status = params.get('status') || '';
  const type = params.get('type') || '';
  const form = h('form', { class: 'search', onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const next = new URLSearchParams();
    for (const key of ['status', 'type']) if (data.get(key)) next.set(key, String(data.get(key)));
    location.hash = `#/stripe-events?${next}`;
  } },
  h('label', {}, 'Status', h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STRIPE_STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)))),
  h('label', { class: 'grow' }, 'Type', h('input', { type: 'text', name: 'type', value: type, placeholder: 'e.g. invoice.paid', maxlength: 100 })),
  h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(view, card('Stripe events', 'stripe-events', h('p', { class: 'muted' }, 'Every event Stripe sent, newest first. A failed or ignored event can be processed again from its stored payload.'), form, list));

  const query = new URLSearchParams({ limit: '100' });
  if (status) query.set('status', status);
  if (type) query.set('type', type);
  const { items } = await get(`/admin/webhook-events?${query}`);
  fill(list, table(['Received', 'Event', 'Status', 'Attempts', 'Error', ''], items.map((e) => [
    dateTime(e.received_at), h('span', {}, e.type, h('br'), h('code', { class: 'muted small' }, e.event_id)), badge(e.status), String(e.attempts), e.error || '',
    e.status === 'failed' || e.status === 'ignored'
      ? h('button', { type: 'button', onclick: async () => {
        if (!(await confirmAction(`Replay ${e.event_id}?`, `Processes the stored ${e.type} event again.`))) return;
        try {
          const after = await post(`/admin/webhook-events/${encodeURIComponent(e.event_id)}/replay`);
          await renderStripeEvents(view, params);
          showMessage(after.status === 'processed' ? 'success' : 'error', `Replayed ${e.event_id}: now ${after.status}.`, after.error ? [after.error] : []);
        } catch (err) {
          showMessage('error', err.message, errorLines(err));
        }
      } }, 'Replay')
      : '',
  ]), 'No events.'));
}

export async function renderPlatformEvents(view) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(view, card('Platform events', 'platform-events', h('p', { class: 'muted' }, "What this system told the platform's own services, with delivery status."), body));
  let items;
  try {
    ({ items } = await get('/admin/platform-events?limit=100'));
  } catch (err) {
    if (err.status === 404) {
      fill(body, h('p', { class: 'muted unavailable', id: 'platform-events-unavailable' }, 'Platform events are not available on this server yet.'));
      return;
    }
    throw err;
  }
  fill(body, table(['Created', 'Type', 'Vendor', 'Status', 'Attempts', ''], items.map((e) => [
    dateTime(e.created_at), e.type, e.vendor_id === null || e.vendor_id === undefined ? '—' : h('a', { href: `#/vendors/${e.vendor_id}` }, `#${e.vendor_id}`), badge(e.status), String(e.attempts ?? ''),
    e.status === 'delivered' ? '' : h('button', { type: 'button', onclick: async () => {
      if (!(await confirmAction(`Redeliver event ${e.id}?`, `Sends the ${e.type} event again.`))) return;
      try {
        await post(`/admin/platform-events/${e.id}/redeliver`);
        await renderPlatformEvents(view);
        showMessage('success', `Event ${e.id} queued for delivery again.`);
      } catch (err) {
        showMessage('error', err.message, errorLines(err));
      }
    } }, 'Redeliver'),
  ]), 'No platform events.'));
}
