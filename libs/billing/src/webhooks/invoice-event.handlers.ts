import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { fromUnix, idOf, invoiceSubscriptionId, metadataVendorId } from './stripe-mapping.js';
import { ignored, needsAttention, processed, type HandlerOutcome } from './webhook-handler.types.js';

export type InvoiceEventKind = 'invoice.paid' | 'invoice.payment_failed';

/** Invoices that open a new billing period of the plan (not prorations or one-off invoices). */
const NEW_PERIOD_REASONS: ReadonlySet<string> = new Set(['subscription_cycle', 'subscription_create']);

/** The largest amount a cents column holds (PostgreSQL integer). */
const MAX_CENTS = 2_147_483_647;

/**
 * `invoice.paid` and `invoice.payment_failed` inside the caller's transaction (the event already claimed): the
 * billing history row is upserted by Stripe invoice id (a paid row never goes back to open), and when the invoice
 * is the plan's own subscription's, the subscription lib's writer applies what it means for the plan.
 */
@Injectable()
export class InvoiceEventHandlers {
  constructor(
    private readonly writer: SubscriptionWriter,
    private readonly clock: Clock,
    private readonly platformEvents: PlatformEventWriter,
  ) {}

  async handle(manager: EntityManager, kind: InvoiceEventKind, invoice: Stripe.Invoice): Promise<HandlerOutcome> {
    const subscriptionId = invoiceSubscriptionId(invoice);
    const vendor = await this.writer.findVendorOf(manager, {
      subscriptionId,
      customerId: idOf(invoice.customer),
      vendorId: metadataVendorId(invoice.parent?.subscription_details?.metadata),
    });
    if (!vendor) return ignored(`unknown customer ${idOf(invoice.customer) ?? 'none'} for invoice ${invoice.id}`);
    const outOfRange = (['total', 'amount_paid', 'amount_due', 'attempt_count'] as const).find((k) => Math.abs(invoice[k] ?? 0) > MAX_CENTS || !Number.isInteger(invoice[k] ?? 0));
    if (outOfRange) return needsAttention(`invoice ${invoice.id}: ${outOfRange} ${invoice[outOfRange]} is out of range`);

    const billStatus = await this.upsertBillingHistory(manager, vendor.vendorId, subscriptionId, kind, invoice);
    if (kind === 'invoice.payment_failed' && billStatus !== 'paid') await this.reportPaymentFailed(manager, vendor.vendorId, invoice);
    const ofPlan = subscriptionId !== null && subscriptionId === vendor.stripeSubscriptionId;
    if (!ofPlan) return processed();
    if (kind === 'invoice.paid') {
      await this.writer.applyInvoicePaid(manager, vendor.vendorId, subscriptionId, {
        amountPaidCents: Math.max(0, invoice.amount_paid ?? 0),
        paidAt: fromUnix(invoice.status_transitions?.paid_at) ?? this.clock.now(),
        newPeriod: NEW_PERIOD_REASONS.has(invoice.billing_reason ?? '') ? newPeriodOf(invoice) : null,
      });
      return processed();
    }
    if (billStatus === 'paid') return processed(`invoice ${invoice.id} is already paid; the failure changes nothing`);
    await this.writer.applyPaymentFailed(manager, vendor.vendorId, subscriptionId, Math.max(0, invoice.attempt_count ?? 0));
    return processed();
  }

  /** `payment.failed` (CONTRACT §9), in the event's transaction. */
  private async reportPaymentFailed(manager: EntityManager, vendorId: number, invoice: Stripe.Invoice): Promise<void> {
    await this.platformEvents.recordPaymentFailed(manager, vendorId, {
      invoice_id: invoice.id!,
      amount_due_cents: invoice.amount_due ?? 0,
      attempt_count: invoice.attempt_count ?? 0,
      next_payment_attempt: fromUnix(invoice.next_payment_attempt)?.toISOString() ?? null,
    });
  }

  /** The billing history row of the invoice, by Stripe invoice id; answers its status after the upsert. */
  private async upsertBillingHistory(manager: EntityManager, vendorId: number, subscriptionId: string | null, kind: InvoiceEventKind, invoice: Stripe.Invoice): Promise<string> {
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
        vendorId, invoice.id, subscriptionId, invoice.number ?? null, fromUnix(invoice.created) ?? now, fromUnix(invoice.due_date),
        invoice.total ?? 0, Math.max(0, invoice.amount_paid ?? 0), (invoice.currency ?? 'eur').toLowerCase(), kind === 'invoice.paid' ? 'paid' : 'open',
        invoice.invoice_pdf ?? null, invoice.hosted_invoice_url ?? null, invoice.description ?? invoice.lines?.data?.[0]?.description ?? null, now,
      ],
    );
    return row.status;
  }
}

/**
 * The new period a cycle invoice opens: the period of its subscription line; without lines, a renewal invoice's
 * own period is the one just ended, so the new one starts at its end (and its end follows from the interval).
 */
function newPeriodOf(invoice: Stripe.Invoice): { start: Date; end: Date | null } | null {
  const lines = invoice.lines?.data ?? [];
  const line = lines.find((l) => l.parent?.type === 'subscription_item_details') ?? lines[0];
  const start = fromUnix(line?.period?.start);
  const end = fromUnix(line?.period?.end);
  if (start && end && end > start) return { start, end };
  const from = invoice.billing_reason === 'subscription_cycle' ? fromUnix(invoice.period_end) : null;
  return from ? { start: from, end: null } : null;
}
