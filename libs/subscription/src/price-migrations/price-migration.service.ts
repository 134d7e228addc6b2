import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ConflictError, DomainError, isUniqueViolation, NotFoundError } from '@app/common';
import { queryRows } from '@app/database';
import { StripeService } from '@app/stripe';
import type { DataSource } from 'typeorm';
import { TierService } from '../tiers/tier.service.js';
import { PENDING_SCHEDULE_SQL, PREVIEW_SQL, PRICE_CHANGE_SQL, PROGRESS_SQL, RELEASED_SQL } from './price-migration.sql.js';

export interface PriceMigrationInput {
  tierCode: string;
  isAnnual: boolean;
  /** 0–365 (the API validates it). */
  noticeDays: number;
}

/** CONTRACT §11's preview, with what it compared. */
export interface PriceMigrationPreview {
  tier_code: string;
  is_annual: boolean;
  new_price_id: string;
  new_amount_cents: number;
  currency: string;
  notice_days: number;
  vendors: number;
  mrr_change_cents: number;
  /** Vendors whose current amount is not known yet (left out of mrr_change_cents). */
  unknown_amount_vendors: number;
  first_effective_at: string | null;
  last_effective_at: string | null;
  /** From what: each old price and how many vendors pay it. */
  from_prices: Array<{ old_price_id: string | null; old_amount_cents: number | null; vendors: number }>;
  sample: Array<{ vendor_id: number; old_amount_cents: number | null; new_amount_cents: number; effective_at: string }>;
}

export interface PriceMigrationProgress {
  id: number;
  status: 'pending' | 'running' | 'completed';
  tier_code: string;
  is_annual: boolean;
  new_price_id: string;
  new_amount_cents: number;
  currency: string;
  notice_days: number;
  /** Every vendor is listed (and told); `total` is final. */
  expanded: boolean;
  total: number;
  scheduled: number;
  failed: number;
  pending: number;
  errors: Array<{ vendor_id: number; status: string; attempts: number; error: string }>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** A vendor's coming price change, as `/subscription` shows it. */
export interface PriceChangeView {
  new_amount_cents: number;
  currency: string;
  effective_at: string;
}

const SAMPLE_SIZE = 20;
const ERRORS_SHOWN = 50;
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * Price migrations, the API's side (CONTRACT §11): preview, start (a row the worker's PriceMigrationRunner carries
 * out), progress, and the vendor's coming change. Nothing here calls Stripe.
 */
