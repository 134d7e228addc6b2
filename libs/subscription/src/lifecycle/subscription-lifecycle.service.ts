import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { batchSettingsSql, runInPageBatches, runStatement, type PageBatchOutcome } from '@app/database';
import { insertPlatformEventsSql, isoSql } from '@app/platform-events';
import type { EntityManager } from 'typeorm';
import { PLAN_CHANGE_RETURNING, planChangesRecordedSql } from './plan-changes.sql.js';

export interface LifecycleResult {
  rowsAffected: number;
  details?: Record<string, unknown>;
}

/** Statuses whose subscription still holds a period (and so a period that can roll over). */
const LIVE_STATUSES = `('trial', 'active', 'past_due')`;
const CANCELLED_RETENTION_DAYS = 30;
const WEBHOOK_EVENT_RETENTION_DAYS = 90;
const TRIAL_ENDING_NOTICE_DAYS = 3;

/** The pages of one batch, as a condition on `ctid` ($2, $3 of every batch statement): a TID range scan. */
const IN_PAGES = `ctid >= $2::tid AND ctid < $3::tid`;

/** One batch: one statement in its own transaction, planned once per connection (it runs hundreds of times). */
async function runBatch(manager: EntityManager, sql: string, params: unknown[]): Promise<Record<string, number>> {
  const { rows } = await runStatement<Record<string, number>>(manager, sql, params, { reusePlan: true });
  return rows[0];
}

/**
 * The scheduled lifecycle of subscriptions, as set-based statements over every due row, never a per-row loop, so
 * it stays fast at a million subscriptions. The jobs that change plans run their statement in batches of pages
 * (`runInPageBatches`), each batch its own short transaction, so no vendor's plan row stays locked behind a
 * nightly job for more than a batch (~40 ms); they run under a session lock (the job's `lockScope`) and get a
 * manager outside any transaction. A plan-changing batch writes its own history and `subscription.updated` rows
 * (`planChangesRecordedSql`), set-based, and the row-level triggers skip its rows. "Now" comes from the Clock as
 * a parameter, so tests move time.
 */
@Injectable()
export class SubscriptionLifecycleService {
  constructor(private readonly clock: Clock) {}

  /**
   * Subscriptions not billed by Stripe (Stripe's own renewals move the others, through webhooks and the sync)
   * whose period has ended move forward by whole periods — several if the worker was down — anchored on the
   * period start, so 31 Jan renews on 28 Feb and then 31 Mar, and their order counter starts again at zero.
   * Month arithmetic is done on UTC wall time, independent of the session's time zone.
   */
  async resetPeriodCounters(manager: EntityManager): Promise<LifecycleResult> {
    const now = this.clock.now();
    // A plain UPDATE (no self-join): periods are counted by subscription_periods_elapsed (migration
    // 1764000004000) on UTC wall time; the changed columns are unindexed, so each row is a HOT update. A renewal
    // is no change of plan (no history row, no event), and the triggers' WHEN clauses leave it: no trigger runs.
    const start = `(period_start AT TIME ZONE 'UTC')`;
    const months = `(CASE WHEN is_annual THEN 12 ELSE 1 END)`;
    const periods = `subscription_periods_elapsed(${start}, $1::timestamptz AT TIME ZONE 'UTC', ${months})`;
    const outcome = await runInPageBatches(manager, 'vendor_subscriptions', (batch, pages) =>
      runBatch(
        batch,
        `WITH updated AS (
           UPDATE vendor_subscriptions
              SET period_start = (${start} + make_interval(months => ${periods} * ${months})) AT TIME ZONE 'UTC',
                  period_end = (${start} + make_interval(months => (${periods} + 1) * ${months})) AT TIME ZONE 'UTC',
                  orders_this_period = 0,
                  updated_at = $1
            WHERE ${IN_PAGES} AND period_end <= $1 AND stripe_subscription_id IS NULL AND status IN ${LIVE_STATUSES}
              AND ${batchSettingsSql('job', { recorded: false })}
           RETURNING 1
         )
         SELECT count(*)::int AS rows FROM updated`,
        [now, pages.from, pages.to],
      ),
    );
    return { rowsAffected: outcome.totals.rows ?? 0, details: batchDetails(outcome) };
  }

  /** Ended trials: with a payment method on file they become `active`, without one `expired`. */
  async checkTrialExpirations(manager: EntityManager): Promise<LifecycleResult> {
    const outcome = await this.changePlans(manager, `status = CASE WHEN has_payment_method THEN 'active' ELSE 'expired' END`, `status = 'trial' AND trial_ends_at <= $1`);
    const { rows = 0, activated = 0, expired = 0 } = outcome.totals;
    return { rowsAffected: rows, details: { activated, expired, ...batchDetails(outcome) } };
  }

