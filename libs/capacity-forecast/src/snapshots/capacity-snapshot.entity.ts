import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One row per UTC day of platform-wide metrics, for growth trends and forecasts. */
@Entity('capacity_snapshots')
export class CapacitySnapshot {
  @PrimaryGeneratedColumn()
  id: number;

  /** YYYY-MM-DD (UTC). */
  @Column({ type: 'date', unique: true })
  snapshotDate: string;

  @Column({ type: 'integer', default: 0 }) totalVendors: number;
  /** Active as every report means it (ACTIVE_DEFINITION): not deactivated, subscription trial, active or past_due. */
  @Column({ type: 'integer', default: 0 }) activeVendors: number;
  /** Active vendors in trial, and active vendors paying (active or past_due). */
  @Column({ type: 'integer', default: 0 }) trialVendors: number;
  @Column({ type: 'integer', default: 0 }) payingSubscriptions: number;
  @Column({ type: 'integer', default: 0 }) totalSubscriptions: number;
  @Column({ type: 'bigint', default: 0 }) totalProducts: string;
  @Column({ type: 'bigint', default: 0 }) totalOrdersMonth: string;
  @Column({ type: 'integer', default: 0 }) totalTeamMembers: number;
  @Column({ type: 'numeric', precision: 12, scale: 3, default: 0 }) storageUsedGb: string;
  @Column({ type: 'numeric', precision: 12, scale: 3, default: 0 }) dbSizeMb: string;
  /** Sum of the limits of live subscriptions on tiers that cap the resource; unlimited tiers add nothing. */
  @Column({ type: 'bigint', nullable: true }) theoreticalProductsLimit: string | null;
  @Column({ type: 'bigint', nullable: true }) theoreticalOrdersLimit: string | null;
  @Column({ type: 'bigint', nullable: true }) theoreticalTeamLimit: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) tierDistribution: Record<string, number>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
