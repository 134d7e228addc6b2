import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import type { Stripe } from '@app/stripe';
import { periodEndFrom } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { fromUnix, idOf, invoiceSubscriptionId, metadataVendorId, queryRows } from './stripe-mapping.js';
import { ignored, processed, type HandlerOutcome } from './webhook-handler.types.js';

interface InvoiceVendorRow {
  id: number;
  vendor_id: number;
  is_annual: boolean;
  stripe_subscription_id: string | null;
}

/** Invoices that open a new billing period of the plan (not prorations or one-off invoices). */
const NEW_PERIOD_REASONS: ReadonlySet<string> = new Set(['subscription_cycle', 'subscription_create']);

/** `invoice.paid` and `invoice.payment_failed`: the billing history row, and the plan's status and period. */
@Injectable()
export class InvoiceEventHandlers {
  constructor(private readonly clock: Clock) {}

  /**
   * Upserts the invoice as paid; for the plan's own subscription: status active, the failure state cleared, and a
   * new billing cycle moves the period and resets `orders_this_period` — only when the invoice's period starts
   * after the stored one, so a second delivery (or a late one) cannot reset twice.
   */
  async invoicePaid(manager: EntityManager, invoice: Stripe.Invoice): Promise<HandlerOutcome> {
    const row = await this.lockVendorRow(manager, invoice);
    if (!row) return ignored(`unknown customer ${idOf(invoice.customer) ?? 'none'} for invoice ${invoice.id}`);
    await this.upsertBillingHistory(manager, row.vendor_id, invoice, 'paid');

    const subscriptionId = invoiceSubscriptionId(invoice);
    if (!subscriptionId || subscriptionId !== row.stripe_subscription_id) return processed();
    const now = this.clock.now();
    const period = NEW_PERIOD_REASONS.has(invoice.billing_reason ?? '') ? newPeriodOf(invoice, row.is_annual) : null;
    await manager.query(
      `UPDATE vendor_subscriptions SET
          status = CASE WHEN status IN ('past_due', 'active') OR (status = 'trial' AND $2 > 0) THEN 'active' ELSE status END,
          past_due_since = CASE WHEN status IN ('past_due', 'active') OR (status = 'trial' AND $2 > 0) THEN NULL ELSE past_due_since END,
          payment_retry_count = 0,
          has_payment_method = has_payment_method OR $2 > 0,
          last_payment_at = GREATEST(last_payment_at, $3::timestamptz),
          orders_this_period = CASE WHEN $4::timestamptz > period_start THEN 0 ELSE orders_this_period END,
          period_end = CASE WHEN $4::timestamptz > period_start THEN $5::timestamptz ELSE period_end END,
          period_start = CASE WHEN $4::timestamptz > period_start THEN $4::timestamptz ELSE period_start END,
          updated_at = $6
        WHERE id = $1`,
      [row.id, invoice.amount_paid, fromUnix(invoice.status_transitions?.paid_at) ?? now, period?.start ?? null, period?.end ?? null, now],
    );
    return processed();
  }

  /**
   * Upserts the invoice as open; for the plan's own subscription: `past_due` (from the first failure on, for the
   * grace period) with the invoice's attempt count — unless the invoice was already paid (a late failure event).
   */
  async invoicePaymentFailed(manager: EntityManager, invoice: Stripe.Invoice): Promise<HandlerOutcome> {
    const row = await this.lockVendorRow(manager, invoice);
    if (!row) return ignored(`unknown customer ${idOf(invoice.customer) ?? 'none'} for invoice ${invoice.id}`);
    const billingStatus = await this.upsertBillingHistory(manager, row.vendor_id, invoice, 'open');
    if (billingStatus === 'paid') return processed(`invoice ${invoice.id} is already paid; the failure changes nothing`);

    const subscriptionId = invoiceSubscriptionId(invoice);
    if (!subscriptionId || subscriptionId !== row.stripe_subscription_id) return processed();
    await manager.query(
      `UPDATE vendor_subscriptions SET
          past_due_since = CASE WHEN status IN ('trial', 'active', 'past_due') THEN COALESCE(past_due_since, $2) ELSE past_due_since END,
          status = CASE WHEN status IN ('trial', 'active', 'past_due') THEN 'past_due' ELSE status END,
          payment_retry_count = $3,
          updated_at = $2
        WHERE id = $1`,
      [row.id, this.clock.now(), Math.max(0, invoice.attempt_count ?? 0)],
    );
    return processed();
  }

