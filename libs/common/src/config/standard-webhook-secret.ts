import { Webhook } from 'standardwebhooks';

/** Fewest random bytes a Standard Webhooks secret may carry (the specification asks for 24 to 64). */
const MIN_BYTES = 24;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A secret in the Standard Webhooks form: `whsec_` + standard base64 (padded) of 24+ bytes, which the
 * `standardwebhooks` package itself accepts. Anything else (a passphrase, hex, a Stripe-style `whsec_` token) is
 * refused at start-up rather than signing with a key the receiver's library would decode differently.
 */
export function isStandardWebhookSecret(value: unknown): boolean {
  if (typeof value !== 'string' || !value.startsWith('whsec_')) return false;
  const encoded = value.slice('whsec_'.length);
  if (!CANONICAL_BASE64.test(encoded) || Buffer.from(encoded, 'base64').length < MIN_BYTES) return false;
  try {
    new Webhook(value);
    return true;
  } catch {
    return false;
  }
}
