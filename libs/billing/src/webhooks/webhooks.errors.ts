import { DomainError, ValidationFailedError } from '@app/common';

/** A delivery whose signature is missing, forged or stale, or whose body is not a Stripe event (400, nothing written). */
export class InvalidWebhookError extends ValidationFailedError {
  constructor(field: 'stripe-signature' | 'body', message: string) {
    super([{ field, messages: [message] }], message);
  }
}

export class WebhookSecretNotConfiguredError extends DomainError {
  constructor() {
    super('PAYMENT_SYSTEM_NOT_CONFIGURED', 'Stripe webhooks are not configured on this platform (STRIPE_WEBHOOK_SECRET is not set).');
  }
}

/**
 * The event's effect was rolled back and the event recorded as failed: 500, so that Stripe delivers it again.
 * The cause stays in the log and in the event's `error`, not in the answer.
 */
export class WebhookProcessingFailedError extends DomainError {
  constructor(eventId: string) {
    super('INTERNAL_ERROR', `Event ${eventId} could not be processed; it was recorded as failed and will be processed when Stripe delivers it again.`, { event_id: eventId });
  }
}
