import { Injectable } from '@nestjs/common';
import { Clock, NotFoundError } from '@app/common';
import type { EntityManager } from 'typeorm';

export interface VendorActivationChange {
  before: { is_active: boolean };
  after: { is_active: boolean };
}

/**
 * An admin's switch on `vendors.is_active` (this lib owns vendors). A deactivated vendor's users cannot log in
 * and their tokens stop working (the auth path reads the flag); nothing is deleted and billing is untouched.
 * Runs in the caller's transaction, so the audit row commits with it.
 */
@Injectable()
export class VendorActivationService {
  constructor(private readonly clock: Clock) {}

  async setVendorActive(manager: EntityManager, vendorId: number, isActive: boolean): Promise<VendorActivationChange> {
    const [row] = await manager.query(`SELECT is_active FROM vendors WHERE id = $1 FOR UPDATE`, [vendorId]);
    if (!row) throw new NotFoundError('Vendor');
    if (row.is_active !== isActive) {
      await manager.query(`UPDATE vendors SET is_active = $2, updated_at = $3 WHERE id = $1`, [vendorId, isActive, this.clock.now()]);
    }
    return { before: { is_active: row.is_active }, after: { is_active: isActive } };
  }
}
