// Overview: health at a glance, capacity gauges, growth charts with their fitted lines and projections, advice.
import { get } from './admin-api.js';
import { growthChart } from './admin-charts.js';
import { badge, card, dateTime, fill, gauge, h, num, relative } from './admin-dom.js';

const CHARTS = [
  ['active_vendors', 'Active vendors'],
  ['products', 'Products'],
  ['orders', 'Orders this period'],
  ['db_size_mb', 'Database size (MB)'],
];

/** Counts of Stripe events that failed or were set aside (ignored / needing attention). */
async function webhookTrouble() {
  const count = async (status) => {
    try {
      return (await get(`/admin/webhook-events?status=${status}&limit=500`)).items.length;
    } catch {
      return null; // a status this server does not know
    }
  };
  const [failed, ignored, attention] = await Promise.all([count('failed'), count('ignored'), count('needs_attention')]);
  return { failed: failed ?? 0, ignored: ignored ?? 0, attention };
}

export async function renderOverview(view) {
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  const [health, schedule, webhooks, trends] = await Promise.all([
    get('/admin/platform-health/health'),
    get('/admin/jobs/schedule'),
    webhookTrouble(),
    get('/admin/platform-health/trends?days=90'),
  ]);
  const cap = health.capacity;
  const failing = health.jobs.failing;
  const worker = schedule.worker;

  const glance = card('At a glance', 'glance',
    h('div', { class: 'tiles' },
      tile('Status', badge(health.status), `checked ${relative(health.checked_at)}`, 'status-tile'),
      tile('Database', badge(health.database.status), `${num(health.database.latency_ms, 1)} ms · ${num(health.database.size_mb, 1)} MB`),
      tile('Worker', badge(worker.alive ? 'alive' : worker.last_seen_at ? 'dead' : 'unknown', worker.alive ? 'ok' : 'bad'),
        worker.last_seen_at ? `last heartbeat ${relative(worker.last_seen_at)}` : 'no heartbeat yet', 'worker-tile'),
      tile('Failing jobs', failing.length ? badge(`${failing.length} failing`, 'bad') : badge('none', 'ok'), failing.join(', ') || 'every last run succeeded'),
      tile('Stripe events', webhooks.failed + webhooks.ignored + (webhooks.attention ?? 0) ? badge(`${webhooks.failed} failed`, webhooks.failed ? 'bad' : 'warn') : badge('none failing', 'ok'),
        h('a', { href: '#/stripe-events' }, `${webhooks.ignored} ignored${webhooks.attention === null ? '' : `, ${webhooks.attention} need attention`}`)),
    ));

  const infra = cap.infrastructure;
  const sub = health.subscription_capacity;
  const storageMb = parseSizeMb(infra.current_tier.storage);
  const capacity = card('Capacity', 'capacity',
    h('p', { class: 'muted' }, `Active: ${cap.active_definition}.`),
    h('div', { class: 'gauges' },
      h('h3', {}, 'The platform'),
      gauge('Active vendors', cap.vendors.active, infra.next_upgrade_at_vendors ?? cap.vendors.active,
        infra.next_upgrade_at_vendors ? `${num(cap.vendors.active)} of ${num(infra.next_upgrade_at_vendors)} (next tier: ${infra.next_tier.name})` : `${num(cap.vendors.active)} (top tier)`),
      storageMb ? gauge('Database size', cap.database.size_mb, storageMb, `${num(cap.database.size_mb, 1)} MB of ${infra.current_tier.storage}`) : null,
      h('h3', {}, "Vendors' own plans (an upsell signal, not platform capacity)"),
      ...[['Products', sub.products], ['Orders this period', sub.orders_monthly], ['Team seats', sub.team_members]].map(([label, r]) =>
        gauge(label, r.theoretical_limit - r.headroom, r.theoretical_limit,
          `${num(r.utilization_percent, 1)}% of capped limits · ${num(r.near_limit_subscriptions)} of ${num(r.capped_subscriptions)} vendors near theirs`, 'plan')),
    ),
    h('p', {}, `Infrastructure: ${infra.current_tier.name} — ${infra.current_tier.vcpu} vCPU, ${infra.current_tier.ram} RAM, ${infra.current_tier.storage}, ${infra.current_tier.database}.`),
    h('p', { class: 'muted' }, `${num(cap.vendors.total)} vendors: ${num(cap.vendors.active)} active (${num(cap.vendors.trial)} in trial, ${num(cap.vendors.paying)} paying), ${num(cap.vendors.deactivated)} deactivated. A one-seat plan is full with its owner: that is the plan, not a limit reached.`));

  const growth = card('Growth (last 90 days)', 'growth');
  if (trends.snapshots_available < 2) growth.append(h('p', { class: 'muted' }, trends.message || 'Not enough snapshots yet.'));
  const grid = h('div', { class: 'charts' });
  growth.append(grid);

  const advice = card('Recommendations', 'recommendations',
    h('ul', { class: 'advice' }, health.recommendations.map((r) =>
      h('li', { class: `advice-${r.severity}` }, h('div', { class: 'advice-head' }, badge(r.severity), h('strong', {}, r.title)), h('p', {}, r.description), h('p', { class: 'muted' }, r.action)))));

  fill(view, h('div', { class: 'grid' }, glance, capacity, growth, advice));

  // Charts after the cards are in the page: uPlot measures its container.
  for (const [metric, label] of CHARTS) {
    const values = trends.series.values[metric] || [];
    const trend = trends.trends[metric] || null;
    const box = h('figure', { class: 'chart', 'data-metric': metric }, h('figcaption', {}, h('strong', {}, label), trendCaption(trend)));
    grid.append(box);
    if (values.length > 0) growthChart(box, { label, dates: trends.series.dates, values, trend });
  }
  view.append(h('p', { class: 'muted small' }, `Snapshots ${trends.start_date ?? '—'} … ${trends.end_date ?? '—'} · ${dateTime(health.checked_at)}`));
}

/** '100GB' → 102400, '1TB' → 1048576; null when unreadable. */
function parseSizeMb(size) {
  const m = /^(\d+)(GB|TB)/.exec(size || '');
  return m ? Number(m[1]) * (m[2] === 'TB' ? 1024 * 1024 : 1024) : null;
}

function tile(label, value, caption, id) {
  return h('div', { class: 'tile', id }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-caption muted' }, caption));
}

function trendCaption(t) {
  if (!t) return h('span', { class: 'muted' }, ' no trend yet');
  const sign = t.slope_per_day > 0 ? '+' : '';
  return h('span', { class: 'muted' },
    ` ${sign}${num(t.slope_per_day, 2)}/day · r² ${t.r_squared === null ? '—' : t.r_squared.toFixed(2)} · in 30 days ${num(t.projection_30d)} · in 90 days ${num(t.projection_90d)}`,
    t.outliers.length ? ` · set aside: ${t.outliers.join(', ')}` : '');
}
