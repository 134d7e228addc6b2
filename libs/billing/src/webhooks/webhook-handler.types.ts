import type { Stripe } from '@app/stripe';

/**
 * What a handler did with an event: `processed` (an effect, or a recorded skip with a note), `ignored` (why), or
 * `needs_attention` (signed and paid for, but it cannot be applied: an admin must look). `reread` asks the caller
 * to roll back, read the subscription from Stripe (outside the transaction) and run the event again with it.
 */
export type HandlerOutcome =
  | { status: 'processed' | 'ignored' | 'needs_attention'; note?: string }
  | { status: 'reread'; subscriptionId: string };

export const processed = (note?: string): HandlerOutcome => ({ status: 'processed', ...(note && { note }) });
export const ignored = (note: string): HandlerOutcome => ({ status: 'ignored', note });
export const needsAttention = (note: string): HandlerOutcome => ({ status: 'needs_attention', note });

/** Stripe objects an event's handler needs, read from Stripe before its transaction opens (never inside it). */
export interface Prefetched {
  /** The subscription as Stripe holds it now (a Checkout's subscription, or a tie's re-read). */
  subscription?: Stripe.Subscription;
  /** When it was read: the whole second the read began. */
  readAt?: Date;
}