  /** The vendor's row by the invoice's subscription, else its customer, else the subscription's `metadata.vendor_id`. */
  private async lockVendorRow(manager: EntityManager, invoice: Stripe.Invoice): Promise<InvoiceVendorRow | undefined> {
    const [row] = await queryRows<InvoiceVendorRow>(
      manager,
      `SELECT id, vendor_id, is_annual, stripe_subscription_id FROM vendor_subscriptions
        WHERE id = COALESCE(
                (SELECT id FROM vendor_subscriptions WHERE stripe_subscription_id = $1),
                (SELECT id FROM vendor_subscriptions WHERE stripe_customer_id = $2),
                (SELECT id FROM vendor_subscriptions WHERE vendor_id = $3))
        FOR UPDATE`,
      [invoiceSubscriptionId(invoice), idOf(invoice.customer), metadataVendorId(invoice.parent?.subscription_details?.metadata)],
    );
    return row;
  }

  /** One row per Stripe invoice; a `paid` row never goes back to `open`. Answers the row's status after the upsert. */
  private async upsertBillingHistory(manager: EntityManager, vendorId: number, invoice: Stripe.Invoice, status: 'paid' | 'open'): Promise<string> {
    const now = this.clock.now();
    const [row] = await queryRows<{ status: string }>(
      manager,
      `INSERT INTO billing_history (vendor_id, stripe_invoice_id, stripe_subscription_id, invoice_number, invoice_date, due_date,
                                    total_cents, amount_paid_cents, currency, status, pdf_url, hosted_url, description, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
       ON CONFLICT (stripe_invoice_id) DO UPDATE SET
         invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
         due_date = EXCLUDED.due_date, total_cents = EXCLUDED.total_cents,
         amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
         status = CASE WHEN billing_history.status = 'paid' THEN 'paid' ELSE EXCLUDED.status END,
         pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url), hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
         updated_at = EXCLUDED.updated_at
       RETURNING status`,
      [
        vendorId,
        invoice.id,
        invoiceSubscriptionId(invoice),
        invoice.number ?? null,
        fromUnix(invoice.created) ?? now,
        fromUnix(invoice.due_date),
        invoice.total ?? 0,
        Math.max(0, invoice.amount_paid ?? 0),
        (invoice.currency ?? 'eur').toLowerCase(),
        status,
        invoice.invoice_pdf ?? null,
        invoice.hosted_invoice_url ?? null,
        invoice.description ?? invoice.lines?.data?.[0]?.description ?? null,
        now,
      ],
    );
    return row.status;
  }
}

/**
 * The period a cycle invoice opens: its subscription lines carry the new period; without lines, a renewal
 * invoice's own period is the one just ended, so the new one starts at its end.
 */
function newPeriodOf(invoice: Stripe.Invoice, isAnnual: boolean): { start: Date; end: Date } | null {
  const lines = invoice.lines?.data ?? [];
  const line = lines.find((l) => l.parent?.type === 'subscription_item_details') ?? lines[0];
  const start = fromUnix(line?.period?.start);
  const end = fromUnix(line?.period?.end);
  if (start && end && end > start) return { start, end };
  if (invoice.billing_reason !== 'subscription_cycle') return null;
  const from = fromUnix(invoice.period_end);
  return from ? { start: from, end: periodEndFrom(from, isAnnual) } : null;
}
