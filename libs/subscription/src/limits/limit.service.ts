import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import { queryRows, runStatement, SqlParams, type AddParam, type ComposedStatement } from '@app/database';
import { usageThresholdEventsSql } from '@app/platform-events';
import { DataSource, type EntityManager } from 'typeorm';
import { SubscriptionInactiveError, TierLimitExceededError, type LimitType } from '../subscription.errors.js';
import { DEFAULT_LIMITS_JSON } from '../tiers/tier-info.js';
import { meterEventInsertSql } from '../overage/meter-event.sql.js';
import { overageCapSql, overageCountersSetSql, overageFitsSql, overagePriceSql, overageTierColumnsSql } from './order-overage.js';
import { fitsSql, METERS, ORDERS, PRODUCTS, TEAM, tierLimitOfRowSql, usageFitsTierSql, type Meter } from './usage-fits-tier.js';

/**
 * Whether the subscription row `subscription` may create things now ($2 = now, $3 = grace days): trial and active may;
 * past_due within the grace after its first failed payment (unknown start: still inside); cancelled until
 * the paid period ends; expired never. The same text decides the claim and explains a refusal.
 */
const MAY_CREATE = `(subscription.status IN ('trial', 'active')
  OR (subscription.status = 'past_due' AND (subscription.past_due_since IS NULL OR subscription.past_due_since > $2::timestamptz - make_interval(days => $3::int)))
  OR (subscription.status = 'cancelled' AND subscription.period_end > $2::timestamptz))`;

/** Whether a tier change is in flight on `subscription` (a pending tier, not expired): its limits hold too. */
const PENDING_ACTIVE = `(subscription.pending_tier_code IS NOT NULL AND subscription.pending_tier_expires_at > $2::timestamptz)`;

/**
 * The vendor's tier row, read once per statement (`tier_row`, one row; none without a subscription): the limit in
 * force for a meter — its tier's, and while a tier change is in flight (pending tier, not expired) the lower of
 * both, so creates racing a downgrade can never end above the new tier's limits (LEAST skips NULLs, which here
 * mean "unlimited" or "no change pending": both leave the other limit standing) — and, for orders, the tier's
 * overage price and default cap. Each claim used to look the tier up again in every place it needed it (five
 * lookups per order and as many subplans to plan); now it joins it once. It reads the subscription row from the
 * statement's snapshot: the claim takes a slot only while the row it locks still has that tier and pending tier
 * (SAME_TIER, rechecked on the row's newest version), so a tier change committed meanwhile refuses the claim, whose
 * explanation from the snapshot shows room, and the claim runs once more (judgeRefusal) with the new tier.
 */
const tierRowCte = (m: Meter) => `tier_row AS (SELECT subscription.tier_code, subscription.pending_tier_code, subscription.pending_tier_expires_at,
      LEAST(${tierLimitOfRowSql(m, 'tier', 'subscription.tier_code', '$4')},
            CASE WHEN ${PENDING_ACTIVE} THEN ${tierLimitOfRowSql(m, 'pending_tier', 'subscription.pending_tier_code', '$4')} END) AS "limit"${m === ORDERS ? `,
      ${overageTierColumnsSql('tier', PENDING_ACTIVE)}` : ''}
    FROM vendor_subscriptions AS subscription
    LEFT JOIN subscription_tiers AS tier ON tier.code = subscription.tier_code
    LEFT JOIN subscription_tiers AS pending_tier ON pending_tier.code = subscription.pending_tier_code
   WHERE subscription.vendor_id = $1)`;

/** The locked row still has the tier (and pending tier) that `tier_row` read. */
const SAME_TIER = `subscription.tier_code = tier_row.tier_code AND subscription.pending_tier_code IS NOT DISTINCT FROM tier_row.pending_tier_code
    AND subscription.pending_tier_expires_at IS NOT DISTINCT FROM tier_row.pending_tier_expires_at`;

/**
 * Marks `$2` as the pending tier when every counter fits its limits ($1 vendor, $3 defaults, $4 expiry):
 * one statement under the row lock that the claims take, so a downgrade and concurrent creates serialise.
 */
