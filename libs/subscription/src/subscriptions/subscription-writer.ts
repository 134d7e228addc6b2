import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows, SqlParams, type AddParam, type ComposedStatement } from '@app/database';
import type { EntityManager } from 'typeorm';
import { patchAssignments, patchLookup, patchParams, patchRows, patchTier, patchVerdict } from './stripe-patch-expressions.js';
import { usageFitsTierSql } from '../limits/usage-fits-tier.js';
import { vendorLookupSql } from './vendor-lookup.js';
import type { PlanState, StripeStamp, StripeSubscriptionPatch } from './stripe-plan-patch.js';

export type ApplyStripeResult =
  | { outcome: 'applied'; vendorId: number; changed: (keyof PlanState)[]; before: PlanState; after: PlanState }
  | { outcome: 'stale' | 'tie' | 'not_current' | 'second_live'; vendorId: number; reason: string }
  | { outcome: 'not_found'; reason: string };

/** What identifies the vendor of a Stripe object (any may be null). */
export interface VendorRef {
  subscriptionId: string | null;
  customerId: string | null;
  vendorId: number | null;
}

/**
 * A caller's write fused into the writer's statement, so that both happen in one statement (one round trip, one
 * implicit transaction) — the webhook ledger's claim of the event that carries the patch. `ctes` come after the
 * writer's CTE `verdict` (one row — `vendor_id`, `verdict`: 'apply' | 'stale' | 'tie' | 'behind' | 'not_current' | 'second_live', and the
 * row's plan columns — or none when no vendor row matches) and may read it; the update happens only when
 * `requires` holds too; `report` is a JSON expression, the statement's answer.
 */
export interface FusedStep {
  ctes(add: AddParam): string;
  requires: string;
  report: string;
}

/** What applying a patch now would do (see `diffStripeSubscriptions`). */
export type StripeDiff =
  | { outcome: 'matches' | 'differs' | 'stale' | 'tie' | 'not_current' | 'second_live'; vendorId: number }
  | { outcome: 'not_found' };

const PLAN_COLUMNS: (keyof PlanState)[] = [
  'tier_code', 'is_annual', 'status', 'trial_ends_at', 'period_start', 'period_end', 'cancel_at_period_end', 'cancel_at', 'cancelled_at',
  'stripe_subscription_id', 'stripe_customer_id', 'stripe_price_id', 'has_payment_method', 'past_due_since', 'payment_retry_count',
  'orders_this_period',
];

/** changeLocalTier: $1 vendor, $2 tier code, $3 annual, $4 DEFAULT_LIMITS_JSON. */
export const CHANGE_LOCAL_TIER = `UPDATE vendor_subscriptions AS subscription SET tier_code = $2, is_annual = $3, updated_at = now()
  WHERE subscription.vendor_id = $1 AND ${usageFitsTierSql('subscription', '$2::varchar', '$4')}
  RETURNING subscription.id`;

/**
 * The one writer of a plan's Stripe state on `vendor_subscriptions` (the limit claims, which write the counters,
 * are LimitService's). Every path that learns what Stripe holds — an operation's answer, a webhook, `/sync`, the
 * hourly reconciliation — hands a patch here, on its own transaction's manager, under one watermark
 * (`stripe_watermark`), so no path can put an older state over a newer one. Each method is one statement.
 */
@Injectable()
export class SubscriptionWriter {
  constructor(private readonly clock: Clock) {}

