import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// The answers of /api/v1/vendor/billing (CONTRACT §5), for the OpenAPI document: what a generated client gets.

const SUBSCRIPTION_STATUSES = ['trial', 'active', 'past_due', 'cancelled', 'expired'];
const DATE_TIME = { type: 'string', format: 'date-time' } as const;

export class TierRefDto {
  @ApiProperty({ example: 'professional' }) code: string;
  @ApiProperty({ example: 'Professional' }) name: string;
}

export class UsageMeterDto {
  @ApiProperty({ example: 12 }) current: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 100, description: 'null: unlimited' }) limit: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 12, description: 'current / limit in %, one decimal; null when unlimited' }) percent: number | null;
  @ApiProperty({ type: 'integer', nullable: true, enum: [80, 100], example: 80, description: 'the highest usage threshold reported this period (platform event usage.threshold_reached) that usage still meets' }) threshold_reached: 80 | 100 | null;
}

export class OverageDto {
  @ApiProperty({ example: 4, description: 'orders accepted past the limit this period' }) count: number;
  @ApiProperty({ example: 600, description: 'what they cost (billed through the Stripe overage meter)' }) amount_cents: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 4900, description: 'the vendor\'s cap on a period\'s overage (default: the tier\'s monthly price); null: no cap' }) cap_cents: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 150, description: 'the price per order past the limit; null: refused instead (the tier prices no overage, or the subscription does not carry its metered price: a trial, an annual plan, an older subscription)' }) price_per_unit_cents: number | null;
}

export class OrdersUsageMeterDto extends UsageMeterDto {
  @ApiPropertyOptional({ type: OverageDto, description: 'on a tier that prices overage (CONTRACT §12), or when this period has some' }) overage?: OverageDto;
}

export class UsageDto {
  @ApiProperty({ type: UsageMeterDto }) products: UsageMeterDto;
  @ApiProperty({ type: OrdersUsageMeterDto }) orders: OrdersUsageMeterDto;
  @ApiProperty({ type: UsageMeterDto }) team_members: UsageMeterDto;
}

export class SubscriptionPriceDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 9900, description: 'what the Stripe subscription bills for the plan; null: not known yet' }) amount_cents: number | null;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ type: 'string', nullable: true }) stripe_price_id: string | null;
  @ApiProperty({ description: 'an older price than the tier\'s list price (kept until a price migration moves the vendor)' }) grandfathered: boolean;
}

export class PriceChangeDto {
  @ApiProperty({ example: 10900 }) new_amount_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ ...DATE_TIME, description: 'the renewal from which the new amount is billed' }) effective_at: string;
}

export class SubscriptionDto {
  @ApiProperty({ type: TierRefDto }) tier: TierRefDto;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES, enumName: 'SubscriptionStatus' }) status: string;
  @ApiProperty() is_annual: boolean;
  @ApiProperty({ ...DATE_TIME, nullable: true }) trial_ends_at: string | null;
  @ApiProperty(DATE_TIME) period_start: string;
  @ApiProperty(DATE_TIME) period_end: string;
  @ApiProperty({ description: 'a cancellation is scheduled for the period end (set with cancel_at_period_end or a cancel_at on the period end)' }) cancel_at_period_end: boolean;
  @ApiProperty({ ...DATE_TIME, nullable: true, description: 'when a scheduled cancellation takes effect (the period end or another date); null when none is scheduled' })
  cancel_at: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) cancelled_at: string | null;
  @ApiProperty() has_payment_method: boolean;
  @ApiProperty({ ...DATE_TIME, nullable: true, description: 'when the plan stops unless renewed (a scheduled cancellation, a trial without a card); null when it renews' })
  ends_at: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) past_due_since: string | null;
  @ApiProperty({ type: [String], example: ['basic_support', 'priority_support'] }) features: string[];
  @ApiProperty({ type: UsageDto }) usage: UsageDto;
  @ApiProperty({ type: SubscriptionPriceDto, nullable: true, description: 'the price the Stripe subscription bills (CONTRACT §11); null without one' }) price: SubscriptionPriceDto | null;
  @ApiProperty({ type: PriceChangeDto, nullable: true, description: 'a scheduled price change (a price migration); null when none' }) price_change: PriceChangeDto | null;
}

