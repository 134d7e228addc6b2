import { Injectable } from '@nestjs/common';
import { queryRows } from '@app/database';
import { Clock } from '@app/common';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import type { EntityManager } from 'typeorm';
import { fromUnix, idOf, invoiceSubscriptionId, metadataVendorId, SqlParams } from './stripe-mapping.js';
import { ignored, processed, type HandlerOutcome } from './webhook-handler.types.js';

export type InvoiceEventKind = 'invoice.paid' | 'invoice.payment_failed';

export interface InvoiceStatementResult {
  /** The vendor's row was found (else the event is ignored). */
  found: number;
  /** The event was claimed by this statement (always 1 when the caller claimed it before). */
  claimed: number;
  /** The billing history row's status after the upsert. */
  bill_status: string | null;
}

/** Invoices that open a new billing period of the plan (not prorations or one-off invoices). */
const NEW_PERIOD_REASONS: ReadonlySet<string> = new Set(['subscription_cycle', 'subscription_create']);

/**
 * One statement for an invoice event: lock the vendor's row (by the invoice's subscription, else its customer,
 * else the subscription's `metadata.vendor_id`), upsert the billing history row by Stripe invoice id (a paid row
 * never goes back to open), and change the plan's row when the invoice is the plan's own subscription's:
 * - paid: status active (a trial only once money was paid), failure state cleared; a cycle invoice whose period
 *   starts after the stored one moves the period and resets `orders_this_period` — so a second or late delivery
 *   can never reset twice;
 * - payment_failed: past_due from the first failure on (the grace period counts from there), the attempt count —
 *   unless the invoice is already paid (a late failure).
 * `claim` is a CTE named `claim` that may read `target` (the one-statement fast path claims the event here), or
 * null when the caller's transaction has claimed it already.
 */
export function invoiceStatement(p: SqlParams, kind: InvoiceEventKind, invoice: Stripe.Invoice, now: Date, claim: ((p: SqlParams) => string) | null): string {
  const subscriptionId = p.add(invoiceSubscriptionId(invoice), 'varchar');
  const nowP = p.add(now, 'timestamptz');
  const target = `target AS (
      SELECT id, vendor_id, stripe_subscription_id, is_annual FROM vendor_subscriptions
       WHERE vendor_subscriptions.id = COALESCE(
               (SELECT id FROM vendor_subscriptions WHERE stripe_subscription_id = ${subscriptionId}),
               (SELECT id FROM vendor_subscriptions WHERE stripe_customer_id = ${p.add(idOf(invoice.customer), 'varchar')}),
               (SELECT id FROM vendor_subscriptions WHERE vendor_id = ${p.add(metadataVendorId(invoice.parent?.subscription_details?.metadata), 'int')}))
       FOR UPDATE)`;
  const claimed = claim ? claim(p) : `claim AS (SELECT 1 AS id)`;
  const status = kind === 'invoice.paid' ? 'paid' : 'open';
  const bill = `bill AS (
      INSERT INTO billing_history (vendor_id, stripe_invoice_id, stripe_subscription_id, invoice_number, invoice_date, due_date,
                                   total_cents, amount_paid_cents, currency, status, pdf_url, hosted_url, description, created_at, updated_at)
      SELECT target.vendor_id, ${p.add(invoice.id, 'varchar')}, ${subscriptionId}, ${p.add(invoice.number ?? null, 'varchar')},
             ${p.add(fromUnix(invoice.created) ?? now, 'timestamptz')}, ${p.add(fromUnix(invoice.due_date), 'timestamptz')},
             ${p.add(invoice.total ?? 0, 'int')}, ${p.add(Math.max(0, invoice.amount_paid ?? 0), 'int')},
             ${p.add((invoice.currency ?? 'eur').toLowerCase(), 'varchar')}, ${p.add(status, 'varchar')},
             ${p.add(invoice.invoice_pdf ?? null, 'text')}, ${p.add(invoice.hosted_invoice_url ?? null, 'text')},
             ${p.add(invoice.description ?? invoice.lines?.data?.[0]?.description ?? null, 'text')}, ${nowP}, ${nowP}
        FROM target WHERE EXISTS (SELECT 1 FROM claim)
      ON CONFLICT (stripe_invoice_id) DO UPDATE SET
        invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
        due_date = EXCLUDED.due_date, total_cents = EXCLUDED.total_cents,
        amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
        status = CASE WHEN billing_history.status = 'paid' THEN 'paid' ELSE EXCLUDED.status END,
        pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url), hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
        updated_at = EXCLUDED.updated_at
      RETURNING status)`;
  const planWhere = `s.id = target.id AND target.stripe_subscription_id = ${subscriptionId} AND EXISTS (SELECT 1 FROM claim)`;
  let plan: string;
  if (kind === 'invoice.paid') {
    const paidMoney = p.add(Math.max(0, invoice.amount_paid ?? 0), 'int');
    const becomesActive = `(s.status IN ('past_due', 'active') OR (s.status = 'trial' AND ${paidMoney} > 0))`;
    const period = NEW_PERIOD_REASONS.has(invoice.billing_reason ?? '') ? linePeriodOf(invoice) : null;
    // Without lines, a renewal invoice's own period is the one just ended: the new one starts at its end.
    const fallback = !period && invoice.billing_reason === 'subscription_cycle' ? fromUnix(invoice.period_end) : null;
    const from = p.add(fallback, 'timestamptz');
    const start = `COALESCE(${p.add(period?.start ?? null, 'timestamptz')}, ${from})`;
    const end = `COALESCE(${p.add(period?.end ?? null, 'timestamptz')}, CASE WHEN target.is_annual THEN ${from} + interval '1 year' ELSE ${from} + interval '1 month' END)`;
    plan = `plan AS (
      UPDATE vendor_subscriptions s SET
        status = CASE WHEN ${becomesActive} THEN 'active' ELSE s.status END,
        past_due_since = CASE WHEN ${becomesActive} THEN NULL ELSE s.past_due_since END,
        payment_retry_count = 0,
        has_payment_method = s.has_payment_method OR ${paidMoney} > 0,
        last_payment_at = GREATEST(s.last_payment_at, ${p.add(fromUnix(invoice.status_transitions?.paid_at) ?? now, 'timestamptz')}),
        orders_this_period = CASE WHEN ${start} > s.period_start THEN 0 ELSE s.orders_this_period END,
        period_end = CASE WHEN ${start} > s.period_start THEN ${end} ELSE s.period_end END,
        period_start = CASE WHEN ${start} > s.period_start THEN ${start} ELSE s.period_start END,
        updated_at = ${nowP}
      FROM target WHERE ${planWhere}
      RETURNING s.id)`;
  } else {
    const open = `s.status IN ('trial', 'active', 'past_due')`;
    plan = `plan AS (
      UPDATE vendor_subscriptions s SET
        past_due_since = CASE WHEN ${open} THEN COALESCE(s.past_due_since, ${nowP}) ELSE s.past_due_since END,
        status = CASE WHEN ${open} THEN 'past_due' ELSE s.status END,
        payment_retry_count = ${p.add(Math.max(0, invoice.attempt_count ?? 0), 'int')},
        updated_at = ${nowP}
      FROM target WHERE ${planWhere} AND (SELECT status FROM bill) IS DISTINCT FROM 'paid'
      RETURNING s.id)`;
  }
  return `WITH ${target}, ${claimed}, ${bill}, ${plan}
    SELECT (SELECT count(*) FROM target)::int AS found, (SELECT count(*) FROM claim)::int AS claimed, (SELECT status FROM bill) AS bill_status`;
}

