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
  const bulk = h('div', {});
  fill(view, card('Platform events', 'platform-events', h('p', { class: 'muted' }, "What this system told the platform's own services, with delivery status."), bulk, body));
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
  fill(bulk, redeliverFailedForm(view));
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

/**
 * After the receiver was down past the 3-day retry window: every failed event since a time, sent again. The
 * confirmation says how many (a dry run counts them first, changing nothing).
 */
function redeliverFailedForm(view) {
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 16);
  return h('form', { class: 'search', id: 'redeliver-failed', onsubmit: async (e) => {
    e.preventDefault();
    const value = String(new FormData(e.target).get('since') || '');
    if (!value) return;
    // The input is read as UTC, as the console shows every time.
    const since = `${value}${value.length === 16 ? ':00' : ''}Z`;
    try {
      const { count } = await post('/admin/platform-events/redeliver', { status: 'failed', since, dry_run: true });
      if (count === 0) {
        showMessage('success', `No failed events since ${dateTime(since)}.`);
        return;
      }
      const events = count === 1 ? '1 failed event' : `${count} failed events`;
      if (!(await confirmAction(`Redeliver ${events}?`, `Every event written since ${dateTime(since)} that failed for good is sent again with its id, in order per vendor.`))) return;
      const done = await post('/admin/platform-events/redeliver', { status: 'failed', since });
      await renderPlatformEvents(view);
      showMessage('success', `${done.count === 1 ? '1 failed event' : `${done.count} failed events`} queued for delivery again.`);
    } catch (err) {
      showMessage('error', err.message, errorLines(err));
    }
  } },
  h('label', {}, 'Failed since (UTC)', h('input', { type: 'datetime-local', name: 'since', value: weekAgo, required: true })),
  h('button', { type: 'submit' }, 'Redeliver failed…'));
}