  /**
   * One plan-changing job statement over every due row, in batches: `UPDATE vendor_subscriptions SET ${set},
   * updated_at = now WHERE ${due}` ($1 is now), writing its history and events itself. Counts per batch: rows,
   * activated / expired (the new statuses), and the history rows and events written.
   */
  private changePlans(manager: EntityManager, set: string, due: string, params: unknown[] = []): Promise<PageBatchOutcome> {
    const now = this.clock.now();
    return runInPageBatches(manager, 'vendor_subscriptions', (batch, pages) =>
      runBatch(
        batch,
        `WITH changed AS (
           UPDATE vendor_subscriptions SET ${set}, updated_at = $1
            WHERE ${IN_PAGES} AND ${due} AND ${batchSettingsSql('job', { recorded: true })}
           RETURNING ${PLAN_CHANGE_RETURNING}
         ), ${planChangesRecordedSql('changed')}
         SELECT count(*)::int AS rows, count(*) FILTER (WHERE new_status = 'active')::int AS activated,
                count(*) FILTER (WHERE new_status = 'expired')::int AS expired,
                (SELECT count(*) FROM plan_history)::int + (SELECT rows FROM plan_history_read)::int AS history_rows,
                (SELECT count(*) FROM plan_events)::int AS events
           FROM changed`,
        [now, pages.from, pages.to, ...params],
      ),
    );
  }

  /**
   * `trial.ending` (CONTRACT §9) for every trial that ends within the next 3 days, once per trial end (an
   * extended trial gets its own event): one statement. Run daily, so the notice comes about 3 days ahead, and a
   * worker that was down still sends it late rather than never. The due rows are locked (FOR NO KEY UPDATE) so
   * the event takes its place in the vendor's order behind a change being committed on the same row.
   */
  async recordTrialEndings(manager: EntityManager): Promise<LifecycleResult> {
    const now = this.clock.now();
    const [row] = await manager.query(
      `WITH due AS (
         SELECT vendor_id, trial_ends_at, has_payment_method FROM vendor_subscriptions
          WHERE status = 'trial' AND trial_ends_at > $1 AND trial_ends_at <= $1::timestamptz + make_interval(days => $2)
          FOR NO KEY UPDATE
       ), written AS (
         ${insertPlatformEventsSql('due', {
           type: `'trial.ending'`,
           vendorId: 'due.vendor_id',
           data: `jsonb_build_object('trial_ends_at', ${isoSql('due.trial_ends_at')}, 'has_payment_method', due.has_payment_method)`,
           dedupeKey: `'trial.ending:' || due.vendor_id || ':' || floor(extract(epoch FROM due.trial_ends_at) * 1000000)::bigint`,
         })}
       )
       SELECT (SELECT count(*) FROM written)::int AS rows, (SELECT count(*) FROM due)::int AS due`,
      [now, TRIAL_ENDING_NOTICE_DAYS],
    );
    return { rowsAffected: row.rows, details: { trials_ending: row.due, events_written: row.rows } };
  }

  /**
   * Cancelled subscriptions whose period ended more than 30 days ago become `expired`; webhook events that were
   * processed (or ignored as unhandled) more than 90 days ago are deleted from the ledger. Events that failed or
   * are still processing stay for an operator; Stripe itself stops retrying after three days, so an event id
   * older than 90 days cannot arrive again.
   */
  async cleanupStaleSubscriptions(manager: EntityManager): Promise<LifecycleResult> {
    const now = this.clock.now();
    const expired = await this.changePlans(manager, `status = 'expired'`, `status = 'cancelled' AND period_end < $1::timestamptz - make_interval(days => $4)`, [CANCELLED_RETENTION_DAYS]);
    // The ledger's old events in batches too: short transactions, though no request waits on these rows.
    const deleted = await runInPageBatches(manager, 'stripe_webhook_events', (batch, pages) =>
      runBatch(
        batch,
        `WITH deleted AS (
           DELETE FROM stripe_webhook_events
            WHERE ${IN_PAGES} AND status IN ('processed', 'ignored') AND received_at < $1::timestamptz - make_interval(days => $4)
              AND ${batchSettingsSql('job', { recorded: false })}
           RETURNING 1
         ) SELECT count(*)::int AS rows FROM deleted`,
        [now, pages.from, pages.to, WEBHOOK_EVENT_RETENTION_DAYS],
      ),
    );
    const subscriptionsExpired = expired.totals.rows ?? 0;
    const eventsDeleted = deleted.totals.rows ?? 0;
    return {
      rowsAffected: subscriptionsExpired + eventsDeleted,
      details: { subscriptions_expired: subscriptionsExpired, webhook_events_deleted: eventsDeleted, ...batchDetails(expired) },
    };
  }
}

/** What a batched run's record says of its batches: how many, the longest (how long rows stayed locked at most). */
function batchDetails(outcome: PageBatchOutcome): Record<string, number> {
  const { rows: _rows, activated: _activated, expired: _expired, ...written } = outcome.totals;
  return { ...written, batches: outcome.batches, longest_batch_ms: Math.round(outcome.longestMs) };
}
