import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ConflictError, DomainError, isUniqueViolation, NotFoundError } from '@app/common';
import { runStatement } from '@app/database';
import { LimitService } from '@app/subscription';
import { DataSource } from 'typeorm';
import type { VendorRole } from '../auth/auth.types.js';
import { hashPassword } from '../auth/password-hasher.js';

export interface TeamMemberView {
  id: number;
  email: string;
  role: string;
  vendor_role: VendorRole;
  is_owner: boolean;
  created_at: string;
}

const COLUMNS = `id, email, role, is_owner, created_at`;
const view = (r: { id: number; email: string; role: string; is_owner: boolean; created_at: Date }): TeamMemberView => ({
  id: r.id, email: r.email, role: r.role, vendor_role: r.is_owner ? 'owner' : 'member', is_owner: r.is_owner, created_at: r.created_at.toISOString(),
});

/** A vendor's users (the owner included); each one holds a seat of the tier's team limit. */
@Injectable()
export class TeamService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly limits: LimitService,
    private readonly clock: Clock,
  ) {}

  async list(vendorId: number): Promise<{ items: TeamMemberView[]; total: number }> {
    const rows = await this.dataSource.query(`SELECT ${COLUMNS} FROM users WHERE vendor_id = $1 ORDER BY id`, [vendorId]);
    return { items: rows.map(view), total: rows.length };
  }

  /** A new vendor user who can log in. The password is hashed before the transaction, so the seat's row lock is short. */
  async add(vendorId: number, input: { email: string; password: string }): Promise<TeamMemberView> {
    const email = input.email.toLowerCase();
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.limits.claimTeamSeat(manager, vendorId);
        const [row] = await manager.query(
          `INSERT INTO users (vendor_id, email, password_hash, role, is_owner, created_at) VALUES ($1, $2, $3, 'vendor', false, $4) RETURNING ${COLUMNS}`,
          [vendorId, email, passwordHash, this.clock.now()],
        );
        return view(row);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_users_email')) throw new ConflictError('This e-mail is already registered.', { field: 'email' });
      throw error;
    }
  }

  /** Removes a member and frees the seat; the owner stays (400); another vendor's or a missing id is 404. */
  async remove(vendorId: number, userId: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const { rowCount } = await runStatement(manager, `DELETE FROM users WHERE id = $1 AND vendor_id = $2 AND NOT is_owner`, [userId, vendorId]);
      if (rowCount === 1) return this.limits.releaseTeamSeat(manager, vendorId);
      const [owner] = await manager.query(`SELECT 1 FROM users WHERE id = $1 AND vendor_id = $2 AND is_owner`, [userId, vendorId]);
      if (owner) throw new DomainError('BAD_REQUEST', 'The owner cannot be removed from the team.');
      throw new NotFoundError('Team member');
    });
  }
}
