import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setChangeCause } from '@app/database';
import { VendorActivationService } from '@app/platform';
import { SubscriptionAdminWriter } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';
import type { AdminAction } from '../audit/admin-audit-entry.entity.js';
import { AdminAuditService, type AdminAuditView } from '../audit/admin-audit.service.js';

export interface AdminActor {
  adminUserId: number;
}

export interface AdminActionResult {
  action: AdminAction;
  vendor_id: number;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  audit: AdminAuditView;
}

/**
 * The admin's actions on a vendor. Each runs in one transaction: the owning lib's named write (the
 * subscription lib for vendor_subscriptions, the platform lib for vendors) and the audit row, together or not at
 * all. None calls Stripe.
 */
@Injectable()
export class VendorAdminService {
  private readonly logger = new Logger(VendorAdminService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionAdminWriter,
    private readonly vendors: VendorActivationService,
    private readonly audit: AdminAuditService,
  ) {}

  extendTrial(actor: AdminActor, vendorId: number, days: number): Promise<AdminActionResult> {
    return this.act(actor, vendorId, 'extend_trial', (m) => this.subscriptions.extendTrial(m, vendorId, days));
  }

  assignTier(actor: AdminActor, vendorId: number, tierCode: string): Promise<AdminActionResult> {
    return this.act(actor, vendorId, 'assign_tier', (m) => this.subscriptions.assignTier(m, vendorId, tierCode));
  }

  deactivate(actor: AdminActor, vendorId: number): Promise<AdminActionResult> {
    return this.act(actor, vendorId, 'deactivate', (m) => this.vendors.setVendorActive(m, vendorId, false));
  }

  activate(actor: AdminActor, vendorId: number): Promise<AdminActionResult> {
    return this.act(actor, vendorId, 'activate', (m) => this.vendors.setVendorActive(m, vendorId, true));
  }

  private async act(
    actor: AdminActor,
    vendorId: number,
    action: AdminAction,
    change: (manager: EntityManager) => Promise<{ before: object; after: object }>,
  ): Promise<AdminActionResult> {
    const result = await this.dataSource.transaction(async (manager) => {
      await setChangeCause(manager, 'admin');
      const { before, after } = await change(manager);
      const audit = await this.audit.record(manager, { adminUserId: actor.adminUserId, vendorId, action, before, after });
      return { action, vendor_id: vendorId, before: before as Record<string, unknown>, after: after as Record<string, unknown>, audit };
    });
    this.logger.log({ admin_user_id: actor.adminUserId, vendor_id: vendorId, action, audit_id: result.audit.id, msg: `admin action ${action} on vendor ${vendorId}` });
    return result;
  }
}
