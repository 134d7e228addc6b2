import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type AddOnBillingPeriod = 'month' | 'year';

@Entity('add_on_products')
export class AddOnProduct {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 32, unique: true })
  code: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'varchar', length: 32 })
  category: string;

  @Column({ type: 'integer' })
  priceCents: number;

  @Column({ type: 'varchar', length: 3, default: 'eur' })
  currency: string;

  @Column({ type: 'varchar', length: 8 })
  billingPeriod: AddOnBillingPeriod;

  @Column({ type: 'boolean', default: false })
  requiresDomain: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeProductId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  stripePriceId: string | null;

  @Column({ type: 'integer', default: 0 })
  displayOrder: number;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
