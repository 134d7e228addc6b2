import { batchSettingsSql } from '@app/database';
import { PLAN_CHANGE_RETURNING, planChangesRecordedSql } from './plan-changes.sql.js';

/**
 * The batch statements of the lifecycle jobs (SubscriptionLifecycleService), each run once per range of pages:
 * $1 now, $2 and $3 the range's `tid` bounds, $4 a retention in days where there is one. Each is one statement in
 * its own transaction; rendered into subscription-lifecycle.service.queries.sql.
 */

/** The pages of one batch, as a condition on `ctid`: a TID range scan. */
const IN_PAGES = `ctid >= $2::tid AND ctid < $3::tid`;

/** Statuses whose subscription still holds a period (and so a period that can roll over). */
const LIVE_STATUSES = `('trial', 'active', 'past_due')`;

/**
 * reset-period-counters: a plain UPDATE (no self-join): periods are counted by subscription_periods_elapsed
 * (migration 1764000004000) on UTC wall time; the changed columns are unindexed, so each row is a HOT update. A
 * renewal is no change of plan (no history row, no event), and the triggers' WHEN clauses leave it: none runs.
 */
export function resetPeriodCountersSql(): string {
  const start = `(period_start AT TIME ZONE 'UTC')`;
  const months = `(CASE WHEN is_annual THEN 12 ELSE 1 END)`;
  const periods = `subscription_periods_elapsed(${start}, $1::timestamptz AT TIME ZONE 'UTC', ${months})`;
  return `WITH updated AS (
       UPDATE vendor_subscriptions
          SET period_start = (${start} + make_interval(months => ${periods} * ${months})) AT TIME ZONE 'UTC',
              period_end = (${start} + make_interval(months => (${periods} + 1) * ${months})) AT TIME ZONE 'UTC',
              orders_this_period = 0,
              updated_at = $1
        WHERE ${IN_PAGES} AND period_end <= $1 AND stripe_subscription_id IS NULL AND status IN ${LIVE_STATUSES}
          AND ${batchSettingsSql('job', { recorded: false })}
       RETURNING 1
     )
     SELECT count(*)::int AS rows FROM updated`;
}

/**
 * A plan-changing job's batch: `UPDATE vendor_subscriptions SET ${set}, updated_at = $1 WHERE ${due}`, writing
 * its history and events itself. Answers rows, activated / expired (the new statuses), history_rows and events.
 */
function changePlansSql(set: string, due: string): string {
  return `WITH changed AS (
       UPDATE vendor_subscriptions SET ${set}, updated_at = $1
        WHERE ${IN_PAGES} AND ${due} AND ${batchSettingsSql('job', { recorded: true })}
       RETURNING ${PLAN_CHANGE_RETURNING}
     ), ${planChangesRecordedSql('changed')}
     SELECT count(*)::int AS rows, count(*) FILTER (WHERE new_status = 'active')::int AS activated,
            count(*) FILTER (WHERE new_status = 'expired')::int AS expired,
            (SELECT count(*) FROM plan_history)::int + (SELECT rows FROM plan_history_read)::int AS history_rows,
            (SELECT count(*) FROM plan_events)::int AS events
       FROM changed`;
}

/** check-trial-expirations: ended trials become `active` with a payment method on file, else `expired`. */
export const checkTrialExpirationsSql = () => changePlansSql(`status = CASE WHEN has_payment_method THEN 'active' ELSE 'expired' END`, `status = 'trial' AND trial_ends_at <= $1`);

/** cleanup-stale-subscriptions: plans cancelled whose period ended over $4 days ago become `expired`. */
export const expireCancelledSql = () => changePlansSql(`status = 'expired'`, `status = 'cancelled' AND period_end < $1::timestamptz - make_interval(days => $4)`);

/** cleanup-stale-subscriptions: the ledger's events processed or ignored over $4 days ago. */
export function deleteOldWebhookEventsSql(): string {
  return `WITH deleted AS (
       DELETE FROM stripe_webhook_events
        WHERE ${IN_PAGES} AND status IN ('processed', 'ignored') AND received_at < $1::timestamptz - make_interval(days => $4)
          AND ${batchSettingsSql('job', { recorded: false })}
       RETURNING 1
     ) SELECT count(*)::int AS rows FROM deleted`;
}

/** The batch statements by method, for the rendered file. */
export function lifecycleBatchStatements(): { method: string; variant?: string; text: string; params: string[] }[] {
  const pages = ['now', 'from_page', 'to_page'];
  return [
    { method: 'SubscriptionLifecycleService.resetPeriodCounters', text: resetPeriodCountersSql(), params: pages },
    { method: 'SubscriptionLifecycleService.checkTrialExpirations', text: checkTrialExpirationsSql(), params: pages },
    { method: 'SubscriptionLifecycleService.cleanupStaleSubscriptions', variant: 'plans', text: expireCancelledSql(), params: [...pages, 'CANCELLED_RETENTION_DAYS'] },
    { method: 'SubscriptionLifecycleService.cleanupStaleSubscriptions', variant: 'webhook events', text: deleteOldWebhookEventsSql(), params: [...pages, 'WEBHOOK_EVENT_RETENTION_DAYS'] },
  ];
}
