import { queryRows } from '@app/database';
import type { EntityManager } from 'typeorm';
import type { LimitType, LimitViolation } from '../subscription.errors.js';
import { DEFAULT_LIMITS_JSON } from '../tiers/tier-info.js';

/**
 * "Usage fits the tier", once (STYLE.md "Data"): what a tier's limit is, and when a count fits it. The limit claims,
 * the pending-tier hold before a downgrade, a local tier change, the admin's tier assignment and the violations a
 * refused downgrade reports all build on these expressions; nothing else compares a counter with a limit.
 */

export interface Meter {
  limitType: LimitType;
  /** The usage counter on vendor_subscriptions. */
  counter: 'products_count' | 'orders_this_period' | 'team_members_count';
  /** The limit column on subscription_tiers. */
  limitColumn: 'products_limit' | 'orders_per_month' | 'team_members';
}

export const PRODUCTS: Meter = { limitType: 'products', counter: 'products_count', limitColumn: 'products_limit' };
export const ORDERS: Meter = { limitType: 'orders', counter: 'orders_this_period', limitColumn: 'orders_per_month' };
export const TEAM: Meter = { limitType: 'team_members', counter: 'team_members_count', limitColumn: 'team_members' };
/** In the order a refusal lists them. */
export const METERS: readonly Meter[] = [PRODUCTS, ORDERS, TEAM];

/**
 * The limit of tier `code` (an SQL expression) for a meter: the table's row, else the built-in default (`defaults`,
 * DEFAULT_LIMITS_JSON as jsonb), else 0. NULL = unlimited.
 */
export const tierLimitSql = (m: Meter, code: string, defaults: string) => `(SELECT ${tierLimitOfRowSql(m, 'tier_row', code, defaults)}
   FROM (SELECT 1) AS one LEFT JOIN subscription_tiers tier_row ON tier_row.code = ${code})`;

/**
 * tierLimitSql over a tier row the caller joined already (`row`: subscription_tiers LEFT JOINed on `code`, its
 * columns null when there is none): the same rule, for a statement that reads the tier once (the limit claims).
 */
export const tierLimitOfRowSql = (m: Meter, row: string, code: string, defaults: string) => `CASE WHEN ${row}.id IS NOT NULL THEN ${row}.${m.limitColumn}
      WHEN (${defaults}::jsonb -> ${code}) IS NOT NULL THEN (${defaults}::jsonb -> ${code} ->> '${m.limitType}')::int
      ELSE 0 END`;

/** A count fits a limit when it is at most the limit; a NULL limit is unlimited. */
export const fitsSql = (count: string, limit: string) => `COALESCE(${count} <= ${limit}, true)`;

/**
 * The limit a usage must fit to be on tier `code`: the tier's, except orders of a vendor Stripe bills on a tier that
 * prices overage (CONTRACT §12) — there orders past the limit are billed, not refused, so any count fits.
 */
const fitLimitSql = (m: Meter, s: string, code: string, defaults: string) => m !== ORDERS ? tierLimitSql(m, code, defaults)
  : `(CASE WHEN ${s}.stripe_subscription_id IS NOT NULL
        AND (SELECT t.orders_overage_price_cents FROM subscription_tiers t WHERE t.code = ${code}) IS NOT NULL THEN NULL
      ELSE ${tierLimitSql(m, code, defaults)} END)`;

/**
 * Each meter of the subscription row `s` against tier `code`, as rows `usage(ord, limit_type, current, "limit")`
 * (a LATERAL FROM item).
 */
const meterUsageSql = (s: string, code: string, defaults: string) => `(VALUES ${METERS.map(
  (m, i) => `(${i + 1}, '${m.limitType}', ${s}.${m.counter}, ${fitLimitSql(m, s, code, defaults)})`,
).join(',\n      ')}) AS usage(ord, limit_type, current, "limit")`;

/** Every counter of the subscription row `s` fits tier `code` (a boolean expression). */
export const usageFitsTierSql = (s: string, code: string, defaults: string) =>
  `NOT EXISTS (SELECT 1 FROM ${meterUsageSql(s, code, defaults)} WHERE NOT ${fitsSql('usage.current', 'usage."limit"')})`;

/** $1 vendor id, $2 tier code, $3 DEFAULT_LIMITS_JSON: each counter above the tier's limit, in METERS order. */
export const TIER_VIOLATIONS = `SELECT usage.limit_type, usage.current, usage."limit"
  FROM vendor_subscriptions AS subscription CROSS JOIN LATERAL ${meterUsageSql('subscription', '$2::varchar', '$3')}
 WHERE subscription.vendor_id = $1 AND NOT ${fitsSql('usage.current', 'usage."limit"')}
 ORDER BY usage.ord`;

/** The counters of the vendor's row above tier `tierCode`'s limits (empty: its usage fits), on the caller's manager. */
export function tierViolations(manager: EntityManager, vendorId: number, tierCode: string): Promise<LimitViolation[]> {
  return queryRows<LimitViolation>(manager, TIER_VIOLATIONS, [vendorId, tierCode, DEFAULT_LIMITS_JSON]);
}