@Injectable()
export class PriceMigrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tiers: TierService,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
  ) {}

  /** Who moves, from what to what, when, and the MRR change. TIER_NOT_FOUND; STRIPE_PRICE_NOT_CONFIGURED. */
  async preview(input: PriceMigrationInput): Promise<PriceMigrationPreview> {
    const target = await this.target(input);
    const now = this.clock.now();
    const notBefore = new Date(now.getTime() + input.noticeDays * 86_400_000);
    const [row] = await queryRows<Omit<PriceMigrationPreview, 'sample' | 'mrr_change_cents'> & { mrr_change_cents: string; sample: Array<{ vendor_id: number; old_amount_cents: number | null; effective_at: string }> }>(
      this.dataSource.manager, PREVIEW_SQL, [target.tierCode, input.isAnnual, target.priceId, target.amountCents, notBefore, now, SAMPLE_SIZE],
    );
    return {
      tier_code: target.tierCode, is_annual: input.isAnnual, new_price_id: target.priceId, new_amount_cents: target.amountCents, currency: target.currency, notice_days: input.noticeDays,
      vendors: row.vendors, mrr_change_cents: Number(row.mrr_change_cents), unknown_amount_vendors: row.unknown_amount_vendors,
      first_effective_at: iso(row.first_effective_at), last_effective_at: iso(row.last_effective_at), from_prices: row.from_prices,
      sample: row.sample.map((s) => ({ vendor_id: s.vendor_id, old_amount_cents: s.old_amount_cents, new_amount_cents: target.amountCents, effective_at: s.effective_at })),
    };
  }

  /**
   * A migration row for the worker (answered 202); the notice counts from now. PAYMENT_SYSTEM_NOT_CONFIGURED without
   * Stripe; CONFLICT while another migration of the tier and interval is under way.
   */
  async start(input: PriceMigrationInput, adminUserId: number | null): Promise<{ id: number; status: string }> {
    this.stripe.assertConfigured();
    const target = await this.target(input);
    try {
      const [row] = await queryRows<{ id: number; status: string }>(
        this.dataSource.manager,
        `INSERT INTO price_migrations (tier_code, is_annual, new_price_id, new_amount_cents, currency, notice_days, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, status`,
        [target.tierCode, input.isAnnual, target.priceId, target.amountCents, target.currency, input.noticeDays, adminUserId, this.clock.now()],
      );
      return row;
    } catch (error) {
      if (isUniqueViolation(error, 'uq_price_migrations_open')) {
        throw new ConflictError(`A price migration of ${target.tierCode} (${input.isAnnual ? 'annual' : 'monthly'}) is under way; start another once it has completed.`, { tier_code: target.tierCode, is_annual: input.isAnnual });
      }
      throw error;
    }
  }

  /** The migration with its progress and first errors; NOT_FOUND. */
  async progress(id: number): Promise<PriceMigrationProgress> {
    const [row] = await queryRows<PriceMigrationProgress & { created_at: Date; started_at: Date | null; finished_at: Date | null }>(this.dataSource.manager, PROGRESS_SQL, [id, ERRORS_SHOWN]);
    if (!row) throw new NotFoundError('Price migration');
    return { ...row, created_at: iso(row.created_at)!, started_at: iso(row.started_at), finished_at: iso(row.finished_at) };
  }

  /** The latest migrations, newest first, with their progress (the console's list). */
  async list(limit = 20): Promise<PriceMigrationProgress[]> {
    const rows = await queryRows<{ id: number }>(this.dataSource.manager, `SELECT id FROM price_migrations ORDER BY id DESC LIMIT $1`, [limit]);
    return Promise.all(rows.map((r) => this.progress(r.id)));
  }

  /** The vendor's coming price change, or null. */
  async priceChangeFor(vendorId: number): Promise<PriceChangeView | null> {
    const [row] = await queryRows<{ new_amount_cents: number; currency: string; effective_at: Date }>(this.dataSource.manager, PRICE_CHANGE_SQL, [vendorId, this.clock.now()]);
    return row ? { new_amount_cents: row.new_amount_cents, currency: row.currency, effective_at: iso(row.effective_at)! } : null;
  }

  /** The schedules migrations put on the vendor's subscription that have not taken effect yet (newest first). */
  async pendingSchedulesOf(vendorId: number, stripeSubscriptionId: string): Promise<string[]> {
    const rows = await queryRows<{ stripe_schedule_id: string }>(this.dataSource.manager, PENDING_SCHEDULE_SQL, [vendorId, stripeSubscriptionId, this.clock.now()]);
    return [...new Set(rows.map((r) => r.stripe_schedule_id))];
  }

  /** Stripe released the schedule before it took effect: its items are given up, with why. */
  async recordReleased(vendorId: number, scheduleId: string, why: string): Promise<void> {
    await queryRows(this.dataSource.manager, RELEASED_SQL, [vendorId, scheduleId, `released before it took effect: ${why}`]);
  }

  /** The tier's current price for the interval: what vendors move to. */
  private async target(input: PriceMigrationInput): Promise<{ tierCode: string; priceId: string; amountCents: number; currency: string }> {
    const tier = await this.tiers.getTier(input.tierCode);
    const amountCents = input.isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents;
    const priceId = input.isAnnual ? tier.stripePriceAnnualId : tier.stripePriceMonthlyId;
    if (amountCents === null || priceId === null) {
      throw new DomainError('STRIPE_PRICE_NOT_CONFIGURED', `The tier "${tier.code}" has no Stripe price for ${input.isAnnual ? 'annual' : 'monthly'} billing to move vendors to (run npm run stripe:sync-catalog).`, { interval: input.isAnnual ? 'year' : 'month' });
    }
    return { tierCode: tier.code, priceId, amountCents, currency: tier.currency };
  }
}
