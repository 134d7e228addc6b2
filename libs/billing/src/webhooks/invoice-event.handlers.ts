import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows, SqlParams, type AddParam, type ComposedStatement } from '@app/database';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { fromUnix, idOf, invoiceLineKind, invoiceSubscriptionId, invoiceSubscriptionMetadata, metadataVendorId } from './stripe-mapping.js';
import type { ClaimReport, LedgerClaim } from './webhook-handler.types.js';

export type InvoiceEventKind = 'invoice.paid' | 'invoice.payment_failed';

/** Invoices that open a new billing period of the plan (not prorations or one-off invoices). */
const NEW_PERIOD_REASONS: ReadonlySet<string> = new Set(['subscription_cycle', 'subscription_create']);

/** The largest amount a cents column holds (PostgreSQL integer). */
const MAX_CENTS = 2_147_483_647;

/**
 * `invoice.paid` and `invoice.payment_failed`, each as one statement with the ledger's claim (no transaction of
 * its own): the vendor's row is found and locked, the event claimed, the billing history row upserted by Stripe
 * invoice id (a paid row never goes back to open); when the invoice is the plan's own subscription's, the
 * subscription lib's writer applies what it means for the plan (on the row as locked, under the event-time
 * watermark), and a failure that left the invoice unpaid is reported as `payment.failed` by the platform events'
 * writer. Each owner writes its part of the statement.
 *
 * An invoice may arrive before the `customer.subscription.created` (or the Checkout) that links its subscription to
 * the vendor: the row is found but holds no subscription, or no row is found (no metadata, the customer not linked
 * yet). Then the claim is kept `processing` and nothing else is written; the caller reads the subscription from
 * Stripe and, in one transaction, applies it as any read is (it links the vendor) and runs the invoice again with
 * `afterRead` (no second read). A first payment thus activates the plan whatever the order of its events.
 */
@Injectable()
export class InvoiceEventHandlers {
  constructor(
    private readonly writer: SubscriptionWriter,
    private readonly clock: Clock,
    private readonly platformEvents: PlatformEventWriter,
  ) {}

  /**
   * The invoice's effect with its claim. `eventAt`: Stripe's `created` of the event (the watermark's time). The
   * claim's report says `processing` when the invoice's subscription must be read and linked first (see above).
   */
  async handle(manager: EntityManager, kind: InvoiceEventKind, invoice: Stripe.Invoice, claim: LedgerClaim, eventAt: Date, opts: { afterRead?: boolean } = {}): Promise<ClaimReport> {
    const { text, params } = this.statement(kind, invoice, claim, eventAt, opts);
    const [row] = await queryRows<{ report: ClaimReport }>(manager, text, params.values, { reusePlan: true });
    return row.report;
  }

  /** handle's statement (pure: rendered into invoice-event.handlers.queries.sql). */
  statement(kind: InvoiceEventKind, invoice: Stripe.Invoice, claim: LedgerClaim, eventAt: Date, opts: { afterRead?: boolean } = {}): ComposedStatement {
    const params = new SqlParams();
    const add = params.add;
    const subscriptionId = invoiceSubscriptionId(invoice);
    const failed = kind === 'invoice.payment_failed';
    const vendor = this.writer.vendorOfSql(add, { subscriptionId, customerId: idOf(invoice.customer), vendorId: metadataVendorId(invoiceSubscriptionMetadata(invoice)) }, { lock: true });
    const outOfRange = (['total', 'amount_paid', 'amount_due', 'attempt_count'] as const).find((k) => Math.abs(invoice[k] ?? 0) > MAX_CENTS || !Number.isInteger(invoice[k] ?? 0));
    const invoiceId = add(invoice.id, 'varchar');
    const unstorable = add(Boolean(outOfRange), 'boolean');
    // Not linked yet: no row, or a row without a subscription — unless the subscription is a known add-on's.
    const unlinked = subscriptionId !== null && !opts.afterRead
      ? `((vendor.vendor_id IS NULL OR vendor.stripe_subscription_id IS NULL)
          AND NOT EXISTS (SELECT 1 FROM vendor_add_ons WHERE stripe_subscription_id = ${add(subscriptionId, 'varchar', 'invoice subscription')}))`
      : 'false';
    // Signed and well formed, but not storable (a value beyond PostgreSQL's integer): an admin must look.
    const outcome = `SELECT CASE WHEN ${unlinked} THEN 'processing' WHEN vendor.vendor_id IS NULL THEN 'ignored' WHEN ${unstorable} THEN 'needs_attention' ELSE 'processed' END AS status,
        CASE WHEN ${unlinked} THEN ${add(`invoice ${invoice.id}: subscription ${subscriptionId ?? 'none'} is not linked yet; reading it from Stripe`, 'text')}
             WHEN vendor.vendor_id IS NULL THEN ${add(`unknown customer ${idOf(invoice.customer) ?? 'none'} for invoice ${invoice.id}`, 'text')}
             WHEN ${unstorable} THEN ${add(outOfRange ? `invoice ${invoice.id}: ${outOfRange} ${invoice[outOfRange]} is out of range` : null, 'text')}
             WHEN ${add(failed, 'boolean')} AND EXISTS (SELECT 1 FROM billing_history WHERE stripe_invoice_id = ${invoiceId} AND status = 'paid')
               THEN ${add(`invoice ${invoice.id} is already paid; the failure changes nothing`, 'text')} END AS note
      FROM (SELECT 1) AS one LEFT JOIN vendor ON true`;
    const ctes = [`vendor AS (${vendor})`, claim.ctes(add, outcome)];
    if (!outOfRange) {
      ctes.push(`bill AS (${this.billingHistorySql(add, kind, invoice, subscriptionId, claim.taken)})`);
      const unpaid = `EXISTS (SELECT 1 FROM bill WHERE status <> 'paid')`;
      if (failed) ctes.push(`reported AS (${this.platformEvents.paymentFailedSql(add, 'vendor', paymentFailedData(invoice), unpaid)})`);
      if (subscriptionId !== null) {
        ctes.push(
          `plan AS (${
            failed
              ? this.writer.paymentFailedSql(add, 'vendor', subscriptionId, { attemptCount: Math.max(0, invoice.attempt_count ?? 0), eventAt }, unpaid)
              : this.writer.invoicePaidSql(add, 'vendor', subscriptionId, {
                  amountPaidCents: Math.max(0, invoice.amount_paid ?? 0),
                  paidAt: fromUnix(invoice.status_transitions?.paid_at) ?? this.clock.now(),
                  eventAt,
                  newPeriod: NEW_PERIOD_REASONS.has(invoice.billing_reason ?? '') ? newPeriodOf(invoice) : null,
                }, 'EXISTS (SELECT 1 FROM bill)')
          })`,
        );
      }
    }
    return { text: `WITH ${ctes.join(',\n')} SELECT ${claim.report} AS report`, params };
  }

