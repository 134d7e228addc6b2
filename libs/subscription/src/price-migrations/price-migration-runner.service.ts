import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import { isRateLimited, StripeRequestLimiter, StripeService, type Stripe } from '@app/stripe';
import type { DataSource } from 'typeorm';
import { CLAIM_SQL, COMPLETE_SQL, EXPAND_SQL, RECORD_SQL, UNEXPANDED_SQL } from './price-migration.sql.js';
import { migratedPhases } from './schedule-phases.js';

interface ClaimedItem {
  id: string;
  migration_id: number;
  vendor_id: number;
  stripe_subscription_id: string;
  old_price_id: string | null;
  effective_at: Date;
  attempts: number;
  new_price_id: string;
}

interface Outcome {
  status: 'scheduled' | 'pending' | 'failed';
  scheduleId?: string;
  error?: string;
}

/** After this many attempts a failing item is given up (failed, shown to admins). */
const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 600_000;
const LEASE_MARGIN_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

/**
 * Carries out price migrations (CONTRACT §11), the worker's side. Each round: one batch of a migration's vendors is
 * listed — each vendor's item and its `subscription.price_changing` event in one statement (EXPAND_SQL) — then due
 * items are claimed under a lease (SKIP LOCKED) and Stripe is told, with no transaction, lock or connection held,
 * each request paced by the request limiter; each outcome is recorded in a statement of its own. Stripe is told with
 * a subscription schedule (README "Price changes"): created from the subscription, then given two phases, each call
 * with an idempotency key derived from the migration and the vendor. A worker that dies leaves its items leased;
 * the lease expires and the next round does them again: the create answers the same schedule (the key, within
 * Stripe's 24 hours; after that Stripe refuses a second schedule on the subscription and the attached one is
 * read), and the phases are the same two phases — each vendor ends with one schedule, told once.
 */
@Injectable()
export class PriceMigrationRunner {
  private readonly logger = new Logger('PriceMigrations');
  private readonly limiter: StripeRequestLimiter;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly expandBatchSize: number;
  private readonly concurrency: number;

  constructor(
    config: ConfigService,
    private readonly clock: Clock,
    private readonly stripe: StripeService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.limiter = new StripeRequestLimiter(config.get<number>('PRICE_MIGRATION_REQUESTS_PER_SECOND') ?? config.get<number>('STRIPE_MAX_REQUESTS_PER_SECOND', 20));
    // Up to four Stripe calls per item, each with the SDK's own retries, all inside the lease.
    this.leaseMs = 4 * (config.get<number>('STRIPE_TIMEOUT_MS') ?? 20_000) * ((config.get<number>('STRIPE_MAX_NETWORK_RETRIES') ?? 2) + 1) + LEASE_MARGIN_MS;
    this.batchSize = config.get<number>('PRICE_MIGRATION_BATCH_SIZE') ?? 100;
    this.expandBatchSize = config.get<number>('PRICE_MIGRATION_EXPAND_BATCH_SIZE') ?? 500;
    // Stripe answers in a few hundred ms: to keep its pace (100/s live) some 30 requests must be in flight.
    this.concurrency = config.get<number>('PRICE_MIGRATION_CONCURRENCY') ?? 16;
  }

  get configured(): boolean {
    return this.stripe.isConfigured;
  }

  /** One round; answers how much it did (0: nothing to do). */
  async runRound(): Promise<number> {
    if (!this.stripe.isConfigured) return 0;
    const listed = await this.expandNextBatch();
    const sent = await this.scheduleDue();
    const completed = await queryRows<{ id: number }>(this.dataSource.manager, COMPLETE_SQL, [this.clock.now()]);
    for (const { id } of completed) this.logger.log({ migration_id: id, msg: `price migration ${id} completed` });
    return listed + sent + completed.length;
  }

  /** Rounds until one finds nothing due (tests, the benchmark, `npm run job`-style use). */
  async runUntilIdle(): Promise<void> {
    while ((await this.runRound()) > 0);
  }

