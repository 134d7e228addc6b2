import { classifyMovement, movementDelta, type MovementKind } from './revenue-movement.js';

/** A group of vendors whose month-end value moved alike in one month (see REVENUE_FIGURES_SQL). */
export interface MonthGroup {
  month: string;
  was_paying: boolean;
  is_paying: boolean;
  direction: number;
  paid_earlier: boolean;
  vendors: number;
  before_cents: string | number;
  after_cents: string | number;
}

export interface RevenueMonth {
  month: string;
  mrr_cents: number;
  new_mrr_cents: number;
  expansion_mrr_cents: number;
  contraction_mrr_cents: number;
  churned_mrr_cents: number;
  reactivation_mrr_cents: number;
  paying_vendors: number;
  new_paying_vendors: number;
  reactivated_vendors: number;
  churned_vendors: number;
  arpu_cents: number;
}

export interface RevenueCurrent {
  mrr_cents: number;
  arr_cents: number;
  paying_vendors: number;
  trialing_vendors: number;
  trial_conversion_rate_90d: number | null;
  logo_churn_rate_30d: number | null;
  net_revenue_retention_12m: number | null;
}

export interface RevenueReport {
  currency: string;
  months: RevenueMonth[];
  current: RevenueCurrent;
}

export interface CurrentInputs {
  mrrCents: number;
  payingVendors: number;
  paying30dAgo: number;
  churned30d: number;
  cohort12mThenCents: number;
  cohort12mNowCents: number;
  trialingVendors: number;
  trialsEnded90d: number;
  trialsConverted90d: number;
}

/** The "now" statement's answer (REVENUE_NOW_SQL): changes since 30 days and 12 months ago, and the trials. */
export interface RecentChanges {
  paying_gained_30d: number;
  churned_30d: number;
  mrr_gained_12m: string | number;
  cohort_12m_gained_cents: string | number;
  trialing_vendors: number;
  trials_ended_90d: number;
  trials_converted_90d: number;
}

/**
 * The current figures' inputs from the months' groups and the changes since 30 days and 12 months ago. MRR and
 * paying vendors now are every group's movement added up (each vendor-month that moved is in one group, so they add
 * up to each vendor's value now); 30 days ago, as many fewer as were gained since; MRR 12 months ago (the cohort
 * paying then, which is everyone worth something then), now less what was gained since, and that cohort's MRR now,
 * then plus what its members gained since. Pure.
 */
export function currentFromChanges(groups: MonthGroup[], recent: RecentChanges): CurrentInputs {
  let mrrCents = 0;
  let payingVendors = 0;
  for (const g of groups) {
    mrrCents += Number(g.after_cents) - Number(g.before_cents);
    payingVendors += (g.is_paying ? g.vendors : 0) - (g.was_paying ? g.vendors : 0);
  }
  const cohort12mThenCents = mrrCents - Number(recent.mrr_gained_12m);
  return {
    mrrCents,
    payingVendors,
    paying30dAgo: payingVendors - recent.paying_gained_30d,
    churned30d: recent.churned_30d,
    cohort12mThenCents,
    cohort12mNowCents: cohort12mThenCents + Number(recent.cohort_12m_gained_cents),
    trialingVendors: recent.trialing_vendors,
    trialsEnded90d: recent.trials_ended_90d,
    trialsConverted90d: recent.trials_converted_90d,
  };
}

const FIELD: Record<Exclude<MovementKind, 'none'>, keyof RevenueMonth> = {
  new: 'new_mrr_cents',
  reactivation: 'reactivation_mrr_cents',
  expansion: 'expansion_mrr_cents',
  contraction: 'contraction_mrr_cents',
  churn: 'churned_mrr_cents',
};

/** "YYYY-MM" of the month `back` months before `now`'s (UTC). */
export function monthKey(now: Date, back = 0): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null);

/**
 * The last `months` months (oldest first, the current month last, as of now), each with its movements and the
 * MRR they add up to from the month before; then the current figures. Pure: the groups come from the statement.
 */
export function buildRevenueReport(input: { now: Date; months: number; groups: MonthGroup[]; currency: string; current: CurrentInputs }): RevenueReport {
  const byMonth = new Map<string, MonthGroup[]>();
  for (const g of input.groups) byMonth.set(g.month, [...(byMonth.get(g.month) ?? []), g]);
  const first = monthKey(input.now, input.months - 1);
  let mrr = 0;
  let paying = 0;
  // Months of the history before the window only carry MRR and paying vendors into it.
  for (const g of input.groups) {
    if (g.month >= first) break;
    mrr += Number(g.after_cents) - Number(g.before_cents);
    paying += (g.is_paying ? g.vendors : 0) - (g.was_paying ? g.vendors : 0);
  }
  const months: RevenueMonth[] = [];
  for (let back = input.months - 1; back >= 0; back--) {
    const month = monthKey(input.now, back);
    const row: RevenueMonth = {
      month, mrr_cents: 0, new_mrr_cents: 0, expansion_mrr_cents: 0, contraction_mrr_cents: 0, churned_mrr_cents: 0,
      reactivation_mrr_cents: 0, paying_vendors: 0, new_paying_vendors: 0, reactivated_vendors: 0, churned_vendors: 0, arpu_cents: 0,
    };
    for (const g of byMonth.get(month) ?? []) {
      const movement = classifyMovement({ before: { mrrCents: Number(g.before_cents) }, after: { mrrCents: Number(g.after_cents) }, paidEarlier: g.paid_earlier });
      if (movement.kind === 'none') continue;
      (row[FIELD[movement.kind]] as number) += movement.cents;
      mrr += movementDelta(movement);
      if (movement.kind === 'new') row.new_paying_vendors += g.vendors;
      if (movement.kind === 'reactivation') row.reactivated_vendors += g.vendors;
      if (movement.kind === 'churn') row.churned_vendors += g.vendors;
    }
    paying += row.new_paying_vendors + row.reactivated_vendors - row.churned_vendors;
    row.mrr_cents = mrr;
    row.paying_vendors = paying;
    row.arpu_cents = paying > 0 ? Math.round(mrr / paying) : 0;
    months.push(row);
  }
  const c = input.current;
  return {
    currency: input.currency,
    months,
    current: {
      mrr_cents: c.mrrCents,
      arr_cents: c.mrrCents * 12,
      paying_vendors: c.payingVendors,
      trialing_vendors: c.trialingVendors,
      trial_conversion_rate_90d: ratio(c.trialsConverted90d, c.trialsEnded90d),
      logo_churn_rate_30d: ratio(c.churned30d, c.paying30dAgo),
      net_revenue_retention_12m: ratio(c.cohort12mNowCents, c.cohort12mThenCents),
    },
  };
}

export const REVENUE_CSV_COLUMNS: (keyof RevenueMonth)[] = [
  'month', 'mrr_cents', 'new_mrr_cents', 'expansion_mrr_cents', 'contraction_mrr_cents', 'churned_mrr_cents', 'reactivation_mrr_cents',
  'paying_vendors', 'new_paying_vendors', 'churned_vendors', 'arpu_cents',
];

/** The months as CSV (RFC 4180: a header line, CRLF); every value is a number or a YYYY-MM month, so none is quoted. */
export function revenueCsv(report: RevenueReport): string {
  const lines = [REVENUE_CSV_COLUMNS.join(',')];
  for (const m of report.months) lines.push(REVENUE_CSV_COLUMNS.map((c) => String(m[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
