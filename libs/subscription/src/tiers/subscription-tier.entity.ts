import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A tier is a row: limits are nullable (null = unlimited), prices in cents (null = custom, no self-service price). */
@Entity('subscription_tiers')
export class SubscriptionTier {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 32, unique: true })
  code: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'integer', nullable: true })
  priceMonthlyCents: number | null;

  @Column({ type: 'integer', nullable: true })
  priceAnnualCents: number | null;

  @Column({ type: 'varchar', length: 3, default: 'eur' })
  currency: string;

  @Column({ type: 'integer', nullable: true })
  productsLimit: number | null;

  @Column({ type: 'integer', nullable: true })
  ordersPerMonth: number | null;

  @Column({ type: 'integer', nullable: true })
  teamMembers: number | null;

  /** The price of one order past ordersPerMonth (CONTRACT §12); null: the limit is hard. */
  @Column({ type: 'integer', nullable: true })
  ordersOveragePriceCents: number | null;

  /** The tier's metered Stripe price on the overage meter (stripe:sync-catalog). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeOveragePriceId: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  features: string[];

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeProductId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripePriceMonthlyId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripePriceAnnualId: string | null;

  @Column({ type: 'integer', default: 0 })
  displayOrder: number;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
