import type { AddParam } from '@app/database';
import { subscriptionNeedsAttentionSql } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { secondLiveReasonSql, type FusedStep } from '@app/subscription';
import type { LedgerClaim, Prefetched } from './webhook-handler.types.js';

/**
 * The `stripe_webhook_events` ledger's SQL: written only from here (the webhook service runs it, a handler's one
 * statement embeds it through a LedgerClaim).
 */

/** An event on its way into the ledger. */
export interface Claim {
  event: Stripe.Event;
  payload: string;
  /** Stripe's `created`; null when it is no plausible time (the event is then only recorded, ignored). */
  createdAt: Date | null;
  replay: boolean;
  now: Date;
}

/**
 * The claim of an event, one statement: a new id is inserted with the status and note that `outcome` (a subquery
 * of one row, `status` and `note`; a null status claims nothing) gives; a failed one — or, on an admin's replay,
 * an ignored or needs-attention one — is taken again with one more attempt (a `processing` one, the same
 * delivery's run after a re-read, with none); one that is done is left as it is and nothing is returned. A
 * concurrent delivery of the same id waits for the first one's commit here (the unique index), then finds it done.
 * `failed` keeps `processed_at` empty.
 */
export function claimSql(add: AddParam, claim: Claim, outcome: string): string {
  const now = add(claim.now, 'timestamptz', 'now');
  return `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT ${add(claim.event.id, 'varchar', 'event.id')}, ${add(String(claim.event.type).slice(0, 100), 'varchar', 'event.type')}, claim_outcome.status, 1, left(claim_outcome.note, 2000), ${add(claim.payload, 'jsonb', 'payload')},
           ${add(claim.createdAt, 'timestamptz', 'event.created')}, ${now}, CASE WHEN claim_outcome.status = 'failed' THEN NULL ELSE ${now} END
      FROM ${outcome} AS claim_outcome WHERE claim_outcome.status IS NOT NULL
    ON CONFLICT (event_id) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error,
           attempts = stripe_webhook_events.attempts + CASE WHEN stripe_webhook_events.status = 'processing' THEN 0 ELSE 1 END,
           processed_at = EXCLUDED.processed_at, payload = COALESCE(stripe_webhook_events.payload, EXCLUDED.payload)
     WHERE stripe_webhook_events.status <> 'processed' AND (${add(claim.replay, 'boolean', 'replay')} OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention'))
    RETURNING status, error`;
}

/** An outcome known before the statement runs, for claimSql. */
export function fixedOutcome(add: AddParam, status: string, note: string | null): string {
  return `(SELECT ${add(status, 'varchar', 'status')} AS status, ${add(note, 'text', 'note')} AS note)`;
}

/** The claim for a handler's one statement (see LedgerClaim). */
export function ledgerClaim(claim: Claim): LedgerClaim {
  return {
    ctes: (add, outcome) => `claim_outcome AS (${outcome}),\n      ledger_claim AS (${claimSql(add, claim, 'claim_outcome')})`,
    taken: `EXISTS (SELECT 1 FROM ledger_claim WHERE status = 'processed')`,
    recorded: `EXISTS (SELECT 1 FROM ledger_claim)`,
    report: `(SELECT json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error) FROM claim_outcome LEFT JOIN ledger_claim ON true)`,
  };
}

/** The note of an event settled by Stripe's current object: a same-second tie, or an older event with another plan. */
export const REREAD_NOTE = 'settled by a re-read (a same-second tie, or an older event with another plan): applied the subscription as Stripe holds it now';

/**
 * What the claim of a plan's subscription event records, from the writer's `verdict`: applied or skipped
 * (`processed`, with why it was skipped); a tie (or an older event with another plan, 'behind') kept as
 * `processing` — the caller re-reads Stripe and runs the event again, which takes it up (were the process to die
 * meanwhile, Stripe's retry or the hourly recovery would); no vendor: `ignored`, unless the subscription pays for an
 * add-on (then nothing is claimed, and the add-on code applies it in a transaction). A second live plan subscription
 * is `needs_attention` with the reason when this statement wrote its platform event (`reported`: the CTE of that
 * insert, see planEventStep), else a recorded skip. A second delivery of an event applied meanwhile finds the
 * ledger row done.
 */
export function subscriptionOutcomeSql(add: AddParam, subscriptionId: string, prefetched: Prefetched, reported: string): string {
  const sub = add(subscriptionId, 'varchar', 'subscription.id');
  const reportedNow = `EXISTS (SELECT 1 FROM ${reported})`;
  return `SELECT CASE WHEN verdict.vendor_id IS NOT NULL THEN CASE WHEN verdict.verdict IN ('tie', 'behind') THEN 'processing'
                                                        WHEN verdict.verdict = 'second_live' AND ${reportedNow} THEN 'needs_attention'
                                                        ELSE 'processed' END
                      WHEN EXISTS (SELECT 1 FROM vendor_add_ons WHERE stripe_subscription_id = ${sub}) THEN NULL
                      ELSE 'ignored' END AS status,
                 CASE WHEN verdict.vendor_id IS NULL THEN 'no vendor for subscription ' || ${sub}
                      WHEN verdict.verdict = 'tie' THEN 'same-second tie: re-reading the subscription from Stripe'
                      WHEN verdict.verdict = 'behind' THEN 'older than the last applied event, with a plan the row does not have: re-reading the subscription from Stripe'
                      WHEN verdict.verdict = 'stale' THEN 'skipped: older than the last applied event (' || verdict.stripe_watermark || ')'
                      WHEN verdict.verdict = 'second_live' THEN CASE WHEN ${reportedNow} THEN '' ELSE 'skipped (reported before): ' END || ${secondLiveReasonSql(sub, 'verdict.stripe_subscription_id')}
                      WHEN verdict.verdict = 'not_current' THEN 'skipped: subscription ' || ${sub} || ' has ended and is not the vendor''s current subscription ' || verdict.stripe_subscription_id
                      ELSE ${add(prefetched.subscription ? REREAD_NOTE : null, 'text', 'note when applied (a re-read: REREAD_NOTE)')} END AS note
            FROM (SELECT 1) AS one LEFT JOIN verdict ON true`;
}

/**
 * The ledger's claim as the step fused into the writer's statement for a plan's subscription event; before it, when
 * the verdict is a second live plan subscription, the `subscription.needs_attention` platform event, under the
 * vendor's row lock the verdict took. Whether it is new decides the claim (see subscriptionOutcomeSql): the insert's
 * `ON CONFLICT` sees an event a concurrent delivery committed after this statement's snapshot was taken (an `EXISTS`
 * would not — two events of one second live subscription, delivered at once, were both recorded `needs_attention`).
 */
export function planEventStep(ledger: LedgerClaim, subscriptionId: string, prefetched: Prefetched): FusedStep {
  return {
    ctes: (add) => `second_live_report AS (${subscriptionNeedsAttentionSql(
        add, 'verdict', { stripe_subscription_id: subscriptionId }, secondLiveReasonSql(add(subscriptionId, 'varchar', 'subscription.id'), 'vendor_row.stripe_subscription_id'),
        `verdict.verdict = 'second_live'`,
      )}),
      ${ledger.ctes(add, subscriptionOutcomeSql(add, subscriptionId, prefetched, 'second_live_report'))}`,
    requires: ledger.taken,
    report: ledger.report,
  };
}
