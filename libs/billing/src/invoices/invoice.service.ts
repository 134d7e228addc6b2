import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { StripeService, type Stripe } from '@app/stripe';
import { DataSource } from 'typeorm';
import { NoActiveSubscriptionError } from '../billing.errors.js';
import { BillingContext, hasLiveStripeSubscription } from '../shared/billing-context.service.js';
import { fromUnixSeconds, isoOrNull, toUnixSeconds } from '../shared/billing-urls.js';
import { idOf } from '../webhooks/stripe-mapping.js';
import { OVERAGE_LINE_KIND, TierChangePlanner } from '../tier-change/tier-change-planner.js';
import { BillingHistory } from './billing-history.entity.js';

export interface InvoiceView {
  id: number;
  stripe_invoice_id: string;
  invoice_number: string | null;
  invoice_date: string;
  due_date: string | null;
  total_cents: number;
  amount_paid_cents: number;
  currency: string;
  status: string;
  pdf_url: string | null;
  hosted_url: string | null;
  description: string | null;
}

export interface UpcomingInvoiceView {
  amount_due_cents: number;
  currency: string;
  next_payment_attempt: string | null;
  /** Unix seconds; pass it to POST /change-tier so the charge equals this preview. Null without a change. */
  proration_date: number | null;
  /** `overage`: the period's overage orders (the metered item's usage so far), or those a plan change bills. */
  lines: Array<{ description: string; amount_cents: number; quantity: number | null; overage: boolean }>;
}

@Injectable()
export class InvoiceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly planner: TierChangePlanner,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
  ) {}

  /** The vendor's invoices as the webhooks recorded them, newest first. */
  async listInvoices(vendorId: number, page: { limit: number; offset: number }): Promise<{ invoices: InvoiceView[]; total: number }> {
    const [rows, total] = await this.dataSource.getRepository(BillingHistory).findAndCount({
      where: { vendorId },
      order: { invoiceDate: 'DESC', id: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
    return { invoices: rows.map(toInvoiceView), total };
  }

  /**
   * The next invoice of the vendor's subscription, or (with a tier and/or interval) the invoice that changing to
   * it would produce, prorated at a `proration_date` fixed now and returned, so POST /change-tier can charge the same.
   */
  async previewUpcomingInvoice(vendorId: number, change: { tierCode?: string; isAnnual?: boolean } = {}): Promise<UpcomingInvoiceView> {
    this.stripe.assertConfigured();
    const sub = await this.context.subscription(vendorId);
    if (!hasLiveStripeSubscription(sub) || !sub.stripeCustomerId) throw new NoActiveSubscriptionError();
    const subscription = sub.stripeSubscriptionId;
    const customer = sub.stripeCustomerId;

    const params: Stripe.InvoiceCreatePreviewParams = { customer, subscription };
    let prorationDate: number | null = null;
    if (change.tierCode !== undefined || change.isAnnual !== undefined) {
      const plan = await this.planner.plan(sub, change.tierCode ?? sub.tierCode, change.isAnnual ?? sub.isAnnual);
      if (plan.priceId !== sub.stripePriceId) {
        const items = await this.planner.itemsChange(vendorId, subscription, sub.stripePriceId, plan);
        prorationDate = toUnixSeconds(this.clock.now());
        params.subscription_details = {
          items: items.items,
          proration_behavior: plan.prorationBehavior,
          proration_date: prorationDate,
        };
        if (items.usage.length > 0) params.invoice_items = items.usage;
      }
    }
    const invoice = await this.stripe.call('preview the upcoming invoice', (stripe) => stripe.invoices.createPreview(params));
    const overagePrices = await this.context.overagePriceIds();
    return {
      amount_due_cents: invoice.amount_due,
      currency: invoice.currency,
      next_payment_attempt: isoOrNull(fromUnixSeconds(invoice.next_payment_attempt ?? nextAttemptOf(invoice, prorationDate))),
      proration_date: prorationDate,
      lines: invoice.lines.data.map((line) => lineView(line, overagePrices)),
    };
  }
}

/**
 * A line of the preview. Stripe's preview bills a metered item's usage so far this period (the overage meter's sum ×
 * the tier's overage price) like the invoice at the period's end will: that line, and the invoice item a plan change
 * adds for overage orders whose metered item it removes, are named for the vendor and marked `overage`.
 */
function lineView(line: Stripe.InvoiceLineItem, overagePrices: ReadonlySet<string>): UpcomingInvoiceView['lines'][number] {
  const price = idOf(line.pricing?.price_details?.price as string | Stripe.Price | undefined);
  const metered = price !== null && overagePrices.has(price);
  const billedByChange = line.metadata?.kind === OVERAGE_LINE_KIND;
  const description = metered ? 'Overage orders this period' : billedByChange ? 'Overage orders before the plan change' : line.description ?? '';
  return { description, amount_cents: line.amount, quantity: line.quantity, overage: metered || billedByChange };
}

/**
 * A preview may not say when it would be charged: an immediately invoiced change is charged at its proration date,
 * a renewal when its period starts.
 */
function nextAttemptOf(invoice: Stripe.Invoice, prorationDate: number | null): number | null {
  if (prorationDate !== null && invoice.billing_reason === 'subscription_update' && invoice.lines.data.every((l) => l.parent?.subscription_item_details?.proration || l.parent?.type === 'invoice_item_details')) return prorationDate;
  const starts = invoice.lines.data.map((l) => l.period?.start).filter((s): s is number => typeof s === 'number');
  return starts.length ? Math.max(...starts) : null;
}

function toInvoiceView(row: BillingHistory): InvoiceView {
  return {
    id: row.id,
    stripe_invoice_id: row.stripeInvoiceId,
    invoice_number: row.invoiceNumber,
    invoice_date: row.invoiceDate.toISOString(),
    due_date: isoOrNull(row.dueDate),
    total_cents: row.totalCents,
    amount_paid_cents: row.amountPaidCents,
    currency: row.currency,
    status: row.status,
    pdf_url: row.pdfUrl,
    hosted_url: row.hostedUrl,
    description: row.description,
  };
}
