import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { AuthUser, UserRole, VendorAuth, VendorRole } from '@app/platform';
import { ApiErrors } from '../common/openapi/index.js';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_ROLE = 'auth:role';
export const REQUIRED_VENDOR_ROLE = 'auth:vendor-role';

/** No bearer token needed (auth, health, webhooks, pages). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** A vendor user's token; the route acts on that user's vendor only. In OpenAPI: bearer auth, 401 and 403. */
export const VendorOnly = () =>
  applyDecorators(SetMetadata(REQUIRED_ROLE, 'vendor' satisfies UserRole), ApiBearerAuth(), ApiErrors(401, [403, 'FORBIDDEN (not a vendor user\'s token)']));

/**
 * Only the vendor's owner (CONTRACT §3): billing changes and team changes. A member's token gets 403 FORBIDDEN
 * from the AuthGuard, before any pipe or other guard looks at the request. Use on `@VendorOnly()` routes.
 */
export const OwnerOnly = () =>
  applyDecorators(
    SetMetadata(REQUIRED_VENDOR_ROLE, 'owner' satisfies VendorRole),
    ApiErrors([403, "FORBIDDEN (a member's token: only the vendor's owner may do this; not a vendor user's token)"]),
  );

/** A platform admin's token. In OpenAPI: bearer auth, 401 and 403. */
export const AdminOnly = () =>
  applyDecorators(SetMetadata(REQUIRED_ROLE, 'admin' satisfies UserRole), ApiBearerAuth(), ApiErrors(401, [403, 'FORBIDDEN (not an admin\'s token)']));

/** The caller of a `@VendorOnly()` route. */
export const CurrentVendor = createParamDecorator((_: unknown, ctx: ExecutionContext): VendorAuth => {
  return ctx.switchToHttp().getRequest<{ auth: VendorAuth }>().auth;
});

/** The caller of any authenticated route. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ auth: AuthUser }>().auth;
});