/** What an applied invoice statement means for the ledger. */
export function invoiceOutcome(kind: InvoiceEventKind, invoice: Stripe.Invoice, result: InvoiceStatementResult): HandlerOutcome {
  if (!result.found) return ignored(`unknown customer ${idOf(invoice.customer) ?? 'none'} for invoice ${invoice.id}`);
  if (kind === 'invoice.payment_failed' && result.bill_status === 'paid') return processed(`invoice ${invoice.id} is already paid; the failure changes nothing`);
  return processed();
}

/** `invoice.paid` and `invoice.payment_failed` inside the caller's transaction (the event already claimed). */
@Injectable()
export class InvoiceEventHandlers {
  constructor(
    private readonly clock: Clock,
    private readonly platformEvents: PlatformEventWriter,
  ) {}

  async handle(manager: EntityManager, kind: InvoiceEventKind, invoice: Stripe.Invoice): Promise<HandlerOutcome> {
    const p = new SqlParams();
    const sql = invoiceStatement(p, kind, invoice, this.clock.now(), null);
    const [result] = await queryRows<InvoiceStatementResult>(manager, sql, p.values);
    if (kind === 'invoice.payment_failed' && result.found && result.bill_status !== 'paid') await this.reportPaymentFailed(manager, invoice);
    return invoiceOutcome(kind, invoice, result);
  }

  /** `payment.failed` (CONTRACT §9) in the event's transaction, for the vendor the statement filed the invoice under. */
  private async reportPaymentFailed(manager: EntityManager, invoice: Stripe.Invoice): Promise<void> {
    const [bill] = await queryRows<{ vendor_id: number }>(manager, `SELECT vendor_id FROM billing_history WHERE stripe_invoice_id = $1`, [invoice.id]);
    if (!bill) return;
    await this.platformEvents.recordPaymentFailed(manager, bill.vendor_id, {
      invoice_id: invoice.id!,
      amount_due_cents: invoice.amount_due ?? 0,
      attempt_count: invoice.attempt_count ?? 0,
      next_payment_attempt: fromUnix(invoice.next_payment_attempt)?.toISOString() ?? null,
    });
  }
}

/** The new period a cycle invoice opens: the period of its subscription line. */
function linePeriodOf(invoice: Stripe.Invoice): { start: Date; end: Date } | null {
  const lines = invoice.lines?.data ?? [];
  const line = lines.find((l) => l.parent?.type === 'subscription_item_details') ?? lines[0];
  const start = fromUnix(line?.period?.start);
  const end = fromUnix(line?.period?.end);
  return start && end && end > start ? { start, end } : null;
}
