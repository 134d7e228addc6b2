import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * `pending`: its Checkout is open and the row holds the domain until `holdExpiresAt`; `needs_attention`: paid, but
 * it could not be granted (`attentionReason` says why) and an admin must settle it.
 */
export type VendorAddOnStatus = 'pending' | 'active' | 'cancelled' | 'expired' | 'needs_attention';

@Entity('vendor_add_ons')
export class VendorAddOn {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  vendorId: number;

  /** Null only for `needs_attention` when the Checkout named an add-on code we do not know (kept in `addonCode`). */
  @Column({ type: 'integer', nullable: true })
  addOnProductId: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  addonCode: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: VendorAddOnStatus;

  /** Lower-cased; unique among `pending` and `active` add-ons (a partial unique index): the domain's holder. */
  @Column({ type: 'varchar', length: 253, nullable: true })
  domainName: string | null;

  @Column({ type: 'integer', default: 1 })
  quantity: number;

  @Column({ type: 'varchar', length: 255, nullable: true, unique: true })
  stripeSubscriptionId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true, unique: true })
  stripeCheckoutSessionId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  periodStart: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  periodEnd: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  /** `pending` only: when the Checkout session expires, and with it the hold on the domain. */
  @Column({ type: 'timestamptz', nullable: true })
  holdExpiresAt: Date | null;

  @Column({ type: 'text', nullable: true })
  attentionReason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
