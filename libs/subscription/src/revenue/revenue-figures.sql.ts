/**
 * The revenue figures, in two read-only statements ($1: now) over the rollup `revenue_vendor_months` (one row per
 * vendor and month in which its value moved: the month's delta, the value at its end, whether it paid at an earlier
 * month's end; kept by triggers on `subscription_changes`, migration 1764000033000) and, for the time since the
 * current month began, the history itself. A vendor's value at any time is the sum of its history's deltas up to
 * then (each row carries its item's value before and after; a value that stops by itself has its own scheduled
 * row), so a rollup row says alone how the vendor's value moved that month, and the history's rows since a month
 * began, added to where the vendor stood then, say where it stands at any time since.
 *
 * `REVENUE_MONTHS_FROM_HISTORY_SQL` / `REVENUE_NOW_FROM_HISTORY_SQL` (revenue-from-history.ts) compute the same
 * from the history alone, with running sums over every vendor's rows: the tests and the bench check these against them.
 */

/**
 * The UTC month of a time as one number (year × 12 + month − 1), as `subscription_changes.changed_month` and the
 * rollup count months. Inline where it bounds an index scan (the planner estimates the range with $1's value, and
 * computes it once); a scalar subquery where a row's filter compares with it (computed once, not per row).
 */
const monthOf = (at: string) => `(extract(year FROM (${at}) AT TIME ZONE 'UTC') * 12 + extract(month FROM (${at}) AT TIME ZONE 'UTC') - 1)::int`;

/**
 * The months: one row per group of vendor-months whose value moved alike — `movement_key` packs the month (year ×
 * 12 + month − 1) and what decides the movement (paying before, after, up or down, paid at an earlier month's end),
 * so the groups hash on one number — with their sums; `classifyMovement` names each group. The months before the
 * current one are the rollup's rows as they are (from its index on month alone); the current month is the history's
 * rows from its start to now per vendor, from the vendor's value at the month's start (its rollup row for the month:
 * its value less the month's delta). Every month since the history began, so the caller adds up MRR.
 */
export const REVENUE_MONTHS_SQL = `
WITH so_far AS (
  SELECT c.vendor_id, sum(c.value_after_cents - c.value_before_cents)::int AS delta
    FROM subscription_changes c
   WHERE c.changed_at >= date_trunc('month', $1::timestamptz, 'UTC') AND c.changed_at <= $1::timestamptz AND c.value_after_cents <> c.value_before_cents
   GROUP BY c.vendor_id
),
moved AS (
  SELECT r.month, r.value_cents - r.delta_cents AS before, r.value_cents AS after, r.paid_before
    FROM revenue_vendor_months r
   WHERE r.month < ${monthOf('$1::timestamptz')} AND r.delta_cents <> 0
  UNION ALL
  SELECT r.month, r.value_cents - r.delta_cents, r.value_cents - r.delta_cents + s.delta, r.paid_before
    FROM so_far s JOIN revenue_vendor_months r ON r.vendor_id = s.vendor_id AND r.month = ${monthOf('$1::timestamptz')}
   WHERE s.delta <> 0
),
keyed AS (
  SELECT before, after, month * 16 + (before > 0)::int * 8 + (after > 0)::int * 4 + (after > before)::int * 2 + paid_before::int AS movement_key
    FROM moved
)
SELECT to_char(make_date(movement_key / 16 / 12, movement_key / 16 % 12 + 1, 1), 'YYYY-MM') AS month,
       movement_key & 8 > 0 AS was_paying, movement_key & 4 > 0 AS is_paying,
       CASE WHEN movement_key & 2 > 0 THEN 1 ELSE -1 END AS direction, movement_key & 1 > 0 AS paid_earlier,
       count(*)::int AS vendors, sum(before)::bigint AS before_cents, sum(after)::bigint AS after_cents
  FROM keyed
 GROUP BY movement_key
 ORDER BY movement_key`;

/**
 * Now, as changes since earlier times. MRR and paying vendors now are the months' sums (the caller adds them up),
 * and a vendor whose value did not move since 12 months ago is worth the same then, 30 days ago and now, so only
 * the vendors with rollup rows from the month of 12 months ago to this one count here, each in one group of its
 * rows (from the rollup's index on month alone): where it stood when that month began (its first row's value less
 * its delta), plus the whole months' deltas up to the month of 30 days ago and up to this one, plus the history's
 * rows of those three months up to each time (12 months ago, 30 days ago, now). Answered: paying vendors gained in
 * 30 days, vendors paying 30 days ago and nothing now (logo churn), MRR gained in 12 months (so MRR then) and
 * gained by the vendors paying then (NRR); trials that ended in the last 90 days and how many went active or
 * past_due (conversion, from a partial index of trial ends), and trials now.
 */