const RESERVE_PENDING_TIER = `UPDATE vendor_subscriptions AS subscription SET pending_tier_code = $2, pending_tier_expires_at = $4
  WHERE subscription.vendor_id = $1 AND ${usageFitsTierSql('subscription', '$2::varchar', '$3')}
  RETURNING subscription.id`;

/**
 * Still ONE statement: the conditional UPDATE answers the new count with the limit it was held to, and a
 * data-modifying CTE writes the `usage.threshold_reached` event when this claim is the one that reached 80 % or
 * 100 % (CONTRACT §9), in the claim's transaction — a refused claim or a rolled-back create reports nothing.
 * Orders also take a slot past the limit where the tier prices overage (CONTRACT §12): the same UPDATE counts it
 * (overage counters), holds it to the vendor's cap, and the first one of a period writes `usage.overage_started`.
 */
const claimCtes = (m: Meter) => `WITH ${tierRowCte(m)},
  claimed AS (UPDATE vendor_subscriptions AS subscription SET ${m.counter} = subscription.${m.counter} + 1${m === ORDERS ? `,
      ${overageCountersSetSql('subscription', 'tier_row', hasRoom(m))}` : ''}
    FROM tier_row
  WHERE subscription.vendor_id = $1 AND ${SAME_TIER} AND ${MAY_CREATE} AND ${claimCondition(m)}
  RETURNING subscription.vendor_id, subscription.${m.counter} AS current, tier_row."limit", subscription.period_start${m === ORDERS ? `, ${ORDER_RETURNING}` : ''}),
  usage_events AS (${usageThresholdEventsSql('claimed', m.limitType, m === ORDERS
    ? { when: 'claimed.overage AND claimed.overage_orders = 1', limit: 'claimed."limit"', pricePerUnit: 'claimed.overage_price_cents', cap: overageCapSql('claimed', 'claimed') }
    : undefined)})`;
const claimSql = (m: Meter) => `${claimCtes(m)}
  SELECT current FROM claimed`;

/**
 * What an order claim answers beside the count (its RETURNING sees the row as updated): whether the order is
 * overage and its price (only then), which the order's INSERT and its meter event read (`claimed` is the order's
 * claim), and what the period's first overage order's event says (the cap).
 */
const ORDER_RETURNING = `NOT ${fitsSql('subscription.orders_this_period', 'tier_row."limit"')} AS overage,
      CASE WHEN NOT ${fitsSql('subscription.orders_this_period', 'tier_row."limit"')} THEN ${overagePriceSql('subscription', 'tier_row')} END AS overage_price_cents,
      subscription.overage_orders, subscription.overage_cap_mode, subscription.overage_cap_cents, tier_row.default_cap_cents`;

/**
 * What a claim needs to take a slot: one more fits the limit in force, or (orders) one more overage order fits the
 * vendor's cap. The OR's second arm runs only at the limit.
 */
const claimCondition = (m: Meter) => (m === ORDERS ? `(${hasRoom(m)} OR ${overageFitsSql('subscription', 'tier_row')})` : hasRoom(m));

/** Whether one more fits the limit in force on `subscription` (the claim's own condition, for the explanation). */
const hasRoom = (m: Meter) => fitsSql(`subscription.${m.counter} + 1`, 'tier_row."limit"');

const explainColumns = (m: Meter) =>
  `subscription.tier_code, subscription.status, ${MAY_CREATE} AS may_create, subscription.${m.counter} AS current, tier_row."limit", ${claimCondition(m)} AS has_room${m === ORDERS
    ? `, (NOT ${hasRoom(m)} AND ${overagePriceSql('subscription', 'tier_row')} IS NOT NULL) AS overage_cap_reached` : ''}`;
const explainSql = (m: Meter) => `WITH ${tierRowCte(m)}
  SELECT ${explainColumns(m)} FROM vendor_subscriptions AS subscription JOIN tier_row ON true WHERE subscription.vendor_id = $1`;

