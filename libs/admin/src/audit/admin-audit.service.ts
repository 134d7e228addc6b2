import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AdminAction } from './admin-audit-entry.entity.js';

export interface AdminAuditView {
  id: number;
  admin_user_id: number;
  admin_email: string | null;
  vendor_id: number;
  action: AdminAction;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  created_at: string;
}

/** `admin_audit_log` (this lib owns it): written in the transaction of the action it records. */
@Injectable()
export class AdminAuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(
    manager: EntityManager,
    entry: { adminUserId: number; vendorId: number; action: AdminAction; before: object; after: object },
  ): Promise<AdminAuditView> {
    const [row] = await manager.query(
      `INSERT INTO admin_audit_log (admin_user_id, vendor_id, action, before, after, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, admin_user_id, vendor_id, action, before, after, created_at,
                 (SELECT email FROM users WHERE id = $1) AS admin_email`,
      [entry.adminUserId, entry.vendorId, entry.action, JSON.stringify(entry.before), JSON.stringify(entry.after), this.clock.now()],
    );
    return toAuditView(row);
  }

  /** A vendor's audit trail, newest first. */
  async listForVendor(vendorId: number, limit = 20): Promise<AdminAuditView[]> {
    const rows = await this.dataSource.query(
      `SELECT a.id, a.admin_user_id, u.email AS admin_email, a.vendor_id, a.action, a.before, a.after, a.created_at
         FROM admin_audit_log a LEFT JOIN users u ON u.id = a.admin_user_id
        WHERE a.vendor_id = $1
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $2`,
      [vendorId, limit],
    );
    return rows.map(toAuditView);
  }
}

function toAuditView(row: {
  id: string; admin_user_id: number; admin_email: string | null; vendor_id: number; action: AdminAction;
  before: Record<string, unknown>; after: Record<string, unknown>; created_at: Date;
}): AdminAuditView {
  return {
    id: Number(row.id), admin_user_id: row.admin_user_id, admin_email: row.admin_email, vendor_id: row.vendor_id, action: row.action,
    before: row.before, after: row.after, created_at: new Date(row.created_at).toISOString(),
  };
}
