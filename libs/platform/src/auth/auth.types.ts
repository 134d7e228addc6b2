import type { UserRole } from '../users/user.entity.js';

/** Within a vendor: the owner (who signed up) changes billing and the team; members read and sell. */
export type VendorRole = 'owner' | 'member';

/** Who is calling: what a verified access token says, as the database holds it now. */
export interface AuthUser {
  userId: number;
  role: UserRole;
  /** Null for admins. */
  vendorId: number | null;
  /** Null for admins. */
  vendorRole: VendorRole | null;
}

/** A vendor user's identity: every vendor route acts on `vendorId` only. */
export interface VendorAuth extends AuthUser {
  role: 'vendor';
  vendorId: number;
  vendorRole: VendorRole;
}

export interface AuthSession {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: { id: number; email: string; role: UserRole; vendor_role: VendorRole | null };
  vendor: { id: number; code: string; name: string } | null;
}

export const vendorRoleOf = (user: { role: UserRole; isOwner: boolean }): VendorRole | null =>
  user.role === 'vendor' ? (user.isOwner ? 'owner' : 'member') : null;
