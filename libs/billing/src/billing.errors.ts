import { DomainError } from '@app/common';

/** The tier or add-on has no Stripe price for the requested interval (run `npm run stripe:sync-catalog`). */
export class StripePriceNotConfiguredError extends DomainError {
  constructor(what: string, interval?: 'month' | 'year') {
    super(
      'STRIPE_PRICE_NOT_CONFIGURED',
      `${what} has no Stripe price${interval ? ` for ${interval === 'year' ? 'annual' : 'monthly'} billing` : ''}.`,
      interval ? { interval } : undefined,
    );
  }
}

/** The call needs a Stripe subscription (or at least a Stripe customer) and the vendor has none. */
export class NoActiveSubscriptionError extends DomainError {
  constructor(message = 'This vendor has no Stripe subscription yet; subscribe through Checkout first.') {
    super('NO_ACTIVE_SUBSCRIPTION', message);
  }
}

export class SubscriptionNotCancelledError extends DomainError {
  constructor(message = 'Only a subscription set to cancel at the end of its period, and not yet ended, can be reactivated.') {
    super('SUBSCRIPTION_NOT_CANCELLED', message);
  }
}
