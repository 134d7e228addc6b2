/**
 * "Which vendor is this Stripe object", once (STYLE.md "Data"), for every path that meets one — a subscription's
 * patch, an invoice, a paid Checkout: the row of its `metadata.vendor_id` (we write it on every Checkout, its
 * subscription and the customer), else the row linked to its subscription, else its customer's. Each key is an SQL
 * expression, NULL when the object does not carry it. Answers what follows `FROM vendor_subscriptions`: the matching
 * rows, best first, at most one; `also` narrows them (a condition on the row).
 */
export function vendorLookupSql(keys: { vendorId: string; subscriptionId: string; customerId: string }, also?: string): string {
  return `WHERE (vendor_id = ${keys.vendorId} OR stripe_subscription_id = ${keys.subscriptionId} OR stripe_customer_id = ${keys.customerId})${also ? `\n           AND ${also}` : ''}
         ORDER BY (vendor_id = ${keys.vendorId}) IS TRUE DESC, (stripe_subscription_id = ${keys.subscriptionId}) IS TRUE DESC
         LIMIT 1`;
}