/**
 * After claimCtes and an `inserted` CTE, in the same statement: the refusal's explanation when the claim took
 * nothing (as explainSql, from the statement's snapshot; all nulls without a subscription row), so a refusal
 * costs no second round trip. Answers one row: `refusal` (json, null when claimed) and the inserted row's columns.
 */
const refusalTail = (m: Meter) => `,
  refusal AS (SELECT ${explainColumns(m)} FROM (SELECT 1) AS one LEFT JOIN vendor_subscriptions AS subscription ON subscription.vendor_id = $1 LEFT JOIN tier_row ON true
               WHERE NOT EXISTS (SELECT 1 FROM claimed))
  SELECT (SELECT row_to_json(refusal) FROM refusal) AS refusal, inserted.* FROM (SELECT 1) AS one LEFT JOIN inserted ON true`;

const releaseSql = (m: Meter) => `UPDATE vendor_subscriptions SET ${m.counter} = ${m.counter} - 1 WHERE vendor_id = $1 AND ${m.counter} > 0`;

// Built once: the statements are constant text, so PostgreSQL and pg see the same query every time.
const SQL = new Map<Meter, { claim: string; claimCtes: string; refusalTail: string; explain: string; release: string }>(
  METERS.map((m) => [m, { claim: claimSql(m), claimCtes: claimCtes(m), refusalTail: refusalTail(m), explain: explainSql(m), release: releaseSql(m) }]),
);

/** What $1…$4 of every claim are (claimParams). */
export const CLAIM_PARAMS = ['vendor_id', 'now', 'PAST_DUE_GRACE_DAYS', 'DEFAULT_LIMITS_JSON'];

/** The statements built from the rules above that run as they are, by method (rendered into limit.service.queries.sql). */
export function limitStatements(): { method: string; variant?: string; text: string; params: string[] }[] {
  return [
    { method: 'LimitService.claimTeamSeat', text: SQL.get(TEAM)!.claim, params: CLAIM_PARAMS },
    { method: 'LimitService.claimTeamSeat', variant: 'refused: why', text: SQL.get(TEAM)!.explain, params: CLAIM_PARAMS },
    { method: 'LimitService.releaseProductSlot', text: SQL.get(PRODUCTS)!.release, params: ['vendor_id'] },
    { method: 'LimitService.releaseTeamSeat', text: SQL.get(TEAM)!.release, params: ['vendor_id'] },
    { method: 'LimitService.reservePendingTier', text: RESERVE_PENDING_TIER, params: ['vendor_id', 'tier_code', 'DEFAULT_LIMITS_JSON', 'until'] },
  ];
}

/** Why a claim took nothing (explainSql's row); `tier_code` null: the vendor has no subscription row. */
interface Refusal {
  tier_code: string | null;
  status: string;
  may_create: boolean;
  current: number;
  limit: number | null;
  has_room: boolean;
  /** Orders: refused because the overage cap is reached (the tier prices overage). */
  overage_cap_reached?: boolean;
}

/**
 * Throws what a refused claim means: no subscription, one that may not create now, or the limit reached — unless a
 * slot freed (or a limit rose) since the claim, or the claim waited on a concurrent one that the explanation's
 * earlier snapshot does not show yet; then it returns once, and the caller claims again rather than report
 * "4 of 5 exceeded".
 */
function judgeRefusal(meter: Meter, why: Refusal | undefined, retried: boolean): void {
  if (!why) throw new SubscriptionInactiveError(null);
  if (!why.may_create) throw new SubscriptionInactiveError(why.status);
  if (why.has_room && !retried) return;
  throw new TierLimitExceededError({
    limit_type: meter.limitType, current: why.current, limit: why.limit ?? why.current, tier_code: why.tier_code!, ...(why.overage_cap_reached ? { overage_cap_reached: true } : {}),
  });
}

const meterOf = (limitType: LimitType) => METERS.find((m) => m.limitType === limitType)!;