  /** One batch of the oldest migration still listing its vendors; answers how many vendors it listed. */
  async expandNextBatch(): Promise<number> {
    for (const { id } of await queryRows<{ id: number }>(this.dataSource.manager, UNEXPANDED_SQL)) {
      const [row] = await queryRows<{ vendors: number; events: number; expanded: boolean | null }>(this.dataSource.manager, EXPAND_SQL, [id, this.expandBatchSize, this.clock.now()]);
      if (row.expanded === null) continue; // another worker is listing this one
      if (row.expanded) this.logger.log({ migration_id: id, msg: `price migration ${id}: every vendor listed and told` });
      return Math.max(row.vendors, row.expanded ? 1 : 0);
    }
    return 0;
  }

  /** Claims due items and tells Stripe, `concurrency` at a time, at the limiter's pace; answers how many. */
  async scheduleDue(): Promise<number> {
    const now = this.clock.now();
    const claimed = await queryRows<ClaimedItem>(this.dataSource.manager, CLAIM_SQL, [now, new Date(now.getTime() + this.leaseMs), this.batchSize]);
    let next = 0;
    const work = async () => {
      while (next < claimed.length) {
        const item = claimed[next++];
        const outcome = await this.schedule(item);
        const retryAt = outcome.status === 'pending' ? new Date(this.clock.now().getTime() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(item.attempts, 20))) : null;
        await this.dataSource.query(RECORD_SQL, [item.id, item.attempts, outcome.status, outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null, outcome.scheduleId ?? null, this.clock.now(), retryAt]);
        if (outcome.status === 'failed') this.logger.warn({ migration_id: item.migration_id, vendor_id: item.vendor_id, msg: `price migration item given up: ${outcome.error}` });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, claimed.length) }, work));
    return claimed.length;
  }

  /** Tells Stripe one vendor's new price; never throws (an outcome for every item). */
  private async schedule(item: ClaimedItem): Promise<Outcome> {
    const key = `price-migration:${item.migration_id}:vendor:${item.vendor_id}`;
    try {
      const schedule = await this.scheduleOf(item.stripe_subscription_id, key);
      const plan = migratedPhases(schedule, { oldPriceId: item.old_price_id, newPriceId: item.new_price_id, effectiveAt: Math.floor(new Date(item.effective_at).getTime() / 1000) }, Math.floor(this.clock.now().getTime() / 1000));
      if (plan.kind === 'refused') return { status: 'failed', scheduleId: schedule.id, error: plan.reason };
      if (plan.kind === 'update') {
        await this.limiter.take();
        await this.stripe.client.subscriptionSchedules.update(
          schedule.id,
          { phases: plan.phases, end_behavior: 'release', proration_behavior: 'none', metadata: { price_migration_id: String(item.migration_id) } },
          { idempotencyKey: `${key}:phases` },
        );
      }
      return { status: 'scheduled', scheduleId: schedule.id };
    } catch (error) {
      return this.failure(item, error);
    }
  }

  /**
   * The subscription's schedule: created from it, or, when Stripe refuses because one is attached already (an
   * earlier attempt past the key's 24 hours, an earlier migration, the dashboard), the attached one.
   */
  private async scheduleOf(subscriptionId: string, key: string): Promise<Stripe.SubscriptionSchedule> {
    try {
      await this.limiter.take();
      return await this.stripe.client.subscriptionSchedules.create({ from_subscription: subscriptionId }, { idempotencyKey: `${key}:schedule` });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 400) throw error;
      await this.limiter.take();
      const subscription = await this.stripe.client.subscriptions.retrieve(subscriptionId);
      const attached = subscription.schedule;
      if (!attached) throw error;
      if (typeof attached !== 'string') return attached;
      await this.limiter.take();
      return await this.stripe.client.subscriptionSchedules.retrieve(attached);
    }
  }

  private failure(item: ClaimedItem, error: unknown): Outcome {
    const e = error as { statusCode?: number; code?: string; type?: string; message?: string };
    const text = `${e.statusCode ?? 'network'} ${e.code ?? e.type ?? ''}: ${e.message ?? String(error)}`;
    // Stripe refused the request itself (the subscription is gone, a parameter it will never take): trying again
    // changes nothing. Rate limits, conflicts, 5xx and unreachable Stripe are retried with back-off.
    const final = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 409 && !isRateLimited(error);
    return { status: final || item.attempts >= MAX_ATTEMPTS ? 'failed' : 'pending', error: text };
  }
}