  /**
   * Applies what Stripe says to the vendor's row — found by the one vendor lookup (vendorLookupSql), never for a
   * subscription that pays for an add-on — unless the row's watermark is newer (`stale`), of the same second as an
   * event (`tie`), or the row stands for another subscription and this one has ended (`not_current`) or that one is
   * still live (`second_live`: one live plan per vendor). The rules that depend on the row are `patchAssignments`, shared with
   * `diffStripeSubscriptions`. PostgreSQL plans the statement on every run (a transaction-mode pooler allows no
   * named prepared statements), and each subquery costs planning time, so the row is found by one scan
   * (`patchLookup`) and the tier by one query (`patchTier`).
   */
  async applyStripeSubscription(manager: EntityManager, patch: StripeSubscriptionPatch, stamp: StripeStamp): Promise<ApplyStripeResult> {
    const { text, params } = this.applyStatement(patch, stamp);
    const [row] = await queryRows<{ vendor_id: number | null; verdict: string; stripe_watermark: Date | null; before: Json; after: Json | null }>(manager, text, params.values, { reusePlan: true });
    if (row.vendor_id === null) return { outcome: 'not_found', reason: `no vendor for subscription ${patch.subscriptionId} (customer ${patch.customerId ?? 'none'})` };
    const vendorId = row.vendor_id;
    switch (row.verdict) {
      case 'not_current':
        return { outcome: 'not_current', vendorId, reason: `subscription ${patch.subscriptionId} has ended and is not the vendor's current subscription ${String(row.before.stripe_subscription_id)}` };
      case 'second_live':
        return { outcome: 'second_live', vendorId, reason: secondLiveReason(patch.subscriptionId, String(row.before.stripe_subscription_id)) };
      case 'stale':
        if (stamp.startedAt && !(row.stripe_watermark && row.stripe_watermark > stamp.at)) {
          return { outcome: 'stale', vendorId, reason: `read before the last event was applied (the read began ${stamp.startedAt})` };
        }
        return { outcome: 'stale', vendorId, reason: `older than the last applied event (${stamp.at.toISOString()} < ${row.stripe_watermark?.toISOString()})` };
      case 'tie':
        return { outcome: 'tie', vendorId, reason: `same second as the last applied event (${stamp.at.toISOString()})` };
      case 'behind':
        return { outcome: 'tie', vendorId, reason: `older than the last applied event, with a plan the row does not have (${stamp.at.toISOString()} < ${row.stripe_watermark?.toISOString()})` };
    }
    const before = planState(row.before);
    const after = planState(row.after!);
    return { outcome: 'applied', vendorId, before, after, changed: PLAN_COLUMNS.filter((c) => !same(before[c], after[c])) };
  }

  /** applyStripeSubscription's statement (pure: rendered into subscription-writer.queries.sql). */
  applyStatement(patch: StripeSubscriptionPatch, stamp: StripeStamp): ComposedStatement {
    const params = new SqlParams();
    const text = `${this.applySql(params.add, patch, stamp)}
      SELECT locked_row.vendor_id, verdict.verdict, locked_row.stripe_watermark,
             json_build_object(${PLAN_COLUMNS.map((c) => `'${c}', locked_row.${c}`).join(', ')}) AS before,
             (SELECT row_to_json(applied) FROM applied) AS after
        FROM (SELECT 1) AS one LEFT JOIN locked_row ON true LEFT JOIN verdict ON true`;
    return { text, params };
  }

  /**
   * `applyStripeSubscription` fused with a caller's write (see FusedStep) in one statement, on a manager outside
   * any transaction: the same lookup, verdict and update, answering only `step.report` — no before and after
   * states, which nobody on that path reads.
   */
  async applyStripeSubscriptionWith<R>(manager: EntityManager, patch: StripeSubscriptionPatch, stamp: StripeStamp, step: FusedStep): Promise<R> {
    const { text, params } = this.applyWithStatement(patch, stamp, step);
    const [row] = await queryRows<{ report: R }>(manager, text, params.values, { reusePlan: true });
    return row.report;
  }

  /** applyStripeSubscriptionWith's statement (pure: rendered where the step's owner renders it). */
  applyWithStatement(patch: StripeSubscriptionPatch, stamp: StripeStamp, step: FusedStep): ComposedStatement {
    const params = new SqlParams();
    const text = `${this.applySql(params.add, patch, stamp, step)}
      SELECT ${step.report} AS report`;
    return { text, params };
  }

  /**
   * The CTEs both apply methods share: `locked_row` (the vendor's row, locked), `verdict` (that row and what the
   * patch may do to it), the step's, `patch_tier` (see patchTier) and `applied`, the update of `target_row` (its
   * RETURNING: the plan columns) when the verdict is 'apply'.
   */
  private applySql(add: AddParam, patch: StripeSubscriptionPatch, stamp: StripeStamp, step?: FusedStep): string {
    const x = patchParams(add, { patch, stamp }, this.clock.now());
    const set = patchAssignments(x, 'locked_row', 'patch_tier', 'target_row');
    return `
      WITH locked_row AS (SELECT id, vendor_id, stripe_watermark, observed_watermark, stripe_price_amount_cents, stripe_item_price_ids, ${PLAN_COLUMNS.join(', ')} FROM vendor_subscriptions ${patchLookup(x)} FOR UPDATE),
      patch_tier AS (${patchTier(x)}),
      verdict AS (SELECT locked_row.*, ${patchVerdict(x, 'locked_row', 'patch_tier')} AS verdict FROM locked_row LEFT JOIN patch_tier ON true),${step ? `\n      ${step.ctes(add)},` : ''}
      applied AS (
        UPDATE vendor_subscriptions AS target_row SET ${Object.entries(set).map(([column, value]) => `${column} = ${value}`).join(',\n          ')}
        FROM locked_row JOIN verdict ON true LEFT JOIN patch_tier ON true
        WHERE target_row.id = locked_row.id AND verdict.verdict = 'apply'${step ? ` AND ${step.requires}` : ''}
        RETURNING ${PLAN_COLUMNS.map((c) => `target_row.${c}`).join(', ')})`;
  }

