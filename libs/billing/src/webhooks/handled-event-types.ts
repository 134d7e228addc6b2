/**
 * The Stripe event types the system acts on (CONTRACT §6): the one list. The webhook endpoint's handlers are keyed
 * by it, the metrics label by it, and the hourly recovery asks Stripe for exactly these.
 */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.expired',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

const HANDLED: ReadonlySet<string> = new Set(HANDLED_EVENT_TYPES);

export function isHandledEventType(type: string): type is HandledEventType {
  return HANDLED.has(type);
}
