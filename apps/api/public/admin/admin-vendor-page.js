/* global FormData */
// One vendor: who it is, what it pays, its usage, add-ons, invoices, Stripe and platform events, the admin actions.
import { errorLines, get, post } from './admin-api.js';
import { badge, card, confirmAction, date, dateTime, fill, h, humanize, money, showMessage, table } from './admin-dom.js';

export async function renderVendorPage(view, id) {
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  const [d, tiers] = await Promise.all([get(`/admin/vendors/${id}`), get('/admin/subscription-tiers').catch(() => [])]);
  const v = d.vendor;
  const s = d.subscription;
  const activeTiers = (Array.isArray(tiers) ? tiers : tiers.items || []).filter((t) => t.is_active !== false);
  const billedByStripe = Boolean(v.stripe_subscription_id) && s && ['trial', 'active', 'past_due'].includes(s.status);
  const rerender = () => renderVendorPage(view, id);

  const head = h('div', { class: 'vendor-head' },
    h('h2', { id: 'vendor-name' }, v.name), h('span', { class: 'muted' }, v.code), ' ',
    v.is_active ? badge('active', 'ok') : badge('deactivated', 'bad'),
    h('p', { class: 'muted' }, `Owner ${v.owner_email || '—'} · since ${date(v.created_at)}${v.stripe_customer_id ? ` · Stripe customer ${v.stripe_customer_id}` : ''}`));

  const subscription = card('Subscription', 'subscription', s ? [
    h('dl', { class: 'facts' },
      fact('Plan', `${s.tier.name} (${s.tier.code})${s.is_annual ? ', annual' : ''}`),
      fact('Status', badge(s.status)),
      fact('Trial ends', h('span', { id: 'trial-ends-at' }, s.trial_ends_at ? dateTime(s.trial_ends_at) : '—')),
      fact('Period', `${date(s.period_start)} → ${date(s.period_end)}`),
      fact('Billing', billedByStripe ? 'Stripe subscription' : 'not billed by Stripe'),
      fact('Payment method', s.has_payment_method ? 'on file' : 'none'),
      s.price ? fact('Price', h('span', { id: 'vendor-price' }, `${money(s.price.amount_cents, s.price.currency)} per ${s.is_annual ? 'year' : 'month'}`,
        s.price.grandfathered ? h('span', { class: 'muted' }, ' (grandfathered: an older price than the tier\'s)') : null)) : null,
      s.price_change ? fact('Price change', h('span', { id: 'vendor-price-change' }, `${money(s.price_change.new_amount_cents, s.price_change.currency)} from ${date(s.price_change.effective_at)}`)) : null,
      s.cancel_at_period_end ? fact('Cancels', `at period end (${date(s.cancel_at || s.period_end)})`)
        : s.cancel_at ? fact('Cancels', `on ${date(s.cancel_at)}`) : null),
    h('div', { class: 'meters' }, ['products', 'orders', 'team_members'].map((k) => meter(humanize(k), s.usage[k]))),
    s.usage.orders && s.usage.orders.overage ? overageFacts(s.usage.orders.overage) : null,
  ] : h('p', { class: 'muted' }, 'This vendor has no subscription.'));

  const actions = card('Actions', 'actions',
    h('form', { id: 'extend-trial-form', class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      const days = Number(new FormData(e.target).get('days'));
      const until = s && s.trial_ends_at ? new Date(Math.max(Date.parse(s.trial_ends_at), Date.now()) + days * 86_400_000) : null;
      if (!(await confirmAction(`Extend ${v.name}'s trial by ${days} days?`, until ? `The trial would end on ${dateTime(until.toISOString())}.` : ''))) return;
      await act(() => post(`/admin/vendors/${id}/extend-trial`, { days }), (r) => `Trial extended: it now ends ${dateTime(r.after.trial_ends_at)}.`, rerender);
    } },
    h('label', {}, 'Extend trial by', h('input', { type: 'number', name: 'days', min: 1, max: 90, value: 14, required: true }), 'days'),
    h('button', { type: 'submit', disabled: !s || s.status !== 'trial' || billedByStripe }, 'Extend trial'),
    s && s.status !== 'trial' ? h('span', { class: 'muted small' }, 'Only a trial can be extended.') : billedByStripe ? h('span', { class: 'muted small' }, 'This trial runs in Stripe.') : null),

    h('form', { id: 'assign-tier-form', class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      const tierCode = String(new FormData(e.target).get('tier_code'));
      if (!(await confirmAction(`Put ${v.name} on ${tierCode} by hand?`, 'The subscription becomes active on that tier, outside Stripe (e.g. an Enterprise contract).'))) return;
      await act(() => post(`/admin/vendors/${id}/assign-tier`, { tier_code: tierCode }), (r) => `Now on ${r.after.tier_code}, ${r.after.status}.`, rerender);
    } },
    h('label', {}, 'Assign tier', h('select', { name: 'tier_code' }, activeTiers.map((t) => h('option', { value: t.code, selected: t.code === 'enterprise' }, t.name)))),
    h('button', { type: 'submit', disabled: billedByStripe }, 'Assign'),
    billedByStripe ? h('span', { class: 'muted small' }, 'Stripe bills this vendor: its plan changes through billing.') : null),

    h('div', { class: 'inline' }, v.is_active
      ? h('button', { type: 'button', id: 'deactivate', class: 'danger', onclick: async () => {
        if (!(await confirmAction(`Deactivate ${v.name}?`, 'Its users are signed out and cannot sign in until it is activated again. Nothing is deleted and billing is untouched.'))) return;
        await act(() => post(`/admin/vendors/${id}/deactivate`), () => `${v.name} is deactivated.`, rerender);
      } }, 'Deactivate vendor')
      : h('button', { type: 'button', id: 'activate', onclick: async () => {
        if (!(await confirmAction(`Activate ${v.name} again?`, 'Its users can sign in again.'))) return;
        await act(() => post(`/admin/vendors/${id}/activate`), () => `${v.name} is active again.`, rerender);
      } }, 'Activate vendor')));

  const addOns = card('Add-ons', 'vendor-add-ons', table(['Add-on', 'Status', 'Domain', 'Period'], d.add_ons.map((a) => [a.addon_name, badge(a.status), a.domain_name || '—', `${date(a.period_start)} → ${date(a.period_end)}`]), 'No add-ons.'));
  const invoices = card('Invoices', 'vendor-invoices', table(['Date', 'Number', 'Total', 'Paid', 'Status'], d.invoices.map((i) => [date(i.invoice_date), i.invoice_number || i.stripe_invoice_id, money(i.total_cents, i.currency), money(i.amount_paid_cents, i.currency), badge(i.status)]), 'No invoices.'),
    d.invoices_total > d.invoices.length ? h('p', { class: 'muted small' }, `${d.invoices.length} of ${d.invoices_total} shown.`) : null);
  const stripeEvents = card('Stripe events', 'vendor-stripe-events', table(['Received', 'Type', 'Status', 'Error'], d.stripe_events.map((e) => [dateTime(e.received_at), e.type, badge(e.status), e.error || '']), v.stripe_customer_id ? 'No events for this customer.' : 'No Stripe customer yet.'));
  const platformEvents = card('Platform events', 'vendor-platform-events', d.platform_events.available
    ? table(['Created', 'Type', 'Status'], d.platform_events.items.map((e) => [dateTime(e.created_at), e.type, badge(e.status)]), 'No platform events.')
    : h('p', { class: 'muted unavailable' }, 'Platform events are not available on this server yet.'));
  const audit = card('Admin actions', 'vendor-audit', table(['When', 'Admin', 'Action', 'Change'], d.audit.map((a) => [dateTime(a.created_at), a.admin_email || `#${a.admin_user_id}`, humanize(a.action), describeChange(a.before, a.after)]), 'No admin has acted on this vendor.'));

  fill(view, h('p', {}, h('a', { href: '#/vendors' }, '← Vendors')), head, h('div', { class: 'grid' }, subscription, actions, addOns, invoices, stripeEvents, platformEvents, audit));
}

async function act(call, success, after) {
  try {
    const result = await call();
    await after();
    showMessage('success', success(result));
  } catch (err) {
    showMessage('error', err.message || 'The action failed.', errorLines(err));
  }
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function meter(label, u) {
  return h('div', { class: 'meter' }, h('span', {}, label), h('span', { class: 'muted' }, u.limit === null ? `${u.current} (unlimited)` : `${u.current} / ${u.limit} (${u.percent}%)`));
}

function describeChange(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (keys.length === 0) return 'no change';
  return keys.map((k) => `${k}: ${format(before[k])} → ${format(after[k])}`).join('; ');
}

const format = (v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? date(v) : v === null || v === undefined ? '—' : String(v));

/** This period's orders past the limit, billed as overage through the Stripe meter (CONTRACT §12). */
function overageFacts(o) {
  return h('dl', { class: 'facts', id: 'overage' },
    fact('Overage', `${o.count} ${o.count === 1 ? 'order' : 'orders'} · ${money(o.amount_cents)} this period`),
    fact('Overage cap', o.cap_cents === null ? 'none' : money(o.cap_cents)),
    fact('Price per order', o.price_per_unit_cents === null ? '— (hard limit now)' : money(o.price_per_unit_cents)));
}
