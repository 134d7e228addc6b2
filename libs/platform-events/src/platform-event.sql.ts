import type { UsageMeterName } from './platform-event.types.js';

/**
 * SQL fragments for writers that must put an event into the same statement as their change (the limit claim,
 * the set-based trial job). The columns of platform_events are named here only, beside their owner.
 */

/** An ISO-8601 UTC string of a timestamptz expression, as the contract writes times (`2026-03-15T12:00:00.000Z`). */
export const isoSql = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface EventColumnsSql {
  type: string;
  vendorId: string;
  /** A jsonb expression. */
  data: string;
  /** A text expression, or omitted: no deduplication. */
  dedupeKey?: string;
}

/**
 * `INSERT INTO platform_events … SELECT … FROM <from>`: one event per row of `from` (a CTE or a table
 * expression), skipped when its dedupe key was written before. Usable as a data-modifying CTE.
 */
export function insertPlatformEventsSql(from: string, c: EventColumnsSql): string {
  return insertEventRowsSql([eventRowsSql(from, c)]);
}

/** One event per row of `from`, as the rows insertEventRowsSql takes. */
const eventRowsSql = (from: string, c: EventColumnsSql) => `SELECT ${c.type}, ${c.vendorId}, ${c.data}, ${c.dedupeKey ?? 'NULL'} FROM ${from}`;

/**
 * One INSERT of the events of several sources (eventRowsSql each, UNION ALL): a statement that may write events of
 * several kinds writes the table once, not once per kind (each data-modifying CTE opens the table and its indexes
 * on every run, even when it writes nothing).
 */
const insertEventRowsSql = (rows: string[]) => `INSERT INTO platform_events (type, vendor_id, data, dedupe_key)
    ${rows.join('\n    UNION ALL ')}
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING id`;

/**
 * The dedupe key of a usage threshold: one per vendor, meter, threshold and period (the period start to the
 * microsecond, so writer and reader compute the same text from the same column).
 */
export const usageThresholdKeySql = (vendorId: string, meter: string, threshold: string, periodStart: string) =>
  `('usage:' || (${vendorId}) || ':' || (${meter}) || ':' || (${threshold}) || ':' || floor(extract(epoch FROM (${periodStart})) * 1000000)::bigint)`;

/** Whether an event with this dedupe key exists (a reader's EXISTS, served by the unique index). */
export const platformEventKeyExistsSql = (key: string) => `EXISTS (SELECT 1 FROM platform_events WHERE dedupe_key = ${key})`;

/**
 * The `usage.threshold_reached` events of a claim, as a CTE body over `claimed` (columns vendor_id, current,
 * limit, period_start): a threshold is crossed when this claim made the counter equal to it (80 % rounds up),
 * so only the one claim that crosses it pays for an insert; the dedupe key keeps it once per period even when a
 * counter falls and climbs again (a product deleted and re-created).
 */
export function usageThresholdEventsSql(claimed: string, meter: UsageMeterName, overageStarted?: OverageStarted): string {
  const crossed = `(SELECT claim.vendor_id, claim.current, claim."limit", claim.period_start, threshold_level.threshold
      FROM ${claimed} AS claim CROSS JOIN (VALUES (80), (100)) AS threshold_level(threshold)
     WHERE claim."limit" > 0 AND claim.current = CASE threshold_level.threshold WHEN 100 THEN claim."limit" ELSE ceil(claim."limit" * 0.8)::int END) AS crossed`;
  const thresholds = eventRowsSql(crossed, {
    type: `'usage.threshold_reached'`,
    vendorId: 'crossed.vendor_id',
    data: `jsonb_build_object('meter', '${meter}', 'threshold', crossed.threshold, 'current', crossed.current, 'limit', crossed."limit", 'period_start', ${isoSql('crossed.period_start')})`,
    dedupeKey: usageThresholdKeySql('crossed.vendor_id', `'${meter}'`, 'crossed.threshold', 'crossed.period_start'),
  });
  return insertEventRowsSql(overageStarted ? [thresholds, overageStartedRowsSql(claimed, overageStarted)] : [thresholds]);
}

/**
 * The order claim's `usage.overage_started` (see overageStartedEventsSql), written by usageThresholdEventsSql's
 * insert beside the thresholds.
 */