export const REVENUE_NOW_SQL = `
WITH rolled AS (
  SELECT r.vendor_id,
         -- The first row's value less its delta (month in the high bits, so min() picks the first row).
         (min((r.month::bigint << 32) | (r.value_cents - r.delta_cents)) & 4294967295)::int AS at_m12_month,
         COALESCE(sum(r.delta_cents) FILTER (WHERE r.month < (SELECT ${monthOf("$1::timestamptz - interval '30 days'")})), 0)::int AS to_d30_month,
         COALESCE(sum(r.delta_cents) FILTER (WHERE r.month < (SELECT ${monthOf('$1::timestamptz')})), 0)::int AS to_this_month
    FROM revenue_vendor_months r
   WHERE r.month >= ${monthOf("$1::timestamptz - interval '12 months'")} AND r.month <= ${monthOf('$1::timestamptz')}
   GROUP BY r.vendor_id
),
partial_months AS (
  SELECT c.vendor_id,
         COALESCE(sum(c.value_after_cents - c.value_before_cents) FILTER (WHERE c.changed_at <= $1::timestamptz - interval '12 months'), 0)::int AS in_m12_month,
         COALESCE(sum(c.value_after_cents - c.value_before_cents)
                    FILTER (WHERE c.changed_at >= date_trunc('month', $1::timestamptz - interval '30 days', 'UTC') AND c.changed_at <= $1::timestamptz - interval '30 days'), 0)::int AS in_d30_month,
         COALESCE(sum(c.value_after_cents - c.value_before_cents) FILTER (WHERE c.changed_at >= date_trunc('month', $1::timestamptz, 'UTC')), 0)::int AS in_this_month
    FROM subscription_changes c
   WHERE (c.changed_at >= date_trunc('month', $1::timestamptz - interval '12 months', 'UTC') AND c.changed_at <= $1::timestamptz - interval '12 months'
          OR c.changed_at >= date_trunc('month', $1::timestamptz - interval '30 days', 'UTC') AND c.changed_at <= $1::timestamptz - interval '30 days'
          OR c.changed_at >= date_trunc('month', $1::timestamptz, 'UTC') AND c.changed_at <= $1::timestamptz)
     AND c.value_after_cents <> c.value_before_cents
   GROUP BY c.vendor_id
),
vendor_value AS (
  SELECT r.at_m12_month + COALESCE(p.in_m12_month, 0) AS m12_cents,
         r.at_m12_month + r.to_d30_month + COALESCE(p.in_d30_month, 0) AS d30_cents,
         r.at_m12_month + r.to_this_month + COALESCE(p.in_this_month, 0) AS now_cents
    FROM rolled r LEFT JOIN partial_months p ON p.vendor_id = r.vendor_id
),
trials AS (
  SELECT count(DISTINCT vendor_id) FILTER (WHERE status_after <> 'trial')::int AS ended,
         count(DISTINCT vendor_id) FILTER (WHERE status_after IN ('active', 'past_due'))::int AS converted
    FROM subscription_changes
   WHERE changed_at > $1::timestamptz - interval '90 days' AND changed_at <= $1::timestamptz AND vendor_add_on_id IS NULL AND status_before = 'trial'
)
SELECT COALESCE(sum((now_cents > 0)::int - (d30_cents > 0)::int), 0)::int AS paying_gained_30d,
       count(*) FILTER (WHERE d30_cents > 0 AND now_cents = 0)::int AS churned_30d,
       COALESCE(sum(now_cents - m12_cents), 0)::bigint AS mrr_gained_12m,
       COALESCE(sum(now_cents - m12_cents) FILTER (WHERE m12_cents > 0), 0)::bigint AS cohort_12m_gained_cents,
       (SELECT count(*)::int FROM vendor_subscriptions WHERE status = 'trial') AS trialing_vendors,
       (SELECT ended FROM trials) AS trials_ended_90d, (SELECT converted FROM trials) AS trials_converted_90d,
       (SELECT currency FROM subscription_tiers ORDER BY is_active DESC, display_order, id LIMIT 1) AS currency
  FROM vendor_value`;