  /** The billing history row of the invoice, by Stripe invoice id, for the vendor of `vendor` when `when` holds. */
  private billingHistorySql(add: AddParam, kind: InvoiceEventKind, invoice: Stripe.Invoice, subscriptionId: string | null, when: string): string {
    const now = add(this.clock.now(), 'timestamptz');
    return `INSERT INTO billing_history (vendor_id, stripe_invoice_id, stripe_subscription_id, invoice_number, invoice_date, due_date,
                                 total_cents, amount_paid_cents, currency, status, pdf_url, hosted_url, description, created_at, updated_at)
       SELECT vendor.vendor_id, ${add(invoice.id, 'varchar')}, ${add(subscriptionId, 'varchar')}, ${add(invoice.number ?? null, 'varchar')},
              COALESCE(${add(fromUnix(invoice.created), 'timestamptz')}, ${now}), ${add(fromUnix(invoice.due_date), 'timestamptz')},
              ${add(invoice.total ?? 0, 'int')}, ${add(Math.max(0, invoice.amount_paid ?? 0), 'int')}, ${add((invoice.currency ?? 'eur').toLowerCase(), 'varchar')},
              ${add(kind === 'invoice.paid' ? 'paid' : 'open', 'varchar')}, ${add(invoice.invoice_pdf ?? null, 'text')}, ${add(invoice.hosted_invoice_url ?? null, 'text')},
              ${add(invoice.description ?? invoice.lines?.data?.[0]?.description ?? null, 'text')}, ${now}, ${now}
         FROM vendor WHERE ${when}
       ON CONFLICT (stripe_invoice_id) DO UPDATE SET
         invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
         due_date = EXCLUDED.due_date, total_cents = EXCLUDED.total_cents,
         amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
         status = CASE WHEN billing_history.status = 'paid' THEN 'paid' ELSE EXCLUDED.status END,
         pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url), hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
         updated_at = EXCLUDED.updated_at
       RETURNING status`;
  }
}

/** `payment.failed` (CONTRACT §9). */
function paymentFailedData(invoice: Stripe.Invoice) {
  return {
    invoice_id: invoice.id!,
    amount_due_cents: invoice.amount_due ?? 0,
    attempt_count: invoice.attempt_count ?? 0,
    next_payment_attempt: fromUnix(invoice.next_payment_attempt)?.toISOString() ?? null,
  };
}

/**
 * The new period a cycle invoice opens: the period of its subscription line; without lines, a renewal invoice's
 * own period is the one just ended, so the new one starts at its end (and its end follows from the interval).
 */
function newPeriodOf(invoice: Stripe.Invoice): { start: Date; end: Date | null } | null {
  const lines = invoice.lines?.data ?? [];
  const line = lines.find((l) => invoiceLineKind(l).subscriptionItem && !invoiceLineKind(l).proration) ?? lines[0];
  const start = fromUnix(line?.period?.start);
  const end = fromUnix(line?.period?.end);
  if (start && end && end > start) return { start, end };
  const from = invoice.billing_reason === 'subscription_cycle' ? fromUnix(invoice.period_end) : null;
  return from ? { start: from, end: null } : null;
}
