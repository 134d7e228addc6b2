import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { runInPageBatches, runStatement, type PageBatchOutcome } from '@app/database';
import { insertPlatformEventsSql, isoSql } from '@app/platform-events';
import type { EntityManager } from 'typeorm';
import { checkTrialExpirationsSql, deleteOldWebhookEventsSql, expireCancelledSql, resetPeriodCountersSql } from './lifecycle-batches.sql.js';

export interface LifecycleResult {
  rowsAffected: number;
  details?: Record<string, unknown>;
}

const CANCELLED_RETENTION_DAYS = 30;
const WEBHOOK_EVENT_RETENTION_DAYS = 90;
const TRIAL_ENDING_NOTICE_DAYS = 3;

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
    const sql = resetPeriodCountersSql();
    const outcome = await runInPageBatches(manager, 'vendor_subscriptions', (batch, pages) => runBatch(batch, sql, [now, pages.from, pages.to]));
    return { rowsAffected: outcome.totals.rows ?? 0, details: batchDetails(outcome) };
  }

  /** Ended trials: with a payment method on file they become `active`, without one `expired`. */
  async checkTrialExpirations(manager: EntityManager): Promise<LifecycleResult> {
    const outcome = await this.changePlans(manager, checkTrialExpirationsSql());
    const { rows = 0, activated = 0, expired = 0 } = outcome.totals;
    return { rowsAffected: rows, details: { activated, expired, ...batchDetails(outcome) } };
  }

  /**
   * A plan-changing job's statement over every due row, in batches (lifecycle-batches.sql.ts): it writes its history
   * and events itself. Counts per batch: rows, activated / expired, history_rows and events.
   */
  private changePlans(manager: EntityManager, sql: string, params: unknown[] = []): Promise<PageBatchOutcome> {
    const now = this.clock.now();
    return runInPageBatches(manager, 'vendor_subscriptions', (batch, pages) => runBatch(batch, sql, [now, pages.from, pages.to, ...params]));
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
    const expired = await this.changePlans(manager, expireCancelledSql(), [CANCELLED_RETENTION_DAYS]);
    // The ledger's old events in batches too: short transactions, though no request waits on these rows.
    const deleteSql = deleteOldWebhookEventsSql();
    const deleted = await runInPageBatches(manager, 'stripe_webhook_events', (batch, pages) => runBatch(batch, deleteSql, [now, pages.from, pages.to, WEBHOOK_EVENT_RETENTION_DAYS]));
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
