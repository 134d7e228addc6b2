/**
 * The revenue figures computed from the history of plan changes alone (`subscription_changes`), as the API computed
 * them before the rollup (migration 1764000033000): the reference the rollup's figures are checked against, by the
 * tests and by `bench:revenue` at 100,000 vendors, both through `buildRevenueReport`. Not used by the API: these
 * read every row of every vendor's history with running sums (about a second at that scale). Each row carries its
 * item's value before and after, so a vendor's value at any time is the sum of its rows' deltas up to then; both
 * read `ix_subscription_changes_vendor` alone, in its order (vendor, month).
 */
import { buildRevenueReport, type MonthGroup, type RevenueReport } from './revenue-report.js';

/**
 * The months: per vendor and month the change of value (`vendor_month`), the running value at each month's end
 * (`month_end`), and whether the vendor paid at the end of an earlier month (`movement`: a running count of paid
 * month-ends, less this one). Then one row per group of vendor-months whose value moved alike — `movement_key` packs
 * the month (year × 12 + month − 1) and what decides the movement (paying before, after, up or down, paid earlier),
 * so the groups hash on one number — with their sums; `classifyMovement` names each group. Every month since the
 * history began, so the caller adds up MRR.
 */
export const REVENUE_MONTHS_FROM_HISTORY_SQL = `
WITH vendor_month AS (
  SELECT vendor_id, changed_month AS month, sum(value_after_cents - value_before_cents)::int AS delta
    FROM subscription_changes
   WHERE changed_at <= $1::timestamptz AND value_after_cents <> value_before_cents
   GROUP BY vendor_id, changed_month
),
month_end AS (
  SELECT vendor_id, month, delta, (sum(delta) OVER vendor_months)::int AS value
    FROM vendor_month
  WINDOW vendor_months AS (PARTITION BY vendor_id ORDER BY month ROWS UNBOUNDED PRECEDING)
),
movement AS (
  SELECT month, value - delta AS before, value AS after,
         count(*) FILTER (WHERE value > 0) OVER vendor_months - (value > 0)::int > 0 AS paid_earlier
    FROM month_end
  WINDOW vendor_months AS (PARTITION BY vendor_id ORDER BY month ROWS UNBOUNDED PRECEDING)
),
keyed AS (
  SELECT before, after, month * 16 + (before > 0)::int * 8 + (after > 0)::int * 4 + (after > before)::int * 2 + paid_earlier::int AS movement_key
    FROM movement
   WHERE before <> after
)
SELECT to_char(make_date(movement_key / 16 / 12, movement_key / 16 % 12 + 1, 1), 'YYYY-MM') AS month,
       movement_key & 8 > 0 AS was_paying, movement_key & 4 > 0 AS is_paying,
       CASE WHEN movement_key & 2 > 0 THEN 1 ELSE -1 END AS direction, movement_key & 1 > 0 AS paid_earlier,
       count(*)::int AS vendors, sum(before)::bigint AS before_cents, sum(after)::bigint AS after_cents
  FROM keyed
 GROUP BY movement_key
 ORDER BY movement_key`;

/**
 * Now: each vendor's value now, 30 days ago and 12 months ago (sums of its deltas up to each time, one streaming
 * group per vendor), then MRR and paying vendors now, the cohort paying 30 days ago and who of it pays nothing now
 * (logo churn), the cohort paying 12 months ago with its MRR then and now (NRR), trials that ended in the last 90
 * days and how many of them went active or past_due (conversion), and trials now.
 */
export const REVENUE_NOW_FROM_HISTORY_SQL = `
WITH vendor_now AS (
  SELECT vendor_id, sum(value_after_cents - value_before_cents)::int AS now_cents,
         COALESCE(sum(value_after_cents - value_before_cents) FILTER (WHERE changed_at <= $1::timestamptz - interval '30 days'), 0)::int AS d30_cents,
         COALESCE(sum(value_after_cents - value_before_cents) FILTER (WHERE changed_at <= $1::timestamptz - interval '12 months'), 0)::int AS m12_cents
    FROM subscription_changes
   WHERE changed_at <= $1::timestamptz AND value_after_cents <> value_before_cents
   GROUP BY vendor_id
)
SELECT COALESCE(sum(now_cents), 0)::bigint AS mrr_cents,
       count(*) FILTER (WHERE now_cents > 0)::int AS paying_vendors,
       count(*) FILTER (WHERE d30_cents > 0)::int AS paying_30d_ago,
       count(*) FILTER (WHERE d30_cents > 0 AND now_cents = 0)::int AS churned_30d,
       COALESCE(sum(m12_cents) FILTER (WHERE m12_cents > 0), 0)::bigint AS cohort_12m_then_cents,
       COALESCE(sum(now_cents) FILTER (WHERE m12_cents > 0), 0)::bigint AS cohort_12m_now_cents,
       (SELECT count(*)::int FROM vendor_subscriptions WHERE status = 'trial') AS trialing_vendors,
       (SELECT count(DISTINCT vendor_id)::int FROM subscription_changes
         WHERE changed_at > $1::timestamptz - interval '90 days' AND changed_at <= $1::timestamptz AND vendor_add_on_id IS NULL AND status_before = 'trial' AND status_after <> 'trial') AS trials_ended_90d,
       (SELECT count(DISTINCT vendor_id)::int FROM subscription_changes
         WHERE changed_at > $1::timestamptz - interval '90 days' AND changed_at <= $1::timestamptz AND vendor_add_on_id IS NULL AND status_before = 'trial'
           AND status_after IN ('active', 'past_due')) AS trials_converted_90d,
       (SELECT currency FROM subscription_tiers ORDER BY is_active DESC, display_order, id LIMIT 1) AS currency
  FROM vendor_now`;

interface HistoryNowRow {
  mrr_cents: string | number;
  paying_vendors: number;
  paying_30d_ago: number;
  churned_30d: number;
  cohort_12m_then_cents: string | number;
  cohort_12m_now_cents: string | number;
  trialing_vendors: number;
  trials_ended_90d: number;
  trials_converted_90d: number;
  currency: string | null;
}

/** The report as of `now`, computed from the history alone; `query` runs one statement (a pg client's, a manager's). */
export async function revenueReportFromHistory(query: (sql: string, params: unknown[]) => Promise<unknown[]>, now: Date, months: number): Promise<RevenueReport> {
  const groups = (await query(REVENUE_MONTHS_FROM_HISTORY_SQL, [now])) as MonthGroup[];
  const [row] = (await query(REVENUE_NOW_FROM_HISTORY_SQL, [now])) as HistoryNowRow[];
  return buildRevenueReport({
    now,
    months,
    groups,
    currency: row.currency ?? 'eur',
    current: {
      mrrCents: Number(row.mrr_cents),
      payingVendors: row.paying_vendors,
      paying30dAgo: row.paying_30d_ago,
      churned30d: row.churned_30d,
      cohort12mThenCents: Number(row.cohort_12m_then_cents),
      cohort12mNowCents: Number(row.cohort_12m_now_cents),
      trialingVendors: row.trialing_vendors,
      trialsEnded90d: row.trials_ended_90d,
      trialsConverted90d: row.trials_converted_90d,
    },
  });
}
