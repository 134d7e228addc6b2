import { applyDecorators, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TierFeature } from '@app/database';
import type { VendorAuth } from '@app/platform';
import { SubscriptionService } from '@app/subscription';
import { ApiErrors } from '../common/openapi/index.js';

const REQUIRED_FEATURE = 'subscription:feature';

/**
 * Runs after the global AuthGuard (global guards first), so the caller is known: 403 FEATURE_NOT_AVAILABLE
 * with the cheapest tier that has the feature, unless the vendor's tier includes it. Read per request, so a
 * tier change or an admin's edit holds at once.
 */
@Injectable()
export class FeatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly subscriptions: SubscriptionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const feature = this.reflector.getAllAndOverride<TierFeature | undefined>(REQUIRED_FEATURE, [context.getHandler(), context.getClass()]);
    if (!feature) return true;
    const { auth } = context.switchToHttp().getRequest<{ auth: VendorAuth }>();
    await this.subscriptions.assertFeature(auth.vendorId, feature);
    return true;
  }
}

/** The route needs a tier feature (`analytics`, `api_access`, …). Use on `@VendorOnly()` controllers. */
export const RequireFeature = (feature: TierFeature) =>
  applyDecorators(SetMetadata(REQUIRED_FEATURE, feature), UseGuards(FeatureGuard), ApiErrors([403, `FEATURE_NOT_AVAILABLE without ${feature} (details: feature, cheapest_tier_code); FORBIDDEN`]));
