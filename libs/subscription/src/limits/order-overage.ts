/**
 * Overage of orders (CONTRACT §12), as SQL inside an order claim whose $2 is "now", over a subscription row `s` (an
 * alias of vendor_subscriptions, or a CTE with its columns) and the claim's tier row `tier` (the CTE `tier_row` of
 * the claim, or a CTE carrying overageTierColumnsSql's columns). Only the order claim uses these; products and
 * team seats stay hard-limited. The claim evaluates them only when the plain limit has no room (an OR's second arm,
 * a CASE's ELSE), so an order within the limit costs what it cost before.
 */

/**
 * The tier row's overage columns, read once per claim (`tier`: the subscription's tier, LEFT JOINed;
 * `pendingActive`: whether a tier change is in flight): the tier's price of one order past the limit — NULL while a
 * tier change is in flight (its Stripe call: the lower limit of the two holds then, as for every meter, and the
 * change bills the overage its removed metered item counted; an order taken meanwhile would be counted by neither
 * item) — and the default cap, the tier's monthly price (none: 0).
 */
export const overageTierColumnsSql = (tier: string, pendingActive: string) =>
  `CASE WHEN ${pendingActive} THEN NULL ELSE ${tier}.orders_overage_price_cents END AS overage_price_cents,
      COALESCE(${tier}.price_monthly_cents, 0)::bigint AS default_cap_cents, ${tier}.stripe_overage_price_id AS metered_price_id`;

/**
 * The price of one order past the limit on `s`, or NULL: a hard limit. NULL when the tier has none (see
 * overageTierColumnsSql), and when nothing bills it: no Stripe subscription (a trial before Checkout, a tier
 * assigned by hand), or one whose items (`stripe_item_price_ids`, as last recorded from Stripe) lack the tier's
 * metered price — an annual plan, which carries none (Stripe keeps a subscription's items on one interval), a
 * subscription from before its tier priced overage or before that price changed.
 */
export const overagePriceSql = (s: string, tier: string) => `(CASE WHEN ${s}.stripe_subscription_id IS NULL OR ${s}.is_annual
      OR (${tier}.metered_price_id = ANY(${s}.stripe_item_price_ids)) IS NOT TRUE THEN NULL ELSE ${tier}.overage_price_cents END)`;

/** The vendor's cap on a period's overage amount, NULL: no cap (`none`). Default: the tier's monthly price. */
export const overageCapSql = (s: string, tier: string) => `(CASE ${s}.overage_cap_mode WHEN 'none' THEN NULL WHEN 'custom' THEN ${s}.overage_cap_cents ELSE ${tier}.default_cap_cents END)`;

/** Whether `s`'s overage counters belong to its current period (else they read as zero). */
const inPeriod = (s: string) => `${s}.overage_period_start >= ${s}.period_start`;
/** This period's overage orders and amount of `s`. */
export const overageOrdersSql = (s: string) => `(CASE WHEN ${inPeriod(s)} THEN ${s}.overage_orders ELSE 0 END)`;
export const overageAmountSql = (s: string) => `(CASE WHEN ${inPeriod(s)} THEN ${s}.overage_amount_cents ELSE 0 END)`;

/** One more overage order fits `s`: a price, and the amount with it within the cap. */
export const overageFitsSql = (s: string, tier: string) => `(${overagePriceSql(s, tier)} IS NOT NULL
      AND (${overageCapSql(s, tier)} IS NULL OR ${overageAmountSql(s)} + ${overagePriceSql(s, tier)} <= ${overageCapSql(s, tier)}))`;

/**
 * The order claim's SET of the overage counters: unchanged when the order is within the limit (`withinLimit`, a
 * boolean expression over columns only: repeating it costs nothing), else one more order at the price, in the
 * current period.
 */
export const overageCountersSetSql = (s: string, tier: string, withinLimit: string) => `overage_orders = CASE WHEN ${withinLimit} THEN ${s}.overage_orders ELSE ${overageOrdersSql(s)} + 1 END,
      overage_amount_cents = CASE WHEN ${withinLimit} THEN ${s}.overage_amount_cents ELSE ${overageAmountSql(s)} + ${overagePriceSql(s, tier)} END,
      overage_period_start = CASE WHEN ${withinLimit} THEN ${s}.overage_period_start ELSE ${s}.period_start END`;
