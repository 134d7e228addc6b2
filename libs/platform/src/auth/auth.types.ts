import type { UserRole } from '../users/user.entity.js';

/** Who is calling: what a verified access token says. */
export interface AuthUser {
  userId: number;
  role: UserRole;
  /** Null for admins. */
  vendorId: number | null;
}

/** A vendor user's identity: every vendor route acts on `vendorId` only. */
export interface VendorAuth extends AuthUser {
  role: 'vendor';
  vendorId: number;
}

export interface AuthSession {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: { id: number; email: string; role: UserRole };
  vendor: { id: number; code: string; name: string } | null;
}