export class TierDto {
  @ApiProperty({ example: 'business' }) code: string;
  @ApiProperty({ example: 'Business' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 19900, description: 'null: custom pricing (sold by hand)' }) price_monthly_cents: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 199000, description: 'null: custom pricing (sold by hand)' }) price_annual_cents: number | null;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' }) products_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' }) orders_per_month: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' }) team_members: number | null;
  @ApiProperty({ type: [String] }) features: string[];
  @ApiProperty() is_current: boolean;
  @ApiProperty() can_upgrade: boolean;
  @ApiProperty() can_downgrade: boolean;
  @ApiProperty({ type: 'string', nullable: true, example: 'mailto:sales@example.com', description: 'custom-priced tiers: where to ask for a quote (SALES_CONTACT_URL)' })
  contact_url: string | null;
}

export class CheckoutSessionDto {
  @ApiProperty({ example: 'https://checkout.stripe.com/c/pay/cs_test_…' }) checkout_url: string;
  @ApiProperty({ example: 'cs_test_a1b2' }) session_id: string;
}

export class PortalSessionDto {
  @ApiProperty({ example: 'https://billing.stripe.com/p/session/…' }) portal_url: string;
}

export class InvoiceDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'in_1Abc' }) stripe_invoice_id: string;
  @ApiProperty({ type: 'string', nullable: true }) invoice_number: string | null;
  @ApiProperty(DATE_TIME) invoice_date: string;
  @ApiProperty({ ...DATE_TIME, nullable: true }) due_date: string | null;
  @ApiProperty({ example: 9900 }) total_cents: number;
  @ApiProperty({ example: 9900 }) amount_paid_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ example: 'paid', description: 'Stripe invoice status: draft, open, paid, uncollectible, void' }) status: string;
  @ApiProperty({ type: 'string', nullable: true }) pdf_url: string | null;
  @ApiProperty({ type: 'string', nullable: true }) hosted_url: string | null;
  @ApiProperty({ type: 'string', nullable: true }) description: string | null;
}

export class InvoicePageDto {
  @ApiProperty({ type: [InvoiceDto] }) invoices: InvoiceDto[];
  @ApiProperty() total: number;
}

export class InvoiceLineDto {
  @ApiProperty() description: string;
  @ApiProperty({ example: 9900 }) amount_cents: number;
  @ApiProperty({ type: 'integer', nullable: true }) quantity: number | null;
  @ApiProperty({ description: 'the period\'s overage orders (billed through the overage meter), or those a plan change bills' }) overage: boolean;
}

export class UpcomingInvoiceDto {
  @ApiProperty({ example: 10000 }) amount_due_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ ...DATE_TIME, nullable: true }) next_payment_attempt: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Unix seconds: send it to POST /change-tier so the charge equals this preview; null without a change' })
  proration_date: number | null;
  @ApiProperty({ type: [InvoiceLineDto] }) lines: InvoiceLineDto[];
}

export class TierChangeDto {
  @ApiProperty() message: string;
  @ApiProperty({ example: 'business' }) new_tier: string;
  @ApiProperty() is_annual: boolean;
  @ApiProperty() effective_immediately: boolean;
}

export class CancellationDto {
  @ApiProperty() message: string;
  @ApiProperty({ ...DATE_TIME, description: 'when the plan ends (the subscription\'s ends_at)' }) effective_date: string;
}

export class MessageDto {
  @ApiProperty() message: string;
}

export class AddOnDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'domain' }) code: string;
  @ApiProperty({ example: 'Custom Domain' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ example: 'domain' }) category: string;
  @ApiProperty({ example: 1500 }) price_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ enum: ['month', 'year'], enumName: 'BillingPeriod' }) billing_period: string;
  @ApiProperty() requires_domain: boolean;
}

export class VendorAddOnDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'domain' }) addon_code: string;
  @ApiProperty({ example: 'Custom Domain' }) addon_name: string;
  @ApiProperty({ enum: ['pending', 'active', 'cancelled', 'expired', 'needs_attention'], enumName: 'VendorAddOnStatus' }) status: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'shop.example.com' }) domain_name: string | null;
  @ApiProperty({ example: 1 }) quantity: number;
  @ApiProperty({ ...DATE_TIME, nullable: true }) period_start: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) period_end: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) cancelled_at: string | null;
}

export class AddOnCancellationDto {
  @ApiProperty() message: string;
  @ApiProperty({ enum: ['pending', 'active', 'cancelled', 'expired', 'needs_attention'], enumName: 'VendorAddOnStatus' }) status: string;
}