/**
 * The text of a claim, for tools that must run exactly what the API runs (the limits benchmark's ceiling).
 * Parameters: $1 vendor id, $2 now, $3 PAST_DUE_GRACE_DAYS, $4 DEFAULT_LIMITS_JSON; one row back when claimed.
 * `ctesOnly`: the claim's `WITH claimed AS (…), …` for a statement that goes on (see `claimAndInsert`).
 */
export function claimStatement(limitType: LimitType, opts: { ctesOnly?: boolean } = {}): string {
  const sql = SQL.get(meterOf(limitType))!;
  return opts.ctesOnly ? sql.claimCtes : sql.claim;
}

/**
 * The text of `claimAndInsert`'s statement around an INSERT (`insert(claimed)`, parameters from $5), for tools that
 * must run exactly what the API runs (the limits benchmark's ceiling). An order's INSERT reads `claimed` (with
 * `overage`), and an overage order writes its meter event in the same statement.
 */
export function claimAndInsertText(limitType: LimitType, insert: (claimed: string) => string): string {
  const meter = meterOf(limitType);
  const sql = SQL.get(meter)!;
  if (meter !== ORDERS) return `${sql.claimCtes},\n  inserted AS (${insert('claimed')})${sql.refusalTail}`;
  return `${sql.claimCtes},\n  inserted AS (${insert('claimed')}),\n  meter_events AS (${meterEventInsertSql('inserted', 'claimed')})${sql.refusalTail}`;
}

/** What follows the claim's CTEs and an `inserted` CTE in `claimAndInsert`'s statement: the refusal's explanation and the answer. */
export function claimRefusalTail(limitType: LimitType): string {
  return SQL.get(meterOf(limitType))!.refusalTail;
}

/**
 * The usage counters and the limits on them. Each claim is ONE conditional UPDATE … RETURNING on the vendor's
 * subscription row, either composed with the INSERT of the counted row into one statement (`claimAndInsert`:
 * products, orders) or run with the caller's EntityManager inside the transaction that inserts it (team seats):
 * the row lock serialises concurrent claims, so N parallel creates at one free slot create exactly one, and a
 * refusal writes nothing. There is no count-then-insert anywhere.
 */
@Injectable()
export class LimitService {
  private readonly graceDays: number;

  constructor(
    config: ConfigService,
    private readonly clock: Clock,
    private readonly dataSource: DataSource,
  ) {
    this.graceDays = config.get<number>('PAST_DUE_GRACE_DAYS', 14);
  }

  /**
   * Takes one team seat in the caller's transaction (the user row it counts is written beside other rows), or
   * throws TIER_LIMIT_EXCEEDED / SUBSCRIPTION_INACTIVE. Answers the new count. Products and orders: claimAndInsert.
   */
  claimTeamSeat(manager: EntityManager, vendorId: number): Promise<number> {
    return this.claim(manager, vendorId, TEAM);
  }

  /** Gives a product slot back; call it only after a product row was actually deleted, in that transaction. */
  releaseProductSlot(manager: EntityManager, vendorId: number): Promise<void> {
    return this.release(manager, vendorId, PRODUCTS);
  }

  releaseTeamSeat(manager: EntityManager, vendorId: number): Promise<void> {
    return this.release(manager, vendorId, TEAM);
  }

  /**
   * Before a tier change is sent to Stripe: holds the vendor to the lower of its current and the target tier's
   * limits until `clearPendingTier` (or `until`), when its usage fits the target now. Answers whether it did; a
   * refusal is a downgrade that exceeds the target's limits (the caller reads the violations).
   */
  async reservePendingTier(vendorId: number, tierCode: string, until: Date, manager?: EntityManager): Promise<boolean> {
    const { rows } = await runStatement(manager ?? this.dataSource.manager, RESERVE_PENDING_TIER, [vendorId, tierCode, DEFAULT_LIMITS_JSON, until]);
    return rows.length === 1;
  }

