import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConflictError, isUniqueViolation, UnauthorizedError } from '@app/common';
import { queryRows } from '@app/database';
import { SubscriptionService } from '@app/subscription';
import { DataSource } from 'typeorm';
import { User } from '../users/user.entity.js';
import { Vendor } from '../vendors/vendor.entity.js';
import { vendorRoleOf, type AuthSession, type AuthUser } from './auth.types.js';
import { hashPassword, UNMATCHABLE_HASH, verifyPassword } from './password-hasher.js';
import { VerifiedTokens } from './verified-tokens.js';

export interface SignupInput {
  vendorName: string;
  vendorCode: string;
  email: string;
  password: string;
}

interface TokenClaims {
  sub: string;
  role: AuthUser['role'];
  vid: number | null;
  /** Set by the signer from `expiresIn` (seconds since the epoch). */
  exp?: number;
}

/**
 * What every authenticated request checks after the token's signature: the user still exists with the token's role,
 * and its vendor is active (a removed member or a deactivated vendor is refused at once, not when the token expires).
 * Exported for the limits benchmark's ceiling, which runs exactly this.
 */
export const TOKEN_USER_SQL = `SELECT u.role, u.vendor_id, u.is_owner, v.is_active AS vendor_active FROM users u LEFT JOIN vendors v ON v.id = u.vendor_id WHERE u.id = $1::int`;

/** How many verified tokens a process remembers (a few hundred bytes each). */
const VERIFIED_TOKENS = 10_000;

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** Signatures already checked (the user is still read every time): see VerifiedTokens. */
  private readonly verified = new VerifiedTokens<TokenClaims>(VERIFIED_TOKENS);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jwt: JwtService,
    private readonly config: ConfigService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  /** The vendor, its owner and its trial subscription, in one transaction: all three or none. */
  async signup(input: SignupInput): Promise<AuthSession> {
    const email = input.email.toLowerCase();
    const passwordHash = await hashPassword(input.password);
    try {
      const { vendor, user } = await this.dataSource.transaction(async (manager) => {
        const vendor = await manager.getRepository(Vendor).save({ code: input.vendorCode, name: input.vendorName });
        const user = await manager.getRepository(User).save({ vendorId: vendor.id, email, passwordHash, role: 'vendor' as const, isOwner: true });
        await this.subscriptions.startTrial(manager, vendor.id);
        return { vendor, user };
      });
      return this.session(user, vendor);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_vendors_code')) throw new ConflictError('This vendor code is taken.', { field: 'vendor_code' });
      if (isUniqueViolation(error, 'uq_users_email')) throw new ConflictError('This e-mail is already registered.', { field: 'email' });
      throw error;
    }
  }

  async login(emailInput: string, password: string): Promise<AuthSession> {
    const user = await this.dataSource.getRepository(User).findOne({
      where: { email: emailInput.toLowerCase() },
      select: { id: true, email: true, role: true, vendorId: true, passwordHash: true, isOwner: true },
    });
    const ok = await verifyPassword(password, user?.passwordHash ?? UNMATCHABLE_HASH);
    if (!user || !ok) throw new UnauthorizedError('Wrong e-mail or password.');
    const vendor = user.vendorId === null ? null : await this.dataSource.getRepository(Vendor).findOneBy({ id: user.vendorId });
    // A deactivated vendor's users are refused like a wrong password, so the answer does not tell the account exists.
    if (user.vendorId !== null && (!vendor || !vendor.isActive)) throw new UnauthorizedError('Wrong e-mail or password.');
    return this.session(user, vendor);
  }

  /** Creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD, or sets its password; concurrent starts are safe. */
  async ensureAdmin(emailInput: string, password: string): Promise<void> {
    const email = emailInput.toLowerCase();
    const passwordHash = await hashPassword(password);
    const [row] = await this.dataSource.query(
      `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')
       ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash WHERE users.role = 'admin'
       RETURNING id`,
      [email, passwordHash],
    );
    if (!row) this.logger.warn(`ADMIN_EMAIL belongs to a vendor user; no admin was created for it.`);
    else this.logger.log(`Admin user ensured (id ${row.id}).`);
  }

  /**
   * Verifies a bearer token against the database as it is now, in one query: the user must still exist and its
   * vendor must be active (a removed member's or a deactivated vendor's token stops working at once). Role,
   * vendor and owner status come from the row, not from the token.
   */
  async verifyToken(token: string): Promise<AuthUser> {
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'] });
      } catch {
        throw new UnauthorizedError('The access token is invalid or expired.');
      }
      this.verified.remember(token, claims, claims.exp);
    }
    // A signed token is still only as good as its claims: `sub` must be a users.id (int4) before it reaches SQL.
    if (typeof claims.sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(claims.sub) || Number(claims.sub) > 2_147_483_647) {
      throw new UnauthorizedError('The access token is invalid or expired.');
    }
    const userId = Number(claims.sub);
    // Plain SQL, its plan kept per connection: this runs on every authenticated request.
    const [row] = await queryRows<{ role: AuthUser['role']; vendor_id: number | null; is_owner: boolean; vendor_active: boolean | null }>(
      this.dataSource.manager, TOKEN_USER_SQL, [userId], { reusePlan: true },
    );
    if (!row || row.role !== claims.role || (row.vendor_id !== null && row.vendor_active !== true)) {
      throw new UnauthorizedError('The access token is invalid or expired.');
    }
    return { userId, role: row.role, vendorId: row.vendor_id, vendorRole: vendorRoleOf({ role: row.role, isOwner: row.is_owner }) };
  }

  private async session(user: Pick<User, 'id' | 'email' | 'role' | 'vendorId' | 'isOwner'>, vendor: Vendor | null): Promise<AuthSession> {
    const expiresIn = this.config.get<number>('JWT_EXPIRES_IN_SECONDS', 3600);
    const claims: TokenClaims = { sub: String(user.id), role: user.role, vid: user.vendorId };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn, algorithm: 'HS256' });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
      user: { id: user.id, email: user.email, role: user.role, vendor_role: vendorRoleOf(user) },
      vendor: vendor && { id: vendor.id, code: vendor.code, name: vendor.name },
    };
  }
}
