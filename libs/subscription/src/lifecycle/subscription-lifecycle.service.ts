import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { insertPlatformEventsSql, isoSql } from '@app/platform-events';
import type { EntityManager } from 'typeorm';

export interface LifecycleResult {
  rowsAffected: number;
  details?: Record<string, unknown>;
}

/** Statuses whose subscription still holds a period (and so a period that can roll over). */
const LIVE_STATUSES = `('trial', 'active', 'past_due')`;
const CANCELLED_RETENTION_DAYS = 30;
const WEBHOOK_EVENT_RETENTION_DAYS = 90;
const TRIAL_ENDING_NOTICE_DAYS = 3;

/**
 * The scheduled lifecycle of subscriptions, as set-based statements over every due row: each method is one
 * statement (or two), never a per-row loop, so it stays fast at a million subscriptions. "Now" comes from the
 * Clock as a parameter, so tests move time. Each runs in the transaction the job runner opened under the job's lock.
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
    // One plain UPDATE (no self-join): periods are counted by subscription_periods_elapsed (migration
    // 1764000004000) on UTC wall time; the changed columns are unindexed, so each row is a HOT update.
    const start = `(period_start AT TIME ZONE 'UTC')`;
    const months = `(CASE WHEN is_annual THEN 12 ELSE 1 END)`;
    const periods = `subscription_periods_elapsed(${start}, $1::timestamptz AT TIME ZONE 'UTC', ${months})`;
    const [row] = await manager.query(
      `WITH updated AS (
         UPDATE vendor_subscriptions
            SET period_start = (${start} + make_interval(months => ${periods} * ${months})) AT TIME ZONE 'UTC',
                period_end = (${start} + make_interval(months => (${periods} + 1) * ${months})) AT TIME ZONE 'UTC',
                orders_this_period = 0,
                updated_at = $1
          WHERE period_end <= $1 AND stripe_subscription_id IS NULL AND status IN ${LIVE_STATUSES}
         RETURNING 1
       )
       SELECT count(*)::int AS rows FROM updated`,
      [now],
    );
    return { rowsAffected: row.rows };
  }

  /** Ended trials: with a payment method on file they become `active`, without one `expired`. */
  async checkTrialExpirations(manager: EntityManager): Promise<LifecycleResult> {
    const now = this.clock.now();
    const [row] = await manager.query(
      `WITH updated AS (
         UPDATE vendor_subscriptions
            SET status = CASE WHEN has_payment_method THEN 'active' ELSE 'expired' END, updated_at = $1
          WHERE status = 'trial' AND trial_ends_at <= $1
         RETURNING status
       )
       SELECT count(*)::int AS rows, count(*) FILTER (WHERE status = 'active')::int AS activated,
              count(*) FILTER (WHERE status = 'expired')::int AS expired
         FROM updated`,
      [now],
    );
    return { rowsAffected: row.rows, details: { activated: row.activated, expired: row.expired } };
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
    const [expired] = await manager.query(
      `WITH updated AS (
         UPDATE vendor_subscriptions SET status = 'expired', updated_at = $1
          WHERE status = 'cancelled' AND period_end < $1::timestamptz - make_interval(days => $2)
         RETURNING 1
       ) SELECT count(*)::int AS rows FROM updated`,
      [now, CANCELLED_RETENTION_DAYS],
    );
    const [deleted] = await manager.query(
      `WITH deleted AS (
         DELETE FROM stripe_webhook_events
          WHERE status IN ('processed', 'ignored') AND received_at < $1::timestamptz - make_interval(days => $2)
         RETURNING 1
       ) SELECT count(*)::int AS rows FROM deleted`,
      [now, WEBHOOK_EVENT_RETENTION_DAYS],
    );
    return {
      rowsAffected: expired.rows + deleted.rows,
      details: { subscriptions_expired: expired.rows, webhook_events_deleted: deleted.rows },
    };
  }
}