  /**
   * What `applyStripeSubscription` would do with each of many patches, in one read-only statement and without
   * locks: the same row lookup, verdict and column rules, over an unnest() of the patches. `differs`: applying it
   * would change a plan column; `matches`: it would change none (the caller need not open a transaction for it).
   * Answers one entry per patch, in order. A reader that acts on `differs` applies through
   * `applyStripeSubscription`, which decides again under the row lock.
   */
  async diffStripeSubscriptions(manager: EntityManager, items: { patch: StripeSubscriptionPatch; stamp: StripeStamp }[]): Promise<StripeDiff[]> {
    if (items.length === 0) return [];
    const { text, params } = this.diffStatement(items);
    // One text for every page (the patches are array parameters): planned once per connection where allowed.
    const rows = await queryRows<{ vendor_id: number | null; verdict: string; differs: boolean }>(manager, text, params.values, { reusePlan: true });
    return rows.map((r): StripeDiff => {
      if (r.vendor_id === null) return { outcome: 'not_found' };
      if (r.verdict === 'behind') return { outcome: 'tie', vendorId: r.vendor_id };
      if (r.verdict !== 'apply') return { outcome: r.verdict as 'stale' | 'tie' | 'not_current' | 'second_live', vendorId: r.vendor_id };
      return { outcome: r.differs ? 'differs' : 'matches', vendorId: r.vendor_id };
    });
  }

  /** diffStripeSubscriptions's statement (pure: rendered into subscription-writer.queries.sql). */
  diffStatement(items: { patch: StripeSubscriptionPatch; stamp: StripeStamp }[]): ComposedStatement {
    const params = new SqlParams();
    const { from, sql: x } = patchRows(params.add, items, this.clock.now(), 'patch');
    const set = patchAssignments(x, 'current_row', 'patch_tier');
    const text = `SELECT current_row.vendor_id, ${patchVerdict(x, 'current_row', 'patch_tier')} AS verdict,
              (${PLAN_COLUMNS.map((c) => `(${set[c]}) IS DISTINCT FROM current_row.${c}`).join('\n OR ')}) AS differs
         FROM ${from}
         LEFT JOIN LATERAL (SELECT vendor_id, stripe_watermark, observed_watermark, ${PLAN_COLUMNS.join(', ')} FROM vendor_subscriptions ${patchLookup(x)}) current_row ON true
         LEFT JOIN LATERAL (${patchTier(x)}) patch_tier ON true
        ORDER BY patch.i`;
    return { text, params };
  }

  /**
   * An invoice of the vendor's plan subscription, paid, as one data-modifying statement for the caller's statement
   * (the webhook's, with its ledger claim and the billing history row): `vendor` names the caller's CTE of the
   * vendor's row as it locked it (see vendorOfSql), `when` a condition it must meet as well. Active (a trial only
   * once money was paid), failure state cleared — unless the invoice's event is older than the last state applied
   * to the row (`eventAt` < `stripe_watermark`: an old payment never lifts a newer past_due); a status it
   * changes moves that watermark to the event. A cycle invoice whose period starts after the stored one moves the
   * period and resets the order count, so a late or second delivery never resets twice.
   *
   * The row is matched by its vendor id only and judged by what the lock found (`vendor_row.stripe_subscription_id`) and by
   * its current values (`plan_row.*`, which PostgreSQL re-reads for an UPDATE that waited on a concurrent change): never
   * by the statement's snapshot, which may predate the link that a concurrent `customer.subscription.created` made.
   */
  invoicePaidSql(add: AddParam, vendor: string, subscriptionId: string, paid: { amountPaidCents: number; paidAt: Date; eventAt: Date; newPeriod: { start: Date; end: Date | null } | null }, when: string): string {
    const start = add(paid.newPeriod?.start ?? null, 'timestamptz');
    const end = `COALESCE(${add(paid.newPeriod?.end ?? null, 'timestamptz')}, CASE WHEN plan_row.is_annual THEN ${start} + interval '1 year' ELSE ${start} + interval '1 month' END)`;
    const amount = add(paid.amountPaidCents, 'int');
    const eventAt = add(paid.eventAt, 'timestamptz', 'event.created');
    const current = `(plan_row.stripe_watermark IS NULL OR plan_row.stripe_watermark <= ${eventAt})`;
    const becomesActive = `(${current} AND (plan_row.status IN ('past_due', 'active') OR (plan_row.status = 'trial' AND ${amount} > 0)))`;
    return `UPDATE vendor_subscriptions AS plan_row SET
         status = CASE WHEN ${becomesActive} THEN 'active' ELSE plan_row.status END,
         past_due_since = CASE WHEN ${becomesActive} THEN NULL ELSE plan_row.past_due_since END,
         payment_retry_count = CASE WHEN ${becomesActive} THEN 0 ELSE plan_row.payment_retry_count END,
         has_payment_method = plan_row.has_payment_method OR ${amount} > 0,
         last_payment_at = GREATEST(plan_row.last_payment_at, ${add(paid.paidAt, 'timestamptz')}),
         orders_this_period = CASE WHEN ${start} > plan_row.period_start THEN 0 ELSE plan_row.orders_this_period END,
         period_end = CASE WHEN ${start} > plan_row.period_start THEN ${end} ELSE plan_row.period_end END,
         period_start = CASE WHEN ${start} > plan_row.period_start THEN ${start} ELSE plan_row.period_start END,
         stripe_watermark = CASE WHEN ${becomesActive} AND plan_row.status <> 'active' THEN GREATEST(plan_row.stripe_watermark, ${eventAt}) ELSE plan_row.stripe_watermark END,
         observed_watermark = GREATEST(plan_row.observed_watermark, clock_timestamp()),
         updated_at = ${add(this.clock.now(), 'timestamptz')}
       FROM ${vendor} AS vendor_row WHERE plan_row.vendor_id = vendor_row.vendor_id AND vendor_row.stripe_subscription_id = ${add(subscriptionId, 'varchar')} AND ${when}`;
  }

