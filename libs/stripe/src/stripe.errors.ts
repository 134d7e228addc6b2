import { DomainError } from '@app/common';

export class PaymentSystemNotConfiguredError extends DomainError {
  constructor() {
    super('PAYMENT_SYSTEM_NOT_CONFIGURED', 'Payments are not configured on this platform (STRIPE_SECRET_KEY is not set).');
  }
}

/** Stripe answered an error or could not be reached after the SDK's retries. Nothing was changed locally. */
export class PaymentProviderError extends DomainError {
  constructor(operation: string, details: { stripe_type?: string; stripe_code?: string; request_id?: string; status?: number }) {
    super('PAYMENT_PROVIDER_ERROR', `The payment provider could not ${operation}; nothing was changed. Try again later.`, details);
  }
}
