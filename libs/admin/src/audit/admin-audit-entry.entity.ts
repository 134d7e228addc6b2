import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ADMIN_ACTIONS = ['extend_trial', 'assign_tier', 'deactivate', 'activate'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** One admin action on a vendor: who, when, what, and the state before and after. Rows are never changed. */
@Entity('admin_audit_log')
export class AdminAuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'integer' })
  adminUserId: number;

  /** No foreign key: the record outlives the vendor. */
  @Column({ type: 'integer' })
  vendorId: number;

  @Column({ type: 'varchar', length: 32 })
  action: AdminAction;

  @Column({ type: 'jsonb' })
  before: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  after: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