export interface OverageStarted {
  /** This claim is the period's first overage order (a condition over the claim's row). */
  when: string;
  /** The SQL expressions of the event's figures. */
  limit: string;
  pricePerUnit: string;
  cap: string;
}

/** The dedupe key of `usage.overage_started`: one per vendor and period (the period start to the microsecond). */
export const overageStartedKeySql = (vendorId: string, periodStart: string) =>
  `('overage:' || (${vendorId}) || ':orders:' || floor(extract(epoch FROM (${periodStart})) * 1000000)::bigint)`;

/**
 * The `usage.overage_started` event (CONTRACT §9) of an order claim, as a CTE body over `claimed` (columns
 * vendor_id, period_start) where `when` holds (this claim is the period's first overage order): the dedupe key keeps
 * it once per period. `c` holds the SQL expressions of the event's figures.
 */
export function overageStartedEventsSql(claimed: string, when: string, c: { limit: string; pricePerUnit: string; cap: string }): string {
  return insertEventRowsSql([overageStartedRowsSql(claimed, { when, ...c })]);
}

const overageStartedRowsSql = (claimed: string, c: OverageStarted) => eventRowsSql(`${claimed} WHERE ${c.when}`, {
  type: `'usage.overage_started'`,
  vendorId: `${claimed}.vendor_id`,
  data: `jsonb_build_object('meter', 'orders', 'limit', ${c.limit}, 'price_per_unit_cents', ${c.pricePerUnit}, 'cap_cents', ${c.cap}, 'period_start', ${isoSql(`${claimed}.period_start`)})`,
  dedupeKey: overageStartedKeySql(`${claimed}.vendor_id`, `${claimed}.period_start`),
});

/** A plan row's columns the `subscription.updated` event reports, as SQL expressions (of a row before or after). */
export interface SubscriptionEventColumnsSql {
  tierCode: string;
  status: string;
  cancelAtPeriodEnd: string;
  cancelAt: string;
}

/**
 * The data of `subscription.updated` for one change of a plan row, exactly as the row-level trigger writes it
 * (`platform_events_subscription_updated`, migrations 1764000011000 and 1764000025000): the state after, `previous`
 * with the old value of each field that changed, and `cancel_at` when one is or was set. For a set-based statement
 * that writes its own events (`vb.changes_recorded`, migration 1764000032500); a spec compares the two.
 */
export function subscriptionUpdatedDataSql(before: SubscriptionEventColumnsSql, after: SubscriptionEventColumnsSql): string {
  const previous = (field: string, old: string, now: string, value = old) =>
    `(CASE WHEN ${old} IS DISTINCT FROM ${now} THEN jsonb_build_object('${field}', ${value}) ELSE '{}'::jsonb END)`;
  return `jsonb_build_object('tier_code', ${after.tierCode}, 'status', ${after.status}, 'cancel_at_period_end', ${after.cancelAtPeriodEnd},
      'previous', ${previous('tier_code', before.tierCode, after.tierCode)} || ${previous('status', before.status, after.status)}
        || ${previous('cancel_at_period_end', before.cancelAtPeriodEnd, after.cancelAtPeriodEnd)}
        || ${previous('cancel_at', before.cancelAt, after.cancelAt, isoSql(before.cancelAt))})
    || (CASE WHEN ${after.cancelAt} IS NOT NULL OR ${before.cancelAt} IS DISTINCT FROM ${after.cancelAt}
             THEN jsonb_build_object('cancel_at', ${isoSql(after.cancelAt)}) ELSE '{}'::jsonb END)`;
}

/**
 * The `subscription.updated` events of a set-based statement's plan changes, as a CTE body: one row per row of
 * `from` where a reported field changed, as the trigger would have written it (no dedupe key, so a plain insert).
 */
export function insertSubscriptionUpdatedEventsSql(from: string, vendorId: string, before: SubscriptionEventColumnsSql, after: SubscriptionEventColumnsSql): string {
  const changed = (['tierCode', 'status', 'cancelAtPeriodEnd', 'cancelAt'] as const).map((k) => `${before[k]} IS DISTINCT FROM ${after[k]}`).join(' OR ');
  return `INSERT INTO platform_events (type, vendor_id, data)
    SELECT 'subscription.updated', ${vendorId}, ${subscriptionUpdatedDataSql(before, after)} FROM ${from}
     WHERE ${changed}
    RETURNING id`;
}