  /**
   * An invoice of the plan failed (as invoicePaidSql, the same watermark): past_due from the first failure on (the
   * grace counts from there); an old failure after a newer state changes nothing of the status.
   */
  paymentFailedSql(add: AddParam, vendor: string, subscriptionId: string, failure: { attemptCount: number; eventAt: Date }, when: string): string {
    const now = add(this.clock.now(), 'timestamptz');
    const eventAt = add(failure.eventAt, 'timestamptz', 'event.created');
    const fails = `((plan_row.stripe_watermark IS NULL OR plan_row.stripe_watermark <= ${eventAt}) AND plan_row.status IN ('trial', 'active', 'past_due'))`;
    return `UPDATE vendor_subscriptions AS plan_row SET
         past_due_since = CASE WHEN ${fails} THEN COALESCE(plan_row.past_due_since, ${now}) ELSE plan_row.past_due_since END,
         status = CASE WHEN ${fails} THEN 'past_due' ELSE plan_row.status END,
         payment_retry_count = CASE WHEN ${fails} THEN ${add(failure.attemptCount, 'int')} ELSE plan_row.payment_retry_count END,
         stripe_watermark = CASE WHEN ${fails} AND plan_row.status <> 'past_due' THEN GREATEST(plan_row.stripe_watermark, ${eventAt}) ELSE plan_row.stripe_watermark END,
         observed_watermark = GREATEST(plan_row.observed_watermark, clock_timestamp()),
         updated_at = ${now}
       FROM ${vendor} AS vendor_row WHERE plan_row.vendor_id = vendor_row.vendor_id AND vendor_row.stripe_subscription_id = ${add(subscriptionId, 'varchar')} AND ${when}`;
  }

  /** The vendor of a Stripe object (the one lookup: vendorLookupSql); null when none. */
  async findVendorOf(manager: EntityManager, ref: VendorRef): Promise<{ vendorId: number; stripeSubscriptionId: string | null } | null> {
    const p = new SqlParams();
    const [row] = await queryRows<{ vendor_id: number; stripe_subscription_id: string | null }>(manager, this.vendorOfSql(p.add, ref), p.values);
    return row ? { vendorId: row.vendor_id, stripeSubscriptionId: row.stripe_subscription_id } : null;
  }

  /**
   * findVendorOf as a query for a caller's statement (zero or one row: `vendor_id`, `stripe_subscription_id`);
   * `lock` takes the row as an update of it would (FOR NO KEY UPDATE), before anything else the statement does.
   */
  vendorOfSql(add: AddParam, ref: VendorRef, opts: { lock?: boolean } = {}): string {
    const keys = {
      vendorId: add(ref.vendorId, 'int', 'metadata.vendor_id'),
      subscriptionId: add(ref.subscriptionId, 'varchar', 'stripe_subscription_id'),
      customerId: add(ref.customerId, 'varchar', 'stripe_customer_id'),
    };
    return `SELECT vendor_id, stripe_subscription_id FROM vendor_subscriptions ${vendorLookupSql(keys)}${opts.lock ? ' FOR NO KEY UPDATE' : ''}`;
  }

