/* global Blob */
// Revenue (CONTRACT §10): the current figures, MRR over time, each month's movements as stacked bars (what came in
// above the line, what went out below it), the months as a table and as CSV. Everything from GET /admin/revenue.
import uPlot from './uplot.esm.js';
import { get, session } from './admin-api.js';
import { card, fill, h, money, num } from './admin-dom.js';

const HEIGHT = 220;
const MONTH_CHOICES = [6, 12, 24, 60];
const IN = [['new_mrr_cents', 'New', '#1c7c45'], ['expansion_mrr_cents', 'Expansion', '#3653d6'], ['reactivation_mrr_cents', 'Reactivation', '#7a3fc2']];
const OUT = [['contraction_mrr_cents', 'Contraction', '#b25e09'], ['churned_mrr_cents', 'Churn', '#b42318']];

const percent = (x) => (x === null || x === undefined ? '—' : `${num(x * 100, 1)}%`);
const monthTime = (m) => Date.parse(`${m}-01T00:00:00Z`) / 1000;
const widthOf = (el) => Math.max(200, Math.floor(el.clientWidth || 300));

export async function renderRevenue(view, params) {
  const months = MONTH_CHOICES.includes(Number(params.get('months'))) ? Number(params.get('months')) : 12;
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  const report = await get(`/admin/revenue?months=${months}`);
  const { current, currency } = report;
  const eur = (cents) => money(cents, currency);

  const figures = card('Revenue now', 'revenue-now',
    h('div', { class: 'tiles' },
      figure('MRR', 'mrr_cents', current.mrr_cents, eur(current.mrr_cents), 'monthly value of what paying vendors are billed'),
      figure('ARR', 'arr_cents', current.arr_cents, eur(current.arr_cents), 'MRR × 12'),
      figure('Paying vendors', 'paying_vendors', current.paying_vendors, num(current.paying_vendors), 'a monthly value above zero'),
      figure('In trial', 'trialing_vendors', current.trialing_vendors, num(current.trialing_vendors), 'trials running now'),
      figure('Trial conversion', 'trial_conversion_rate_90d', current.trial_conversion_rate_90d, percent(current.trial_conversion_rate_90d), 'of trials ended in 90 days'),
      figure('Logo churn', 'logo_churn_rate_30d', current.logo_churn_rate_30d, percent(current.logo_churn_rate_30d), 'of vendors paying 30 days ago'),
      figure('Net revenue retention', 'net_revenue_retention_12m', current.net_revenue_retention_12m, percent(current.net_revenue_retention_12m), 'of MRR 12 months ago'),
    ));

  const csvHref = `/api/v1/admin/revenue.csv?months=${months}`;
  const csv = h('a', { href: csvHref, id: 'revenue-csv', download: `revenue-${months}-months.csv`, onclick: (e) => downloadCsv(e, csvHref) }, 'Download CSV');
  const choose = h('p', { class: 'revenue-range' }, 'Months: ',
    MONTH_CHOICES.map((n) => [n === months ? h('strong', { 'aria-current': 'true' }, String(n)) : h('a', { href: `#/revenue?months=${n}` }, String(n)), ' ']), '· ', csv);

  const mrrBox = h('figure', { class: 'chart', id: 'revenue-mrr-chart' }, h('figcaption', {}, h('strong', {}, 'MRR'), h('span', { class: 'muted' }, ' at each month’s end (this month: now)')));
  const moveBox = h('figure', { class: 'chart', id: 'revenue-movements-chart' }, h('figcaption', {}, h('strong', {}, 'Movements'), h('span', { class: 'muted' }, ' in above the line, out below it')));
  const charts = card(`The last ${months} months`, 'revenue-months', choose, h('div', { class: 'charts' }, mrrBox, moveBox),
    monthTable(report.months, eur));

  fill(view, h('div', { class: 'grid' }, figures, charts));
  // After the cards are in the page: uPlot measures its container.
  drawMrr(mrrBox, report.months);
  drawMovements(moveBox, report.months);
}

function figure(label, key, raw, shown, caption) {
  return h('div', { class: 'tile', 'data-figure': key, 'data-value': raw === null ? 'null' : String(raw) },
    h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, shown), h('div', { class: 'tile-caption muted' }, caption));
}

function monthTable(months, eur) {
  const rows = [...months].reverse().map((m) => [m.month, eur(m.mrr_cents), eur(m.new_mrr_cents), eur(m.expansion_mrr_cents), eur(m.reactivation_mrr_cents),
    eur(m.contraction_mrr_cents), eur(m.churned_mrr_cents), num(m.paying_vendors), eur(m.arpu_cents)]);
  const wrap = h('div', { id: 'revenue-table' });
  fill(wrap, tableOf(['Month', 'MRR', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'Paying', 'ARPU'], rows));
  return wrap;
}

function tableOf(headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

const axes = () => [
  { stroke: '#667085', grid: { stroke: '#eef0f3' }, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(0, 7)) },
  { stroke: '#667085', grid: { stroke: '#eef0f3' }, size: 64, values: (_u, ticks) => ticks.map((t) => num(t / 100)) },
];

function plot(box, series, data) {
  const target = h('div', { class: 'plot' });
  box.append(target);
  // Half a month of room on either side, so the first and last bars are whole.
  const x = { time: true, range: (_u, min, max) => [min - 15 * 86_400, max + 15 * 86_400] };
  const chart = new uPlot({ width: widthOf(box), height: HEIGHT, scales: { x }, series, axes: axes(), legend: { show: false }, cursor: { drag: { x: false, y: false } } }, data, target);
  window.addEventListener('resize', () => chart.root.isConnected && chart.setSize({ width: widthOf(box), height: HEIGHT }));
  box.dataset.points = String(data[0].length);
  return chart;
}

function drawMrr(box, months) {
  plot(box, [{}, { label: 'MRR', stroke: '#3653d6', width: 2, fill: 'rgba(54, 83, 214, 0.08)', points: { show: true, size: 5, fill: '#3653d6' } }],
    [months.map((m) => monthTime(m.month)), months.map((m) => m.mrr_cents)]);
}

/**
 * Stacked bars: each series is drawn as the running total of its own and the ones before it, largest first, so each
 * visible band is one movement (uPlot paints later series over earlier ones).
 */
function drawMovements(box, months) {
  const bars = uPlot.paths.bars({ size: [0.6, 48] });
  const xs = months.map((m) => monthTime(m.month));
  const series = [{}];
  const data = [xs];
  const stack = (list, sign) => {
    const totals = list.map((_, i) => months.map((m) => sign * list.slice(0, i + 1).reduce((s, [key]) => s + m[key], 0)));
    for (let i = list.length - 1; i >= 0; i--) {
      series.push({ label: list[i][1], stroke: list[i][2], fill: list[i][2], width: 0, paths: bars, points: { show: false } });
      data.push(totals[i]);
    }
  };
  stack(IN, 1);
  stack(OUT, -1);
  plot(box, series, data);
  box.append(h('ul', { class: 'chart-key revenue-key' }, [...IN, ...OUT].map(([key, label]) => h('li', { class: `key-${key}` }, label))));
}

/** The CSV needs the admin's token, so it is fetched and handed to the browser as a file. */
async function downloadCsv(event, href) {
  event.preventDefault();
  const res = await fetch(href, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!res.ok) return;
  const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/csv' }));
  const a = h('a', { href: url, download: event.currentTarget.getAttribute('download') });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
