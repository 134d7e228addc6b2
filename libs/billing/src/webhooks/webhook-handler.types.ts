import type { AddParam } from '@app/database';
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
  /** The database's clock when the read began (see StripeStamp.startedAt). */
  startedAt?: string;
}

/**
 * The ledger's claim of an event, for a handler that applies its event in one statement together with the claim
 * (one round trip, one implicit transaction; see StripeWebhookService). `ctes(add, outcome)` defines the CTEs
 * `claim_outcome` — the handler's `outcome`, a query of one row with `status` and `note` (a null status claims
 * nothing) — and `ledger_claim`, the claim itself. The handler's writes must wait on `taken` (SQL: the event was claimed
 * as processed, so a duplicate delivery changes nothing), and its statement answers `report` (a ClaimReport).
 */
export interface LedgerClaim {
  ctes(add: AddParam, outcome: string): string;
  readonly taken: string;
  /** SQL: the claim wrote the ledger row, whatever its status (a handler's write of a needs_attention record waits on it). */
  readonly recorded: string;
  readonly report: string;
}

/** What the claim did: the status the handler wanted, and what the ledger row now says (null: a duplicate). */
export interface ClaimReport {
  wanted: string | null;
  status: string | null;
  note: string | null;
}
