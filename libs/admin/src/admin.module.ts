import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '@app/billing';
import { PlatformModule } from '@app/platform';
import { SubscriptionModule } from '@app/subscription';
import { AdminAuditEntry } from './audit/admin-audit-entry.entity.js';
import { AdminAuditService } from './audit/admin-audit.service.js';
import { VendorAdminService } from './vendors/vendor-admin.service.js';
import { VendorDirectoryService } from './vendors/vendor-directory.service.js';

/** The operators' view across libs: the vendor directory, the admin actions and their audit log. */
@Module({
  imports: [TypeOrmModule.forFeature([AdminAuditEntry]), PlatformModule, SubscriptionModule, BillingModule],
  providers: [AdminAuditService, VendorDirectoryService, VendorAdminService],
  exports: [AdminAuditService, VendorDirectoryService, VendorAdminService],
})
export class AdminModule {}
