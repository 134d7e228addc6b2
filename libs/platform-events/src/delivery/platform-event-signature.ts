import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks (standardwebhooks.com, CONTRACT §9): what a receiver's library verifies. The signing is the
 * `standardwebhooks` package's own, so a receiver using any Standard Webhooks library agrees with it by
 * construction, not by a copy of its rules.
 */
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** The three headers of one attempt: the event's id, this attempt's time (unix seconds) and its signature. */
export function standardWebhookHeaders(webhook: Webhook, id: string, body: string, at: Date): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_SIGNATURE_HEADER]: webhook.sign(id, at, body),
  };
}
