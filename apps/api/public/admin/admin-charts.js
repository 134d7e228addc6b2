/* global requestAnimationFrame */
// Growth charts with uPlot (served from its npm package by the API): the daily values, the fitted line over them,
// and the line's projection 30 and 90 days on (dashed).
import uPlot from './uplot.esm.js';
import { h, num } from './admin-dom.js';

const DAY = 86_400;
const HEIGHT = 200;
const charts = new Set();

let resizeQueued = false;
window.addEventListener('resize', () => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    for (const c of charts) {
      if (!c.root.isConnected) charts.delete(c);
      else c.setSize({ width: widthOf(c.root.parentElement), height: HEIGHT });
    }
  });
});

const widthOf = (el) => Math.max(200, Math.floor(el.clientWidth || 300));

/**
 * Draws one metric into `container`: `dates` (YYYY-MM-DD) and `values` as recorded, `trend` as the API fitted it
 * (slope_per_day, fitted_current, projection_30d, projection_90d; null when there is no trend yet).
 */
export function growthChart(container, { label, dates, values, trend }) {
  const xs = dates.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const last = xs[xs.length - 1];
  const withFuture = trend ? [...xs, last + 30 * DAY, last + 90 * DAY] : xs;
  const pad = (arr) => [...arr, ...Array(withFuture.length - arr.length).fill(null)];
  const data = [withFuture, pad(values)];
  // The snapshots as dots (no line), so the fitted line through them stays visible.
  const series = [{}, { label, stroke: '#3653d6', width: 1, paths: () => null, points: { show: true, size: 5, fill: '#3653d6' } }];
  if (trend) {
    const fitted = xs.map((x) => trend.fitted_current + (trend.slope_per_day * (x - last)) / DAY);
    const projection = [...xs.map((_, i) => (i === xs.length - 1 ? trend.fitted_current : null)), trend.projection_30d, trend.projection_90d];
    data.push(pad(fitted), projection);
    series.push({ label: 'fitted line', stroke: '#1c7c45', width: 2, points: { show: false } });
    series.push({ label: 'projection', stroke: '#b25e09', width: 1.5, dash: [6, 4], spanGaps: true, points: { show: true, size: 6, fill: '#b25e09' } });
  }
  const plotBox = h('div', { class: 'plot' });
  container.append(plotBox);
  const plot = new uPlot(
    {
      width: widthOf(container),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
      series,
      axes: [{ stroke: '#667085', grid: { stroke: '#eef0f3' } }, { stroke: '#667085', grid: { stroke: '#eef0f3' }, size: 56, values: (_u, ticks) => ticks.map((t) => num(t, 1)) }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
    },
    data,
    plotBox,
  );
  charts.add(plot);
  container.dataset.points = String(values.length);
  container.append(
    h('ul', { class: 'chart-key' },
      h('li', { class: 'key-actual' }, 'daily snapshots'),
      trend ? h('li', { class: 'key-fit' }, 'fitted line') : null,
      trend ? h('li', { class: 'key-projection' }, 'projection (30 and 90 days)') : null),
  );
  return plot;
}
