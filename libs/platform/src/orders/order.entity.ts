import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  vendorId: number;

  @Column({ type: 'integer' })
  totalCents: number;

  @Column({ type: 'varchar', length: 3, default: 'eur' })
  currency: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  customerEmail: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
