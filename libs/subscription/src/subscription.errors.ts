import { DomainError } from '@app/common';

export type LimitType = 'products' | 'orders' | 'team_members';

export interface LimitViolation {
  limit_type: LimitType;
  current: number;
  limit: number;
}

/** Creating one more product, order or member would pass the tier's limit (CONTRACT §2). */
export class TierLimitExceededError extends DomainError {
  constructor(details: { limit_type: LimitType; current: number; limit: number; tier_code: string; overage_cap_reached?: true }) {
    const what = details.limit_type === 'team_members' ? 'team members' : details.limit_type;
    super('TIER_LIMIT_EXCEEDED', details.overage_cap_reached
      ? `Your ${details.tier_code} plan allows ${details.limit} ${what}, and this period's overage has reached your cap; raise the cap or upgrade to add more.`
      : `Your ${details.tier_code} plan allows ${details.limit} ${what}; upgrade to add more.`, { ...details });
  }
}

/** Expired, cancelled past its period, or past_due beyond the grace period: reads work, creates do not. */
export class SubscriptionInactiveError extends DomainError {
  constructor(status: string | null) {
    super(
      'SUBSCRIPTION_INACTIVE',
      status === null ? 'This vendor has no subscription.' : `The subscription is ${status.replace('_', ' ')} and cannot create anything; renew it first.`,
      status === null ? undefined : { status },
    );
  }
}

export class FeatureNotAvailableError extends DomainError {
  constructor(feature: string, cheapestTierCode: string | null) {
    super('FEATURE_NOT_AVAILABLE', `Your plan does not include ${feature}.`, { feature, cheapest_tier_code: cheapestTierCode });
  }
}

export class TierNotFoundError extends DomainError {
  constructor(code: string) {
    super('TIER_NOT_FOUND', `There is no active tier "${code}".`, { tier_code: code });
  }
}

/** A tier change whose limits are below what the vendor already uses (409). */
export class DowngradeExceedsLimitsError extends DomainError {
  constructor(tierCode: string, violations: LimitViolation[]) {
    const list = violations.map((v) => `${v.limit_type} ${v.current} > ${v.limit}`).join(', ');
    super('DOWNGRADE_EXCEEDS_LIMITS', `Current usage is above the ${tierCode} limits (${list}).`, { tier_code: tierCode, violations });
  }
}
