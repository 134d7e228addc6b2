/* global FormData, location */
// Price migrations (CONTRACT §11): preview who moves and the MRR change, confirm, then watch the worker carry it out.
import { errorLines, get, post } from './admin-api.js';
import { badge, card, confirmAction, date, dateTime, fill, gauge, h, money, num, showMessage, table } from './admin-dom.js';

const REFRESH_MS = 2000;

export async function renderPriceMigrations(view) {
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  const [tiers, migrations] = await Promise.all([get('/admin/subscription-tiers'), get('/admin/price-migrations')]);
  const priced = (Array.isArray(tiers) ? tiers : tiers.items || []).filter((t) => t.price_monthly_cents !== null || t.price_annual_cents !== null);
  const preview = h('div', { id: 'price-migration-preview' });
  const form = h('form', { id: 'price-migration-form', class: 'search', onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const body = { tier_code: String(data.get('tier_code')), is_annual: data.get('interval') === 'year', notice_days: Number(data.get('notice_days')) };
    try {
      fill(preview, previewCard(await post('/admin/price-migrations', { ...body, dry_run: true }), body));
    } catch (err) {
      fill(preview);
      showMessage('error', err.message, errorLines(err));
    }
  } },
  h('label', {}, 'Tier', h('select', { name: 'tier_code' }, priced.map((t) => h('option', { value: t.code }, `${t.name} (${money(t.price_monthly_cents, t.currency)}/month)`)))),
  h('label', {}, 'Interval', h('select', { name: 'interval' }, h('option', { value: 'month' }, 'Monthly subscribers'), h('option', { value: 'year' }, 'Annual subscribers'))),
  h('label', {}, 'Notice (days)', h('input', { type: 'number', name: 'notice_days', min: 0, max: 365, value: 30, required: true })),
  h('button', { type: 'submit' }, 'Preview'));

  fill(view,
    card('Move vendors to a tier\'s current price', 'price-migration-start',
      h('p', { class: 'muted' }, 'Vendors keep the price they pay until a migration moves them. Each moves at its first renewal at least the notice ahead, is told at once (subscription.price_changing) and sees it on its billing page; nothing is prorated.'),
      form, preview),
    card('Migrations', 'price-migrations', migrationsTable(migrations)));
}

function previewCard(p, body) {
  const interval = body.is_annual ? 'year' : 'month';
  const from = p.from_prices.map((f) => `${money(f.old_amount_cents, p.currency)} (${num(f.vendors)})`).join(', ') || '—';
  const summary = p.vendors === 0
    ? h('p', { id: 'preview-summary' }, `No vendor of ${p.tier_code} (${interval}ly) pays another price than ${money(p.new_amount_cents, p.currency)}: nothing to migrate.`)
    : h('p', { id: 'preview-summary' }, `${num(p.vendors)} vendors move from ${from} to ${money(p.new_amount_cents, p.currency)} per ${interval}, between ${date(p.first_effective_at)} and ${date(p.last_effective_at)}. MRR change once all have moved: `,
      h('strong', { id: 'preview-mrr' }, `${p.mrr_change_cents >= 0 ? '+' : ''}${money(p.mrr_change_cents, p.currency)}`),
      p.unknown_amount_vendors ? ` (${num(p.unknown_amount_vendors)} vendors' current amount not known yet, left out)` : '', '.');
  const start = h('button', { type: 'button', id: 'start-price-migration', disabled: p.vendors === 0, onclick: async () => {
    const ok = await confirmAction(`Move ${num(p.vendors)} vendors to ${money(p.new_amount_cents, p.currency)}?`,
      `Each is told now and billed the new price from its first renewal at least ${body.notice_days} days ahead. This cannot be undone from the console.`);
    if (!ok) return;
    try {
      const started = await post('/admin/price-migrations', body);
      location.hash = `#/price-migrations/${started.id}`;
      showMessage('success', `Migration ${started.id} started.`);
    } catch (err) {
      showMessage('error', err.message, errorLines(err));
    }
  } }, 'Start migration…');
  return card('Preview', 'preview', summary,
    table(['Vendor', 'Pays now', 'Pays from', 'New price'], p.sample.map((s) => [h('a', { href: `#/vendors/${s.vendor_id}` }, `#${s.vendor_id}`), money(s.old_amount_cents, p.currency), date(s.effective_at), money(s.new_amount_cents, p.currency)]), 'No vendor moves.'),
    start);
}

function migrationsTable(items) {
  return table(['#', 'Tier', 'New price', 'Notice', 'Status', 'Scheduled', 'Failed', 'Started'], items.map((m) => [
    h('a', { href: `#/price-migrations/${m.id}` }, `#${m.id}`), `${m.tier_code} (${m.is_annual ? 'annual' : 'monthly'})`, money(m.new_amount_cents, m.currency),
    `${m.notice_days} days`, badge(m.status), `${num(m.scheduled)} of ${num(m.total)}`, num(m.failed), dateTime(m.created_at),
  ]), 'No price migration yet.');
}

/** One migration's progress, refreshed every 2 s until it has completed (while this view is shown). */
export async function renderPriceMigration(view, id) {
  const m = await get(`/admin/price-migrations/${id}`);
  fill(view, card(`Price migration #${m.id}`, 'price-migration',
    h('dl', { class: 'facts' },
      h('dt', {}, 'Tier'), h('dd', {}, `${m.tier_code} (${m.is_annual ? 'annual' : 'monthly'})`),
      h('dt', {}, 'New price'), h('dd', {}, money(m.new_amount_cents, m.currency)),
      h('dt', {}, 'Notice'), h('dd', {}, `${m.notice_days} days`),
      h('dt', {}, 'Status'), h('dd', { id: 'migration-status' }, badge(m.status)),
      h('dt', {}, 'Started'), h('dd', {}, dateTime(m.started_at)),
      h('dt', {}, 'Finished'), h('dd', {}, dateTime(m.finished_at))),
    gauge('Scheduled at Stripe', m.scheduled, Math.max(m.total, 1), `${num(m.scheduled)} of ${num(m.total)}${m.expanded ? '' : ' listed so far'} · ${num(m.pending)} pending · ${num(m.failed)} failed`, m.failed > 0 ? 'warn' : 'ok'),
    h('h3', {}, 'Errors'),
    table(['Vendor', 'Status', 'Attempts', 'Error'], m.errors.map((e) => [h('a', { href: `#/vendors/${e.vendor_id}` }, `#${e.vendor_id}`), badge(e.status), String(e.attempts), e.error]), 'No errors.'),
    h('p', {}, h('a', { href: '#/price-migrations' }, 'All migrations'))));
  if (m.status !== 'completed') {
    const hash = location.hash;
    setTimeout(() => {
      if (location.hash === hash) renderPriceMigration(view, id).catch(() => undefined);
    }, REFRESH_MS);
  }
}
