import { insertSubscriptionUpdatedEventsSql, type SubscriptionEventColumnsSql } from '@app/platform-events';

/**
 * What a set-based statement that changes plans (`UPDATE vendor_subscriptions … RETURNING ${PLAN_CHANGE_RETURNING}`)
 * writes beside its change when it runs under `batchSettingsSql(…, { recorded: true })` (migration 1764000032500): the rows the
 * row-level triggers would have written, exactly — `subscription_changes` as `subscription_changes_record_plan()`
 * (1764000022000) and `subscription.updated` as `platform_events_subscription_updated()` — but in the statement, as
 * two set-based inserts instead of two trigger calls per row. `test/worker/job-changes.e2e-spec.ts` runs the same
 * changes both ways and compares every row.
 */

/** The plan columns the history and the event read, before (`old_*`) and after (`new_*`) the change. */
const COLUMNS = ['tier_code', 'status', 'is_annual', 'cancel_at_period_end', 'cancel_at', 'period_end', 'stripe_price_amount_cents', 'stripe_watermark', 'observed_watermark'];

/**
 * The RETURNING list of the plan-changing UPDATE (PostgreSQL 18's `old.` / `new.`): the vendor, both sides of each
 * column, and `at`, the change's time as the trigger takes it (the row's new `updated_at`; the transaction's
 * start when the statement left it as it was).
 */
export const PLAN_CHANGE_RETURNING = [
  'new.vendor_id',
  ...COLUMNS.flatMap((c) => [`old.${c} AS old_${c}`, `new.${c} AS new_${c}`]),
  `CASE WHEN new.updated_at IS NOT DISTINCT FROM old.updated_at THEN now() ELSE COALESCE(new.updated_at, now()) END AS at`,
].join(', ');

const side = (prefix: 'old' | 'new', from: string): SubscriptionEventColumnsSql => ({
  tierCode: `${from}.${prefix}_tier_code`,
  status: `${from}.${prefix}_status`,
  cancelAtPeriodEnd: `${from}.${prefix}_cancel_at_period_end`,
  cancelAt: `${from}.${prefix}_cancel_at`,
});

const distinct = (column: string) => `c.old_${column} IS DISTINCT FROM c.new_${column}`;
/** The price the plan is valued at: what its vendor pays at Stripe, else the tier's list price (1764000036000). */
const price = (prefix: 'old' | 'new', tier: string) =>
  `COALESCE(c.${prefix}_stripe_price_amount_cents, CASE WHEN c.${prefix}_is_annual THEN ${tier}.price_annual_cents ELSE ${tier}.price_monthly_cents END)`;

/**
 * CTEs (to follow `${changed} AS (UPDATE … RETURNING ${PLAN_CHANGE_RETURNING})` in a WITH) writing the history rows
 * and events of every row of `changed`: `plan_history` (the rows written; their count is `count(*)` of it) and
 * `plan_events` (ids). The trigger's rules, row for row:
 * - no row for a renewal of a plan that is not ending (only the period moved, or nothing the history records);
 * - a plan worth nothing before (what the jobs change: a trial, a plan cancelled past its end) chains on a last
 *   value of 0 without reading the history, and a cancelled plan still counting gets its scheduled end row;
 * - any other plan goes through `subscription_changes_record`, the trigger's own function (it reads the item's
 *   last row and drops a scheduled end it comes before), one call per such row — none for the jobs' changes.
 * The cause is the transaction's (`job` for a job's batch), else `stripe` when a Stripe watermark moved, else `system`.
 */
export function planChangesRecordedSql(changed: string): string {
  // The amount is listed only when the plan stays (another tier's price is the tier change's), as the trigger does.
  const samePlan = `NOT ${distinct('tier_code')} AND NOT ${distinct('is_annual')}`;
  const what = `array_remove(ARRAY[${['tier_code', 'status', 'is_annual', 'cancel_at_period_end', 'cancel_at', 'period_end', 'stripe_price_amount_cents']
    .map((column) => `CASE WHEN ${distinct(column)}${column === 'stripe_price_amount_cents' ? ` AND ${samePlan}` : ''} THEN '${column}' END`)
    .join(', ')}], NULL)`;
  const valueAfter = `monthly_value_cents(c.new_status, ${price('new', 'n')}, c.new_is_annual, 1, c.new_period_end, c.at)`;
  const valueBefore = `monthly_value_cents(c.old_status, ${price('old', 'o')}, c.old_is_annual, 1, c.old_period_end, c.at)`;
  const renewal = `c.new_status <> 'cancelled' AND c.old_status <> 'cancelled' AND c.old_tier_code = c.new_tier_code AND c.old_status = c.new_status
         AND c.old_is_annual = c.new_is_annual AND c.old_cancel_at_period_end = c.new_cancel_at_period_end AND c.old_cancel_at IS NOT DISTINCT FROM c.new_cancel_at
         AND c.old_stripe_price_amount_cents IS NOT DISTINCT FROM c.new_stripe_price_amount_cents`;
  const cause = `COALESCE(NULLIF(current_setting('vb.change_cause', true), ''),
           CASE WHEN ${distinct('stripe_watermark')} OR ${distinct('observed_watermark')} THEN 'stripe' ELSE 'system' END)`;
  const columns = `vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after, is_annual,
                                      value_before_cents, value_after_cents, value_until, cause, scheduled`;
  return `plan_change AS (
    SELECT c.vendor_id, c.at, c.old_status, c.new_status, c.new_tier_code, c.new_is_annual, c.new_period_end,
           ${what} AS what, ${valueBefore} AS value_before, ${valueAfter} AS value_after, ${cause} AS cause
      FROM ${changed} c LEFT JOIN subscription_tiers n ON n.code = c.new_tier_code LEFT JOIN subscription_tiers o ON o.code = c.old_tier_code
     WHERE NOT (${renewal})
  ), plan_history AS (
    INSERT INTO subscription_changes (${columns})
    SELECT p.vendor_id, NULL, r.changed_at, r.changed, p.new_tier_code, r.status_before, p.new_status, p.new_is_annual,
           r.value_before, r.value_after, CASE WHEN p.new_status = 'cancelled' THEN p.new_period_end END, p.cause, r.scheduled
      FROM plan_change p
      CROSS JOIN LATERAL (VALUES (p.at, p.what, p.old_status, 0, p.value_after, false),
                                 (p.new_period_end, ARRAY['ended'], p.new_status, p.value_after, 0, true))
                         AS r(changed_at, changed, status_before, value_before, value_after, scheduled)
     WHERE p.value_before = 0 AND p.what <> '{}'
       AND NOT (p.value_after = 0 AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents'] AND p.new_status <> 'cancelled')
       AND (NOT r.scheduled OR (p.value_after > 0 AND p.new_status = 'cancelled' AND p.new_period_end > p.at))
    RETURNING 1
  ), plan_history_read AS (
    SELECT count(subscription_changes_record(p.vendor_id, NULL, p.at, p.what, p.new_tier_code, p.old_status, p.new_status, p.new_is_annual,
                   p.value_after, CASE WHEN p.new_status = 'cancelled' THEN p.new_period_end END, p.cause)::text) AS rows
      FROM plan_change p
     WHERE p.value_before <> 0 AND p.what <> '{}' AND NOT (p.value_before = p.value_after AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents'] AND p.new_status <> 'cancelled')
  ), plan_events AS (
    ${insertSubscriptionUpdatedEventsSql(`${changed} c`, 'c.vendor_id', side('old', 'c'), side('new', 'c'))}
  )`;
}
