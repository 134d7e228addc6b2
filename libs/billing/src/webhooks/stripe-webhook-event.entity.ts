import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type WebhookEventStatus = 'processing' | 'processed' | 'failed' | 'ignored' | 'needs_attention';

/** The ledger that makes each Stripe event id have its effect once. */
@Entity('stripe_webhook_events')
export class StripeWebhookEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 255, unique: true })
  eventId: string;

  @Column({ type: 'varchar', length: 100 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  status: WebhookEventStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'jsonb', nullable: true })
  payload: Record<string, unknown> | null;

  /** Stripe's `created` of the event. */
  @Column({ type: 'timestamptz', nullable: true })
  eventCreatedAt: Date | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt: Date | null;
}
