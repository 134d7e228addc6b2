/**
 * An independent computation of the revenue figures from what a test says each vendor was worth from when: month-end
 * values by brute force (every vendor, every month), movements by plain comparison. It shares no code with the app.
 */
export interface ValueChange {
  vendor: number;
  at: Date;
  cents: number;
}

function valueAt(changes: ValueChange[], vendor: number, instant: Date, inclusive: boolean): number {
  let value = 0;
  for (const c of changes) {
    if (c.vendor !== vendor) continue;
    if (inclusive ? c.at.getTime() <= instant.getTime() : c.at.getTime() < instant.getTime()) value = c.cents;
  }
  return value;
}

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const key = (d: Date) => d.toISOString().slice(0, 7);

export function expectedRevenue(changes: ValueChange[], now: Date, months: number) {
  const vendors = [...new Set(changes.map((c) => c.vendor))];
  // Month ends from the first change on: the value just before the next month starts (the current month: now).
  const first = changes.reduce((m, c) => (c.at < m ? c.at : m), now);
  const ends: { month: string; value: (v: number) => number }[] = [];
  for (let d = monthStart(first.getUTCFullYear(), first.getUTCMonth() - months); d <= now; d = monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1)) {
    const next = monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
    ends.push({ month: key(d), value: (v) => (next > now ? valueAt(changes, v, now, true) : valueAt(changes, v, next, false)) });
  }
  const rows = ends.map((end, i) => {
    const row = { month: end.month, mrr_cents: 0, new_mrr_cents: 0, expansion_mrr_cents: 0, contraction_mrr_cents: 0, churned_mrr_cents: 0, reactivation_mrr_cents: 0, paying_vendors: 0, new_paying_vendors: 0, churned_vendors: 0, arpu_cents: 0 };
    for (const v of vendors) {
      const after = end.value(v);
      const before = i > 0 ? ends[i - 1].value(v) : 0;
      const paidEarlier = ends.slice(0, Math.max(0, i - 1)).some((e) => e.value(v) > 0);
      row.mrr_cents += after;
      if (after > 0) row.paying_vendors++;
      if (before === 0 && after > 0 && !paidEarlier) { row.new_mrr_cents += after; row.new_paying_vendors++; }
      else if (before === 0 && after > 0) row.reactivation_mrr_cents += after;
      else if (before > 0 && after === 0) { row.churned_mrr_cents += before; row.churned_vendors++; }
      else if (after > before) row.expansion_mrr_cents += after - before;
      else if (after < before) row.contraction_mrr_cents += before - after;
    }
    row.arpu_cents = row.paying_vendors ? Math.round(row.mrr_cents / row.paying_vendors) : 0;
    return row;
  });
  const nowValue = (v: number) => valueAt(changes, v, now, true);
  const d30 = new Date(now.getTime() - 30 * 86_400_000);
  const m12 = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()));
  const paying30 = vendors.filter((v) => valueAt(changes, v, d30, true) > 0);
  const cohort = vendors.filter((v) => valueAt(changes, v, m12, true) > 0);
  const cohortThen = cohort.reduce((s, v) => s + valueAt(changes, v, m12, true), 0);
  const cohortNow = cohort.reduce((s, v) => s + nowValue(v), 0);
  const mrr = vendors.reduce((s, v) => s + nowValue(v), 0);
  const round4 = (x: number) => Math.round(x * 10000) / 10000;
  return {
    months: rows.slice(-months),
    current: {
      mrr_cents: mrr,
      arr_cents: mrr * 12,
      paying_vendors: vendors.filter((v) => nowValue(v) > 0).length,
      logo_churn_rate_30d: paying30.length ? round4(paying30.filter((v) => nowValue(v) === 0).length / paying30.length) : null,
      net_revenue_retention_12m: cohortThen ? round4(cohortNow / cohortThen) : null,
    },
  };
}

/** The CSV's rows as objects (numbers as numbers). */
export function parseCsv(text: string): Record<string, string | number>[] {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], names[i] === 'month' ? cell : Number(cell)])));
}
