import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const SUBSCRIPTION_STATUSES = ['trial', 'active', 'past_due', 'cancelled', 'expired'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * One row per vendor. It also carries the usage counters the limits read, kept in the same transaction
 * as the rows they count, so a limit check never scans products or orders.
 */
@Entity('vendor_subscriptions')
export class VendorSubscription {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer', unique: true })
  vendorId: number;

  /** A tier code rather than a foreign key: the built-in defaults answer for a code the table lacks. */
  @Column({ type: 'varchar', length: 32 })
  tierCode: string;

  @Column({ type: 'varchar', length: 16 })
  status: SubscriptionStatus;

  @Column({ type: 'boolean', default: false })
  isAnnual: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  trialEndsAt: Date | null;

  @Column({ type: 'timestamptz' })
  periodStart: Date;

  @Column({ type: 'timestamptz' })
  periodEnd: Date;

  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd: boolean;

  /** A cancellation Stripe has scheduled for a date other than the period's end (its `cancel_at`). */
  @Column({ type: 'timestamptz', nullable: true })
  cancelAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Column({ type: 'text', nullable: true })
  cancellationReason: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true, unique: true })
  stripeCustomerId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true, unique: true })
  stripeSubscriptionId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripePriceId: string | null;

  /** What the plan's Stripe price costs (its `unit_amount`): the price this vendor pays, grandfathered or not. */
  @Column({ type: 'integer', nullable: true })
  stripePriceAmountCents: number | null;

  /** Every item's price of the Stripe subscription as last applied (the tier's metered overage price among them, or not). */
  @Column({ type: 'text', array: true, nullable: true })
  stripeItemPriceIds: string[] | null;

  @Column({ type: 'boolean', default: false })
  hasPaymentMethod: boolean;

  /** When the first failed payment of the current trouble happened; the grace period counts from here. */
  @Column({ type: 'timestamptz', nullable: true })
  pastDueSince: Date | null;

  @Column({ type: 'integer', default: 0 })
  paymentRetryCount: number;

  @Column({ type: 'timestamptz', nullable: true })
  lastPaymentAt: Date | null;

  /** The watermark of Stripe state applied, on Stripe's clock (an event's `created`, or the second a read began): older state never overwrites it. */
  @Column({ type: 'timestamptz', nullable: true })
  stripeWatermark: Date | null;

  /**
   * The database's clock when Stripe's state was last observed and applied here (an event applied, or a read that
   * began then): a read that began before it is older than what the row holds and is skipped.
   */
  @Column({ type: 'timestamptz', nullable: true })
  observedWatermark: Date | null;

  /** The tier a change in flight moves to: claims enforce the lower of both limits until it clears or expires. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  pendingTierCode: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  pendingTierExpiresAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  ordersThisPeriod: number;

  @Column({ type: 'integer', default: 0 })
  productsCount: number;

  @Column({ type: 'integer', default: 0 })
  teamMembersCount: number;

  /** The overage cap: `default` (the tier's monthly price), `custom` (overageCapCents) or `none` (CONTRACT §12). */
  @Column({ type: 'varchar', length: 8, default: 'default' })
  overageCapMode: 'default' | 'custom' | 'none';

  /** pg answers bigint as a string. */
  @Column({ type: 'bigint', nullable: true })
  overageCapCents: string | null;

  /** This period's overage (orders, amount): counts only while overagePeriodStart >= periodStart. */
  @Column({ type: 'integer', default: 0 })
  overageOrders: number;

  @Column({ type: 'bigint', default: 0 })
  overageAmountCents: string;

  @Column({ type: 'timestamptz', nullable: true })
  overagePeriodStart: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