  /** Ends the hold of `reservePendingTier` (the change is applied or refused). Only the given tier's hold. */
  async clearPendingTier(vendorId: number, tierCode: string, manager?: EntityManager): Promise<void> {
    await runStatement(manager ?? this.dataSource.manager,
      `UPDATE vendor_subscriptions SET pending_tier_code = NULL, pending_tier_expires_at = NULL WHERE vendor_id = $1 AND pending_tier_code = $2`, [vendorId, tierCode]);
  }

  /**
   * The vendor's cap on a period's overage (CONTRACT §12): cents, or null for none. The next order claim holds to
   * it (a cap below what this period already used refuses further overage, and bills nothing back).
   */
  async setOverageCap(vendorId: number, capCents: number | null): Promise<void> {
    await runStatement(this.dataSource.manager,
      `UPDATE vendor_subscriptions SET overage_cap_mode = CASE WHEN $2::bigint IS NULL THEN 'none' ELSE 'custom' END, overage_cap_cents = $2::bigint, updated_at = $3
        WHERE vendor_id = $1`, [vendorId, capCents, this.clock.now()]);
  }

  /**
   * Takes one slot and writes the row it counts in ONE statement, outside any transaction (the statement is its
   * own): `insert(claimed, add)` is an `INSERT … SELECT … FROM <claimed> … RETURNING …`, which inserts only when
   * the claim took a slot (`claimed` names the claim's CTE: one row with `vendor_id`). One round trip instead of
   * BEGIN, claim, insert, COMMIT, and on a direct connection a plan kept per connection; a refused claim or a
   * failing insert leaves nothing, and the same statement says why it refused. Refusals throw as the claims in a
   * transaction do. Answers the inserted row.
   */
  async claimAndInsert<T>(vendorId: number, limitType: LimitType, insert: (claimed: string, add: AddParam) => string): Promise<T> {
    const meter = meterOf(limitType);
    const manager = this.dataSource.manager;
    for (let retried = false; ; retried = true) {
      const { text, params } = this.claimAndInsertStatement(vendorId, limitType, insert);
      const [{ refusal, ...row }] = await queryRows<{ refusal: Refusal | null }>(manager, text, params.values, { reusePlan: true });
      if (!refusal) return row as T;
      // Explained from the statement's snapshot: if the claim waited on a concurrent one the snapshot does not show
      // yet, it shows room, and the claim runs once more (then seeing it).
      judgeRefusal(meter, refusal.tier_code === null ? undefined : refusal, retried);
    }
  }

  /** claimAndInsert's statement (pure: its callers render it into their `*.queries.sql`). */
  claimAndInsertStatement(vendorId: number, limitType: LimitType, insert: (claimed: string, add: AddParam) => string): ComposedStatement {
    const params = new SqlParams(this.claimParams(vendorId), CLAIM_PARAMS);
    return { text: claimAndInsertText(limitType, (claimed) => insert(claimed, params.add)), params };
  }

  private async claim(manager: EntityManager, vendorId: number, meter: Meter, retried = false): Promise<number> {
    const params = this.claimParams(vendorId);
    const { rows: claimed } = await runStatement<{ current: number }>(manager, SQL.get(meter)!.claim, params);
    if (claimed.length === 1) return claimed[0].current;
    await this.refused(manager, meter, params, retried);
    return this.claim(manager, vendorId, meter, true);
  }

  private claimParams(vendorId: number): unknown[] {
    return [vendorId, this.clock.now(), this.graceDays, DEFAULT_LIMITS_JSON];
  }

  /**
   * A claim in a transaction was refused: one read says why (judgeRefusal). In a transaction the read sees what
   * the UPDATE saw or newer.
   */
  private async refused(manager: EntityManager, meter: Meter, params: unknown[], retried: boolean): Promise<void> {
    const [why]: Refusal[] = await manager.query(SQL.get(meter)!.explain, params);
    judgeRefusal(meter, why, retried);
  }

  private async release(manager: EntityManager, vendorId: number, meter: Meter): Promise<void> {
    await runStatement(manager, SQL.get(meter)!.release, [vendorId]);
  }
}
