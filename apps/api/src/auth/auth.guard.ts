import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError } from '@app/common';
import { AuthService, type AuthUser, type UserRole, type VendorRole } from '@app/platform';
import { PUBLIC_ROUTE, REQUIRED_ROLE, REQUIRED_VENDOR_ROLE } from './auth.decorators.js';

/** `Bearer <JWT>` and nothing else: a header with more parts is not a token with a comment. */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * Global: every route needs a valid bearer token unless it is `@Public()`, the role its controller names, and the
 * vendor role `@OwnerOnly()` names. Global guards run before route guards and pipes, so a member is refused first.
 */
interface RouteAuth {
  isPublic: boolean;
  role?: UserRole;
  vendorRole?: VendorRole;
}

@Injectable()
export class AuthGuard implements CanActivate {
  /** What each handler requires, read from its metadata once: a public route then costs one map lookup. */
  private readonly routes = new WeakMap<object, RouteAuth>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  private routeAuth(context: ExecutionContext): RouteAuth {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      route = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
        role: this.reflector.getAllAndOverride<UserRole | undefined>(REQUIRED_ROLE, targets),
        vendorRole: this.reflector.getAllAndOverride<VendorRole | undefined>(REQUIRED_VENDOR_ROLE, targets),
      };
      this.routes.set(handler, route);
    }
    return route;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, role, vendorRole } = this.routeAuth(context);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<{ headers: { authorization?: string | string[] }; auth?: AuthUser }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) throw new UnauthorizedError(header ? 'The Authorization header must be "Bearer <token>".' : 'A bearer token is required.');
    const user = await this.auth.verifyToken(match[1]);
    if (role && user.role !== role) throw new ForbiddenError(`This route needs the ${role} role.`);
    if (vendorRole && user.vendorRole !== vendorRole) throw new ForbiddenError(`Only the vendor's ${vendorRole} may do this.`);
    request.auth = user;
    return true;
  }
}