  /** Stores the vendor's Stripe customer unless one is stored already; answers the one that stands. */
  async linkStripeCustomer(manager: EntityManager, vendorId: number, customerId: string): Promise<string | null> {
    const [row] = await queryRows<{ stripe_customer_id: string | null }>(
      manager,
      `WITH u AS (UPDATE vendor_subscriptions SET stripe_customer_id = $2, updated_at = now() WHERE vendor_id = $1 AND stripe_customer_id IS NULL RETURNING stripe_customer_id)
       SELECT COALESCE((SELECT stripe_customer_id FROM u), (SELECT stripe_customer_id FROM vendor_subscriptions WHERE vendor_id = $1)) AS stripe_customer_id`,
      [vendorId, customerId],
    );
    return row?.stripe_customer_id ?? null;
  }

  /** Why the vendor cancelled (kept beside what Stripe holds); cleared with null. */
  async setCancellationReason(manager: EntityManager, vendorId: number, reason: string | null): Promise<void> {
    await queryRows(manager, `UPDATE vendor_subscriptions SET cancellation_reason = $2, updated_at = now() WHERE vendor_id = $1`, [vendorId, reason]);
  }

  /**
   * A tier change of a vendor without a Stripe subscription (a trial, or a plan run by hand): one statement that
   * moves the tier only when every counter fits the new tier's limits ($4 built-in defaults). Answers whether it did.
   */
  async changeLocalTier(manager: EntityManager, vendorId: number, tierCode: string, isAnnual: boolean, defaultsJson: string): Promise<boolean> {
    const rows = await queryRows(manager, CHANGE_LOCAL_TIER, [vendorId, tierCode, isAnnual, defaultsJson]);
    return rows.length === 1;
  }

  /** Cancels a plan that has no Stripe subscription: now (the period ends now) or at its end. */
  async cancelLocally(manager: EntityManager, vendorId: number, input: { immediately: boolean; reason: string | null; now: Date }): Promise<void> {
    if (input.immediately) {
      // period_end must stay after period_start.
      await queryRows(
        manager,
        `UPDATE vendor_subscriptions SET status = 'cancelled', cancel_at_period_end = false, cancel_at = NULL, cancelled_at = $2, cancellation_reason = $3,
                period_end = GREATEST(period_start + interval '1 millisecond', LEAST(period_end, $2::timestamptz)), updated_at = $2
          WHERE vendor_id = $1`,
        [vendorId, input.now, input.reason],
      );
      return;
    }
    await queryRows(manager, `UPDATE vendor_subscriptions SET cancel_at_period_end = true, cancelled_at = $2, cancellation_reason = $3, updated_at = $2 WHERE vendor_id = $1`, [vendorId, input.now, input.reason]);
  }

  /** Undoes a local cancel at period end. */
  async reactivateLocally(manager: EntityManager, vendorId: number): Promise<void> {
    await queryRows(manager, `UPDATE vendor_subscriptions SET cancel_at_period_end = false, cancel_at = NULL, cancelled_at = NULL, cancellation_reason = NULL, updated_at = now() WHERE vendor_id = $1`, [vendorId]);
  }
}

/**
 * Why a second live plan subscription was not applied: what admins read beside it (the ledger, the platform
 * event). The same text from values and, for a statement that knows the live one only in SQL, from expressions.
 */
export function secondLiveReason(subscriptionId: string, liveSubscriptionId: string): string {
  return `subscription ${subscriptionId} is a second live plan subscription of the vendor, whose plan follows ${liveSubscriptionId}; not applied`;
}

export function secondLiveReasonSql(subscriptionId: string, liveSubscriptionId: string): string {
  return `('subscription ' || ${subscriptionId} || ' is a second live plan subscription of the vendor, whose plan follows ' || ${liveSubscriptionId} || '; not applied')`;
}

type Json = Record<string, unknown>;

const DATE_COLUMNS = new Set<keyof PlanState>(['trial_ends_at', 'period_start', 'period_end', 'cancel_at', 'cancelled_at', 'past_due_since']);

/** A row read back through row_to_json: timestamps arrive as text. */
function planState(json: Json): PlanState {
  const out: Record<string, unknown> = {};
  for (const c of PLAN_COLUMNS) {
    const v = json[c];
    out[c] = DATE_COLUMNS.has(c) && typeof v === 'string' ? new Date(v) : v;
  }
  return out as unknown as PlanState;
}

function same(a: unknown, b: unknown): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
}
